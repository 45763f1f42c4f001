package main

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The incremental tests (issue 16): what a re-send costs on the wire,
// counted by a proxy between the real binaries.

// countingProxy forwards connections to target and counts the bytes the
// senders sent through it.
type countingProxy struct {
	ln net.Listener
	up atomic.Int64
}

func startCountingProxy(t *testing.T, target string) *countingProxy {
	t.Helper()
	p := &countingProxy{}
	p.ln = proxyTo(t, target, func(c, up net.Conn) {
		go func() {
			n, _ := io.Copy(up, c)
			p.up.Add(n)
			up.(*net.TCPConn).CloseWrite()
		}()
		go func() {
			io.Copy(c, up)
			c.Close()
		}()
	})
	return p
}

func (p *countingProxy) addr() string { return p.ln.Addr().String() }

// sendCounted runs ft send through a new proxy to r and returns its result
// and the bytes the sender put on the wire.
func sendCounted(t *testing.T, r *receiver, args ...string) (result, int64) {
	t.Helper()
	p := startCountingProxy(t, r.addr)
	res := ft(t, append([]string{"send", p.addr()}, args...)...)
	// The sender exits once the receiver's summary is in: its side is closed.
	var n int64
	waitFor(t, 10*time.Second, "the proxy's count", func() bool { n = p.up.Load(); return n > 0 })
	return res, n
}

// buildTree writes n files of 1 to 32 KiB of random bytes under dir and
// returns their names and total size.
func buildTree(t *testing.T, dir string, n int) ([]string, int64) {
	t.Helper()
	rng := rand.New(rand.NewPCG(16, uint64(n)))
	var names []string
	var total int64
	for i := range n {
		name := filepath.Join(fmt.Sprintf("pkg%02d", i%40), fmt.Sprintf("obj%04d.o", i))
		b := make([]byte, 1024+rng.IntN(31*1024))
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		writeFile(t, filepath.Join(dir, name), b, 0o644)
		names = append(names, name)
		total += int64(len(b))
	}
	return names, total
}

// TestRefusedNotStreamed: a file the receiver refuses costs its offer,
// not its body: an existing 100 MiB file with other content, of the same
// size (found different by its hash) or of another size.
func TestRefusedNotStreamed(t *testing.T) {
	const size = 100 << 20
	for _, tc := range []struct {
		name  string
		local int64
	}{{"same size", size}, {"other size", size + 1}} {
		t.Run(tc.name, func(t *testing.T) {
			inbox, src := t.TempDir(), t.TempDir()
			theirs := bytes.Repeat([]byte{'r'}, size)
			writeFile(t, filepath.Join(inbox, "image.bin"), theirs, 0o644)
			writeFile(t, filepath.Join(src, "image.bin"), bytes.Repeat([]byte{'s'}, int(tc.local)), 0o644)
			r := startReceiver(t, inbox)
			res, n := sendCounted(t, r, filepath.Join(src, "image.bin"))
			if res.code == 0 || !strings.Contains(res.stderr, "image.bin") {
				t.Errorf("refused file: exit %d, stderr %q", res.code, res.stderr)
			}
			if n >= 1<<20 {
				t.Errorf("%d bytes on the wire for a refused file, want under 1 MiB", n)
			}
			if got, _ := os.ReadFile(filepath.Join(inbox, "image.bin")); !bytes.Equal(got, theirs) {
				t.Error("the receiver's file changed")
			}
		})
	}
}

