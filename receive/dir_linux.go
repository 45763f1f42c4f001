//go:build linux

package receive

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// sysDir is a raw descriptor of the same directory as the dir's os.Root.
// The hot per-file operations use it with a single name component that
// never leaves the directory: a temp name we made, or the checked last
// component of an entry name. They do not follow a symlink in that
// component, so they are confined exactly as the os.Root calls are.
type sysDir struct {
	f  *os.File
	fd int
}

func openSysDir(r *os.Root) (sysDir, error) {
	f, err := r.Open(".")
	if err != nil {
		return sysDir{}, err
	}
	return sysDir{f: f, fd: int(f.Fd())}, nil
}

func (s sysDir) close() { s.f.Close() }

// create creates the new file name in d with one open(2) that already
// gives it its final permissions (as far as the umask lets it). The file
// is a bare descriptor: an *os.File would cost an fcntl(2) for each file.
func (d *dir) create(name string, perm fs.FileMode) (tempFile, error) {
	fd, err := unix.Openat(d.sys.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return &rawFile{fd: fd, name: name, perm: perm}, nil
}

// rawFile is a temp file being written, as a bare descriptor.
type rawFile struct {
	fd   int
	name string
	perm fs.FileMode // what it was created with
}

func (f *rawFile) Write(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		m, err := unix.Write(f.fd, p[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return n, &os.PathError{Op: "write", Path: f.name, Err: err}
		}
		n += m
	}
	return n, nil
}

func (f *rawFile) Close() error {
	if err := unix.Close(f.fd); err != nil {
		return &os.PathError{Op: "close", Path: f.name, Err: err}
	}
	return nil
}

// finish gives the file its permissions, unless the umask left them as
// created, and its modification time. syncfs makes it durable later.
func (f *rawFile) finish(mtime time.Time, _ bool) error {
	if umask := processUmask(); umask < 0 || f.perm&fs.FileMode(umask) != 0 {
		if err := unix.Fchmod(f.fd, uint32(f.perm)); err != nil {
			return &os.PathError{Op: "chmod", Path: f.name, Err: err}
		}
	}
	if mtime.IsZero() {
		return nil
	}
	ts := [2]unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
	// utimensat(fd, NULL, ...) sets the times of the open file itself.
	_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(f.fd), 0, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
	if e != 0 {
		return &os.PathError{Op: "utimensat", Path: f.name, Err: e}
	}
	return nil
}

// moveDirNoReplace renames the directory tmp to name unless name exists
// (then the error matches fs.ErrExist).
func (d *dir) moveDirNoReplace(tmp, name string) error {
	return d.renameNoReplace(tmp, name, d.checkAndRename)
}

// commitNoReplace renames tmp to name unless name exists (then the error
// matches fs.ErrExist), in one renameat2(RENAME_NOREPLACE); on filesystems
// without it, through a hard link.
func (d *dir) commitNoReplace(tmp, name string) error {
	return d.renameNoReplace(tmp, name, d.linkNoReplace)
}

// renameNoReplace is renameat2(RENAME_NOREPLACE), or fallback where the
// filesystem does not have it.
func (d *dir) renameNoReplace(tmp, name string, fallback func(tmp, name string) error) error {
	err := unix.Renameat2(d.sys.fd, tmp, d.sys.fd, name, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return fallback(tmp, name)
	}
	if err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return nil
}
