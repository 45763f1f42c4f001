package receive

import (
	"context"
	"net"
	"sync"
	"time"

	"github.com/ft-team/ft/internal/idle"
)

// The rule for the transfer slots, so that connections that dribble
// cannot hold them all (README, "ft receive"): a connection is slow when,
// over the last paceWindow the receiver spent waiting for it to send (at
// least paceJudge of it), it sent less than paceMin bytes per paceWindow.
// When every slot is taken, a sender that completes its handshake takes
// the slot of the slowest slow connection, which ends with error code
// busy, unless the newcomer's address already holds half of the slots or
// more: one address cannot churn through them all.
const (
	paceWindow = 10 * time.Second
	paceMin    = 64 << 10
	paceJudge  = time.Second
	paceTick   = time.Second // how often each holder's progress is sampled
	paceRing   = int(paceWindow / paceTick)
)

// slotTable hands out the MaxConns transfer slots. Its zero value is an
// empty table; sample keeps the holders' recent progress.
type slotTable struct {
	mu   sync.Mutex
	held map[*holder]struct{}
}

// holder is a connection that holds (or asks for) a slot.
type holder struct {
	host  string     // the peer's address without its port
	conn  *idle.Conn // measured: see idle.Progress
	evict func()     // ends the connection, from another goroutine

	start idle.Progress           // when it took its slot
	ring  [paceRing]idle.Progress // samples every paceTick, oldest at n%paceRing once full
	n     int                     // samples taken
}

// newHolder returns a holder for conn, from peer, ended by evict.
func newHolder(conn *idle.Conn, evict func()) *holder {
	host, _, err := net.SplitHostPort(conn.RemoteAddr().String())
	if err != nil {
		host = conn.RemoteAddr().String()
	}
	return &holder{host: host, conn: conn, evict: evict}
}

// rate returns the bytes the holder sent per second of waiting for it
// over the last paceWindow (since it took its slot, if later), and
// whether it was waited for long enough to be judged.
func (h *holder) rate() (float64, bool) {
	base := h.start
	if h.n >= paceRing {
		base = h.ring[h.n%paceRing]
	}
	now := h.conn.Progress()
	waited := now.Waited - base.Waited
	if waited < paceJudge {
		return 0, false
	}
	return float64(now.Bytes-base.Bytes) / waited.Seconds(), true
}

// slow is the rate under which a connection may lose its slot.
const slow = float64(paceMin) / float64(paceWindow/time.Second)

// acquire gives h one of max slots, if one is free or can be taken from
// a slow connection (which it then evicts); it reports whether h got one.
func (st *slotTable) acquire(h *holder, max int) bool {
	st.mu.Lock()
	if st.held == nil {
		st.held = make(map[*holder]struct{})
	}
	h.start = h.conn.Progress()
	if len(st.held) < max {
		st.held[h] = struct{}{}
		st.mu.Unlock()
		return true
	}
	victim := st.victim(h, max)
	if victim != nil {
		delete(st.held, victim)
		st.held[h] = struct{}{}
	}
	st.mu.Unlock()
	if victim == nil {
		return false
	}
	victim.evict()
	return true
}

// victim returns the slowest slow holder, or nil if there is none or the
// newcomer's address holds half of the max slots or more; mu is held.
func (st *slotTable) victim(newcomer *holder, max int) *holder {
	var (
		worst    *holder
		lowest   = slow
		sameHost int
	)
	for h := range st.held {
		if h.host == newcomer.host {
			sameHost++
		}
		if r, ok := h.rate(); ok && r < lowest {
			worst, lowest = h, r
		}
	}
	if 2*sameHost >= max {
		return nil
	}
	return worst
}

// release gives h's slot back, unless h was evicted.
func (st *slotTable) release(h *holder) {
	st.mu.Lock()
	delete(st.held, h)
	st.mu.Unlock()
}

// sample records every holder's progress each paceTick until ctx is done.
func (st *slotTable) sample(ctx context.Context) {
	tick := time.NewTicker(paceTick)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st.mu.Lock()
		for h := range st.held {
			h.ring[h.n%paceRing] = h.conn.Progress()
			h.n++
		}
		st.mu.Unlock()
	}
}
