//go:build linux && !ftportable

package send

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// fdDir keeps open the top directory and each directory on the way down
// to the directory of the last name it was asked about, so that the next
// name in the same directory costs one lookup, and one in a neighbouring
// directory as many as the paths differ by: for the many small files a
// tree has side by side. Below the top, every component is opened from
// its parent's descriptor without following symlinks, so that a directory
// swapped for a symlink since the walk is never followed out of the tree.
type fdDir struct {
	top   string
	fds   []int    // fds[0] is top, fds[i] the directory comps[:i] below it
	comps []string // the components below top of the last directory
	cur   string   // comps joined with "/"
}

func newDirHandle() dirHandle { return &fdDir{} }

// dirFlags open a directory below the top: never through a symlink.
const dirFlags = unix.O_RDONLY | unix.O_DIRECTORY | unix.O_NOFOLLOW | unix.O_CLOEXEC

// at returns a descriptor of dir (slash-separated, "" for top itself)
// inside the directory top, opening what it does not have open.
func (d *fdDir) at(top, dir string) (int, error) {
	if len(d.fds) > 0 && d.top == top && d.cur == dir {
		return d.fds[len(d.fds)-1], nil
	}
	if len(d.fds) == 0 || d.top != top {
		d.close()
		fd, err := openat(unix.AT_FDCWD, top, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC)
		if err != nil {
			return -1, &os.PathError{Op: "open", Path: top, Err: err}
		}
		d.top, d.fds = top, append(d.fds, fd)
	}
	var want []string
	if dir != "" {
		want = strings.Split(dir, "/")
	}
	keep := 0
	for keep < len(want) && keep < len(d.comps) && want[keep] == d.comps[keep] {
		keep++
	}
	d.pop(keep)
	for _, c := range want[keep:] {
		fd, err := openat(d.fds[len(d.fds)-1], c, dirFlags)
		if err != nil {
			return -1, componentError(filepath.Join(top, filepath.Join(d.comps...), c), err)
		}
		d.fds, d.comps = append(d.fds, fd), append(d.comps, c)
		d.cur = strings.Join(d.comps, "/")
	}
	return d.fds[len(d.fds)-1], nil
}

// pop closes the directories below the first n components.
func (d *fdDir) pop(n int) {
	for len(d.comps) > n {
		unix.Close(d.fds[len(d.fds)-1])
		d.fds, d.comps = d.fds[:len(d.fds)-1], d.comps[:len(d.comps)-1]
	}
	d.cur = strings.Join(d.comps, "/")
}

func (d *fdDir) close() {
	d.pop(0)
	for _, fd := range d.fds {
		unix.Close(fd)
	}
	d.fds, d.top = d.fds[:0], ""
}

// openat is openat(2), retried on EINTR.
func openat(dfd int, name string, flags int) (int, error) {
	for {
		fd, err := unix.Openat(dfd, name, flags, 0)
		if err != unix.EINTR {
			return fd, err
		}
	}
}

// componentError describes the failure to open path without following a
// symlink: a symlink or a file where the walk saw a directory or a
// regular file is errSwapped.
func componentError(path string, err error) error {
	if err == unix.ELOOP || err == unix.ENOTDIR {
		return &os.PathError{Op: "open", Path: path, Err: errSwapped}
	}
	return &os.PathError{Op: "open", Path: path, Err: err}
}

// split returns the directory and the base of rel.
func split(rel string) (dir, base string) {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i], rel[i+1:]
	}
	return "", rel
}

// open opens the file rel inside top, or top itself (following a symlink,
// as named on the command line) if rel is "". Below top nothing is
// followed. O_NONBLOCK keeps a FIFO swapped in for the file since the walk
// from blocking the open.
func (d *fdDir) open(top, rel string) (source, error) {
	const flags = unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK
	if rel == "" {
		fd, err := openat(unix.AT_FDCWD, top, flags)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: top, Err: err}
		}
		return &rawSource{fd: fd, name: top}, nil
	}
	dir, base := split(rel)
	dfd, err := d.at(top, dir)
	if err != nil {
		return nil, err
	}
	name := filepath.Join(top, filepath.FromSlash(rel))
	fd, err := openat(dfd, base, flags|unix.O_NOFOLLOW)
	if err != nil {
		return nil, componentError(name, err)
	}
	return &rawSource{fd: fd, name: name}, nil
}

// lstat is os.Lstat of rel inside top, with nothing followed on the way
// (os.Stat of top if rel is "").
func (d *fdDir) lstat(top, rel string) (fs.FileInfo, error) {
	if rel == "" {
		return os.Stat(top)
	}
	dir, base := split(rel)
	dfd, err := d.at(top, dir)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	for {
		if err = unix.Fstatat(dfd, base, &st, unix.AT_SYMLINK_NOFOLLOW); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return nil, &os.PathError{Op: "lstat", Path: filepath.Join(top, filepath.FromSlash(rel)), Err: err}
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
