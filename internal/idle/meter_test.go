package idle

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"
)

// TestMeter: Progress counts the bytes read and the time spent waiting in
// Read, the read in progress included, and not the time spent elsewhere.
func TestMeter(t *testing.T) {
	const gap = 100 * time.Millisecond
	forEach(t, func(t *testing.T, a, b net.Conn) {
		c := Watch(a, time.Minute)
		defer c.Close()
		if p := c.Progress(); p != (Progress{}) {
			t.Errorf("a new connection's progress is %+v, want zero", p)
		}
		go func() {
			time.Sleep(gap) // the peer is slow: the reader waits for it
			b.Write([]byte("abc"))
		}()
		if _, err := io.ReadFull(c, make([]byte, 3)); err != nil {
			t.Fatal(err)
		}
		p := c.Progress()
		if p.Bytes != 3 || p.Waited < gap || p.Waited > fireWithin {
			t.Errorf("after a read that waited %v for 3 bytes: %+v", gap, p)
		}
		time.Sleep(gap) // the owner is busy elsewhere: not waiting for the peer
		if q := c.Progress(); q != p {
			t.Errorf("progress moved while nobody read: %+v, then %+v", p, q)
		}
		done := readErr(c)
		waitFor(t, func() bool { return c.Progress().Waited >= p.Waited+gap })
		b.Write([]byte("d"))
		if err := waitErr(t, done, "read of one byte"); err != nil {
			t.Fatal(err)
		}
		if q := c.Progress(); q.Bytes != 4 {
			t.Errorf("after a fourth byte: %+v", q)
		}
	})
}

// waitFor polls cond until it holds, for at most fireWithin.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(fireWithin); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("a read in progress does not count as waiting")
		}
	}
}

// TestFail: Fail ends a blocked read at once with its cause, and later
// reads, writes and deadline changes too; it is not an expiry, and Grace
// still lets a last message through.
func TestFail(t *testing.T) {
	cause := errors.New("evicted")
	forEach(t, func(t *testing.T, a, b net.Conn) {
		c := Watch(a, time.Minute)
		defer c.Close()
		done := readErr(c)
		c.Fail(cause)
		if err := waitErr(t, done, "read on a failed connection"); !errors.Is(err, cause) {
			t.Errorf("read error %v, want the cause", err)
		}
		if c.Expired() {
			t.Error("Expired() = true after Fail")
		}
		if err := c.SetDeadline(time.Time{}); !errors.Is(err, cause) {
			t.Errorf("SetDeadline after Fail: %v, want the cause", err)
		}
		if _, err := c.Write([]byte("x")); !errors.Is(err, cause) {
			t.Errorf("write after Fail: %v, want the cause", err)
		}
		if err := c.Grace(fireWithin); err != nil {
			t.Fatal(err)
		}
		go io.ReadFull(b, make([]byte, 3))
		if _, err := c.Write([]byte("bye")); err != nil {
			t.Errorf("write within the grace period: %v", err)
		}
	})
}
