// Package idle closes a network connection on which nothing has moved for
// too long. Both ends of an ft transfer use it so that a dead peer or a
// silent blackhole never leaves anyone waiting forever.
package idle

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ErrTimeout is returned (wrapped) by reads and writes on a Conn that was
// closed because no byte moved in either direction for the timeout.
var ErrTimeout = errors.New("timed out")

// Conn is a net.Conn watched for progress. Any successful read or write of
// at least one byte, or a call to Touch, counts as progress.
type Conn struct {
	net.Conn
	timeout  time.Duration
	last     atomic.Int64 // unix nanoseconds of the last progress
	expired  atomic.Bool
	stopOnce sync.Once
	stop     chan struct{}
}

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
	for {
		select {
		case <-c.stop:
			return
		case now := <-tick.C:
			if now.UnixNano()-c.last.Load() > int64(c.timeout) {
				c.expired.Store(true)
				c.Conn.Close()
				return
			}
		}
	}
}

// Touch records progress made outside the connection, such as a long sync
// to disk, so that it does not count as idle time.
func (c *Conn) Touch() { c.last.Store(time.Now().UnixNano()) }

// Expired reports whether the connection was closed for idleness.
func (c *Conn) Expired() bool { return c.expired.Load() }

// Read reads from the connection and records progress.
func (c *Conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.Touch()
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
	if err != nil && c.expired.Load() {
		return fmt.Errorf("%w: no progress for %v: %w", ErrTimeout, c.timeout, err)
	}
	return err
}
