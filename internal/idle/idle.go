// Package idle fails the reads and writes of a network connection on which
// nothing has moved for too long. Both ends of an ft transfer use it so that
// a dead peer or a silent blackhole never leaves anyone waiting forever.
package idle

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrTimeout is returned (wrapped) by reads and writes on a Conn that
// expired because no byte moved in either direction for the timeout.
var ErrTimeout = errors.New("timed out")

// Conn is a net.Conn watched for progress. Any successful read or write of
// at least one byte, bytes acknowledged or received by the kernel (where it
// tells, as Linux does for TCP), or a call to Touch, counts as progress. When it
// expires, its blocked and later reads and writes fail with ErrTimeout, but
// it stays open until Close, so that its owner can still tell the peer why
// (see Grace).
type Conn struct {
	net.Conn
	timeout  time.Duration
	last     atomic.Int64 // unix nanoseconds of the last progress
	mu       sync.Mutex   // orders deadline changes against expiry
	expired  atomic.Bool
	cause    atomic.Pointer[error] // set by Fail
	stopOnce sync.Once
	stop     chan struct{}
	meter    meter
}

// past is a deadline long gone: setting it wakes blocked reads and writes.
var past = time.Unix(1, 0)

// Watch starts watching c. A timeout of zero or less disables the watch.
// Close stops it.
func Watch(c net.Conn, timeout time.Duration) *Conn {
	ic := &Conn{Conn: c, timeout: timeout, stop: make(chan struct{})}
	ic.Touch()
	if timeout > 0 {
		go ic.watch()
	}
	return ic
}

func (c *Conn) watch() {
	tick := time.NewTicker(max(c.timeout/8, 10*time.Millisecond))
	defer tick.Stop()
	seen, _ := kernelProgress(c.Conn)
	for {
		select {
		case <-c.stop:
			return
		case now := <-tick.C:
			// A write blocked on a slow link moves bytes long before it returns.
			if n, ok := kernelProgress(c.Conn); ok && n != seen {
				seen = n
				c.Touch()
				continue
			}
			if now.UnixNano()-c.last.Load() > int64(c.timeout) {
				c.expire()
				return
			}
		}
	}
}

// expire marks the connection expired and fails its reads and writes.
func (c *Conn) expire() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.expired.Store(true)
	c.Conn.SetDeadline(past)
}

// Fail makes the connection's blocked and later reads and writes fail at
// once, their errors wrapping cause, as if it had expired (Expired stays
// false). Like an expired one it stays open until Close, and Grace still
// lets its owner send a last message.
func (c *Conn) Fail(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cause.Store(&cause)
	c.Conn.SetDeadline(past)
}

// SetDeadline sets the read and write deadlines, unless the connection
// has expired or failed: then it keeps failing and SetDeadline returns
// ErrTimeout or the cause given to Fail.
func (c *Conn) SetDeadline(t time.Time) error { return c.setDeadline(c.Conn.SetDeadline, t) }

// SetReadDeadline is like SetDeadline for reads only.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.setDeadline(c.Conn.SetReadDeadline, t) }

// SetWriteDeadline is like SetDeadline for writes only.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.setDeadline(c.Conn.SetWriteDeadline, t) }

func (c *Conn) setDeadline(set func(time.Time) error, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expired.Load() {
		return fmt.Errorf("%w: no progress for %v", ErrTimeout, c.timeout)
	}
	if cause := c.cause.Load(); cause != nil {
		return *cause
	}
	return set(t)
}

// Grace lets writes run for d more, even on an expired connection, so that
// its owner can send a last message before closing it.
func (c *Conn) Grace(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Conn.SetWriteDeadline(time.Now().Add(d))
}

// CloseWrite half-closes the connection if the underlying one can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// Touch records progress made outside the connection, such as a long sync
// to disk, so that it does not count as idle time.
func (c *Conn) Touch() { c.last.Store(time.Now().UnixNano()) }

// Acked returns how many of the bytes written the peer has acknowledged,
// where the kernel tells (Linux); false elsewhere.
func (c *Conn) Acked() (uint64, bool) { return kernelAcked(c.Conn) }

// Expired reports whether the connection was closed for idleness.
func (c *Conn) Expired() bool { return c.expired.Load() }

// Read reads from the connection and records progress; it counts the
// bytes and the time it waited for them (see Progress).
func (c *Conn) Read(p []byte) (int, error) {
	start := c.meter.enter()
	n, err := c.Conn.Read(p)
	now := c.meter.leave(start, n)
	if n > 0 {
		c.last.Store(now)
	}
	return n, c.wrap(err)
}

// Write writes to the connection and records progress.
func (c *Conn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	if n > 0 {
		c.Touch()
	}
	return n, c.wrap(err)
}

// Close stops the watch and closes the connection.
func (c *Conn) Close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	return c.Conn.Close()
}

func (c *Conn) wrap(err error) error {
	if err == nil {
		return nil
	}
	if c.expired.Load() {
		return fmt.Errorf("%w: no progress for %v: %w", ErrTimeout, c.timeout, err)
	}
	if cause := c.cause.Load(); cause != nil {
		return fmt.Errorf("%w: %w", *cause, err)
	}
	return err
}
