package receive_test

import (
	"bufio"
	"fmt"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
)

// Deadlines and limits of the receiver: header and idle timeouts, slow
// clients, MaxSize, free space, and the start-up sweep.

// dribble writes b one byte at a time, every gap, until it is written or
// the connection fails.
func dribble(c net.Conn, b []byte, gap time.Duration) {
	for i := range b {
		if _, err := c.Write(b[i : i+1]); err != nil {
			return
		}
		time.Sleep(gap) // deliberate pacing of a slow client
	}
}

// TestReceiverDeadlines: a client that does not complete the handshake in
// time is dropped even if it keeps dribbling; a connection on which
// nothing moves for the idle timeout is aborted.
func TestReceiverDeadlines(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, receive.Options{NoSync: true, HeaderTimeout: time.Second, IdleTimeout: 2 * time.Second})
	hello := vectors.NewStream().Hello1().Bytes()
	cases := []struct {
		name     string
		write    func(c net.Conn) // runs on its own goroutine
		min, max time.Duration
	}{
		{"connects and sends nothing", func(net.Conn) {}, 900 * time.Millisecond, 4 * time.Second},
		{"dribbles the hello", func(c net.Conn) { dribble(c, hello, 200*time.Millisecond) }, 900 * time.Millisecond, 4 * time.Second},
		{"silent after the handshake", func(c net.Conn) { c.Write(hello) }, 1900 * time.Millisecond, 6 * time.Second},
		{"body slower than the idle timeout", func(c net.Conn) {
			c.Write(vectors.NewStream().Hello1().FileEntry("slow.bin", vectors.ModeFile, vectors.MTime, 100).Bytes())
			dribble(c, make([]byte, 100), 3*time.Second)
		}, 1900 * time.Millisecond, 8 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dial(t, r.addr)
			go tc.write(c)
			start := time.Now()
			o := readOutcome(c)
			took := time.Since(start)
			if o.remote == nil || o.remote.Code != protocol.CodeTimeout {
				t.Errorf("want error frame %v; got %v", protocol.CodeTimeout, o)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("dropped after %v, want %v to %v", took, tc.min, tc.max)
			}
		})
	}
	t.Cleanup(func() { assertNoTemp(t, r.dir) })
}

// TestSlowClientStillServed: a client that dribbles its file one byte at
// a time, each within the idle timeout, completes; meanwhile a normal
// transfer is served.
func TestSlowClientStillServed(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, receive.Options{NoSync: true, IdleTimeout: time.Second, MaxConns: 2})
	body := strings.Repeat("slow but steady. ", 4)
	c := dial(t, r.addr)
	done := make(chan outcome, 1)
	go func() { done <- readOutcome(c) }()
	go dribble(c, vectors.NewStream().Hello1().File("slow.txt", body).End(1).Bytes(), 20*time.Millisecond)
	sendValid(t, r) // while the slow client is in the middle of its file
	var o outcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow client got no answer")
	}
	if o.summary == nil || o.summary.Committed != 1 {
		t.Fatalf("slow client: %v", o)
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, "slow.txt")); string(got) != body {
		t.Errorf("slow.txt holds %q", got)
	}
}

// TestMaxSize: MaxSize refuses larger files at header time, before their
// body is sent; files up to the limit pass.
func TestMaxSize(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, receive.Options{NoSync: true, MaxSize: 1000})
	for _, tc := range []struct {
		size int
		code protocol.Code
	}{{0, protocol.CodeOK}, {1, protocol.CodeOK}, {999, protocol.CodeOK}, {1000, protocol.CodeOK},
		{1001, protocol.CodeTooLarge}, {1 << 20, protocol.CodeTooLarge}} {
		name := fmt.Sprintf("f%d", tc.size)
		o := exchange(t, r.addr, vectors.NewStream().Hello1().File(name, string(randomBytes(t, tc.size))).End(1).Bytes())
		if len(o.verdicts) != 1 || o.verdicts[0].Code != tc.code || o.summary == nil {
			t.Errorf("size %d: %v, want verdict %v and a summary", tc.size, o, tc.code)
		}
		_, err := os.Lstat(filepath.Join(r.dir, name))
		if landed := err == nil; landed != (tc.code == protocol.CodeOK) {
			t.Errorf("size %d: landed %v, want %v", tc.size, landed, tc.code == protocol.CodeOK)
		}
	}
	if v := headerVerdict(t, r.addr, 1001); v.Code != protocol.CodeTooLarge {
		t.Errorf("verdict %+v, want too large", v)
	}
	assertNoTemp(t, r.dir)
}

// headerVerdict sends a hello and one file header of size, then waits for
// the verdict without sending any body.
func headerVerdict(t *testing.T, addr string, size uint64) protocol.Verdict {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	c.Write(vectors.NewStream().Hello1().FileEntry("huge.bin", vectors.ModeFile, vectors.MTime, size).Bytes())
	br := bufio.NewReader(c)
	if _, err := protocol.ReadAccept(br, protocol.DefaultHello()); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	rep, err := protocol.NewReplyReader(br).Next()
	if err != nil || rep.Verdict == nil {
		t.Fatalf("no verdict before the body: %+v, %v", rep, err)
	}
	return *rep.Verdict
}

// TestStaleTempSweep: at start the receiver removes what a killed receiver
// left in the inbox (temp files and staging directories, in any
// directory, as its journal lists them), and nothing else, not even names
// of the temp form it did not make; it does so while it already listens.
func TestStaleTempSweep(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	kept := []string{".ft-0123456789abcdef.part", ".ft-0123456789abcdeg.part", ".ft-notours.part",
		"sub/.ft-0123456789abcdef.part", "keep.part"}
	for _, name := range kept {
		writeFile(t, filepath.Join(dir, name), "not ours")
	}
	killed, err := inbox.Open(dir, inbox.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	tr := killed.Begin()
	d := tr.Dirs()
	for _, name := range []string{"a", "sub/deep/b", "sub/c"} { // three temp files
		if _, err := tr.CreateWithParents(d, name, 1, 0o644, time.Time{}); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"new", "sub/new"} { // two staging directories, one holding a file
		if _, staged := tr.Mkdir(name, 0o755, time.Time{}); !staged {
			t.Fatalf("%s not staged", name)
		}
	}
	if _, err := tr.Create(d, "new/f", 1, 0o644, time.Time{}); err != nil {
		t.Fatal(err)
	}
	d.Close()
	killed.Close() // nothing committed or dropped
	opts := quick()
	opts.Dir = dir
	r := startReceiver(t, opts)
	waitLog(t, r, 0, `"removed stale temp files" count=5`)
	var left []string
	walk(t, dir, func(name string, fi fs.FileInfo) bool {
		if strings.HasPrefix(path.Base(name), ".ft-") {
			left = append(left, name)
		}
		return true
	})
	slices.Sort(left)
	want := []string{".ft-0123456789abcdef.part", ".ft-0123456789abcdeg.part", ".ft-notours.part", "sub/.ft-0123456789abcdef.part"}
	if !slices.Equal(left, want) {
		t.Errorf("left %q, want %q (not the receiver's)", left, want)
	}
	sendValid(t, r)
}

// writeFile creates a file with content, making its parents.
func writeFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}
