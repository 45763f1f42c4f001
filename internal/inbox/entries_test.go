package inbox

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// TestSymlinkRule: symlinks follow the same rule, get missing parents made,
// and are refused below a symlink.
func TestSymlinkRule(t *testing.T) {
	cases := []struct {
		name      string
		setup     func(dir string) error
		link      string
		overwrite bool
		want      protocol.Code
	}{
		{"free, parents made", nil, "lp/l", false, protocol.CodeOK},
		{"identical", func(d string) error { return os.Symlink("x", filepath.Join(d, "l")) }, "l", false, protocol.CodeUnchanged},
		{"different", func(d string) error { return os.Symlink("y", filepath.Join(d, "l")) }, "l", false, protocol.CodeExists},
		{"different, overwrite", func(d string) error { return os.Symlink("y", filepath.Join(d, "l")) }, "l", true, protocol.CodeOK},
		{"below a symlink", func(d string) error {
			os.Mkdir(filepath.Join(d, "real"), 0o755)
			return os.Symlink("real", filepath.Join(d, "via"))
		}, "via/l", false, protocol.CodeRefused},
		{"below a file", func(d string) error { return os.WriteFile(filepath.Join(d, "f"), nil, 0o644) }, "f/l", false, protocol.CodeRefused},
	}
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in, dir := open(Options{Overwrite: tc.overwrite})
				if tc.setup != nil {
					if err := tc.setup(dir); err != nil {
						t.Fatal(err)
					}
				}
				r, _ := in.Begin().Symlink(tc.link, "x")
				if r.Code != tc.want {
					t.Fatalf("result %+v, want code %v", r, tc.want)
				}
				got, err := os.Readlink(filepath.Join(dir, filepath.FromSlash(tc.link)))
				if tc.want.Success() && (err != nil || got != "x") {
					t.Errorf("link reads %q (%v), want x", got, err)
				}
			})
		}
	})
}

// TestMkdirLeavesExisting: a dir entry for an existing directory succeeds
// and leaves its mode and mtime alone (unless Overwrite); one for a name
// held by a file is refused; a new directory appears at Publish with the
// entry's mode and mtime.
func TestMkdirLeavesExisting(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		for _, overwrite := range []bool{false, true} {
			in, dir := open(Options{Overwrite: overwrite})
			os.Mkdir(filepath.Join(dir, "old"), 0o755)
			os.WriteFile(filepath.Join(dir, "file"), nil, 0o644)
			tr := in.Begin()
			d := tr.Dirs()
			if r, _ := tr.Mkdir("old", 0o700, mtime); r.Code != protocol.CodeOK {
				t.Fatalf("existing dir: %+v", r)
			}
			if r, _ := tr.Mkdir("file", 0o700, mtime); r.Code != protocol.CodeExists {
				t.Errorf("name held by a file: %+v, want exists", r)
			}
			r, staged := tr.Mkdir("new", 0o700, mtime)
			if r.Code != protocol.CodeOK || !staged {
				t.Fatalf("new dir: %+v staged %v", r, staged)
			}
			if _, err := os.Lstat(filepath.Join(dir, "new")); err == nil {
				t.Error("a staged directory is visible before Publish")
			}
			if rs := tr.Publish(d, []Staged{{"new", protocol.KindDir}}, failOn(t)); rs[0].Code != protocol.CodeOK {
				t.Errorf("publish: %+v", rs)
			}
			tr.FinishDirs(failOn(t))
			d.Close()
			checkDir(t, filepath.Join(dir, "new"), true)
			checkDir(t, filepath.Join(dir, "old"), overwrite)
			fi, _ := os.Lstat(filepath.Join(dir, "file"))
			if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o644 {
				t.Errorf("the file the dir entry was refused on is now %v", fi.Mode())
			}
			noTemps(t, dir)
		}
	})
}

func failOn(t *testing.T) func(op, name string, err error) {
	return func(op, name string, err error) { t.Errorf("%s %q: %v", op, name, err) }
}

// checkDir checks whether the directory has the entry's mode and mtime.
func checkDir(t *testing.T, path string, entrys bool) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	has := fi.Mode().Perm() == 0o700 && fi.ModTime().Equal(mtime)
	if has != entrys {
		t.Errorf("%s: mode %v mtime %v; want the entry's: %v", path, fi.Mode(), fi.ModTime(), entrys)
	}
}

