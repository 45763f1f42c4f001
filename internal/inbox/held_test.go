package inbox

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/protocol"
	"github.com/zeebo/blake3"
)

// TestCheckpoint: a transfer is Full once it holds MaxHeld; a Checkpoint
// applies the attributes of the directories held so far, but those above
// the next entry, which wait for the end; it forgets what it held, and a
// directory staged after it is published by the next Publish through the
// same Dirs, whose handles on the old staging are reopened.
func TestCheckpoint(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr, d := begin(t, in)
		for _, name := range []string{"done", "open"} {
			if r, staged := tr.Mkdir(name, 0o700, mtime); r.Code != protocol.CodeOK || !staged {
				t.Fatalf("mkdir %s: %+v staged %v", name, r, staged)
			}
			put(t, tr, d, name+"/f", []byte(name), 0o644)
		}
		if tr.Full() {
			t.Fatal("full after four entries")
		}
		for held := int64(0); held < MaxHeld; held += 1 << 10 {
			tr.Hold(string(make([]byte, 1<<10-heldPerEntry)))
		}
		if !tr.Full() {
			t.Fatalf("not full after holding MaxHeld")
		}
		staged := []Staged{{"done", protocol.KindDir}, {"done/f", protocol.KindFile}, {"open", protocol.KindDir}, {"open/f", protocol.KindFile}}
		for i, r := range tr.Publish(d, staged, failOn(t)) {
			if r.Code != protocol.CodeOK {
				t.Errorf("publish %s: %+v", staged[i].Name, r)
			}
		}
		tr.Checkpoint("open/next", failOn(t))
		if tr.Full() {
			t.Error("still full after the checkpoint")
		}
		checkDir(t, filepath.Join(dir, "done"), true)
		checkDir(t, filepath.Join(dir, "open"), false) // still being filled
		tf, err := tr.CreateWithParents(d, "open/next", 4, 0o644, mtime)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "open", "next")); err == nil {
			t.Fatal("open/next is under its final name before its commit: written as if still staged")
		}
		tf.Write([]byte("next"))
		if err := tf.Close(nil); err != nil {
			t.Fatal(err)
		}
		if r := tr.Commit(d, tf, blake3.Sum256([]byte("next"))); r.Code != protocol.CodeOK {
			t.Fatalf("commit open/next: %+v", r)
		}
		if r, staged := tr.Mkdir("later", 0o700, mtime); r.Code != protocol.CodeOK || !staged {
			t.Fatalf("mkdir later: %+v staged %v", r, staged)
		}
		put(t, tr, d, "later/f", []byte("later"), 0o644)
		tr.Publish(d, []Staged{{"later", protocol.KindDir}, {"later/f", protocol.KindFile}}, failOn(t))
		tr.FinishDirs(failOn(t))
		for _, name := range []string{"done/f", "open/f", "open/next", "later/f"} {
			if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
		checkDir(t, filepath.Join(dir, "open"), true)
		checkDir(t, filepath.Join(dir, "later"), true)
		noTemps(t, dir)
	})
}
