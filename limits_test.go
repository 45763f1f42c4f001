//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Deadlines and limits of the receiver: header and idle timeouts, slow
// clients, --max-conns, idle-connection floods, --max-size and free space.

// readUntilClosed reads a raw connection until the receiver closes it and
// returns what it heard and how long that took.
func readUntilClosed(t *testing.T, c net.Conn) (rawOutcome, time.Duration) {
	t.Helper()
	start := time.Now()
	o := readOutcome(c)
	return o, time.Since(start)
}

// TestReceiverDeadlines: a client that does not complete the handshake in
// time is dropped even if it keeps dribbling; a connection on which
// nothing moves for the idle timeout is aborted.
func TestReceiverDeadlines(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir(), "--header-timeout", "1s", "--idle-timeout", "2s")
	cases := []struct {
		name     string
		write    func(c net.Conn) // runs on its own goroutine
		code     protocol.Code
		min, max time.Duration
	}{
		{"connects and sends nothing", func(net.Conn) {}, protocol.CodeTimeout, 900 * time.Millisecond, 4 * time.Second},
		{"dribbles the hello", func(c net.Conn) { dribble(c, helloBytes(), 200*time.Millisecond) }, protocol.CodeTimeout, 900 * time.Millisecond, 4 * time.Second},
		{"silent after the handshake", func(c net.Conn) { c.Write(helloBytes()) }, protocol.CodeTimeout, 1900 * time.Millisecond, 6 * time.Second},
		{"body slower than the idle timeout", func(c net.Conn) {
			c.Write(append(helloBytes(), rawEntry("slow.bin", 100)...))
			dribble(c, make([]byte, 100), 3*time.Second)
		}, protocol.CodeTimeout, 1900 * time.Millisecond, 8 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c := dialRaw(t, r.addr)
			go tc.write(c)
			o, took := readUntilClosed(t, c)
			if o.remote == nil || o.remote.Code != tc.code {
				t.Errorf("want error frame %v; got %v", tc.code, o)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("dropped after %v, want %v to %v", took, tc.min, tc.max)
			}
		})
	}
	t.Cleanup(func() {
		if left := tempFiles(r.dir); len(left) != 0 {
			t.Errorf("temp files left: %q", left)
		}
	})
}

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

// TestSlowClientStillServed: a client that dribbles its file one byte at
// a time, each within the idle timeout, completes; meanwhile a normal
// transfer is served.
func TestSlowClientStillServed(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir(), "--idle-timeout", "1s", "--max-conns", "2")
	body := []byte(strings.Repeat("slow but steady. ", 4))
	stream := validStream("slow.txt", body)
	c := dialRaw(t, r.addr)
	done := make(chan rawOutcome, 1)
	go func() { done <- readOutcome(c) }()
	go dribble(c, stream, 20*time.Millisecond)
	sendOneFile(t, r) // while the slow client is in the middle of its file
	var o rawOutcome
	select {
	case o = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the slow client got no answer")
	}
	if o.summary == nil || o.summary.Committed != 1 {
		t.Fatalf("slow client: %v", o)
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, "slow.txt")); string(got) != string(body) {
		t.Errorf("slow.txt holds %q", got)
	}
}

// holdSlot completes a handshake and keeps the connection open.
func holdSlot(t *testing.T, addr string) net.Conn {
	t.Helper()
	c := dialRaw(t, addr)
	c.Write(helloBytes())
	if _, err := protocol.ReadAccept(bufio.NewReader(c), protocol.DefaultHello()); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return c
}

// TestMaxConns: over --max-conns a sender is refused at once with a clear
// reason; once a slot frees, transfers are served again.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir(), "--max-conns", "2", "--idle-timeout", "60s")
	held := []net.Conn{holdSlot(t, r.addr), holdSlot(t, r.addr)}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("x"), 0o644)
	start := time.Now()
	res := ftIn(t, src, "send", r.addr, "x")
	if res.code != exitNetwork || !strings.Contains(res.stderr, "too many connections") || !strings.Contains(res.stderr, "ft: hint: ") {
		t.Errorf("over the limit: exit %d, want %d with a reason and a hint; stderr %q", res.code, exitNetwork, res.stderr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusal took %v", took)
	}
	held[0].Close()
	waitFor(t, 20*time.Second, "a transfer to be served after a slot frees", func() bool {
		return ftIn(t, src, "send", "-q", r.addr, "x").code == 0
	})
}

