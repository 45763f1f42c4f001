//go:build linux || darwin

package inbox

import (
	"errors"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// statSpace returns a reader of the free space of root's filesystem, by
// the directory itself (fstatfs), so that it holds if the inbox is moved.
func statSpace(root *os.Root, _ string) func() (fsSpace, bool) {
	return func() (fsSpace, bool) {
		d, err := root.Open(".")
		if err != nil {
			return fsSpace{}, false
		}
		defer d.Close()
		var st unix.Statfs_t
		if err := unix.Fstatfs(int(d.Fd()), &st); err != nil {
			return fsSpace{}, false
		}
		inodes := uint64(st.Ffree)
		if st.Files == 0 { // a filesystem without a fixed number of inodes (btrfs)
			inodes = ^uint64(0)
		}
		return fsSpace{bytes: uint64(st.Bavail) * uint64(st.Bsize), inodes: inodes}, true
	}
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// linkUnsupported reports whether a hard link failed because the
// filesystem does not support hard links.
func linkUnsupported(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOTSUP) || errors.Is(err, syscall.EXDEV)
}
