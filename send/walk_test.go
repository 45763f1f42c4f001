package send

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ft-team/ft/protocol"
)

func TestPrepare(t *testing.T) {
	dir := t.TempDir()
	for _, p := range []string{"a/x", "b/x", "y"} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(dir, p), nil, 0o644)
	}
	cases := []struct {
		paths []string
		bad   string // part of the error, "" for none
	}{
		{[]string{"y"}, ""},
		{[]string{"a", "b"}, ""},
		{[]string{"a/x", "b/x"}, "would both land as"},
		{[]string{"nope"}, "no such file"},
		{[]string{"a/", "y"}, ""},
	}
	t.Chdir(dir)
	for _, tc := range cases {
		roots, err := prepare(tc.paths)
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("prepare(%q): %v", tc.paths, err)
		case tc.bad != "" && (err == nil || !strings.Contains(err.Error(), tc.bad) || !errors.Is(err, ErrSource)):
			t.Errorf("prepare(%q) = %v, want an ErrSource with %q", tc.paths, err, tc.bad)
		case tc.bad == "" && len(roots) != len(tc.paths):
			t.Errorf("prepare(%q): %d roots", tc.paths, len(roots))
		}
	}
}

// TestPrepareNamedPipe: a named path that is neither a regular file nor a
// directory (a pipe, as /dev/stdin often is) is refused before anything
// is sent, by name.
func TestPrepareNamedPipe(t *testing.T) {
	dir := t.TempDir()
	if err := mkfifo(filepath.Join(dir, "fifo")); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "y"), nil, 0o644)
	t.Chdir(dir)
	for _, paths := range [][]string{{"fifo"}, {"y", "fifo"}} {
		_, err := prepare(paths)
		if !errors.Is(err, ErrNotFile) || !errors.Is(err, ErrSource) || !strings.Contains(err.Error(), `"fifo" is a named pipe`) {
			t.Errorf("prepare(%q) = %v, want ErrSource and ErrNotFile naming the pipe", paths, err)
		}
	}
}

// TestWalker checks names, kinds, counts, the symlink rules and the
// local path of each entry.
func TestWalker(t *testing.T) {
	dir := t.TempDir()
	top := filepath.Join(dir, "top")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(top, "sub/empty"), 0o755))
	must(os.WriteFile(filepath.Join(top, "sub/f"), []byte("12345"), 0o755))
	must(os.WriteFile(filepath.Join(dir, "single"), []byte("abc"), 0o644))
	must(os.Symlink("sub/f", filepath.Join(top, "in")))
	must(os.Symlink(filepath.Join(top, "sub"), filepath.Join(top, "abs-in")))
	must(os.Symlink("../single", filepath.Join(top, "out")))
	must(os.Symlink("/etc", filepath.Join(top, "abs-out")))
	roots, err := prepare([]string{top, filepath.Join(dir, "single")})
	must(err)
	var warnings []string
	w := newWalker(roots, func(m string) { warnings = append(warnings, m) })
	w.run()
	var got []string
	for i := range w.n {
		e := w.at(i)
		s := e.kind.String() + " " + e.name
		if e.kind == protocol.KindSymlink {
			s += " -> " + e.link
		}
		got = append(got, s)
		if e.kind != protocol.KindSymlink {
			top, rel := where(roots, e)
			if _, err := os.Lstat(filepath.Join(top, filepath.FromSlash(rel))); err != nil {
				t.Errorf("%s: local path %q %q: %v", e.name, top, rel, err)
			}
		}
	}
	want := []string{"dir top", "symlink top/abs-in -> sub", "symlink top/in -> sub/f", "dir top/sub",
		"dir top/sub/empty", "file top/sub/f", "file single"}
	if !slices.Equal(got, want) {
		t.Errorf("entries\n got %q\nwant %q", got, want)
	}
	if w.files.Load() != 2 || w.bytes.Load() != 8 {
		t.Errorf("counts: %d files, %d bytes; want 2, 8", w.files.Load(), w.bytes.Load())
	}
	if len(warnings) != 2 || !strings.Contains(strings.Join(warnings, "\n"), `"/etc"`) {
		t.Errorf("warnings %q, want two (out, abs-out)", warnings)
	}
	if skipped, n := w.skips(); n != 2 || len(skipped) != 2 || !strings.HasSuffix(skipped[0].Name, "out") {
		t.Errorf("skips %v (%d), want out and abs-out", skipped, n)
	}
}

// TestWalkerListBlocks checks the list across block boundaries, read by
// index while it grows, as the streamer reads it.
func TestWalkerListBlocks(t *testing.T) {
	w := newWalker(nil, func(string) {})
	const n = 3*entryBlock + 5
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			e, ok := w.entry(i)
			if !ok {
				if i != n {
					t.Errorf("list ended at %d entries, want %d", i, n)
				}
				return
			}
			if want := fmt.Sprint(i); e.name != want {
				t.Errorf("entry %d is %q", i, e.name)
				return
			}
		}
	}()
	for i := range n {
		w.emit(entry{name: fmt.Sprint(i)})
	}
	w.mu.Lock()
	w.final = true
	w.mu.Unlock()
	w.more.Broadcast()
	<-done
	if p := w.at(entryBlock - 1); p.name != fmt.Sprint(entryBlock-1) {
		t.Errorf("at(%d) = %q", entryBlock-1, p.name)
	}
}
