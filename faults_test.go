//go:build unix

package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Faults with real processes on loopback: kills, signals, resets and
// blackholes (through faultProxy), files changing under the sender, and
// two senders racing for one name.

const (
	bigSize   = 32 << 20 // a file big enough to be caught mid-transfer
	proxyRate = 16 << 20 // bytes per second through the proxy: 2 s for bigSize
)

// midTransfer starts a receiver with rargs, a proxy and "ft send sargs...
// big.bin" through it, and returns once the receiver is mid-file.
func midTransfer(t *testing.T, rargs, sargs []string) (*receiver, *faultProxy, *process) {
	t.Helper()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(t, bigSize), 0o644)
	r := startReceiver(t, t.TempDir(), rargs...)
	px := startProxy(t, r.addr, proxyRate)
	args := append(append([]string{"send", "-q"}, sargs...), px.addr(), "big.bin")
	s := startFt(t, src, nil, args...)
	waitFor(t, 20*time.Second, "the receiver to be mid-file", func() bool { return tempBytes(r.dir) >= 1<<20 })
	return r, px, s
}

// assertNoPartial checks that big.bin never appeared and, once the
// receiver has noticed, no temp file is left.
func assertNoPartial(t *testing.T, r *receiver) {
	t.Helper()
	waitFor(t, 15*time.Second, "the receiver to remove its temp file", func() bool { return len(tempFiles(r.dir)) == 0 })
	if _, err := os.Lstat(filepath.Join(r.dir, "big.bin")); err == nil {
		t.Errorf("a partial big.bin is visible under its final name")
	}
}

func TestKillSenderMidFile(t *testing.T) {
	t.Parallel()
	r, _, s := midTransfer(t, []string{"--idle-timeout", "20s"}, nil)
	s.cmd.Process.Kill()
	s.wait(t, 10*time.Second)
	assertNoPartial(t, r)
	waitLog(t, r, 0, "stream ended early")
	sendOneFile(t, r)
}

func TestKillReceiverMidFile(t *testing.T) {
	t.Parallel()
	r, _, s := midTransfer(t, nil, []string{"--idle-timeout", "20s"})
	r.cmd.Process.Kill()
	<-r.done
	res := s.wait(t, 15*time.Second)
	if res.code != exitNetwork || !strings.Contains(res.stderr, "ft: error: ") {
		t.Errorf("sender: exit %d, want %d; stderr %q", res.code, exitNetwork, res.stderr)
	}
	if s.took > 10*time.Second {
		t.Errorf("the sender took %v to notice the dead receiver", s.took)
	}
	if len(tempFiles(r.dir)) == 0 {
		t.Fatalf("the killed receiver left no temp file: the test did not catch it mid-file")
	}
	// A new receiver on the same inbox sweeps the stale temp file at start
	// (while it already listens).
	r2 := startReceiver(t, r.dir)
	waitLog(t, r2, 0, "removed stale temp files")
	if left := tempFiles(r2.dir); len(left) != 0 {
		t.Errorf("stale temp files not swept at start: %q", left)
	}
	assertNoPartial(t, r2)
	sendOneFile(t, r2)
}

// TestSignalReceiverMidFile: SIGINT, SIGTERM or SIGHUP stops the receiver within a
// bounded time with exit 0; the transfer in flight is aborted, its temp
// file removed, and the sender told why.
func TestSignalReceiverMidFile(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			r, _, s := midTransfer(t, nil, nil)
			start := time.Now()
			r.cmd.Process.Signal(sig)
			if code := r.wait(); code != 0 {
				t.Errorf("receiver exited %d on %v, want 0; stderr:\n%s", code, sig, r.stderr)
			}
			if took := time.Since(start); took > 8*time.Second {
				t.Errorf("receiver took %v to stop", took)
			}
			if left := tempFiles(r.dir); len(left) != 0 {
				t.Errorf("temp files left after shutdown: %q", left)
			}
			assertNoPartial(t, r)
			res := s.wait(t, 15*time.Second)
			if res.code != exitNetwork || !strings.Contains(res.stderr, "shutting down") {
				t.Errorf("sender: exit %d, want %d with \"shutting down\"; stderr %q", res.code, exitNetwork, res.stderr)
			}
		})
	}
}

