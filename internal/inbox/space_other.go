//go:build !linux && !darwin

package inbox

import (
	"errors"
	"syscall"
)

// freeSpace is unknown here: the write itself reports a full disk.
func freeSpace(string) (uint64, bool) { return 0, false }

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC)
}

// linkUnsupported is true for any link error other than an existing name.
func linkUnsupported(err error) bool { return err != nil }
