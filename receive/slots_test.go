package receive_test

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/testnet"
	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
)

// The transfer slots under a flood of dribbling connections (issue 14
// item 2): a new sender takes the slot of the slowest connection, unless
// its own address already holds half of the slots.

// flooder is the address the dribbling connections come from; real
// senders come from 127.0.0.1.
const flooder = "127.0.0.2"

// dialFrom connects to addr from the local IP from (testnet.DialFrom),
// with a deadline of a minute.
func dialFrom(t *testing.T, from, addr string) net.Conn {
	t.Helper()
	c := testnet.DialFrom(t, from, addr)
	c.SetDeadline(time.Now().Add(60 * time.Second))
	return c
}

// trickle takes a slot from flooder with a 1 MiB file (a temp file is
// made for it) and then sends its body one byte every 200 ms on its own
// goroutine, for at most 60 s or until the connection fails. It returns
// how the handshake went.
func trickle(t *testing.T, addr string, name string) error {
	t.Helper()
	c := dialFrom(t, flooder, addr)
	stream := vectors.NewStream().Hello1().FileEntry(name, vectors.ModeFile, vectors.MTime, 1<<20).Bytes()
	if _, err := c.Write(stream); err != nil {
		return err
	}
	if _, err := protocol.ReadAccept(bufio.NewReader(c), protocol.DefaultHello()); err != nil {
		return err
	}
	go dribble(c, make([]byte, 300), 200*time.Millisecond)
	return nil
}

// isBusy reports whether err is the receiver's busy refusal.
func isBusy(err error) bool {
	var remote *protocol.RemoteError
	return errors.As(err, &remote) && remote.Code == protocol.CodeBusy
}

// sendUntilServed sends a size-byte file from 127.0.0.1, again while the
// receiver answers busy (every 100 ms, for at most limit), and returns
// how long it took until the file was confirmed.
func sendUntilServed(t *testing.T, r *receiver, name string, size int, limit time.Duration) time.Duration {
	t.Helper()
	stream := vectors.NewStream().Hello1().File(name, string(randomBytes(t, size))).End(1).Bytes()
	start := time.Now()
	for attempt := 0; time.Since(start) < limit && attempt < 300; attempt++ {
		o := exchange(t, r.addr, stream)
		if o.summary != nil && o.summary.Committed == 1 {
			return time.Since(start)
		}
		if !isBusy(o.err) {
			t.Fatalf("attempt %d: %v\nreceiver log:\n%s", attempt, o, r.log)
		}
		time.Sleep(100 * time.Millisecond) // a sender's pause before it tries again
	}
	t.Fatalf("%s: still busy after %v", name, limit)
	return 0
}

// TestSlotsUnderFlood: with every slot held by a connection dribbling one
// byte every 200 ms, a real 100 MiB transfer is served within 30 s; the
// connection it evicts leaves no temp file. A newcomer from the flooding
// address, which holds every slot, is refused as busy instead of evicting.
func TestSlotsUnderFlood(t *testing.T) {
	t.Parallel()
	const maxConns = receive.DefaultMaxConns // 64
	opts := quick()
	opts.MaxConns = maxConns
	opts.IdleTimeout = 20 * time.Second // longer than the test: only eviction frees a slot
	r := startReceiver(t, opts)
	for i := range maxConns {
		if err := trickle(t, r.addr, fmt.Sprintf("trickle-%d", i)); err != nil {
			t.Fatalf("trickler %d: %v", i, err)
		}
	}
	took := sendUntilServed(t, r, "real.bin", 100<<20, 30*time.Second)
	t.Logf("served after %v under a flood of %d dribbling connections", took, maxConns)
	waitFor(t, 10*time.Second, "the evicted connection's temp file to go", func() bool {
		return len(tempFiles(t, r.dir)) == maxConns-1
	})

	// The real sender's slot frees once its connection has closed: one
	// more trickler fills it.
	waitFor(t, 10*time.Second, "a trickler to take the real sender's slot", func() bool {
		err := trickle(t, r.addr, "trickle-again")
		if err != nil && !isBusy(err) {
			t.Fatalf("trickler after the real transfer: %v", err)
		}
		return err == nil
	})
	c := dialFrom(t, flooder, r.addr)
	c.Write(vectors.NewStream().Hello1().Bytes())
	if _, err := protocol.ReadAccept(bufio.NewReader(c), protocol.DefaultHello()); !isBusy(err) {
		t.Errorf("a newcomer from the address holding every slot: %v, want busy", err)
	}
	sendUntilServed(t, r, "real-2.bin", 1<<20, 30*time.Second)
	waitLog(t, r, 0, "evicted")
}
