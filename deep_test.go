//go:build linux

package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// TestDeepNamesLinear: making and checking the parents of a deep name
// costs work linear in its depth (issue 14 item 4). A receiver under
// strace gets one file, one directory and one symlink, each the deepest a
// name may be (protocol.MaxDepth components, no parents announced), and
// the path system calls it makes for them are compared with those for the
// same three entries one level deep: quadratic work (every parent walked
// from the inbox again) costs hundreds of calls per level, linear a few.
func TestDeepNamesLinear(t *testing.T) {
	if _, err := exec.LookPath("strace"); err != nil {
		t.Skip("strace is not installed")
	}
	shallow := pathCalls(t, 1)
	deep := pathCalls(t, protocol.MaxDepth)
	perLevel := float64(deep-shallow) / float64(protocol.MaxDepth-1)
	t.Logf("path system calls: %d at depth 1, %d at depth %d: %.1f per level", shallow, deep, protocol.MaxDepth, perLevel)
	if perLevel > 30 {
		t.Errorf("%.1f path system calls per level of depth, want a few (linear work)", perLevel)
	}
}

// pathCalls runs "ft receive --once" under strace, sends it a file, a
// directory and a symlink depth components deep, checks their verdicts
// and returns how many path system calls the receiver made.
func pathCalls(t *testing.T, depth int) int {
	t.Helper()
	out := filepath.Join(t.TempDir(), "strace")
	prefix := []string{"strace", "-f", "-qq", "-c", "-o", out, "-e", "trace=" + strings.Join(pathSyscalls, ",")}
	inbox := t.TempDir()
	r := startReceiverVia(t, prefix, inbox, "127.0.0.1:0", "--insecure", "--once", "-q")
	c, br := handshakeV1(t, r.addr, time.Minute)
	deepName := func(top string) string { return top + strings.Repeat("/d", depth-1) }
	bw := bufio.NewWriter(c)
	w := protocol.NewWriter(bw)
	entries := []*protocol.Header{
		{Kind: protocol.KindFile, Name: deepName("f"), Mode: 0o644, Size: 1},
		{Kind: protocol.KindDir, Name: deepName("d"), Mode: 0o755},
		{Kind: protocol.KindSymlink, Name: deepName("s"), Mode: 0o777, Linkname: "x"},
	}
	for _, h := range entries {
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Kind == protocol.KindFile {
			if _, err := w.Write([]byte("x")); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	rr := protocol.NewReplyReader(br)
	for {
		rep, err := rr.Next()
		if err != nil {
			t.Fatalf("replies: %v; receiver: %s", err, r.stderr)
		}
		if rep.Summary != nil {
			if rep.Summary.Committed != uint64(len(entries)) {
				t.Fatalf("depth %d: summary %+v, want %d committed; receiver: %s", depth, *rep.Summary, len(entries), r.stderr)
			}
			break
		}
	}
	c.Close()
	select {
	case <-r.done:
	case <-time.After(time.Minute):
		t.Fatal("the --once receiver did not exit")
	}
	for _, h := range entries {
		if _, err := os.Lstat(filepath.Join(inbox, filepath.FromSlash(h.Name))); err != nil {
			t.Errorf("depth %d: %v", depth, err)
		}
	}
	return straceCalls(t, out)
}

// pathSyscalls are the system calls that resolve a path or a name in a
// directory on linux/amd64 and arm64.
var pathSyscalls = []string{"openat", "mkdirat", "newfstatat", "statx", "unlinkat", "renameat2",
	"linkat", "symlinkat", "readlinkat", "fchmodat", "utimensat", "getdents64"}

// straceCalls returns the total of calls in strace -c output file.
func straceCalls(t *testing.T, file string) int {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[len(f)-1] == "total" {
			n, err := strconv.Atoi(f[3])
			if err != nil {
				t.Fatalf("strace total %q: %v", line, err)
			}
			return n
		}
	}
	t.Fatalf("no total in strace output:\n%s", b)
	return 0
}
