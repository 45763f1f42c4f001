//go:build !linux

package send

import (
	"io/fs"
	"os"
)

// osSource is a file being sent, through the portable calls.
type osSource struct{ *os.File }

func (f osSource) state() (size, mtime int64, regular bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false, err
	}
	return fi.Size(), fi.ModTime().UnixNano(), fi.Mode().IsRegular(), nil
}

// dirHandle is where Linux keeps a directory open; elsewhere whole paths
// are used.
type dirHandle struct{}

func newDirHandle() *dirHandle { return &dirHandle{} }

func (*dirHandle) close() {}

// open opens a file to send.
func (*dirHandle) open(name string) (source, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osSource{f}, nil
}

// lstat is os.Lstat.
func (*dirHandle) lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
