//go:build unix

package main

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// faultProxy is a loopback TCP proxy between a real sender and a real
// receiver that can slow the data down, hold it (a blackhole: connections
// stay open, nothing moves) or reset both ends. It lets the fault tests
// catch a transfer mid-file without root.
type faultProxy struct {
	ln     net.Listener
	target string
	rate   int64 // bytes per second towards the receiver; 0 for no limit

	mu     sync.Mutex
	cond   *sync.Cond
	held   bool
	closed bool
	resets atomic.Bool // resetAll is under way: errors are not passed on
	conns  []*net.TCPConn
	wg     sync.WaitGroup
	upload atomic.Int64 // bytes forwarded towards the receiver
}

// startProxy listens on loopback and forwards every connection to target.
func startProxy(t *testing.T, target string, rate int64) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, rate: rate}
	p.cond = sync.NewCond(&p.mu)
	p.wg.Go(p.accept)
	t.Cleanup(p.close)
	return p
}

// addr is where senders should connect.
func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", p.target, 10*time.Second)
		if err != nil {
			c.Close()
			continue
		}
		a, b := c.(*net.TCPConn), up.(*net.TCPConn)
		if !p.track(a, b) {
			return
		}
		upDone, downDone := make(chan struct{}), make(chan struct{})
		p.wg.Go(func() { defer close(upDone); p.pipe(b, a, p.rate, &p.upload, downDone) })
		p.wg.Go(func() { defer close(downDone); p.pipe(a, b, 0, nil, upDone) })
	}
}

// track records a new pair of connections, unless the proxy is closed.
func (p *faultProxy) track(cs ...*net.TCPConn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	p.conns = append(p.conns, cs...)
	return true
}

// pipe copies from src to dst in small chunks, pacing them to rate and
// waiting while the proxy holds. EOF is passed on as a half-close, any
// other error as a reset after what was already forwarded. A failed write
// resets src once the other direction (done) has passed on what it had.
func (p *faultProxy) pipe(dst, src *net.TCPConn, rate int64, count *atomic.Int64, done <-chan struct{}) {
	buf := make([]byte, 16<<10)
	start, sent := time.Now(), int64(0)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitReleased() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				<-done
				reset(src)
				return
			}
			sent += int64(n)
			if count != nil {
				count.Add(int64(n))
			}
			if rate > 0 {
				due := start.Add(time.Duration(sent * int64(time.Second) / rate))
				time.Sleep(time.Until(due)) // deliberate pacing of the link
			}
		}
		if p.resets.Load() {
			return
		}
		if err == io.EOF {
			dst.CloseWrite()
			return
		}
		if err != nil {
			dst.CloseWrite() // what was forwarded goes out before the reset
			reset(dst)
			return
		}
	}
}

// waitReleased blocks while the proxy holds; false means it was closed.
func (p *faultProxy) waitReleased() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.held && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

// hold stops all forwarding; the connections stay open: a blackhole.
// Calling release lets held data flow again.
func (p *faultProxy) hold() (release func()) {
	p.mu.Lock()
	p.held = true
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.held = false
		p.cond.Broadcast()
		p.mu.Unlock()
	}
}

// resetAll resets every connection on both sides, as a middlebox would.
func (p *faultProxy) resetAll() {
	p.resets.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		reset(c)
	}
}

// reset closes c with SO_LINGER 0, which sends a TCP RST.
func reset(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	p.closed = true
	for _, c := range p.conns {
		c.Close()
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	p.wg.Wait()
}
