//go:build unix

package receive_test

import (
	"io/fs"
	"syscall"
)

// testUmask is the umask the tests run (and their receivers write) under:
// it cuts the modes of what they receive.
const testUmask fs.FileMode = 0o022

func init() { syscall.Umask(int(testUmask)) }
