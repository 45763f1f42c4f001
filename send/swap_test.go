//go:build unix

package send

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// secret is the content of the file outside the paths given.
const secret = "TOP SECRET outside"

// swapTree makes top/zz/secret.txt and top/f beside outside/secret.txt,
// all with the same size and modification time, and returns top and
// outside.
func swapTree(t *testing.T) (top, outside string) {
	t.Helper()
	dir := t.TempDir()
	top, outside = filepath.Join(dir, "top"), filepath.Join(dir, "outside")
	mtime := time.Unix(1_700_000_000, 0)
	for p, body := range map[string]string{
		filepath.Join(top, "zz", "secret.txt"): strings.Repeat("i", len(secret)),
		filepath.Join(top, "f"):                strings.Repeat("f", len(secret)),
		filepath.Join(outside, "secret.txt"):   secret,
	} {
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	return top, outside
}

// handles makes each dirHandle implementation.
var handles = map[string]func() dirHandle{
	"default":  newDirHandle,
	"portable": func() dirHandle { return &portableDir{} },
}

// TestSwapAfterWalk swaps a directory or a file of the tree for a symlink
// to the outside after the walk listed it and before it is opened: the
// outside content is never sent, and the entry fails by name as a local
// failure (exit code 6), through either dirHandle.
func TestSwapAfterWalk(t *testing.T) {
	cases := []struct {
		name   string
		failed string // the entry that must fail
		swap   func(top, outside string) error
	}{
		{"directory swapped for a symlink", "top/zz/secret.txt", func(top, outside string) error {
			if err := os.Rename(filepath.Join(top, "zz"), filepath.Join(top, "zz.old")); err != nil {
				return err
			}
			return os.Symlink(outside, filepath.Join(top, "zz"))
		}},
		{"file swapped for a symlink", "top/f", func(top, outside string) error {
			if err := os.Remove(filepath.Join(top, "f")); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(top, "f"))
		}},
	}
	for hname, newDirs := range handles {
		for _, tc := range cases {
			t.Run(hname+"/"+tc.name, func(t *testing.T) {
				top, outside := swapTree(t)
				roots, err := prepare([]string{top})
				if err != nil {
					t.Fatal(err)
				}
				w := newWalker(roots, func(string) {})
				w.dirs = newDirs
				w.run() // the whole list, before anything is opened
				if err := tc.swap(top, outside); err != nil {
					t.Fatal(err)
				}
				wire, res := streamTo(t, w, newDirs())
				if bytes.Contains(wire, []byte(secret)) {
					t.Errorf("the outside file was sent")
				}
				checkSwapFailed(t, res, tc.failed)
			})
		}
	}
}

// TestDirHandleSwap swaps a directory for a symlink to the outside before
// the walk's lstat or the stream's open of a file in it, and after the
// handle opened it: nothing outside is ever opened; a fresh look-up fails
// with errSwapped naming the swapped directory.
func TestDirHandleSwap(t *testing.T) {
	for hname, newDirs := range handles {
		for _, opened := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/opened before %v", hname, opened), func(t *testing.T) {
				top, outside := swapTree(t)
				h := newDirs()
				defer h.close()
				if opened {
					if _, err := h.lstat(top, "zz/secret.txt"); err != nil {
						t.Fatal(err)
					}
				}
				os.Rename(filepath.Join(top, "zz"), filepath.Join(top, "zz.old"))
				if err := os.Symlink(outside, filepath.Join(top, "zz")); err != nil {
					t.Fatal(err)
				}
				checkNotOutside(t, h, top)
			})
		}
	}
}

// checkNotOutside looks up zz/secret.txt in top through h, where zz is a
// symlink to the outside now: it fails, or gives the file from before.
func checkNotOutside(t *testing.T, h dirHandle, top string) {
	t.Helper()
	_, lerr := h.lstat(top, "zz/secret.txt")
	f, oerr := h.open(top, "zz/secret.txt")
	if oerr == nil {
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) == secret {
			t.Fatalf("read the outside file")
		}
	}
	for _, err := range []error{lerr, oerr} {
		if err != nil && (!errors.Is(err, errSwapped) || !strings.Contains(err.Error(), filepath.Join(top, "zz"))) {
			t.Errorf("error %v, want errSwapped naming %q", err, filepath.Join(top, "zz"))
		}
	}
	t.Logf("lstat: %v; open: %v", lerr, oerr)
}

// streamTo streams w's entries into a pipe and returns what went through
// it, and the result.
func streamTo(t *testing.T, w *walker, dirs dirHandle) ([]byte, *Result) {
	t.Helper()
	c1, c2 := net.Pipe()
	got := make(chan []byte)
	go func() {
		b, _ := io.ReadAll(c2)
		got <- b
	}()
	res := &Result{}
	_, err := stream(c1, w, newVerdicts(), nil, nil, res, dirs)
	c1.Close()
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	return <-got, res
}

// checkSwapFailed checks that name, and only name, failed locally with a
// message naming it.
func checkSwapFailed(t *testing.T, res *Result, name string) {
	t.Helper()
	if len(res.Failed) != 1 {
		t.Fatalf("failed entries %v, want only %q", res.Failed, name)
	}
	f := res.Failed[0]
	if f.Name != name || !f.Local() || !errors.Is(f.Err, ErrSource) || !strings.Contains(f.Error(), `"`+name+`"`) {
		t.Errorf("failure %v (local %v), want a local ErrSource failure of %q", f, f.Local(), name)
	}
	t.Logf("reported: %v", f)
}
