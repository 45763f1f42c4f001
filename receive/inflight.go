package receive

import (
	"path"
	"sync"
)

// inflight counts the names of the entries that the reading goroutine has
// handed to the writing lanes or the committer and that are not placed
// yet. Before the reader places an entry itself (a directory, or the
// parents of a file) under such a name or below one, it waits for them
// (session.inOrder): entries of one name are placed in stream order. The
// set is bounded by what the lanes and the committer hold at once.
type inflight struct {
	mu    sync.Mutex
	idle  sync.Cond
	names map[string]int
}

func newInflight() *inflight {
	f := &inflight{names: make(map[string]int)}
	f.idle.L = &f.mu
	return f
}

// add counts name as on its way.
func (f *inflight) add(name string) {
	f.mu.Lock()
	f.names[name]++
	f.mu.Unlock()
}

// done counts name as placed (or refused).
func (f *inflight) done(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.names[name]--; f.names[name] <= 0 {
		delete(f.names, name)
	}
	if len(f.names) == 0 {
		f.idle.Broadcast()
	}
}

// covers reports whether name or a directory above it is on its way.
func (f *inflight) covers(name string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.names) == 0 {
		return false
	}
	for d := name; d != "." && d != "/"; d = path.Dir(d) {
		if f.names[d] > 0 {
			return true
		}
	}
	return false
}

// wait returns once nothing is on its way.
func (f *inflight) wait() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for len(f.names) > 0 {
		f.idle.Wait()
	}
}
