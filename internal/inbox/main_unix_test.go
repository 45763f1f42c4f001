//go:build unix

package inbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022) // the modes the tests expect
	os.Exit(m.Run())
}

// TestUmaskCutsModes: the receiver's umask cuts the modes entries ask for,
// files and directories alike, setuid and setgid never set.
func TestUmaskCutsModes(t *testing.T) {
	old := syscall.Umask(0o077)
	defer syscall.Umask(old)
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr, d := begin(t, in)
		if r := put(t, tr, d, "f", []byte("x"), 0o666|fs.ModeSetuid); r.Code != protocol.CodeOK {
			t.Fatal(r)
		}
		if r, _ := tr.Mkdir("d", 0o777|fs.ModeSetgid, mtime); r.Code != protocol.CodeOK {
			t.Fatal(r)
		}
		tr.Publish(d, []Staged{{"d", protocol.KindDir}}, failOn(t))
		tr.FinishDirs(failOn(t))
		for name, want := range map[string]fs.FileMode{"f": 0o600, "d": fs.ModeDir | 0o700} {
			if fi, err := os.Stat(filepath.Join(dir, name)); err != nil || fi.Mode() != want {
				t.Errorf("%s: mode %v (%v), want %v", name, fi.Mode(), err, want)
			}
		}
	})
}

// TestHashNeverBlocks: comparing with what holds a name never opens a FIFO
// for reading (which would block until a writer comes) nor follows a
// symlink (issue 14 item 9).
func TestHashNeverBlocks(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "file"), []byte("x"), 0o644)
	os.Symlink("file", filepath.Join(dir, "link"))
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, name := range []string{"fifo", "link"} {
		done := make(chan error, 1)
		go func() { _, err := hashFile(root, name); done <- err }()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("%s: hashed as a regular file", name)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: hashFile blocked", name)
		}
	}
	if _, err := hashFile(root, "file"); err != nil {
		t.Errorf("file: %v", err)
	}
	// The open alone, as for a FIFO swapped in after the Lstat.
	opened := make(chan error, 1)
	go func() {
		f, err := root.OpenFile("fifo", os.O_RDONLY|openNoBlock, 0)
		if err == nil {
			f.Close()
		}
		opened <- err
	}()
	select {
	case err := <-opened:
		if err != nil {
			t.Errorf("open without blocking: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("opening the FIFO blocked")
	}
}