// openIdle opens n connections that send nothing.
func openIdle(t *testing.T, addr string, n int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	for range n {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	return conns
}

// openFDs counts the file descriptors of a process.
func openFDs(t *testing.T, pid int) int {
	t.Helper()
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("cannot count file descriptors: %v", err)
	}
	return len(fds)
}

// TestIdleFlood: hundreds of connections that never say hello do not
// stop real transfers; the receiver's file descriptors stay bounded, and
// connections beyond its bound are refused at once with a reason.
func TestIdleFlood(t *testing.T) {
	t.Parallel()
	const maxConns, maxHandshakes = 4, 1024 // maxHandshakes as in receive
	r := startReceiver(t, t.TempDir(), "--max-conns", fmt.Sprint(maxConns), "--header-timeout", "60s")
	openIdle(t, r.addr, 300)
	sendOneFile(t, r)
	sendOneFile(t, r)

	// Far beyond the bound: the excess is refused, descriptors bounded.
	excess := openIdle(t, r.addr, maxHandshakes)
	var busy int
	for _, c := range excess[len(excess)-100:] {
		c.SetDeadline(time.Now().Add(10 * time.Second))
		_, err := protocol.ReadAccept(c, protocol.DefaultHello())
		var remote *protocol.RemoteError
		if errors.As(err, &remote) && remote.Code == protocol.CodeBusy {
			busy++
		}
	}
	if busy != 100 {
		t.Errorf("%d of the last 100 connections of the flood were refused as busy, want 100", busy)
	}
	if n, bound := openFDs(t, r.cmd.Process.Pid), maxHandshakes+maxConns+64+32; n > bound {
		t.Errorf("receiver holds %d file descriptors during the flood, want at most %d", n, bound)
	}
	start := time.Now()
	r.stop()
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown with %d idle connections took %v", 300+maxHandshakes, took)
	}
}

// TestMaxSize: --max-size refuses larger files at header time; files up to
// the limit pass.
func TestMaxSize(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir(), "--max-size", "1000")
	src := t.TempDir()
	for _, tc := range []struct {
		size int
		code int
	}{{0, 0}, {1, 0}, {999, 0}, {1000, 0}, {1001, exitRefused}, {1 << 20, exitRefused}} {
		name := fmt.Sprintf("f%d", tc.size)
		writeFile(t, filepath.Join(src, name), randomBytes(t, tc.size), 0o644)
		res := ftIn(t, src, "send", "-q", r.addr, name)
		if res.code != tc.code || (tc.code != 0 && !strings.Contains(res.stderr, "too large")) {
			t.Errorf("size %d: exit %d, want %d; stderr %q", tc.size, res.code, tc.code, res.stderr)
		}
	}
	// The verdict comes before the body is sent.
	o := headerVerdict(t, r.addr, 1001)
	if o.Code != protocol.CodeTooLarge {
		t.Errorf("verdict %+v, want too large", o)
	}
}

// headerVerdict sends a hello and one file header of size, then waits for
// the verdict without sending any body.
func headerVerdict(t *testing.T, addr string, size uint64) protocol.Verdict {
	t.Helper()
	c := dialRaw(t, addr)
	defer c.Close()
	c.Write(append(helloBytes(), rawEntry("huge.bin", size)...))
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

// TestSizeBeyondFreeSpace: a declared size beyond the inbox's free space
// (or the protocol's largest) is refused at header time, nothing written.
func TestSizeBeyondFreeSpace(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir())
	free := freeBytes(t, r.dir)
	for _, size := range []uint64{free + 1<<30, protocol.MaxSize} {
		logAt := len(r.stderr.String())
		v := headerVerdict(t, r.addr, size)
		if v.Code != protocol.CodeNoSpace || !strings.Contains(v.Message, "free") {
			t.Errorf("size %d: verdict %+v, want no space", size, v)
		}
		if got := listTree(t, r.dir); len(got) != 0 {
			t.Errorf("size %d: inbox holds %q", size, got)
		}
		waitLog(t, r, logAt, "outcome=failed") // the receiver noticed the sender left
		sendOneFile(t, r)
	}
	waitLog(t, r, 0, `code="no space"`)
}

