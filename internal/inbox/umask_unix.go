//go:build unix

package inbox

import (
	"io/fs"
	"syscall"
)

// setUmask reads the umask by setting it and setting it back.
func setUmask() fs.FileMode {
	m := syscall.Umask(0o022)
	syscall.Umask(m)
	return fs.FileMode(m) & fs.ModePerm
}
