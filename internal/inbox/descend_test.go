package inbox

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// TestMkdirs: mkdirs makes what is missing and reports it, deepest last;
// plain refuses a symlink on the way, else it is followed inside the
// inbox; a file on the way fails it; rmdirs takes back what it made as
// far as it is empty.
func TestMkdirs(t *testing.T) {
	cases := []struct {
		name    string
		setup   func(dir string) error
		mk      string
		plain   bool
		created []string
		fails   bool
		left    string // what must still exist after rmdirs ("" for nothing)
	}{
		{"all missing", nil, "a/b/c", false, []string{"a", "a/b", "a/b/c"}, false, ""},
		{"some exist", func(d string) error { return os.MkdirAll(filepath.Join(d, "a", "b"), 0o755) },
			"a/b/c/d", false, []string{"a/b/c", "a/b/c/d"}, false, "a/b"},
		{"all exist", func(d string) error { return os.MkdirAll(filepath.Join(d, "a", "b"), 0o755) },
			"a/b", false, nil, false, "a/b"},
		{"symlink followed", func(d string) error {
			os.Mkdir(filepath.Join(d, "real"), 0o755)
			return os.Symlink("real", filepath.Join(d, "via"))
		}, "via/x/y", false, []string{"via/x", "via/x/y"}, false, "real"},
		{"symlink refused when plain", func(d string) error {
			os.Mkdir(filepath.Join(d, "real"), 0o755)
			return os.Symlink("real", filepath.Join(d, "via"))
		}, "via/x", true, nil, true, "real"},
		{"file on the way", func(d string) error { return os.WriteFile(filepath.Join(d, "f"), nil, 0o644) },
			"f/x", false, nil, true, "f"},
	}
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				in, dir := open(Options{})
				if tc.setup != nil {
					if err := tc.setup(dir); err != nil {
						t.Fatal(err)
					}
				}
				created, err := in.mkdirs(tc.mk, tc.plain)
				if (err != nil) != tc.fails || !slices.Equal(created, tc.created) {
					t.Fatalf("mkdirs(%q) = %q, %v; want %q, failing %v", tc.mk, created, err, tc.created, tc.fails)
				}
				if tc.plain && !errors.Is(err, errSymlinkParent) {
					t.Errorf("plain mkdirs through a symlink: %v, want errSymlinkParent", err)
				}
				if !tc.fails {
					if fi, err := os.Stat(filepath.Join(dir, filepath.FromSlash(tc.mk))); err != nil || !fi.IsDir() {
						t.Fatalf("%s not made: %v", tc.mk, err)
					}
				}
				rmdirs(in.root, created)
				for _, c := range created {
					if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(c))); err == nil {
						t.Errorf("%s still there after rmdirs", c)
					}
				}
				if tc.left != "" {
					if _, err := os.Lstat(filepath.Join(dir, filepath.FromSlash(tc.left))); err != nil {
						t.Errorf("rmdirs removed %s, which it did not make: %v", tc.left, err)
					}
				}
			})
		}
	})
}

// TestRmdirsKeepsFilled: rmdirs stops at a directory that is not empty,
// and removes nothing above it; a directory made by someone else between
// two it made is stepped through.
func TestRmdirsKeepsFilled(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		if _, err := in.mkdirs("a/b/c", false); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "a", "b", "keep"), nil, 0o644)
		rmdirs(in.root, []string{"a", "a/b", "a/b/c"})
		if _, err := os.Lstat(filepath.Join(dir, "a", "b", "keep")); err != nil {
			t.Errorf("a/b/keep: %v", err)
		}
		if _, err := os.Lstat(filepath.Join(dir, "a", "b", "c")); err == nil {
			t.Error("a/b/c, empty, is still there")
		}
		os.MkdirAll(filepath.Join(dir, "x", "theirs", "y"), 0o755)
		rmdirs(in.root, []string{"x", "x/theirs/y"})
		if _, err := os.Lstat(filepath.Join(dir, "x", "theirs", "y")); err == nil {
			t.Error("x/theirs/y is still there")
		}
		if _, err := os.Lstat(filepath.Join(dir, "x", "theirs")); err != nil {
			t.Errorf("x/theirs, not ours, is gone: %v", err)
		}
	})
}