// TestStaleTempSweep: at start the receiver removes the temp files of a
// killed receiver, in any directory of the inbox, and nothing else.
func TestStaleTempSweep(t *testing.T) {
	t.Parallel()
	inbox := t.TempDir()
	stale := []string{".ft-0123456789abcdef.part", ".ft-ffffffffffffffff.part", "sub/deep/.ft-0123456789abcdef.part"}
	kept := []string{".ft-0123456789abcdeg.part", ".ft-0123456789ABCDEF.part", ".ft-notours.part",
		".ft-0123456789abcdef.partial", "x.ft-0123456789abcdef.part", "keep.part", "sub/.ft-0123456789abcde.part"}
	for _, name := range append(append([]string{}, stale...), kept...) {
		writeFile(t, filepath.Join(inbox, name), []byte("left over"), 0o600)
	}
	// A staging directory with what it held, at the top and deeper.
	stale = append(stale, ".ft-00000000000000aa.part", "sub/.ft-00000000000000bb.part")
	for _, name := range []string{".ft-00000000000000aa.part/a/b", "sub/.ft-00000000000000bb.part/c"} {
		writeFile(t, filepath.Join(inbox, name), []byte("staged"), 0o644)
	}
	r := startReceiver(t, inbox)
	for _, name := range stale {
		if _, err := os.Lstat(filepath.Join(inbox, name)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("stale %s not swept: %v", name, err)
		}
	}
	for _, name := range kept {
		if _, err := os.Lstat(filepath.Join(inbox, name)); err != nil {
			t.Errorf("%s is not ft's and must be kept: %v", name, err)
		}
	}
	waitLog(t, r, 0, `"removed stale temp files" count=5`)
}

// TestInboxUnusable: ft receive fails at start with a clear message when
// the inbox is missing and cannot be created, not a directory, or not
// writable.
func TestInboxUnusable(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	writeFile(t, filepath.Join(base, "file"), []byte("x"), 0o644)
	cases := []struct {
		name string
		dir  string
		want string
	}{
		{"missing and not creatable", filepath.Join(base, "file", "inbox"), "not a directory"},
		{"not a directory", filepath.Join(base, "file"), "not a directory"},
		{"not writable", readOnlyDir(t), "not writable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := ft(t, "receive", "-d", tc.dir, "--listen", "127.0.0.1:0")
			if res.code != exitError || !strings.Contains(res.stderr, "ft: error: receive: unusable inbox") ||
				!strings.Contains(res.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q; stderr %q", res.code, exitError, tc.want, res.stderr)
			}
			if res.stdout != "" {
				t.Errorf("it listened anyway: stdout %q", res.stdout)
			}
		})
	}
}

// readOnlyDir returns a directory ft cannot write into: a read-only tmpfs
// as root (who ignores permission bits), a 0555 directory otherwise.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "ro")
	must(t, os.Mkdir(dir, 0o555))
	if !isRoot() {
		return dir
	}
	if out, err := runOut("mount", "-t", "tmpfs", "-o", "ro,size=1m", "ft-ro", dir); err != nil {
		t.Skipf("as root, a read-only inbox needs a read-only mount, which failed: %v %s", err, out)
	}
	t.Cleanup(func() { runOut("umount", "-l", dir) })
	return dir
}

// freeBytes is what statfs says is available under dir.
func freeBytes(t *testing.T, dir string) uint64 {
	t.Helper()
	free, err := statfsFree(dir)
	if err != nil {
		t.Fatal(err)
	}
	return free
}

// statfsFree returns the bytes available to unprivileged users under dir.
func statfsFree(dir string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return st.Bavail * uint64(st.Bsize), nil
}
