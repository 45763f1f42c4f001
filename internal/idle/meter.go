package idle

import (
	"sync/atomic"
	"time"
)

// Progress is what a Conn's peer has sent so far: the bytes its reads
// returned, and how long its owner spent waiting in Read for them, the
// read in progress included. Time the owner spends elsewhere (writing to
// disk, say) is not counted: the peer cannot send faster than it is read.
// Two Progress values taken apart give the peer's rate while it was
// waited for.
type Progress struct {
	Bytes  uint64
	Waited time.Duration
}

// meter counts a Conn's Progress. Reads are serialised by the Conn's
// owner; Progress may be called from any goroutine.
type meter struct {
	bytes   atomic.Uint64
	waited  atomic.Int64 // nanoseconds spent in reads that returned
	reading atomic.Int64 // unix nanoseconds the read in progress began, 0 if none
}

// enter records the start of a read and returns it.
func (m *meter) enter() int64 {
	start := time.Now().UnixNano()
	m.reading.Store(start)
	return start
}

// leave records the end of a read that began at start and returned n
// bytes, and returns the time it ended.
func (m *meter) leave(start int64, n int) int64 {
	now := time.Now().UnixNano()
	m.bytes.Add(uint64(n))
	m.reading.Store(0)
	m.waited.Add(now - start)
	return now
}

// Progress returns what the peer has sent so far and how long it was
// waited for. Taken while a read is ending, Waited may lag by that read.
func (c *Conn) Progress() Progress {
	p := Progress{Bytes: c.meter.bytes.Load(), Waited: time.Duration(c.meter.waited.Load())}
	if start := c.meter.reading.Load(); start != 0 {
		p.Waited += time.Duration(max(time.Now().UnixNano()-start, 0))
	}
	return p
}
