package receive

import (
	"container/list"
	"net"
	"net/netip"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// The rule for connections before their handshake. Per address (an IPv4
// address, or the /64 of an IPv6 one: what one machine on a LAN has): at
// most gateOpen of them in their handshake at once, and handshakes that
// fail (a wrong credential, garbage, silence until HeaderTimeout, or
// evicted, below) cost a token of a bucket of gateBurst that refills at
// gateRate per second; an address with more open, or no token left, is
// refused as busy at accept, unread. In all, at most maxHandshakes are in
// their handshake: when that many are, the one that came first (an honest
// sender's handshake takes a round trip) is closed to make room for the
// newcomer. So idle sockets, from one address or many, cannot keep a
// sender out or make the receiver spend more than a trickle of
// handshakes on them, while senders that succeed are never slowed.
const (
	maxHandshakes = 1024
	gateOpen      = 32
	gateBurst     = 64
	gateRate      = 16
	gateTracked   = 8192 // addresses remembered at most (each a few dozen bytes)
)

// gate keeps the state of that rule. The zero value is ready.
type gate struct {
	mu    sync.Mutex
	addrs map[netip.Prefix]*gateAddr
	order list.List // of the evict funcs of the connections in their handshake, the oldest first
}

// gateAddr is one address's connections in their handshake and its bucket.
type gateAddr struct {
	open   int
	failed *rate.Limiter
}

// enter admits a connection from addr to its handshake, or reports false
// (and then it must be refused). leave ends its handshake, failed or not.
// evict is called (under the gate's lock: it must not block) if the
// connection is closed to make room for a newer one; its leave is still
// to be called.
func (g *gate) enter(addr net.Addr, now time.Time, evict func()) (leave func(failed bool), ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	a := g.addrOf(addr, now)
	if a == nil || a.open >= gateOpen || a.failed.TokensAt(now) < 1 {
		return nil, false
	}
	if g.order.Len() >= maxHandshakes {
		g.order.Remove(g.order.Front()).(func())()
	}
	a.open++
	el := g.order.PushBack(evict)
	return func(failed bool) {
		g.mu.Lock()
		defer g.mu.Unlock()
		g.order.Remove(el) // a no-op if it was evicted
		a.open--
		if failed {
			a.failed.AllowN(time.Now(), 1)
		}
	}, true
}

// addrOf returns the state of addr's machine, nil if there is no room to
// remember one more address; one that is not TCP shares a state.
func (g *gate) addrOf(addr net.Addr, now time.Time) *gateAddr {
	key := gateKey(addr)
	a := g.addrs[key]
	if a == nil {
		if g.addrs == nil {
			g.addrs = make(map[netip.Prefix]*gateAddr)
		}
		if len(g.addrs) >= gateTracked && !g.forget(now) {
			return nil // too many addresses at once: refuse new ones until some are forgotten
		}
		a = &gateAddr{failed: rate.NewLimiter(gateRate, gateBurst)}
		g.addrs[key] = a
	}
	return a
}

// forget drops the addresses with no handshake open and a full bucket,
// and reports whether there is room for one more.
func (g *gate) forget(now time.Time) bool {
	for k, a := range g.addrs {
		if a.open == 0 && a.failed.TokensAt(now) >= gateBurst {
			delete(g.addrs, k)
		}
	}
	return len(g.addrs) < gateTracked
}

// gateKey is the key of addr's machine: its IPv4 address, or its IPv6
// /64; the zero Prefix for an address that is not TCP.
func gateKey(addr net.Addr) netip.Prefix {
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return netip.Prefix{}
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return netip.Prefix{}
	}
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}
