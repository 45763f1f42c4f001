package idle

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/testnet"
)

// Timeouts: a short idle timeout so that tests are fast, and a generous
// bound on how long it may take to fire, for loaded machines.
const (
	shortTimeout = 50 * time.Millisecond
	fireWithin   = 5 * time.Second
)

// transport makes a connected pair of connections.
type transport struct {
	name string
	pair func(t *testing.T) (a, b net.Conn)
}

var transports = []transport{
	{"pipe", pipePair},
	{"tcp", tcpPair},
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) { return testnet.Pair(t) }

func pipePair(t *testing.T) (net.Conn, net.Conn) {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// forEach runs f once per transport, in parallel.
func forEach(t *testing.T, f func(t *testing.T, a, b net.Conn)) {
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			t.Parallel()
			a, b := tr.pair(t)
			f(t, a, b)
		})
	}
}

// readErr reads from c in the background; the result arrives on the channel.
func readErr(c net.Conn) <-chan error {
	ch := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		ch <- err
	}()
	return ch
}

// waitErr waits up to fireWithin for a result on ch.
func waitErr(t *testing.T, ch <-chan error, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(fireWithin):
		t.Fatalf("%s: still blocked after %v", what, fireWithin)
		return nil
	}
}

// TestExpires: a blocked read on a connection where nothing moves fails
// with ErrTimeout (still wrapping the deadline error) within the bound, and
// so do later reads and writes; the connection says it expired.
func TestExpires(t *testing.T) {
	forEach(t, func(t *testing.T, a, _ net.Conn) {
		c := Watch(a, shortTimeout)
		defer c.Close()
		start := time.Now()
		err := waitErr(t, readErr(c), "read on an idle connection")
		if !errors.Is(err, ErrTimeout) || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("read error %v, want ErrTimeout wrapping os.ErrDeadlineExceeded", err)
		}
		if took := time.Since(start); took < shortTimeout {
			t.Errorf("expired after %v, before the timeout of %v", took, shortTimeout)
		}
		if !c.Expired() {
			t.Error("Expired() = false after the idle timeout fired")
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, ErrTimeout) {
			t.Errorf("write after expiry: %v, want ErrTimeout", err)
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, ErrTimeout) {
			t.Errorf("second read after expiry: %v, want ErrTimeout", err)
		}
	})
}

// TestDisabled: a timeout of zero or less never expires the connection;
// its own deadlines still work, and fail without ErrTimeout.
func TestDisabled(t *testing.T) {
	for _, timeout := range []time.Duration{0, -1, -time.Hour} {
		t.Run(timeout.String(), func(t *testing.T) {
			t.Parallel()
			forEach(t, func(t *testing.T, a, _ net.Conn) {
				c := Watch(a, timeout)
				defer c.Close()
				if err := c.SetReadDeadline(time.Now().Add(4 * shortTimeout)); err != nil {
					t.Fatal(err)
				}
				err := waitErr(t, readErr(c), "read past its deadline")
				if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, ErrTimeout) {
					t.Errorf("read error %v, want the deadline's own error, not ErrTimeout", err)
				}
				if c.Expired() {
					t.Error("a connection with the watch disabled expired")
				}
			})
		})
	}
}

// TestProgress: bytes read and calls to Touch keep the connection alive
// for many times its timeout; once they stop, it expires.
func TestProgress(t *testing.T) {
	const timeout = 300 * time.Millisecond
	cases := []struct {
		name string
		// beat makes one step of progress on c, whose peer is b.
		beat func(c *Conn, b net.Conn) error
	}{
		{"reads", func(c *Conn, b net.Conn) error {
			go b.Write([]byte("x")) // on a pipe, a write waits for its read
			_, err := io.ReadFull(c, make([]byte, 1))
			return err
		}},
		{"writes", func(c *Conn, b net.Conn) error {
			go io.ReadFull(b, make([]byte, 1))
			_, err := c.Write([]byte("x"))
			return err
		}},
		{"touch", func(c *Conn, _ net.Conn) error { c.Touch(); return nil }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			forEach(t, func(t *testing.T, a, b net.Conn) {
				c := Watch(a, timeout)
				defer c.Close()
				tick := time.NewTicker(timeout / 10)
				defer tick.Stop()
				for end := time.Now().Add(3 * timeout); time.Now().Before(end); <-tick.C {
					if err := tc.beat(c, b); err != nil {
						t.Fatalf("progress step failed: %v", err)
					}
				}
				if c.Expired() {
					t.Fatalf("expired although %s kept happening", tc.name)
				}
				// Progress stops: the watch fires.
				if err := waitErr(t, readErr(c), "read once progress stopped"); !errors.Is(err, ErrTimeout) {
					t.Errorf("read error %v, want ErrTimeout", err)
				}
			})
		})
	}
}

