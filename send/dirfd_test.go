//go:build unix

package send

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestDirHandle checks that lstat and open through the kept directories
// (and through the portable implementation) give what os.Lstat and
// os.ReadFile give, across directory changes, and that a symlink is not
// opened.
func TestDirHandle(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, d, "f"), []byte("content of "+d), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("f", filepath.Join(dir, "a", "link")); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(filepath.Join(dir, "b", "fifo"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, h := range map[string]dirHandle{"default": newDirHandle(), "portable": &portableDir{}} {
		t.Run(name, func(t *testing.T) {
			defer h.close()
			checkDirHandle(t, h, dir)
		})
	}
}

// checkDirHandle compares what h gives with what os.Lstat and os.ReadFile
// give, for names in dir.
func checkDirHandle(t *testing.T, h dirHandle, dir string) {
	names := []string{"a", "a/f", "a/link", "b/f", "b/fifo", "a/f", "b", "missing", "a/missing/x"}
	for _, n := range names {
		p := filepath.Join(dir, n)
		want, werr := os.Lstat(p)
		got, gerr := h.lstat(dir, n)
		if (werr == nil) != (gerr == nil) {
			t.Errorf("%s: lstat error %v, want %v", n, gerr, werr)
			continue
		}
		if werr != nil {
			continue
		}
		if got.Name() != want.Name() || got.Mode() != want.Mode() || got.Size() != want.Size() ||
			!got.ModTime().Equal(want.ModTime()) || got.IsDir() != want.IsDir() {
			t.Errorf("%s: lstat %v %v %d %v, want %v %v %d %v", n, got.Name(), got.Mode(), got.Size(), got.ModTime(),
				want.Name(), want.Mode(), want.Size(), want.ModTime())
		}
	}
	for _, n := range []string{"a/f", "b/f", "a/f"} {
		want, _ := os.ReadFile(filepath.Join(dir, n))
		f, err := h.open(dir, n)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		got, err := io.ReadAll(f)
		f.Close()
		if err != nil || string(got) != string(want) {
			t.Errorf("%s: read %q (%v), want %q", n, got, err, want)
		}
	}
	for _, n := range []string{"missing", "a/link"} {
		if f, err := h.open(dir, n); err == nil {
			f.Close()
			t.Errorf("opening %q succeeded", n)
		}
	}
}
