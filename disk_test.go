//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Disk faults on a small tmpfs: full mid-file, out of inodes, a declared
// size beyond the free space. Mounting needs root; without it they skip.

// smallDisk mounts a tmpfs with opts (e.g. "size=32m") and returns its
// mount point; the inbox is a directory inside it. It is unmounted when
// the test ends, after the processes using it.
func smallDisk(t *testing.T, opts string) (mnt, inbox string) {
	t.Helper()
	if !isRoot() {
		t.Skip("mounting a small filesystem needs root")
	}
	mnt = filepath.Join(t.TempDir(), "mnt")
	must(t, os.Mkdir(mnt, 0o755))
	if out, err := runOut("mount", "-t", "tmpfs", "-o", opts, "ft-test", mnt); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v: %s", err, out)
	}
	t.Cleanup(func() { runOut("umount", "-l", mnt) })
	inbox = filepath.Join(mnt, "inbox")
	must(t, os.Mkdir(inbox, 0o755))
	return mnt, inbox
}

// fill writes a file at path that leaves about leave bytes free on its
// filesystem (or none, if the receiver writes meanwhile).
func fill(t *testing.T, path string, leave uint64) {
	t.Helper()
	free := freeBytes(t, filepath.Dir(path))
	if free <= leave {
		return
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for left := free - leave; left > 0; {
		n := min(left, uint64(len(chunk)))
		if _, err := f.Write(chunk[:n]); errors.Is(err, syscall.ENOSPC) {
			return
		} else if err != nil {
			t.Fatalf("fill: %v", err)
		}
		left -= n
	}
}

// TestDiskFullMidFile: the disk fills while a file is on its way. The
// file fails with "no space left" on both ends, its temp file goes, and
// the next file that fits lands.
func TestDiskFullMidFile(t *testing.T) {
	t.Parallel()
	mnt, inbox := smallDisk(t, "size=32m")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(t, 24<<20), 0o644)
	r := startReceiver(t, inbox)
	px := startProxy(t, r.addr, proxyRate)
	s := startFt(t, src, nil, "send", "-q", px.addr(), "big.bin")
	waitFor(t, 20*time.Second, "the receiver to be mid-file", func() bool { return tempBytes(inbox) >= 2<<20 })
	release := px.hold()
	fill(t, filepath.Join(mnt, "filler"), 1<<20) // far less than the rest of the file
	release()
	res := s.wait(t, time.Minute)
	if res.code != exitRefused || !strings.Contains(res.stderr, `"big.bin"`) || !strings.Contains(res.stderr, "no space left on device") {
		t.Errorf("sender: exit %d, want %d naming big.bin with \"no space left on device\"; stderr %q", res.code, exitRefused, res.stderr)
	}
	t.Logf("sender: %s", res.stderr)
	assertNoPartial(t, r)
	waitLog(t, r, 0, `code="no space"`)
	sendOneFile(t, r) // the failed file's space is free again: a small file fits
}

// TestDiskFullSmallFiles: many small files into a disk that fills part
// way, into an existing directory and into a new (staged) one. Every file
// either lands whole or gets a "no space" verdict; nothing partial or
// temporary stays; the sender exits with the refusal code; freed space
// serves the next send.
func TestDiskFullSmallFiles(t *testing.T) {
	t.Parallel()
	_, inbox := smallDisk(t, "size=2m")
	must(t, os.Mkdir(filepath.Join(inbox, "old"), 0o755))
	src := t.TempDir()
	want := map[string][]byte{}
	for _, d := range []string{"old", "new"} {
		for i := range 150 {
			name := fmt.Sprintf("%s/f%03d.bin", d, i)
			want[name] = randomBytes(t, 8<<10+i)
			writeFile(t, filepath.Join(src, name), want[name], 0o644)
		}
	}
	r := startReceiver(t, inbox)
	res := ftIn(t, src, "send", "-q", r.addr, "old", "new")
	if res.code != exitRefused || !strings.Contains(res.stderr, "no space") {
		t.Errorf("exit %d, want %d with \"no space\"; stderr %q", res.code, exitRefused, res.stderr)
	}
	landed := 0
	for name, body := range want {
		got, err := os.ReadFile(filepath.Join(inbox, name))
		switch {
		case errors.Is(err, os.ErrNotExist):
		case err != nil:
			t.Errorf("%s: %v", name, err)
		case !bytes.Equal(got, body):
			t.Errorf("%s landed with %d bytes that differ from the source's %d", name, len(got), len(body))
		default:
			landed++
		}
	}
	if landed == 0 || landed == len(want) {
		t.Errorf("%d of %d files landed: the disk should have filled part way", landed, len(want))
	}
	if left := tempFiles(inbox); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
	t.Logf("%d of %d files landed; sender: %.200s", landed, len(want), res.stderr)
	must(t, os.RemoveAll(filepath.Join(inbox, "new")))
	sendOneFile(t, r)
}

// TestOutOfInodes: with no inode left the file fails with "no space", and
// once one is free again the next file lands.
func TestOutOfInodes(t *testing.T) {
	t.Parallel()
	mnt, inbox := smallDisk(t, "size=8m,nr_inodes=32")
	r := startReceiver(t, inbox)
	var fillers []string
	for i := range 64 {
		name := filepath.Join(mnt, fmt.Sprintf("inode-%d", i))
		f, err := os.Create(name)
		if errors.Is(err, syscall.ENOSPC) {
			break
		}
		must(t, err)
		f.Close()
		fillers = append(fillers, name)
	}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	res := ftIn(t, src, "send", r.addr, "x.txt")
	if res.code != exitRefused || !strings.Contains(res.stderr, "no space") {
		t.Errorf("with no inode left: exit %d, want %d with \"no space\"; stderr %q", res.code, exitRefused, res.stderr)
	}
	t.Logf("sender: %s", res.stderr)
	if left := tempFiles(inbox); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
	for _, f := range fillers[len(fillers)-2:] {
		must(t, os.Remove(f))
	}
	sendOneFile(t, r)
}

// TestSizeBeyondFreeSpaceRealSender: a (sparse) file larger than the free
// space is refused at header time: nothing is written to the disk.
func TestSizeBeyondFreeSpaceRealSender(t *testing.T) {
	t.Parallel()
	_, inbox := smallDisk(t, "size=16m")
	src := t.TempDir()
	f, err := os.Create(filepath.Join(src, "sparse.img"))
	must(t, err)
	must(t, f.Truncate(64<<20))
	f.Close()
	r := startReceiver(t, inbox)
	before := freeBytes(t, inbox)
	res := ftIn(t, src, "send", r.addr, "sparse.img")
	if res.code != exitRefused || !strings.Contains(res.stderr, "no space") || !strings.Contains(res.stderr, "free") {
		t.Errorf("exit %d, want %d with \"no space\"; stderr %q", res.code, exitRefused, res.stderr)
	}
	t.Logf("sender: %s", res.stderr)
	if got := listTree(t, inbox); len(got) != 0 {
		t.Errorf("inbox holds %q", got)
	}
	if after := freeBytes(t, inbox); after != before {
		t.Errorf("free space went from %d to %d: something was written", before, after)
	}
	sendOneFile(t, r)
}

// isRoot reports whether the tests run as root.
func isRoot() bool { return os.Geteuid() == 0 }

// runOut runs a command and returns its combined output.
func runOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// freeBytes is what statfs says is available under dir.
func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	free, err := statfsFree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return free
}

// statfsFree returns the bytes available to unprivileged users under dir.
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
