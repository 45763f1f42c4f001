package receive_test

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/receive"
)

// runOnce runs receive.Run with Once into a new inbox on 127.0.0.1:0 and
// returns its address, its inbox and where its result arrives.
func runOnce(t *testing.T, opts receive.Options) (addr, dir string, result <-chan error) {
	t.Helper()
	opts.Once = true
	opts.Dir = t.TempDir()
	r := &receiver{log: &logBuffer{}, dir: opts.Dir}
	done, cancel := launch(t, opts, r)
	t.Cleanup(func() {
		cancel()
		if t.Failed() {
			t.Logf("receiver log:\n%s", r.log)
		}
	})
	return r.addr, opts.Dir, done
}

// TestOnceIsTheFirstTransfer: with Once, connections that fail their
// handshake do not count; Run returns the outcome of the first sender
// that completed it, soon after it ends, even while a silent connection
// is still in its handshake; later senders find nobody listening.
func TestOnceIsTheFirstTransfer(t *testing.T) {
	t.Parallel()
	probes := []struct {
		name  string
		probe func(t *testing.T, addr string)
	}{
		{"connect and close", func(t *testing.T, addr string) { dial(t, addr).Close() }},
		{"garbage", func(t *testing.T, addr string) {
			exchange(t, addr, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
		}},
		{"wrong version", func(t *testing.T, addr string) {
			exchange(t, addr, vectors.NewStream().Hello(7, 9, 0).Bytes())
		}},
		{"silent, still open", func(t *testing.T, addr string) { dial(t, addr) }},
	}
	for _, tc := range probes {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := quick()
			opts.HeaderTimeout = time.Minute // a silent probe must not hold Run
			addr, dir, result := runOnce(t, opts)
			tc.probe(t, addr)
			o := exchange(t, addr, vectors.NewStream().Hello1().File("real.txt", "the one transfer\n").End(1).Bytes())
			if o.summary == nil || o.summary.Committed != 1 {
				t.Fatalf("the real transfer after the probe: %v", o)
			}
			select {
			case err := <-result:
				if err != nil {
					t.Errorf("Run returned %v, want the transfer's outcome, nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return within 10 s of the transfer's end")
			}
			if b, err := os.ReadFile(filepath.Join(dir, "real.txt")); err != nil || string(b) != "the one transfer\n" {
				t.Errorf("real.txt: %q, %v", b, err)
			}
			if c, err := net.DialTimeout("tcp", addr, 5*time.Second); err == nil {
				c.Close()
				t.Error("still listening after the one transfer")
			}
		})
	}
}

// TestOnceOutcome: Run returns the first transfer's own outcome, here a
// refused file, not that of an earlier probe.
func TestOnceOutcome(t *testing.T) {
	t.Parallel()
	addr, dir, result := runOnce(t, quick())
	dial(t, addr).Close()
	if err := os.WriteFile(filepath.Join(dir, "taken"), []byte("already here"), 0o644); err != nil {
		t.Fatal(err)
	}
	exchange(t, addr, vectors.NewStream().Hello1().File("taken", "something else").End(1).Bytes())
	select {
	case err := <-result:
		if !errors.Is(err, receive.ErrRefused) {
			t.Errorf("Run returned %v, want ErrRefused", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10 s of the transfer's end")
	}
}
