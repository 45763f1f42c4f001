package receive_test

import (
	"bytes"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// A new directory is filled under a staging name and published whole when
// the connection ends. These tests drive the receiver with a hand-built
// sender so they can look at the inbox mid-stream.

// stagingDirs returns the staging directories directly under dir.
func stagingDirs(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() && isTempLike(e.Name()) {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func isTempLike(name string) bool {
	return len(name) == len(".ft-0123456789abcdef.part") && strings.HasPrefix(name, ".ft-") && filepath.Ext(name) == ".part"
}

// waitStaged waits until the one staging directory under dir holds rel
// with content want, and returns the staging directory.
func waitStaged(t *testing.T, dir, rel string, want []byte) string {
	t.Helper()
	var st string
	waitFor(t, 20*time.Second, rel+" written in a staging directory", func() bool {
		dirs := stagingDirs(t, dir)
		if len(dirs) != 1 {
			return false
		}
		st = dirs[0]
		got, err := os.ReadFile(filepath.Join(st, filepath.FromSlash(rel)))
		return err == nil && bytes.Equal(got, want)
	})
	return st
}

func allOK(n int) map[uint64]protocol.Code {
	m := make(map[uint64]protocol.Code)
	for i := range n {
		m[uint64(i)] = protocol.CodeOK
	}
	return m
}

// TestNewDirectoryAppearsWhole: while a new tree is being received its
// name does not exist in the inbox; its files are complete in a staging
// directory; at the end it appears whole and every entry is confirmed.
func TestNewDirectoryAppearsWhole(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	a, b := randomBytes(t, 3000), randomBytes(t, 70_000)
	c := openStream(t, r.addr, vectors.NewStream().Hello1().Dir("new").Dir("new/sub").
		File("new/a", string(a)).File("new/sub/b", string(b)).Bytes())
	waitStaged(t, r.dir, "sub/b", b)
	if _, err := os.Lstat(filepath.Join(r.dir, "new")); !os.IsNotExist(err) {
		t.Fatalf("new directory visible before the stream ended: %v", err)
	}
	o := finishStream(t, c, 4)
	if got := o.byIndex(); !maps.Equal(got, allOK(4)) || o.summary == nil || o.summary.Committed != 4 {
		t.Fatalf("outcome %v, want four OK verdicts and a summary", o)
	}
	assertFiles(t, r.dir, map[string][]byte{"new/a": a, "new/sub/b": b})
}

// TestNewDirectoryKeptOnBrokenConnection: when the sender vanishes
// mid-file, the verified files of a new directory are still put in place
// and the partial one is not.
func TestNewDirectoryKeptOnBrokenConnection(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	a := randomBytes(t, 5000)
	c := openStream(t, r.addr, vectors.NewStream().Hello1().Dir("new").File("new/a", string(a)).
		FileEntry("new/partial", vectors.ModeFile, vectors.MTime, 10_000).Raw(string(randomBytes(t, 4000))).Bytes())
	waitStaged(t, r.dir, "a", a)
	c.Close()
	waitFor(t, 20*time.Second, "the new directory published", func() bool {
		got, err := os.ReadFile(filepath.Join(r.dir, "new", "a"))
		return err == nil && bytes.Equal(got, a) && len(tempFiles(t, r.dir)) == 0
	})
	if _, err := os.Lstat(filepath.Join(r.dir, "new", "partial")); !os.IsNotExist(err) {
		t.Errorf("partial file landed: %v", err)
	}
	sendValid(t, r)
}

// TestNewDirectoryRace: a sender stages new directory d while another
// sender creates d and finishes first. The first sender's entries are then
// moved in one by one: identical content counts as unchanged, different
// content is refused as existing (the other sender's file is untouched),
// and names only it sent land.
func TestNewDirectoryRace(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	same, mine, theirs, only := randomBytes(t, 2000), randomBytes(t, 3000), randomBytes(t, 3000), randomBytes(t, 100)
	c := openStream(t, r.addr, vectors.NewStream().Hello1().Dir("d").File("d/same", string(same)).
		File("d/diff", string(mine)).File("d/onlyA", string(only)).Bytes())
	waitStaged(t, r.dir, "onlyA", only)

	second := exchange(t, r.addr, vectors.NewStream().Hello1().Dir("d").File("d/same", string(same)).
		File("d/diff", string(theirs)).File("d/onlyB", "b").End(4).Bytes())
	if second.summary == nil || second.summary.Committed != 4 || second.summary.Failed != 0 {
		t.Fatalf("second sender: %v, want all 4 entries committed", second)
	}

	o := finishStream(t, c, 4)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeUnchanged, 2: protocol.CodeExists, 3: protocol.CodeOK}
	if got := o.byIndex(); !maps.Equal(got, want) || o.summary == nil || o.summary.Failed != 1 {
		t.Fatalf("outcome %v, want verdicts %v and one failure", o, want)
	}
	assertFiles(t, r.dir, map[string][]byte{"d/same": same, "d/diff": theirs, "d/onlyA": only, "d/onlyB": []byte("b")})
}

// TestNewDirectoryUnannouncedParents: inside a new directory, entries
// whose parents were never announced still land (PROTOCOL.md: missing
// parents are made), and nothing is made outside the staging directory
// before the end.
func TestNewDirectoryUnannouncedParents(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	f := randomBytes(t, 1000)
	c := openStream(t, r.addr, vectors.NewStream().Hello1().Dir("new").File("new/x/y/f", string(f)).Dir("new/p/q").Bytes())
	waitStaged(t, r.dir, "x/y/f", f)
	if ents := snapshot(t, r.dir); len(stagingDirs(t, r.dir)) != 1 || countTop(ents) != 1 {
		t.Fatalf("inbox holds %v mid-stream, want only the staging directory", ents)
	}
	o := finishStream(t, c, 3)
	if got := o.byIndex(); !maps.Equal(got, allOK(3)) {
		t.Fatalf("outcome %v, want %v", o, allOK(3))
	}
	assertFiles(t, r.dir, map[string][]byte{"new/x/y/f": f})
	if fi, err := os.Stat(filepath.Join(r.dir, "new", "p", "q")); err != nil || !fi.IsDir() {
		t.Errorf("new/p/q: not a directory (%v)", err)
	}
}

// countTop counts the names of a snapshot at the top of the inbox.
func countTop(snap map[string]string) int {
	n := 0
	for name := range snap {
		if !strings.Contains(name, "/") {
			n++
		}
	}
	return n
}
