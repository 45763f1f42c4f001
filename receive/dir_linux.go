//go:build linux

package receive

import (
	"errors"
	"fmt"
	"os"
	"time"

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

// createTemp creates a new temp file in d with one open(2), skipping the
// poller registration os.OpenFile tries for every file.
func (d *dir) createTemp() (*os.File, string, error) {
	name := tempName()
	fd, err := unix.Openat(d.sys.fd, name, unix.O_RDWR|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, "", &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), name, nil
}

// setTimes sets the access and modification times of name in d.
func (d *dir) setTimes(name string, t time.Time) error {
	ts := []unix.Timespec{unix.NsecToTimespec(t.UnixNano()), unix.NsecToTimespec(t.UnixNano())}
	if err := unix.UtimesNanoAt(d.sys.fd, name, ts, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return &os.PathError{Op: "utimensat", Path: name, Err: err}
	}
	return nil
}

// commitNoReplace renames tmp to name unless name exists (then the error
// matches fs.ErrExist), in one renameat2(RENAME_NOREPLACE); on filesystems
// without it, through a hard link.
func (d *dir) commitNoReplace(tmp, name string) error {
	err := unix.Renameat2(d.sys.fd, tmp, d.sys.fd, name, unix.RENAME_NOREPLACE)
	if errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.ENOTSUP) {
		return d.linkNoReplace(tmp, name)
	}
	if err != nil {
		return fmt.Errorf("rename %s: %w", name, err)
	}
	return nil
}
