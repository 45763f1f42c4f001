package main

import (
	"bytes"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// A new directory is filled under a staging name and published whole when
// the connection ends (receive/stage.go). These tests drive the receiver
// with a hand-built sender so they can look at the inbox mid-stream.

// dirFrame builds a directory entry frame.
func dirFrame(name string) []byte {
	e := rawEntry(name, 0)
	e[0] = 0x02
	return e
}

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
	return len(name) == len(".ft-0123456789abcdef.part") && name[:4] == ".ft-" && filepath.Ext(name) == ".part"
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
		got, err := os.ReadFile(filepath.Join(st, rel))
		return err == nil && bytes.Equal(got, want)
	})
	return st
}

// openStream starts a raw sender connection and writes hello and frames.
func openStream(t *testing.T, addr string, frames ...[]byte) net.Conn {
	t.Helper()
	c := dialRaw(t, addr)
	if _, err := c.Write(slices.Concat(append([][]byte{helloBytes()}, frames...)...)); err != nil {
		t.Fatal(err)
	}
	return c
}

// finishStream sends the end frame and reads the receiver's answer.
func finishStream(t *testing.T, c net.Conn, entries uint64) rawOutcome {
	t.Helper()
	if _, err := c.Write(endFrame(entries)); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	return readOutcome(c)
}

// assertFiles checks that each file under inbox has its content and that
// no temp file or staging directory is left.
func assertFiles(t *testing.T, inbox string, files map[string][]byte) {
	t.Helper()
	for name, content := range files {
		if got, err := os.ReadFile(filepath.Join(inbox, name)); err != nil || !bytes.Equal(got, content) {
			t.Errorf("%s: wrong content or missing (%v)", name, err)
		}
	}
	assertNoTemp(t, inbox)
}

// byIndex maps verdicts to their entry index.
func byIndex(o rawOutcome) map[uint64]protocol.Code {
	m := make(map[uint64]protocol.Code)
	for _, v := range o.verdicts {
		m[v.Index] = v.Code
	}
	return m
}

// TestNewDirectoryAppearsWhole: while a new tree is being received its
// name does not exist in the inbox; its files are complete in a staging
// directory; at the end it appears whole and every entry is confirmed.
func TestNewDirectoryAppearsWhole(t *testing.T) {
	t.Parallel()
	inbox := t.TempDir()
	r := startReceiver(t, inbox, "--no-sync")
	a, b := randomBytes(t, 3000), randomBytes(t, 70_000)
	c := openStream(t, r.addr, dirFrame("new"), dirFrame("new/sub"), rawFileFrame("new/a", a), rawFileFrame("new/sub/b", b))
	waitStaged(t, inbox, "sub/b", b)
	if _, err := os.Lstat(filepath.Join(inbox, "new")); !os.IsNotExist(err) {
		t.Fatalf("new directory visible before the stream ended: %v", err)
	}
	o := finishStream(t, c, 4)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeOK, 2: protocol.CodeOK, 3: protocol.CodeOK}
	if got := byIndex(o); !maps.Equal(got, want) || o.summary == nil || o.summary.Committed != 4 {
		t.Fatalf("outcome %v, want four OK verdicts and a summary", o)
	}
	assertFiles(t, inbox, map[string][]byte{"new/a": a, "new/sub/b": b})
}

// TestNewDirectoryKeptOnBrokenConnection: when the sender vanishes
// mid-file, the verified files of a new directory are still put in place
// and the partial one is not.
func TestNewDirectoryKeptOnBrokenConnection(t *testing.T) {
	t.Parallel()
	inbox := t.TempDir()
	r := startReceiver(t, inbox, "--no-sync")
	a := randomBytes(t, 5000)
	half := rawEntry("new/partial", 10_000)
	half = append(half, randomBytes(t, 4000)...)
	c := openStream(t, r.addr, dirFrame("new"), rawFileFrame("new/a", a), half)
	waitStaged(t, inbox, "a", a)
	c.Close()
	waitFor(t, 20*time.Second, "the new directory published", func() bool {
		got, err := os.ReadFile(filepath.Join(inbox, "new", "a"))
		return err == nil && bytes.Equal(got, a) && len(tempFiles(inbox)) == 0
	})
	if _, err := os.Lstat(filepath.Join(inbox, "new", "partial")); !os.IsNotExist(err) {
		t.Errorf("partial file landed: %v", err)
	}
}

// TestNewDirectoryRace: a sender stages new directory d while another
// sender creates d and finishes first. The first sender's entries are then
// moved in one by one: identical content counts as unchanged, different
// content is refused as existing (the other sender's file is untouched),
// and names only it sent land.
func TestNewDirectoryRace(t *testing.T) {
	t.Parallel()
	inbox, src := t.TempDir(), t.TempDir()
	r := startReceiver(t, inbox, "--no-sync")
	same, mine, theirs, only := randomBytes(t, 2000), randomBytes(t, 3000), randomBytes(t, 3000), randomBytes(t, 100)
	c := openStream(t, r.addr, dirFrame("d"), rawFileFrame("d/same", same), rawFileFrame("d/diff", mine), rawFileFrame("d/onlyA", only))
	waitStaged(t, inbox, "onlyA", only)

	writeFile(t, filepath.Join(src, "d", "same"), same, 0o644)
	writeFile(t, filepath.Join(src, "d", "diff"), theirs, 0o644)
	writeFile(t, filepath.Join(src, "d", "onlyB"), []byte("b"), 0o644)
	if res := ftIn(t, src, "send", r.addr, "d"); res.code != 0 {
		t.Fatalf("second sender exited %d: %s", res.code, res.stderr)
	}

	o := finishStream(t, c, 4)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeUnchanged, 2: protocol.CodeExists, 3: protocol.CodeOK}
	if got := byIndex(o); !maps.Equal(got, want) || o.summary == nil || o.summary.Failed != 1 {
		t.Fatalf("outcome %v, want verdicts %v and one failure", o, want)
	}
	assertFiles(t, inbox, map[string][]byte{"d/same": same, "d/diff": theirs, "d/onlyA": only, "d/onlyB": []byte("b")})
}

// TestNewDirectoryUnannouncedParents: inside a new directory, entries
// whose parents were never announced still land (PROTOCOL.md: missing
// parents are made), and nothing is made outside the staging directory
// before the end.
func TestNewDirectoryUnannouncedParents(t *testing.T) {
	t.Parallel()
	inbox := t.TempDir()
	r := startReceiver(t, inbox, "--no-sync")
	f := randomBytes(t, 1000)
	c := openStream(t, r.addr, dirFrame("new"), rawFileFrame("new/x/y/f", f), dirFrame("new/p/q"))
	waitStaged(t, inbox, "x/y/f", f)
	if ents, _ := os.ReadDir(inbox); len(ents) != 1 {
		t.Fatalf("inbox holds %d entries mid-stream, want only the staging directory", len(ents))
	}
	o := finishStream(t, c, 3)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeOK, 2: protocol.CodeOK}
	if got := byIndex(o); !maps.Equal(got, want) {
		t.Fatalf("outcome %v, want %v", o, want)
	}
	assertFiles(t, inbox, map[string][]byte{"new/x/y/f": f})
	if fi, err := os.Stat(filepath.Join(inbox, "new/p/q")); err != nil || !fi.IsDir() {
		t.Errorf("new/p/q: not a directory (%v)", err)
	}
	assertNoTemp(t, inbox)
}
