//go:build !windows

package keys

import (
	"fmt"
	"os"
)

// checkPrivate refuses a secret or private key file that a group or other
// users may read or write.
func checkPrivate(f *os.File, path string) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("%w: %s has mode %#o (run: chmod 600 %s)", ErrExposed, path, perm, path)
	}
	return nil
}
