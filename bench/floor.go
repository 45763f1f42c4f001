//go:build linux

package main

import (
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/zeebo/blake3"
)

// A target can be out of reach on this machine whatever a tool does. Both
// ends share the machine's cores, so a transfer takes at least the CPU work
// it must do over the number of cores. A tool that checks every byte end to
// end must move the bytes, which costs at least what the cheapest tool that
// moves them without hashing spent in the same round (the sender's and the
// receiver's least taken apart), and must hash every byte at both ends,
// which costs at least what one core takes to hash the workload with the
// bytes in memory. That sum over the cores is the floor of a round; where
// the floor over the peer's time is past a target's bound, no verifying
// tool meets the target here. It assumes no way of moving the bytes is
// cheaper than the cheapest tool measured: sending with sendfile(2) and
// receiving with splice(2) were measured no cheaper for a hashed transfer
// (branch exp/zero-copy-pair).

// movers are the tools that move the bytes without hashing them.
var movers = []string{"raw", "nc", "socat"}

// costs is what the floors of a run are made of.
type costs struct {
	cores int                // that both ends share
	hash  map[string]float64 // workload key -> seconds one core takes to hash it
}

// floors returns the floor of every case and round that has one, keyed
// case/round, in seconds.
func floors(recs []record, c costs) map[string]float64 {
	out := map[string]float64{}
	if c.cores <= 0 {
		return out
	}
	send, recv := map[string]float64{}, map[string]float64{}
	for _, rec := range recs {
		if !rec.OK || rec.SendCPU <= 0 || rec.RecvCPU <= 0 || !slices.Contains(movers, rec.Tool) {
			continue
		}
		k := fmt.Sprint(rec.Case, "/", rec.Round)
		if s, ok := send[k]; !ok || rec.SendCPU < s {
			send[k] = rec.SendCPU
		}
		if r, ok := recv[k]; !ok || rec.RecvCPU < r {
			recv[k] = rec.RecvCPU
		}
	}
	for k, s := range send {
		work, _, _ := strings.Cut(k, "/")
		if h := c.hash[work]; h > 0 {
			out[k] = (s + recv[k] + 2*h) / float64(c.cores)
		}
	}
	return out
}

// floorNote explains the floor columns of the targets table.
func floorNote(c costs) string {
	if c.cores <= 0 || len(c.hash) == 0 {
		return "No floor: the run recorded no hash cost or no core count (runs before the floor was measured).\n\n"
	}
	var hs []string
	for _, k := range []string{"big", "tree", "small"} {
		if h, ok := c.hash[k]; ok {
			hs = append(hs, fmt.Sprintf("%s %.3f s", k, h))
		}
	}
	return fmt.Sprintf("Floor: the least time any tool that checks every byte with BLAKE3 at both ends could take here, per round: "+
		"the least CPU seconds that the tools moving the bytes without hashing them (%s) spent in the same round and case, "+
		"the sender's and the receiver's least taken apart, plus twice the time one core takes to hash the workload "+
		"(measured before the rounds: the hash alone, bytes in memory, the BLAKE3 library ft uses; %s), "+
		"over the %d cores both ends share. Where the floor over the peer's time is past the bound, no tool that verifies "+
		"every byte meets the target on this machine. It assumes no way of moving the bytes costs less CPU than the "+
		"cheapest tool measured (zero-copy sending and receiving measured no cheaper for a hashed transfer). "+
		"\"–\": no floor (no mover with CPU readings in those rounds).\n\n", strings.Join(movers, ", "), strings.Join(hs, ", "), c.cores)
}

// hashPasses is how many times hashCost hashes a workload; the best counts.
const hashPasses = 3

// costs returns the floor's makings of this run: runtime.NumCPU is the
// cores, as in the report's machine line.
func (h *harness) costs() costs {
	c := costs{cores: runtime.NumCPU(), hash: map[string]float64{}}
	for k, w := range h.workloads {
		if w.Hash > 0 {
			c.hash[k] = w.Hash
		}
	}
	return c
}

// hashChunk is how much is read before it is hashed: it stays in cache.
const hashChunk = 1 << 20

// hashCost returns the seconds one core takes to BLAKE3 every file under
// root (or the file root) with the library ft uses, each file on its own
// as ft hashes it, with the bytes read into memory beforehand and not
// timed: the least hash work a verifying tool does at each end. It is the
// best of passes.
func hashCost(root string, passes int) (float64, error) {
	entries, err := listFiles(root)
	if err != nil {
		return 0, err
	}
	best := math.Inf(1)
	buf := make([]byte, hashChunk)
	for range max(passes, 1) {
		var total time.Duration
		for i := 0; i < len(entries); {
			n, took, err := hashBatch(entries[i:], buf)
			if err != nil {
				return 0, err
			}
			i += n
			total += took
		}
		best = min(best, total.Seconds())
	}
	return best, nil
}

// hashBatch reads as many whole files as fit in buf (at least one: a larger
// file is read and hashed a chunk at a time) and times hashing them.
func hashBatch(entries []digestEntry, buf []byte) (n int, took time.Duration, err error) {
	if entries[0].size > int64(len(buf)) {
		took, err = hashLarge(entries[0], buf)
		return 1, took, err
	}
	var ends []int
	fill := 0
	for n < len(entries) && entries[n].size <= int64(len(buf)-fill) {
		if err := readAll(entries[n], buf[fill:fill+int(entries[n].size)]); err != nil {
			return 0, 0, err
		}
		fill += int(entries[n].size)
		ends = append(ends, fill)
		n++
	}
	h := blake3.New()
	var sum [32]byte
	t0 := time.Now()
	start := 0
	for _, end := range ends {
		h.Reset()
		h.Write(buf[start:end])
		h.Sum(sum[:0])
		start = end
	}
	return n, time.Since(t0), nil
}

// hashLarge times hashing one file a chunk at a time, each chunk read
// before the clock runs.
func hashLarge(e digestEntry, buf []byte) (time.Duration, error) {
	f, err := os.Open(e.path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h := blake3.New()
	var took time.Duration
	for left := e.size; left > 0; {
		b := buf[:min(left, int64(len(buf)))]
		if _, err := io.ReadFull(f, b); err != nil {
			return 0, fmt.Errorf("%s: %w", e.path, err)
		}
		t0 := time.Now()
		h.Write(b)
		took += time.Since(t0)
		left -= int64(len(b))
	}
	var sum [32]byte
	t0 := time.Now()
	h.Sum(sum[:0])
	return took + time.Since(t0), nil
}

func readAll(e digestEntry, b []byte) error {
	f, err := os.Open(e.path)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.ReadFull(f, b); err != nil {
		return fmt.Errorf("%s: %w", e.path, err)
	}
	return nil
}
