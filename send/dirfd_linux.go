//go:build linux && !ftportable

package send

import (
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// fdDir keeps the directory of the last name it was asked about open,
// so that the next name in the same directory is looked up from there:
// one path component instead of the whole path, for each of the many
// small files a tree has side by side.
type fdDir struct {
	path string
	fd   int
}

func newDirHandle() dirHandle { return &fdDir{fd: -1} }

// at returns a descriptor of dir, opening it if it is not the current one.
func (d *fdDir) at(dir string) (int, error) {
	if d.fd >= 0 && d.path == dir {
		return d.fd, nil
	}
	d.close()
	for {
		fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: dir, Err: err}
		}
		d.path, d.fd = dir, fd
		return fd, nil
	}
}

func (d *fdDir) close() {
	if d.fd >= 0 {
		unix.Close(d.fd)
		d.fd = -1
	}
}

// open opens the file name to send (following a symlink in its last
// component, as open(2) of the whole path would). O_NONBLOCK keeps a FIFO
// swapped in for the file since the walk from blocking the open.
func (d *fdDir) open(name string) (source, error) {
	dfd, err := d.at(filepath.Dir(name))
	if err != nil {
		return nil, err
	}
	for {
		fd, err := unix.Openat(dfd, filepath.Base(name), unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return &rawSource{fd: fd, name: name}, nil
	}
}

// lstat is os.Lstat of name.
func (d *fdDir) lstat(name string) (fs.FileInfo, error) {
	dfd, err := d.at(filepath.Dir(name))
	if err != nil {
		return nil, err
	}
	base := filepath.Base(name)
	var st unix.Stat_t
	for {
		if err = unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "lstat", Path: name, Err: err}
	}
	return &statInfo{name: base, st: st}, nil
}

// statInfo is an fs.FileInfo from a stat(2) result.
type statInfo struct {
	name string
	st   unix.Stat_t
}

func (s *statInfo) Name() string       { return s.name }
func (s *statInfo) Size() int64        { return s.st.Size }
func (s *statInfo) ModTime() time.Time { return time.Unix(s.st.Mtim.Unix()) }
func (s *statInfo) IsDir() bool        { return s.Mode().IsDir() }
func (s *statInfo) Sys() any           { return &s.st }

func (s *statInfo) Mode() fs.FileMode {
	m := fs.FileMode(s.st.Mode & 0o777)
	switch s.st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m |= fs.ModeDir
	case unix.S_IFLNK:
		m |= fs.ModeSymlink
	case unix.S_IFIFO:
		m |= fs.ModeNamedPipe
	case unix.S_IFSOCK:
		m |= fs.ModeSocket
	case unix.S_IFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		m |= fs.ModeDevice
	}
	return m
}
