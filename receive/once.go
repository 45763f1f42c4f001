package receive

import (
	"net"
	"sync"
)

// onceGate picks the one transfer of Options.Once: the first connection
// that completes its handshake. Connections that fail theirs (port scans,
// health checks, garbage) are logged like any other and do not count.
type onceGate struct {
	ln      net.Listener // closed when the transfer is picked
	outcome chan error   // the transfer's outcome, once it ended

	mu     sync.Mutex
	winner net.Conn // the transfer's connection, nil until picked
}

func newOnceGate() *onceGate { return &onceGate{outcome: make(chan error, 1)} }

// take makes conn the transfer, if none was picked yet, and stops
// listening; it reports whether conn is the transfer. A nil gate (no
// Once) takes every connection.
func (g *onceGate) take(conn net.Conn) bool {
	if g == nil {
		return true
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.winner != nil {
		return false
	}
	g.winner = conn
	if g.ln != nil {
		g.ln.Close()
	}
	return true
}

// taken reports whether the transfer was picked.
func (g *onceGate) taken() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.winner != nil
}

// ended records the outcome of conn, which has ended, if it was the
// transfer. A nil gate does nothing.
func (g *onceGate) ended(conn net.Conn, err error) {
	if g == nil {
		return
	}
	g.mu.Lock()
	won := g.winner == conn
	g.mu.Unlock()
	if won {
		g.outcome <- err
	}
}
