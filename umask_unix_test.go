//go:build unix

package main

import (
	"os"
	"syscall"
)

// setTestUmask sets the tests' umask to 022 and returns it.
func setTestUmask() os.FileMode {
	syscall.Umask(0o022)
	return 0o022
}
