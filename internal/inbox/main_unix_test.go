//go:build unix

package inbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

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
		tr := in.Begin()
		d := tr.Dirs()
		defer d.Close()
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
