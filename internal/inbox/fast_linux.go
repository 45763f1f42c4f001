//go:build linux && !ftportable

package inbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// linuxDir is a raw descriptor of the same directory as a dir's os.Root.
// The hot per-file operations use it with a single name component that
// never leaves the directory: a temp name we made, or the checked last
// component of an entry name. They do not follow a symlink in that
// component, so they are confined exactly as the os.Root calls are.
type linuxDir struct {
	f  *os.File
	fd int
}

// openFast returns the fast path on r.
func openFast(r *os.Root) (fastDir, error) {
	f, err := r.Open(".")
	if err != nil {
		return nil, err
	}
	return &linuxDir{f: f, fd: int(f.Fd())}, nil
}

func (d *linuxDir) close() { d.f.Close() }

// syncFS flushes the whole filesystem holding d to disk.
func (d *linuxDir) syncFS() error { return unix.Syncfs(d.fd) }

// create creates the new file name with one open(2) that already gives it
// its final permissions (perm, which the umask cuts, as it should). The file is a bare
// descriptor: an *os.File would cost an fcntl(2) for each file.
func (d *linuxDir) create(name string, perm fs.FileMode) (tempFile, error) {
	fd, err := unix.Openat(d.fd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, uint32(perm))
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return &rawFile{fd: fd, name: name}, nil
}

// renameNoReplace renames tmp to name unless name exists (then the error
// matches fs.ErrExist), in one renameat2(RENAME_NOREPLACE).
func (d *linuxDir) renameNoReplace(tmp, name string) error {
	err := unix.Renameat2(d.fd, tmp, d.fd, name, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return errUnsupported
	}
	if err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return nil
}

// rawFile is a temp file being written, as a bare descriptor.
type rawFile struct {
	fd   int
	name string
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

// finish gives the file its modification time (its permissions are the
// ones it was created with, cut by the umask as they should be); with
// sync, it makes it durable (the inbox otherwise syncs the whole
// filesystem at once).
func (f *rawFile) finish(mtime time.Time, sync bool) error {
	if !mtime.IsZero() {
		ts := [2]unix.Timespec{unix.NsecToTimespec(mtime.UnixNano()), unix.NsecToTimespec(mtime.UnixNano())}
		// utimensat(fd, NULL, ...) sets the times of the open file itself.
		_, _, e := unix.Syscall6(unix.SYS_UTIMENSAT, uintptr(f.fd), 0, uintptr(unsafe.Pointer(&ts)), 0, 0, 0)
		if e != 0 {
			return &os.PathError{Op: "utimensat", Path: f.name, Err: e}
		}
	}
	if sync {
		if err := unix.Fsync(f.fd); err != nil {
			return &os.PathError{Op: "fsync", Path: f.name, Err: err}
		}
	}
	return nil
}
