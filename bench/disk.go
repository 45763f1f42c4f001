//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// setupDisk makes the disk target: a fresh ext4 filesystem in an image file
// on the disk, on a loop device with direct I/O, when it can (root, mkfs.ext4
// and losetup); otherwise a directory on the disk filesystem itself. The
// fresh filesystem is what makes rounds comparable: a long-lived one (here
// the root filesystem, mounted with "discard") makes each tool pay for the
// deletions of the runs before it, and the same 100,000-file extract then
// takes 3 s or 60 s.
func (h *harness) setupDisk(ctx context.Context) error {
	dir := filepath.Join(h.work, "disk")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return err
	}
	if st.Type == tmpfsMagic { // $TMPDIR is in memory: use the root filesystem
		var err error
		if dir, err = os.MkdirTemp("/var/tmp", "ft-bench-"); err != nil {
			return err
		}
		h.stateFile("rmtree", dir)
		h.onCleanup(func() error { return os.RemoveAll(dir) })
		if err := syscall.Statfs(dir, &st); err != nil {
			return err
		}
	}
	size := h.need() + 1<<30
	if free := int64(st.Bavail) * st.Bsize; free < size {
		return h.skip("disk target: %d MiB free in %s", free>>20, dir)
	}
	kind := fsTypeOf(dir)
	mnt, err := h.loopExt4(ctx, dir, size)
	if err != nil {
		h.logf("disk target: a directory on %s, not a fresh filesystem: %v", kind, err)
		kind += " (the disk's own filesystem: " + oneLine(err.Error()) + ")"
	} else {
		kind = "ext4, made for this run in an image on " + kind + ", loop device with direct I/O"
		dir = mnt
	}
	h.targets["disk"], h.fsTypes["disk"] = dir, kind
	return nil
}

// loopExt4 makes an ext4 filesystem of size bytes in a sparse image file in
// parent, attaches it to a loop device with direct I/O (so that writes and
// flushes reach the disk rather than the image file's page cache), mounts
// it with default options and returns the mount point. All of it is undone
// at cleanup; the loop device detaches itself when unmounted.
func (h *harness) loopExt4(ctx context.Context, parent string, size int64) (string, error) {
	if os.Geteuid() != 0 {
		return "", errors.New("not root")
	}
	img, mnt := filepath.Join(parent, "ext4.img"), filepath.Join(parent, "mnt")
	h.stateFile("rmtree", img)
	h.onCleanup(func() error {
		if err := os.Remove(img); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	ok := false
	defer func() {
		if !ok { // the target falls back to parent: leave nothing in it
			os.Remove(img)
		}
	}()
	f, err := os.Create(img)
	if err == nil {
		err = f.Truncate(size)
		f.Close()
	}
	if err != nil {
		return "", err
	}
	// No lazy initialisation: nothing writes in the background while timed.
	if err := runCmd(ctx, "mkfs.ext4", "-F", "-q", "-E", "lazy_itable_init=0,lazy_journal_init=0", img); err != nil {
		return "", err
	}
	out, err := exec.CommandContext(ctx, "losetup", "--direct-io=on", "--find", "--show", img).Output()
	if err != nil {
		return "", fmt.Errorf("losetup: %w", err)
	}
	dev := strings.TrimSpace(string(out))
	// Detach now: the kernel keeps the device until the filesystem is unmounted.
	defer runCmd(context.WithoutCancel(ctx), "losetup", "--detach", dev)
	if err := os.MkdirAll(mnt, 0o755); err != nil {
		return "", err
	}
	st := h.stateFile("mount", mnt)
	if err := syscall.Mount(dev, mnt, "ext4", 0, ""); err != nil {
		os.Remove(st)
		return "", fmt.Errorf("mount %s: %w", dev, err)
	}
	h.onCleanup(func() error {
		if err := syscall.Unmount(mnt, 0); err != nil {
			return syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
		os.Remove(st)
		return nil
	})
	ok = true
	return mnt, nil
}
