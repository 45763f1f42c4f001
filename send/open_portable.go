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

// dirHandle opens and stats the files to send. The fast path
// (dirfd_linux.go) keeps the directory of the last name open; the portable
// one (portableDir), compiled everywhere, uses whole paths.
type dirHandle interface {
	open(name string) (source, error)
	lstat(name string) (fs.FileInfo, error)
	close()
}

// portableDir is the portable dirHandle.
type portableDir struct{}

func (portableDir) close() {}

// open opens a file to send.
func (portableDir) open(name string) (source, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osSource{f}, nil
}

// lstat is os.Lstat.
func (portableDir) lstat(name string) (fs.FileInfo, error) { return os.Lstat(name) }