// TestInterruptSenderMidFile: SIGINT on the sender aborts with 130; the
// receiver discards the partial file and keeps serving.
func TestInterruptSenderMidFile(t *testing.T) {
	t.Parallel()
	r, _, s := midTransfer(t, nil, nil)
	s.cmd.Process.Signal(os.Interrupt)
	res := s.wait(t, 10*time.Second)
	if res.code != exitInterrupted || !strings.Contains(res.stderr, "ft: error: interrupted") {
		t.Errorf("sender: exit %d, want %d; stderr %q", res.code, exitInterrupted, res.stderr)
	}
	if s.took > 8*time.Second {
		t.Errorf("sender took %v to stop", s.took)
	}
	assertNoPartial(t, r)
	sendOneFile(t, r)
}

// TestProxyFaults breaks a transfer in the middle of the network without
// root: a reset of both ends, and a blackhole that only the idle timeouts
// can end.
func TestProxyFaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault func(*faultProxy)
		want  []string // one of them in the sender's error
		log   string   // in the receiver's log
	}{
		{"reset", (*faultProxy).resetAll, []string{"connection reset by peer", "broken pipe"}, "connection reset by peer"},
		{"blackhole", func(p *faultProxy) { p.hold() }, []string{"timed out"}, "timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			idle := []string{"--idle-timeout", "2s"}
			r, px, s := midTransfer(t, idle, idle)
			tc.fault(px)
			res := s.wait(t, 20*time.Second)
			if res.code != exitNetwork || !containsAny(res.stderr, tc.want...) {
				t.Errorf("sender: exit %d, want %d with %q; stderr %q", res.code, exitNetwork, tc.want, res.stderr)
			}
			assertNoPartial(t, r)
			waitLog(t, r, 0, tc.log)
			sendOneFile(t, r)
		})
	}
}

// TestReceiverIdleTellsSender: when only the receiver's idle timeout fires
// (the sender is stopped, not the network), the receiver discards the file
// and tells the sender why, which the sender reports once it runs again.
func TestReceiverIdleTellsSender(t *testing.T) {
	t.Parallel()
	r, _, s := midTransfer(t, []string{"--idle-timeout", "1s"}, []string{"--idle-timeout", "60s"})
	s.cmd.Process.Signal(syscall.SIGSTOP)
	waitLog(t, r, 0, "timed out")
	assertNoPartial(t, r)
	s.cmd.Process.Signal(syscall.SIGCONT)
	res := s.wait(t, 15*time.Second)
	if res.code != exitNetwork || !strings.Contains(res.stderr, "receiver: timed out") {
		t.Errorf("sender: exit %d, want %d with the receiver's \"timed out\"; stderr %q", res.code, exitNetwork, res.stderr)
	}
	sendOneFile(t, r)
}

// TestSourceChangesWhileSending changes a file while it is on the wire:
// the sender fails that file with a clear message (exit 6), the receiver
// discards it, and the other file of the transfer still lands.
func TestSourceChangesWhileSending(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		change func(f *os.File) error
	}{
		{"shrinks", func(f *os.File) error { return f.Truncate(bigSize / 2) }},
		{"grows", func(f *os.File) error { _, err := f.WriteAt([]byte("more"), bigSize); return err }},
		{"rewritten in place", func(f *os.File) error { _, err := f.WriteAt([]byte("edit"), bigSize-100); return err }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			src := t.TempDir()
			writeFile(t, filepath.Join(src, "big.bin"), randomBytes(t, bigSize), 0o644)
			writeFile(t, filepath.Join(src, "small.txt"), []byte("small"), 0o644)
			r := startReceiver(t, t.TempDir())
			px := startProxy(t, r.addr, proxyRate)
			s := startFt(t, src, nil, "send", "-q", px.addr(), "big.bin", "small.txt")
			waitFor(t, 20*time.Second, "the receiver to be mid-file", func() bool { return tempBytes(r.dir) >= 1<<20 })
			f, err := os.OpenFile(filepath.Join(src, "big.bin"), os.O_RDWR, 0)
			must(t, err)
			must(t, tc.change(f))
			f.Close()
			res := s.wait(t, 60*time.Second)
			if res.code != exitSource || !strings.Contains(res.stderr, `"big.bin"`) || !strings.Contains(res.stderr, "changed while being sent") {
				t.Errorf("sender: exit %d, want %d naming big.bin as changed; stderr %q", res.code, exitSource, res.stderr)
			}
			assertNoPartial(t, r)
			if got, err := os.ReadFile(filepath.Join(r.dir, "small.txt")); err != nil || string(got) != "small" {
				t.Errorf("the other file did not land: %q, %v", got, err)
			}
		})
	}
}