// TestPublishMerge: when the name of a staged directory was taken before
// Publish, its entries are merged in by the same rule: identical files are
// unchanged, different ones refused, new ones placed; the existing
// directory keeps its mode.
func TestPublishMerge(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr, d := begin(t, in)
		if _, staged := tr.Mkdir("d", 0o700, mtime); !staged {
			t.Fatal("not staged")
		}
		entries := []Staged{{"d", protocol.KindDir}}
		for _, f := range []string{"same", "other", "new"} {
			if r := put(t, tr, d, "d/"+f, []byte(f), 0o644); r.Code != protocol.CodeOK {
				t.Fatalf("%s: %+v", f, r)
			}
			entries = append(entries, Staged{"d/" + f, protocol.KindFile})
		}
		// another sender makes d meanwhile
		writeFile(t, filepath.Join(dir, "d", "same"), []byte("same"))
		writeFile(t, filepath.Join(dir, "d", "other"), []byte("theirs"))
		rs := tr.Publish(d, entries, failOn(t))
		want := []protocol.Code{protocol.CodeOK, protocol.CodeUnchanged, protocol.CodeExists, protocol.CodeOK}
		for i, r := range rs {
			if r.Code != want[i] {
				t.Errorf("%s: %+v, want %v", entries[i].Name, r, want[i])
			}
		}
		tr.FinishDirs(failOn(t))
		checkDir(t, filepath.Join(dir, "d"), false)
		for f, body := range map[string]string{"same": "same", "other": "theirs", "new": "new"} {
			if got, _ := os.ReadFile(filepath.Join(dir, "d", f)); string(got) != body {
				t.Errorf("d/%s holds %q, want %q", f, got, body)
			}
		}
		noTemps(t, dir)
	})
}

// TestAdmit: names, limits and what holds a name, at header time.
func TestAdmit(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{MaxSize: 100})
		writeFile(t, filepath.Join(dir, "same"), []byte("12345"))
		os.Mkdir(filepath.Join(dir, "dir"), 0o755)
		tr, d := begin(t, in)
		cases := []struct {
			name    string
			size    int64
			code    protocol.Code
			compare bool
			ready   bool
		}{
			{"new", 5, protocol.CodeOK, false, true},
			{"a/new", 5, protocol.CodeOK, false, false},
			{"same", 5, protocol.CodeOK, true, true},
			{"same", 6, protocol.CodeExists, false, false},
			{"dir", 5, protocol.CodeExists, false, false},
			{"big", 101, protocol.CodeTooLarge, false, false},
			{TempPrefix + "0123456789abcdef" + TempSuffix, 1, protocol.CodeBadName, false, false},
			{"x/" + TempPrefix + "0123456789abcdef" + TempSuffix + "/y", 1, protocol.CodeBadName, false, false},
			{"same/x", 1, protocol.CodeRefused, false, false},
			{JournalName, 1, protocol.CodeBadName, false, false},
			{LockName, 1, protocol.CodeBadName, false, false},
			{"dir/" + JournalName, 1, protocol.CodeOK, false, true},
		}
		for _, tc := range cases {
			a := tr.Admit(d, tc.name, tc.size)
			if a.Code != tc.code || a.Compare != tc.compare || a.Ready != tc.ready {
				t.Errorf("%q size %d: %+v, want code %v compare %v ready %v", tc.name, tc.size, a, tc.code, tc.compare, tc.ready)
			}
		}
	})
}

// TestSweep: what a receiver killed mid-transfer left (temp files, staging
// directories, as its journal lists them) is swept by the next one on the
// inbox, and nothing else, even of the temp form (issue 14 item 5).
func TestSweep(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr := in.Begin()
		d := tr.Dirs()
		if _, err := tr.CreateWithParents(d, "a/f", 1, 0o644, mtime); err != nil {
			t.Fatal(err)
		}
		if _, staged := tr.Mkdir("b", 0o755, mtime); !staged {
			t.Fatal("not staged")
		}
		if _, err := tr.Create(d, "b/g", 1, 0o644, mtime); err != nil {
			t.Fatal(err)
		}
		d.Close()
		in.Close() // killed: nothing committed or dropped
		notOurs := TempPrefix + "0123456789abcdef" + TempSuffix
		writeFile(t, filepath.Join(dir, notOurs), nil)
		in2, err := Open(dir, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer in2.Close()
		if n := in2.Sweep(); n != 2 {
			t.Errorf("swept %d, want 2 (a temp file and a staging directory)", n)
		}
		var left []string
		filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
			if err == nil && IsTempName(de.Name()) {
				left = append(left, de.Name())
			}
			return nil
		})
		if len(left) != 1 || left[0] != notOurs {
			t.Errorf("temp names left: %q, want only %q", left, notOurs)
		}
		if _, err := os.Lstat(filepath.Join(dir, SweepName)); err == nil {
			t.Error("the old journal is still there")
		}
	})
}

