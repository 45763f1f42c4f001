//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Limits of the receiver seen through the binary: --max-conns, idle
// connection floods (the receiver's file descriptors), --max-size and an
// unusable inbox as the CLI reports them. Deadlines, slow clients, free
// space and the start-up sweep are tested in-process in receive.

// holdSlot completes a handshake and keeps the connection open.
func holdSlot(t *testing.T, addr string) net.Conn {
	t.Helper()
	c := dialRaw(t, addr)
	if err := protocol.WriteHello(c, protocol.DefaultHello()); err != nil {
		t.Fatal(err)
	}
	if _, err := protocol.ReadAccept(bufio.NewReader(c), protocol.DefaultHello()); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return c
}

// TestMaxConns: over --max-conns a sender is refused at once with a clear
// reason; once a slot frees, transfers are served again.
func TestMaxConns(t *testing.T) {
	t.Parallel()
	// holdSlot speaks version 1: the whole test runs --insecure.
	r := startReceiver(t, t.TempDir(), "--insecure", "--max-conns", "2", "--idle-timeout", "60s")
	held := []net.Conn{holdSlot(t, r.addr), holdSlot(t, r.addr)}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("x"), 0o644)
	start := time.Now()
	res := ftIn(t, src, "send", "--insecure", r.addr, "x")
	if res.code != exitNetwork || !strings.Contains(res.stderr, "too many connections") || !strings.Contains(res.stderr, "ft: hint: ") {
		t.Errorf("over the limit: exit %d, want %d with a reason and a hint; stderr %q", res.code, exitNetwork, res.stderr)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusal took %v", took)
	}
	held[0].Close()
	waitFor(t, 20*time.Second, "a transfer to be served after a slot frees", func() bool {
		return ftIn(t, src, "send", "--insecure", "-q", r.addr, "x").code == 0
	})
}

// openIdleFrom opens n connections to addr that send nothing, spread over
// the local addresses 127.0.1.first, the next and so on, per of them from
// each (one address holds at most 32 in their handshake: see
// receive/gate.go); it skips the test where those are not local.
func openIdleFrom(t *testing.T, addr string, n, per, first int) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, 0, n)
	t.Cleanup(func() {
		for _, c := range conns {
			c.Close()
		}
	})
	for i := range n {
		from := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+(first+i/per)/250), byte(1+(first+i/per)%250))}
		d := net.Dialer{Timeout: 10 * time.Second, LocalAddr: from}
		c, err := d.Dial("tcp", addr)
		if err != nil && i == 0 {
			t.Skipf("cannot connect from %s: %v", from, err)
		}
		if err != nil {
			t.Fatalf("after %d connections: %v", len(conns), err)
		}
		conns = append(conns, c)
	}
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
	first := openIdleFrom(t, r.addr, 300, 30, 0)
	sendOneFile(t, r)
	sendOneFile(t, r)

	// Far beyond the bound: the oldest idle ones make room for the new,
	// senders are still served, descriptors stay bounded.
	openIdleFrom(t, r.addr, maxHandshakes, 30, 10)
	sendOneFile(t, r)
	deadline := time.Now().Add(10 * time.Second)
	for i, c := range first {
		c.SetReadDeadline(deadline)
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("idle connection %d, of the first: %v, want it closed to make room", i, err)
		}
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

// TestMaxSize: --max-size refuses larger files, and the sender says why
// and exits with the refusal code; files up to the limit pass. (That the
// refusal comes at header time is receive's TestMaxSize.)
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

// dialRaw connects to a receiver for hand-built streams.
func dialRaw(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}
