package receive_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// TestStreamOrderWithDirs: with a directory, a symlink or a name below a
// file involved, entries of one name are still placed in stream order and
// the first wins (PROTOCOL.md section 11), the refused entry leaves its
// mode and mtime on nothing, and a lone symlink gets its parents made. Each
// case runs in the inbox itself and inside a new (staged) directory, with
// small and large bodies.
func TestStreamOrderWithDirs(t *testing.T) {
	t.Parallel()
	const dirMtime = 1600000000000000000
	large := strings.Repeat("L", 200<<10) // over the receiver's small-file size
	type want struct {
		name string
		kind fs.FileMode // fs.ModeDir, fs.ModeSymlink or 0 for a file
		mode fs.FileMode // checked unless 0
		mtim int64       // checked unless 0
	}
	cases := []struct {
		name     string
		stream   func(s *vectors.Stream, p, body string)
		verdicts []protocol.Code
		inbox    []want
	}{
		{"dir then file", func(s *vectors.Stream, p, body string) { s.Dir(p+"sn1").File(p+"sn1", body) },
			[]protocol.Code{protocol.CodeOK, protocol.CodeExists}, []want{{"sn1", fs.ModeDir, 0, 0}}},
		{"symlink then dir", func(s *vectors.Stream, p, _ string) { s.Symlink(p+"sn2", "t").Dir(p + "sn2") },
			[]protocol.Code{protocol.CodeOK, protocol.CodeExists}, []want{{"sn2", fs.ModeSymlink, 0, 0}}},
		{"file then a file below it", func(s *vectors.Stream, p, body string) { s.File(p+"pf", body).File(p+"pf/x", body) },
			[]protocol.Code{protocol.CodeOK, protocol.CodeRefused}, []want{{"pf", 0, 0, 0}}},
		{"dir, file in it, file of its name", func(s *vectors.Stream, p, body string) {
			s.Dir(p+"q").File(p+"q/a", body).File(p+"q", body)
		}, []protocol.Code{protocol.CodeOK, protocol.CodeOK, protocol.CodeExists}, []want{{"q", fs.ModeDir, 0, 0}, {"q/a", 0, 0, 0}}},
		{"dir's mode stays on the dir", func(s *vectors.Stream, p, body string) {
			s.DirMode(p+"sn4", 0o700, dirMtime).File(p+"sn4", body)
		}, []protocol.Code{protocol.CodeOK, protocol.CodeExists}, []want{{"sn4", fs.ModeDir, 0o700, dirMtime}}},
		{"file's mode stays on the file", func(s *vectors.Stream, p, body string) {
			s.File(p+"f", body).DirMode(p+"f", 0o700, dirMtime)
		}, []protocol.Code{protocol.CodeOK, protocol.CodeExists}, []want{{"f", 0, 0o644, 1700000000123456789}}},
		{"lone symlink", func(s *vectors.Stream, p, _ string) { s.Symlink(p+"lp/l", "x") },
			[]protocol.Code{protocol.CodeOK}, []want{{"lp", fs.ModeDir, 0, 0}, {"lp/l", fs.ModeSymlink, 0, 0}}},
	}
	for _, prefix := range []string{"", "new/"} {
		for _, body := range []string{"small", large} {
			r := startReceiver(t, quick())
			for _, tc := range cases {
				s := vectors.NewStream().Hello1()
				first := 0
				if prefix != "" {
					s.Dir(strings.TrimSuffix(prefix, "/"))
					first = 1
				}
				tc.stream(s, prefix, body)
				n := uint64(first + len(tc.verdicts))
				got := finishStream(t, openStream(t, r.addr, s.Bytes()), n).byIndex()
				what := tc.name + " in " + prefix + "., " + map[bool]string{true: "small", false: "large"}[body == "small"]
				for i, code := range tc.verdicts {
					if got[uint64(first+i)] != code {
						t.Errorf("%s: verdicts %v, want %v from index %d", what, got, tc.verdicts, first)
						break
					}
				}
				for _, w := range tc.inbox {
					checkKind(t, what, filepath.Join(r.dir, filepath.FromSlash(prefix+w.name)), w.kind, w.mode, w.mtim)
				}
			}
			assertNoTemp(t, r.dir)
		}
	}
}

// checkKind checks the kind of path and, unless 0, its mode and mtime.
func checkKind(t *testing.T, what, path string, kind, mode fs.FileMode, mtime int64) {
	t.Helper()
	fi, err := os.Lstat(path)
	switch {
	case err != nil:
		t.Errorf("%s: %v", what, err)
	case fi.Mode().Type() != kind:
		t.Errorf("%s: %s is a %v, want a %v", what, path, fi.Mode().Type(), kind)
	case mode != 0 && fi.Mode().Perm() != mode:
		t.Errorf("%s: %s has mode %v, want %v", what, path, fi.Mode().Perm(), mode)
	case mtime != 0 && !fi.ModTime().Equal(time.Unix(0, mtime)):
		t.Errorf("%s: %s has mtime %v, want %v", what, path, fi.ModTime(), time.Unix(0, mtime))
	}
}

// TestStreamOrderOverwrite: a receiver that overwrites treats what an
// earlier entry placed like any existing entry: a later file or symlink
// replaces it, a directory and a file never replace each other.
func TestStreamOrderOverwrite(t *testing.T) {
	t.Parallel()
	opts := quick()
	opts.Overwrite = true
	r := startReceiver(t, opts)
	s := vectors.NewStream().Hello1().
		File("f", "one").File("f", "two").
		Symlink("l", "x").File("l", "file now").
		File("fd", "file").Dir("fd").
		Dir("df").File("df", "file")
	got := finishStream(t, openStream(t, r.addr, s.Bytes()), 8).byIndex()
	want := []protocol.Code{protocol.CodeOK, protocol.CodeOK, protocol.CodeOK, protocol.CodeOK,
		protocol.CodeOK, protocol.CodeExists, protocol.CodeOK, protocol.CodeExists}
	for i, code := range want {
		if got[uint64(i)] != code {
			t.Fatalf("verdicts %v, want %v", got, want)
		}
	}
	for name, body := range map[string]string{"f": "two", "l": "file now", "fd": "file"} {
		if b, err := os.ReadFile(filepath.Join(r.dir, name)); err != nil || string(b) != body {
			t.Errorf("%s holds %q (%v), want %q", name, b, err, body)
		}
	}
	checkKind(t, "dir then file", filepath.Join(r.dir, "df"), fs.ModeDir, 0, 0)
	checkKind(t, "symlink then file", filepath.Join(r.dir, "l"), 0, 0, 0)
	assertNoTemp(t, r.dir)
}
