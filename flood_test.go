//go:build linux

package main

import (
	"errors"
	"io"
	"net"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/testnet"
)

// TestTrustHandshakeFlood: 1,000 unauthenticated sockets that send
// nothing, from 40 addresses, and 200 more from one address, opened
// while an authenticated transfer runs (paced to take seconds): that
// transfer completes, the
// senders that come during the flood take less than a second longer
// than before it, and one address holds at most 32 connections in their
// handshake (the rest are refused at once).
func TestTrustHandshakeFlood(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "big.bin"), randomBytes(t, 32<<20), 0o644)
	writeFile(t, filepath.Join(src, "small.bin"), randomBytes(t, 1<<20), 0o644)
	r := startReceiver(t, t.TempDir(), "--overwrite")
	send := func(name string) (time.Duration, result) {
		start := time.Now()
		res := ftIn(t, src, "send", "-q", r.addr, name)
		return time.Since(start), res
	}
	base := time.Hour
	for range 3 {
		d, res := send("small.bin")
		if res.code != 0 {
			t.Fatalf("send before the flood: exit %d: %s", res.code, res.stderr)
		}
		base = min(base, d)
	}
	// The transfer that runs meanwhile goes through a proxy at 8 MiB/s,
	// so that it takes seconds, longer than opening the flood.
	slow := startProxy(t, r.addr, 8<<20)
	running := make(chan result, 1)
	go func() { running <- ftIn(t, src, "send", "-q", slow.addr(), "big.bin") }()
	waitFor(t, 10*time.Second, "the transfer to start", func() bool { return slow.upload.Load() > 1<<20 })
	openIdleFrom(t, r.addr, 1000, 25, 0)
	one := make([]net.Conn, 0, 200)
	for range 200 {
		one = append(one, testnet.DialFrom(t, "127.0.9.1", r.addr))
	}
	select {
	case res := <-running:
		t.Fatalf("the transfer ended (exit %d) before the flood was open: make it longer", res.code)
	default:
	}
	var slowest time.Duration
	for range 3 {
		d, res := send("small.bin")
		if res.code != 0 {
			t.Fatalf("send during the flood: exit %d: %s", res.code, res.stderr)
		}
		slowest = max(slowest, d)
	}
	if slowest > base+time.Second {
		t.Errorf("a send took %v during the flood, %v before it: delayed by more than a second", slowest, base)
	}
	if res := <-running; res.code != 0 {
		t.Errorf("the transfer that ran while the flood came: exit %d: %s", res.code, res.stderr)
	}
	t.Logf("a send took %v at most during the flood, %v before it", slowest, base)
	var refused atomic.Int64
	var wg sync.WaitGroup
	for _, c := range one {
		wg.Go(func() {
			c.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := c.Read(make([]byte, 1)); err == nil || errors.Is(err, io.EOF) {
				refused.Add(1) // a busy frame, or closed
			}
		})
	}
	wg.Wait()
	if n := int(refused.Load()); n < len(one)-32 {
		t.Errorf("%d of %d connections from one address were refused, want all but 32", n, len(one))
	}
}