// TestDeadlinesAfterExpiry: before expiry the deadline setters work; after
// it, they refuse with ErrTimeout and cannot revive the connection.
func TestDeadlinesAfterExpiry(t *testing.T) {
	setters := []struct {
		name string
		set  func(c *Conn, t time.Time) error
	}{
		{"SetDeadline", (*Conn).SetDeadline},
		{"SetReadDeadline", (*Conn).SetReadDeadline},
		{"SetWriteDeadline", (*Conn).SetWriteDeadline},
	}
	forEach(t, func(t *testing.T, a, _ net.Conn) {
		c := Watch(a, shortTimeout)
		defer c.Close()
		for _, s := range setters {
			if err := s.set(c, time.Time{}); err != nil {
				t.Errorf("%s before expiry: %v", s.name, err)
			}
		}
		waitErr(t, readErr(c), "read on an idle connection")
		for _, s := range setters {
			if err := s.set(c, time.Time{}); !errors.Is(err, ErrTimeout) {
				t.Errorf("%s after expiry: %v, want ErrTimeout", s.name, err)
			}
		}
		if err := waitErr(t, readErr(c), "read after clearing deadlines"); !errors.Is(err, ErrTimeout) {
			t.Errorf("read after trying to clear the deadlines: %v, want ErrTimeout", err)
		}
	})
}

// TestGrace: after expiry, Grace lets the owner write a last message that
// reaches the peer; reads keep failing.
func TestGrace(t *testing.T) {
	forEach(t, func(t *testing.T, a, b net.Conn) {
		c := Watch(a, shortTimeout)
		defer c.Close()
		waitErr(t, readErr(c), "read on an idle connection")
		if !c.Expired() {
			t.Fatal("not expired")
		}
		if err := c.Grace(fireWithin); err != nil {
			t.Fatalf("Grace: %v", err)
		}
		got := make(chan []byte, 1)
		go func() {
			buf := make([]byte, 3)
			_, err := io.ReadFull(b, buf)
			if err != nil {
				t.Error(err)
			}
			got <- buf
		}()
		if _, err := c.Write([]byte("bye")); err != nil {
			t.Fatalf("write within the grace period: %v", err)
		}
		if msg := <-got; string(msg) != "bye" {
			t.Errorf("peer read %q, want %q", msg, "bye")
		}
		if _, err := c.Read(make([]byte, 1)); !errors.Is(err, ErrTimeout) {
			t.Errorf("read within the grace period: %v, want ErrTimeout", err)
		}
	})
}

// TestCloseStopsWatch: after Close, the watch no longer fires.
func TestCloseStopsWatch(t *testing.T) {
	forEach(t, func(t *testing.T, a, _ net.Conn) {
		c := Watch(a, shortTimeout)
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		c.Close()                    // a second Close must not panic
		time.Sleep(6 * shortTimeout) // long enough for a live watch to fire
		if c.Expired() {
			t.Error("a closed connection expired: Close did not stop the watch")
		}
	})
}

// TestCloseWrite: over TCP, CloseWrite half-closes (the peer reads EOF,
// and can still write back); over a pipe, which cannot, it does nothing.
func TestCloseWrite(t *testing.T) {
	t.Run("tcp", func(t *testing.T) {
		a, b := tcpPair(t)
		c := Watch(a, time.Minute)
		defer c.Close()
		if err := c.CloseWrite(); err != nil {
			t.Fatal(err)
		}
		if _, err := b.Read(make([]byte, 1)); err != io.EOF {
			t.Errorf("peer read %v after CloseWrite, want io.EOF", err)
		}
		go b.Write([]byte("x"))
		if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
			t.Errorf("read after CloseWrite: %v", err)
		}
	})
	t.Run("pipe", func(t *testing.T) {
		a, _ := pipePair(t)
		c := Watch(a, time.Minute)
		defer c.Close()
		if err := c.CloseWrite(); err != nil {
			t.Errorf("CloseWrite on a pipe: %v, want nil", err)
		}
	})
}
