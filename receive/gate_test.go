package receive

import (
	"net"
	"testing"
	"time"
)

func tcpAddr(ip string) net.Addr { return &net.TCPAddr{IP: net.ParseIP(ip), Port: 40000} }

// TestGateOpenPerAddress: one address has at most gateOpen connections in
// their handshake; another address, or the same once one left, is let in.
// IPv6 addresses of one /64 count as one.
func TestGateOpenPerAddress(t *testing.T) {
	for _, tc := range []struct{ a, sameMachine, other string }{
		{"192.0.2.1", "::ffff:192.0.2.1", "192.0.2.2"},
		{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:3::1"},
	} {
		var g gate
		now := time.Now()
		var leaves []func(bool)
		for i := range gateOpen {
			leave, ok := g.enter(tcpAddr(tc.a), now, func() {})
			if !ok {
				t.Fatalf("%s: connection %d refused, want %d let in", tc.a, i, gateOpen)
			}
			leaves = append(leaves, leave)
		}
		if _, ok := g.enter(tcpAddr(tc.sameMachine), now, func() {}); ok {
			t.Errorf("%s: connection %d let in", tc.sameMachine, gateOpen+1)
		}
		if _, ok := g.enter(tcpAddr(tc.other), now, func() {}); !ok {
			t.Errorf("%s refused because of %s", tc.other, tc.a)
		}
		leaves[0](false)
		if _, ok := g.enter(tcpAddr(tc.a), now, func() {}); !ok {
			t.Errorf("%s: refused after one of its connections left", tc.a)
		}
	}
}

// TestGateFailures: failed handshakes use up an address's bucket, which
// refills at gateRate; handshakes that succeed cost nothing.
func TestGateFailures(t *testing.T) {
	var g gate
	now := time.Now()
	for range 10 * gateBurst {
		leave, ok := g.enter(tcpAddr("192.0.2.7"), now, func() {})
		if !ok {
			t.Fatal("a sender whose handshakes succeed was refused")
		}
		leave(false)
	}
	for i := range gateBurst {
		leave, ok := g.enter(tcpAddr("192.0.2.8"), now, func() {})
		if !ok {
			t.Fatalf("refused after %d failed handshakes, want %d allowed", i, gateBurst)
		}
		leave(true)
	}
	if _, ok := g.enter(tcpAddr("192.0.2.8"), time.Now(), func() {}); ok {
		t.Errorf("let in after %d failed handshakes in a row", gateBurst)
	}
	if _, ok := g.enter(tcpAddr("192.0.2.8"), time.Now().Add(time.Second), func() {}); !ok {
		t.Errorf("still refused a second later (the bucket refills %d per second)", gateRate)
	}
}

// TestGateTracked: the addresses remembered are bounded; those with
// nothing open and a full bucket are forgotten to make room.
func TestGateTracked(t *testing.T) {
	var g gate
	now := time.Now()
	addr := func(i int) net.Addr { return tcpAddr(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String()) }
	leaves := make([]func(bool), gateTracked)
	for i := range gateTracked {
		var ok bool
		if leaves[i], ok = g.enter(addr(i), now, func() {}); !ok {
			t.Fatalf("address %d refused", i)
		}
	}
	if _, ok := g.enter(addr(gateTracked), now, func() {}); ok {
		t.Fatalf("address %d let in while %d are open", gateTracked+1, gateTracked)
	}
	leaves[0](false)
	if _, ok := g.enter(addr(gateTracked), now, func() {}); !ok {
		t.Fatal("a new address refused after an idle one could be forgotten")
	}
	if len(g.addrs) > gateTracked {
		t.Fatalf("%d addresses remembered, bound %d", len(g.addrs), gateTracked)
	}
}

// TestGateEvictsOldest: with maxHandshakes in their handshake, a newcomer
// closes the one that came first, and only that one.
func TestGateEvictsOldest(t *testing.T) {
	var g gate
	now := time.Now()
	evicted := make([]bool, maxHandshakes+1)
	leaves := make([]func(bool), maxHandshakes+1)
	for i := range maxHandshakes + 1 {
		var ok bool
		ip := net.IPv4(10, 1, byte(i>>8), byte(i)).String()
		if leaves[i], ok = g.enter(tcpAddr(ip), now, func() { evicted[i] = true }); !ok {
			t.Fatalf("connection %d refused", i)
		}
	}
	for i, e := range evicted {
		if e != (i == 0) {
			t.Errorf("connection %d evicted: %v", i, e)
		}
	}
	leaves[0](true) // its handshake fails, as it does once closed
	if g.order.Len() != maxHandshakes {
		t.Errorf("%d in their handshake, want %d", g.order.Len(), maxHandshakes)
	}
}
