package inbox

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// each runs f against every implementation this build has: the fast path
// (where there is one) and the portable one.
func each(t *testing.T, f func(t *testing.T, open func(Options) (*Inbox, string))) {
	for _, portable := range []bool{false, true} {
		name := "fast"
		if portable {
			name = "portable"
		}
		t.Run(name, func(t *testing.T) {
			if !portable && !hasFastPath(t) {
				t.Skip("no fast path in this build")
			}
			open := func(o Options) (*Inbox, string) {
				dir := t.TempDir()
				o.Portable = portable
				in, err := Open(dir, o)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { in.Close() })
				return in, dir
			}
			f(t, open)
		})
	}
}

// hasFastPath reports whether this build has a fast path.
func hasFastPath(t *testing.T) bool {
	in, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	return in.fast != nil
}

// begin starts a transfer on in with one set of directory handles,
// closed when the test ends.
func begin(t *testing.T, in *Inbox) (*Transfer, *Dirs) {
	tr := in.Begin()
	d := tr.Dirs()
	t.Cleanup(d.Close)
	return tr, d
}

var mtime = time.Unix(1700000000, 123456789)

// put writes body as the file name through a temp file and commits it.
func put(t *testing.T, tr *Transfer, d *Dirs, name string, body []byte, perm fs.FileMode) Result {
	t.Helper()
	tf, err := tr.CreateWithParents(d, name, int64(len(body)), perm, mtime)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tf.Write(body)
	if err := tf.Close(err); err != nil {
		t.Fatal(err)
	}
	return tr.Commit(d, tf, blake3.Sum256(body))
}

func writeFile(t *testing.T, path string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCommitRule: a file reaches its name by the one rule, with and
// without Overwrite, and a committed file has the mode and mtime it was
// sent with (the portable path once failed every file here).
func TestCommitRule(t *testing.T) {
	cases := []struct {
		name      string
		existing  []byte // nil: the name is free
		overwrite bool
		want      protocol.Code
		content   string // what the name holds afterwards
	}{
		{"free name", nil, false, protocol.CodeOK, "new"},
		{"identical", []byte("new"), false, protocol.CodeUnchanged, "new"},
		{"different", []byte("old"), false, protocol.CodeExists, "old"},
		{"different, overwrite", []byte("old"), true, protocol.CodeOK, "new"},
	}
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in, dir := open(Options{Overwrite: tc.overwrite})
				target := filepath.Join(dir, "sub", "f")
				if tc.existing != nil {
					writeFile(t, target, tc.existing)
				}
				tr, d := begin(t, in)
				if r := put(t, tr, d, "sub/f", []byte("new"), 0o640); r.Code != tc.want {
					t.Fatalf("result %+v, want code %v", r, tc.want)
				}
				got, err := os.ReadFile(target)
				if err != nil || string(got) != tc.content {
					t.Fatalf("sub/f holds %q (%v), want %q", got, err, tc.content)
				}
				fi, _ := os.Stat(target)
				if tc.existing == nil || tc.overwrite {
					if fi.Mode().Perm() != 0o640&^umask() || !fi.ModTime().Equal(mtime) {
						t.Errorf("mode %v mtime %v, want %v and %v", fi.Mode(), fi.ModTime(), fs.FileMode(0o640&^umask()), mtime)
					}
				} else if fi.ModTime().Equal(mtime) {
					t.Errorf("the existing file got the entry's mtime")
				}
				noTemps(t, dir)
			})
		}
	})
}

// umask is the process's umask (set to 022 by TestMain).
func umask() fs.FileMode { return 0o022 }

// noTemps fails on temp files or staging directories left in dir.
func noTemps(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && IsTempName(d.Name()) {
			t.Errorf("temp name left: %s", p)
		}
		return nil
	})
}

// TestNothingBeforeCommit: a written body is not under its name before
// Commit, and Drop leaves nothing, not even the parents it made.
func TestNothingBeforeCommit(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr, d := begin(t, in)
		tf, err := tr.CreateWithParents(d, "a/b/f", 4, 0o644, mtime)
		if err != nil {
			t.Fatal(err)
		}
		tf.Write([]byte("body"))
		if err := tf.Close(nil); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "a", "b", "f")); err == nil {
			t.Fatal("the file is under its name before Commit")
		}
		tf.Drop()
		if entries := userEntries(t, dir); len(entries) != 0 {
			t.Errorf("left after Drop: %v", entries)
		}
	})
}

// userEntries lists dir but for the receiver's own files (journal, lock).
func userEntries(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); n != JournalName && n != LockName && n != SweepName {
			names = append(names, n)
		}
	}
	return names
}