// TestLocked: a second receiver on an open inbox fails at Open.
func TestLocked(t *testing.T) {
	dir := t.TempDir()
	in, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if in2, err := Open(dir, Options{}); !errors.Is(err, ErrLocked) || !errors.Is(err, ErrUnusable) {
		t.Errorf("second Open: %v, want ErrLocked", err)
		if err == nil {
			in2.Close()
		}
	}
	in.Close()
	in3, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("after the first closed: %v", err)
	}
	in3.Close()
}

// TestStagingNotAWayIn: a staging directory is 0700, and what another
// process puts into it is not published with it (issue 14 item 11).
func TestStagingNotAWayIn(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		tr, d := begin(t, in)
		if _, staged := tr.Mkdir("d", 0o755, mtime); !staged {
			t.Fatal("not staged")
		}
		entries := []Staged{{"d", protocol.KindDir}, {"d/a", protocol.KindFile}, {"d/p/b", protocol.KindFile}}
		for _, e := range entries[1:] {
			if r := put(t, tr, d, e.Name, []byte("ours"), 0o644); r.Code != protocol.CodeOK {
				t.Fatalf("%s: %+v", e.Name, r)
			}
		}
		phys, _ := tr.stage.phys("d")
		if fi, err := os.Stat(filepath.Join(dir, phys)); err != nil || fi.Mode().Perm() != 0o700 {
			t.Errorf("staging directory: %v (%v), want mode 0700", describeMode(fi), err)
		}
		writeFile(t, filepath.Join(dir, phys, "planted"), []byte("theirs"))
		writeFile(t, filepath.Join(dir, phys, "pd", "x"), []byte("theirs"))
		writeFile(t, filepath.Join(dir, phys, "p", "c"), []byte("theirs"))
		os.Symlink("/etc", filepath.Join(dir, phys, "a2"))
		var removed []string
		rs := tr.Publish(d, entries, func(op, name string, err error) { removed = append(removed, name) })
		for i, r := range rs {
			if r.Code != protocol.CodeOK {
				t.Errorf("%s: %+v", entries[i].Name, r)
			}
		}
		for _, name := range []string{"d/planted", "d/pd", "d/p/c", "d/a2"} {
			if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(name))); err == nil {
				t.Errorf("%s was published", name)
			}
		}
		for _, name := range []string{"d/a", "d/p/b"} {
			if b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); string(b) != "ours" {
				t.Errorf("%s: %q (%v)", name, b, err)
			}
		}
		if len(removed) != 4 {
			t.Errorf("warned about %q, want the 4 planted names", removed)
		}
	})
}

func describeMode(fi os.FileInfo) any {
	if fi == nil {
		return nil
	}
	return fi.Mode()
}

// TestMovedOut: a directory moved out of the inbox while its handle is
// open is reported by Moved (what went in through the handle is outside),
// and a staged directory published into a parent moved out fails its
// entries (issue 14 item 10).
func TestMovedOut(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		outside := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "sub", "p"), 0o755)
		tr, d := begin(t, in)
		if r := put(t, tr, d, "sub/a", []byte("a"), 0o644); r.Code != protocol.CodeOK {
			t.Fatal(r)
		}
		if _, staged := tr.Mkdir("sub/p/new", 0o755, mtime); !staged {
			t.Fatal("not staged")
		}
		if r := put(t, tr, d, "sub/p/new/f", []byte("f"), 0o644); r.Code != protocol.CodeOK {
			t.Fatal(r)
		}
		d.open("sub/p") // the handle Publish will use
		if m := d.Moved(); len(m) != 0 {
			t.Fatalf("moved before anything moved: %v", m)
		}
		if err := os.Rename(filepath.Join(dir, "sub"), filepath.Join(outside, "sub")); err != nil {
			t.Fatal(err)
		}
		put(t, tr, d, "sub/b", []byte("b"), 0o644) // through the kept handle: lands outside
		rs := tr.Publish(d, []Staged{{"sub/p/new", protocol.KindDir}, {"sub/p/new/f", protocol.KindFile}}, func(string, string, error) {})
		for i, r := range rs {
			if r.Code.Success() {
				t.Errorf("entry %d published outside the inbox: %+v", i, r)
			}
		}
		if m := d.Moved(); !m["sub"] || !m["sub/p"] {
			t.Errorf("Moved = %v, want sub and sub/p", m)
		}
	})
}
