//go:build linux

package main

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// cpuRun is a good run with CPU readings of both ends.
func cpuRun(caseKey, tool string, round int, secs, send, recv float64) record {
	return record{Round: round, Case: caseKey, Tool: tool, OK: true, Seconds: secs, SendCPU: send, RecvCPU: recv}
}

func TestFloors(t *testing.T) {
	c := costs{cores: 2, hash: map[string]float64{"big": 0.25, "small": 0.1}}
	bad := cpuRun("big/tmpfs/nosync", "nc", 1, 0.2, 0.01, 0.01)
	bad.OK = false
	recs := []record{
		cpuRun("big/tmpfs/nosync", "raw", 1, 0.7, 0.3, 0.7),
		cpuRun("big/tmpfs/nosync", "socat", 1, 0.5, 0.5, 0.5), // least: sender 0.3 (raw), receiver 0.5 (socat)
		bad, // a failed run does not count
		cpuRun("big/tmpfs/nosync", "raw-b3", 1, 0.9, 0.1, 0.1), // hashes: not a mover
		cpuRun("big/tmpfs/nosync", "ft", 1, 0.9, 0.1, 0.1),
		cpuRun("big/tmpfs/nosync", "socat", 2, 0.5, 0.4, 0.6),
		cpuRun("big/disk/nosync", "nc", 1, 1, 0, 0.5),         // no sender reading: no floor
		cpuRun("tree/tmpfs/nosync", "raw", 1, 1, 0.5, 0.5),    // no hash cost for tree: no floor
		cpuRun("small/tmpfs/durable", "nc", 3, 1, 0.25, 0.35), // (0.6 + 0.2) / 2
	}
	want := map[string]float64{
		"big/tmpfs/nosync/1":    (0.3 + 0.5 + 0.5) / 2,
		"big/tmpfs/nosync/2":    (0.4 + 0.6 + 0.5) / 2,
		"small/tmpfs/durable/3": 0.4,
	}
	got := floors(recs, c)
	if len(got) != len(want) {
		t.Errorf("floors %v, want %v", got, want)
	}
	for k, w := range want {
		if math.Abs(got[k]-w) > 1e-9 {
			t.Errorf("floor of %s: %.4f, want %.4f", k, got[k], w)
		}
	}
	if n := len(floors(recs, costs{hash: c.hash})); n != 0 {
		t.Errorf("%d floors without a core count", n)
	}
}

func TestOutOfReach(t *testing.T) {
	faster := &goal{limit: 1, strict: true}
	atMost := &goal{limit: 0.7}
	for _, tc := range []struct {
		g     *goal
		floor float64
		want  bool
	}{
		{faster, 0, false}, // unknown
		{faster, 0.99, false},
		{faster, 1, true}, // even a tool at the floor only ties
		{atMost, 0.7, false},
		{atMost, 0.71, true},
	} {
		if got := (goalResult{g: tc.g, floor: tc.floor}).outOfReach(); got != tc.want {
			t.Errorf("limit %v strict %v floor %v: out of reach %v, want %v", tc.g.limit, tc.g.strict, tc.floor, got, tc.want)
		}
	}
}

func TestGoalFloor(t *testing.T) {
	c := costs{cores: 2, hash: map[string]float64{"big": 0.25}}
	recs := []record{
		cpuRun("big/tmpfs/nosync", "ft", 1, 0.9, 0.8, 0.9),
		cpuRun("big/tmpfs/nosync", "socat", 1, 0.5, 0.45, 0.5), // floor (0.45+0.5+0.5)/2 = 0.725
		cpuRun("big/tmpfs/nosync", "ft", 2, 0.9, 0.8, 0.9),
		cpuRun("big/tmpfs/nosync", "socat", 2, 0.6, 0.45, 0.5), // 0.725 / 0.6
	}
	for _, r := range checkGoals(recs, c) {
		if r.g.peer != "socat" {
			continue
		}
		want := (0.725/0.5 + 0.725/0.6) / 2
		if math.Abs(r.floor-want) > 1e-9 || !r.outOfReach() || r.met() {
			t.Errorf("floor ratio %.4f (want %.4f), out of reach %v, met %v", r.floor, want, r.outOfReach(), r.met())
		}
		return
	}
	t.Fatal("no result for the socat goal")
}

func TestHashBatch(t *testing.T) {
	dir := t.TempDir()
	sizes := []int64{100, 600 << 10, 600 << 10, hashChunk*2 + 5, 0, 1}
	var entries []digestEntry
	for i, n := range sizes {
		p := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(p, make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
		entries = append(entries, digestEntry{path: p, size: n})
	}
	buf := make([]byte, hashChunk)
	var batches []int
	for i := 0; i < len(entries); {
		n, took, err := hashBatch(entries[i:], buf)
		if err != nil || n < 1 || took < 0 {
			t.Fatalf("batch at %d: %d files, %v, %v", i, n, took, err)
		}
		batches = append(batches, n)
		i += n
	}
	// 100 B + 600 KiB fit in one chunk, the next 600 KiB does not; the large
	// file goes alone; the empty and the 1 B file share the last.
	if want := []int{2, 1, 1, 2}; !slices.Equal(batches, want) {
		t.Errorf("batches %v, want %v", batches, want)
	}
	short := []digestEntry{{path: entries[0].path, size: 200}} // the file has 100 bytes
	if _, _, err := hashBatch(short, buf); err == nil || !strings.Contains(err.Error(), entries[0].path) {
		t.Errorf("a file shorter than listed: %v", err)
	}
	large := []digestEntry{{path: entries[2].path, size: hashChunk * 3}}
	if _, _, err := hashBatch(large, buf); err == nil {
		t.Error("a large file shorter than listed: no error")
	}
	if secs, err := hashCost(dir, 2); err != nil || secs <= 0 || math.IsInf(secs, 0) {
		t.Errorf("hashCost: %v, %v", secs, err)
	}
	if _, err := hashCost(filepath.Join(dir, "missing"), 1); err == nil {
		t.Error("hashCost of a missing path: no error")
	}
}