// TestSameNameAtOnce races two senders for one name: exactly one version
// is committed whole; the other gets "exists", or with --overwrite one of
// them wins whole. Never mixed bytes.
func TestSameNameAtOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		overwrite bool
		identical bool
		codes     []int // sorted exit codes of the two senders
	}{
		{"different content", false, false, []int{0, exitRefused}},
		{"different content with overwrite", true, false, []int{0, 0}},
		{"identical content", false, true, []int{0, 0}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var rargs []string
			if tc.overwrite {
				rargs = append(rargs, "--overwrite")
			}
			r := startReceiver(t, t.TempDir(), rargs...)
			for round := range 3 {
				name := fmt.Sprintf("same-%d.bin", round)
				a := randomBytes(t, 8<<20)
				b := a
				if !tc.identical {
					b = randomBytes(t, 8<<20)
				}
				codes, stderrs := raceSend(t, r.addr, name, a, b)
				got, err := os.ReadFile(filepath.Join(r.dir, name))
				if err != nil || (!bytes.Equal(got, a) && !bytes.Equal(got, b)) {
					t.Fatalf("round %d: the committed file is neither version whole (err %v)", round, err)
				}
				if sorted := slices.Sorted(slices.Values(codes)); !slices.Equal(sorted, tc.codes) {
					t.Errorf("round %d: exit codes %v, want %v; stderr %q", round, codes, tc.codes, stderrs)
				}
				if slices.Contains(codes, exitRefused) && !strings.Contains(strings.Join(stderrs, ""), "exists") {
					t.Errorf("round %d: the loser was not told the file exists: %q", round, stderrs)
				}
			}
			if left := tempFiles(r.dir); len(left) != 0 {
				t.Errorf("temp files left: %q", left)
			}
		})
	}
}

// raceSend starts two senders of name at once, with contents a and b.
func raceSend(t *testing.T, addr, name string, a, b []byte) ([]int, []string) {
	t.Helper()
	var ps []*process
	for _, content := range [][]byte{a, b} {
		src := t.TempDir()
		writeFile(t, filepath.Join(src, name), content, 0o644)
		ps = append(ps, startFt(t, src, nil, "send", "-q", addr, name))
	}
	var codes []int
	var stderrs []string
	for _, p := range ps {
		res := p.wait(t, time.Minute)
		codes = append(codes, res.code)
		stderrs = append(stderrs, res.stderr)
	}
	return codes, stderrs
}

// fakeReceiver listens on loopback and hands each connection to serve.
func fakeReceiver(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			go serve(c)
		}
	}()
	return ln.Addr().String()
}

// TestSenderNeverHangs runs the sender against receivers that stall at
// each step: it gives up within its dial or idle timeout, exit 3.
func TestSenderNeverHangs(t *testing.T) {
	t.Parallel()
	accept := func(c net.Conn) bool {
		if _, err := protocol.ReadHello(c); err != nil {
			return false
		}
		return protocol.WriteAccept(c, protocol.Accept{Version: protocol.Version1}) == nil
	}
	cases := []struct {
		name  string
		serve func(c net.Conn)
		want  string
		limit time.Duration
	}{
		{"no answer to the hello", func(c net.Conn) { io.Copy(io.Discard, c) }, "i/o timeout", 6 * time.Second},
		{"accepts, then never reads", func(c net.Conn) { accept(c) }, "timed out", 6 * time.Second},
		{"reads all, never replies", func(c net.Conn) {
			if accept(c) {
				io.Copy(io.Discard, c)
			}
		}, "timed out", 6 * time.Second},
	}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(t, bigSize), 0o644)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addr := fakeReceiver(t, tc.serve)
			// The fake receivers speak version 1.
			p := startFt(t, src, nil, "send", "--insecure", "-q", "--dial-timeout", "1s", "--idle-timeout", "1s", addr, "big.bin")
			res := p.wait(t, 30*time.Second)
			if res.code != exitNetwork || !containsAny(res.stderr, tc.want) {
				t.Errorf("exit %d, want %d with %q; stderr %q", res.code, exitNetwork, tc.want, res.stderr)
			}
			if p.took > tc.limit {
				t.Errorf("sender took %v, want under %v", p.took, tc.limit)
			}
		})
	}
}