// TestResendTree: a 2,000-file tree re-sent unchanged costs at most 2 % of
// its bytes; with 3 files changed (one keeping its size and mtime) and
// --overwrite, exactly those 3 land, and the others keep their inodes.
func TestResendTree(t *testing.T) {
	inbox, src := t.TempDir(), t.TempDir()
	tree := filepath.Join(src, "build")
	names, total := buildTree(t, tree, 2000)
	r := startReceiver(t, inbox, "--overwrite")
	if res := ft(t, "send", r.addr, tree); res.code != 0 {
		t.Fatalf("first send: exit %d: %s", res.code, res.stderr)
	}
	stat := func(name string) os.FileInfo {
		fi, err := os.Stat(filepath.Join(inbox, "build", name))
		if err != nil {
			t.Fatal(err)
		}
		return fi
	}
	before := make(map[string]os.FileInfo)
	for _, name := range names {
		before[name] = stat(name)
	}

	res, n := sendCounted(t, r, tree)
	if res.code != 0 || !strings.Contains(res.stderr, "2000 unchanged") {
		t.Fatalf("unchanged re-send: exit %d, stderr %q", res.code, res.stderr)
	}
	if n > total/50 {
		t.Errorf("unchanged re-send: %d bytes on the wire for a %d-byte tree, want at most 2 %%", n, total)
	}
	t.Logf("unchanged re-send: %d bytes on the wire, %.2f %% of %d", n, 100*float64(n)/float64(total), total)

	changed := map[string][]byte{}
	var changedBytes int64
	for k, name := range []string{names[7], names[1000], names[1999]} {
		path := filepath.Join(tree, name)
		old, _ := os.ReadFile(path)
		fi, _ := os.Stat(path)
		b := bytes.Clone(old)
		b[len(b)/2] ^= 0xff
		if k == 1 {
			b = append(b, "grown"...)
		}
		writeFile(t, path, b, 0o644)
		if k == 0 { // same size and mtime: only the content tells
			if err := os.Chtimes(path, fi.ModTime(), fi.ModTime()); err != nil {
				t.Fatal(err)
			}
		}
		changed[name] = b
		changedBytes += int64(len(b))
	}
	res, n = sendCounted(t, r, tree)
	if res.code != 0 || !strings.Contains(res.stderr, "1997 unchanged") {
		t.Fatalf("re-send with 3 changed: exit %d, stderr %q", res.code, res.stderr)
	}
	if n < changedBytes || n > changedBytes+total/50 {
		t.Errorf("re-send with 3 changed: %d bytes on the wire, want %d (their bodies) plus at most 2 %% of %d", n, changedBytes, total)
	}
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(inbox, "build", name))
		want, _ := os.ReadFile(filepath.Join(tree, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: not the source's content (%v)", name, err)
		}
		if _, ok := changed[name]; ok == os.SameFile(before[name], stat(name)) {
			t.Errorf("%s: changed %v, but same inode %v", name, ok, !ok)
		}
	}
}

// cutProxy forwards one connection to target and cuts it after limit
// bytes from the sender.
func cutProxy(t *testing.T, target string, limit int64) string {
	t.Helper()
	ln := proxyTo(t, target, func(c, up net.Conn) {
		go func() {
			io.CopyN(up, c, limit)
			c.Close()
			up.Close()
		}()
		go func() {
			io.Copy(c, up)
			c.Close()
		}()
	})
	return ln.Addr().String()
}

// TestResendAfterCut: a send of a tree cut at about half fails; its
// re-run sends what did not land and skips what did, and the tree is whole.
func TestResendAfterCut(t *testing.T) {
	inbox, src := t.TempDir(), t.TempDir()
	tree := filepath.Join(src, "build")
	names, total := buildTree(t, tree, 2000)
	r := startReceiver(t, inbox)
	if res := ft(t, "send", cutProxy(t, r.addr, total/2), tree); res.code == 0 {
		t.Fatalf("a cut send exited 0: %s", res.stderr)
	}
	res, n := sendCounted(t, r, tree)
	if res.code != 0 {
		t.Fatalf("re-run: exit %d: %s", res.code, res.stderr)
	}
	if !strings.Contains(res.stderr, " unchanged") {
		t.Errorf("re-run skipped nothing: %q", res.stderr)
	}
	if n > total*3/5 {
		t.Errorf("re-run after a cut at half: %d bytes on the wire for a %d-byte tree, want at most 60 %%", n, total)
	}
	t.Logf("re-run: %d bytes on the wire, %.1f %% of %d; %s", n, 100*float64(n)/float64(total), total, strings.TrimSpace(res.stderr))
	for _, name := range names {
		got, err := os.ReadFile(filepath.Join(inbox, "build", name))
		want, _ := os.ReadFile(filepath.Join(tree, name))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: not the source's content (%v)", name, err)
		}
	}
}
