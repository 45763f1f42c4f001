//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
)

// goal is one of the speed targets ft is held to (issue 4), as a bound on
// ft's time divided by a peer's time in the same round and case.
type goal struct {
	text   string  // the target in words
	work   string  // workload key: big, tree or small
	veth   bool    // over the shaped veth link rather than loopback
	peer   string  // tool key
	limit  float64 // the ratio must be at most this (below it with strict)
	strict bool
}

var goals = []goal{
	{text: "1 GiB file: at most 0.9× raw+BLAKE3", work: "big", peer: "raw-b3", limit: 0.9},
	{text: "1 GiB file: faster than nc", work: "big", peer: "nc", limit: 1, strict: true},
	{text: "1 GiB file: faster than socat", work: "big", peer: "socat", limit: 1, strict: true},
	{text: "1 GiB file: faster than rsync", work: "big", peer: "rsync", limit: 1, strict: true},
	{text: "1 GiB file: faster than scp", work: "big", peer: "scp", limit: 1, strict: true},
	{text: "build tree: at most 1.0× raw+BLAKE3", work: "tree", peer: "raw-b3", limit: 1},
	{text: "build tree: at most 0.7× rsync", work: "tree", peer: "rsync", limit: 0.7},
	{text: "build tree: faster than tar|nc", work: "tree", peer: "nc", limit: 1, strict: true},
	{text: "100k files: files/s at least tar|nc's", work: "small", peer: "nc", limit: 1},
	{text: "100k files: files/s at least 2× rsync's", work: "small", peer: "rsync", limit: 0.5},
	{text: "1 Gbit/s link: goodput at least 0.98× tar|nc's", work: "tree", veth: true, peer: "nc", limit: 1 / 0.98},
}

// rssLimitKiB is the bound on each ft process's peak resident set.
const rssLimitKiB = 64 << 10

// goalResult is a goal checked on one case.
type goalResult struct {
	g       *goal
	caseKey string
	ratio   float64 // median over the rounds where both ran well
	rounds  int
	floor   float64 // median over those rounds of the floor over the peer's time; 0: unknown
}

func (r goalResult) met() bool {
	if r.g.strict {
		return r.ratio < r.g.limit
	}
	return r.ratio <= r.g.limit
}

// outOfReach says whether the floor puts the target beyond any verifying
// tool on this machine.
func (r goalResult) outOfReach() bool {
	if r.floor == 0 {
		return false
	}
	if r.g.strict {
		return r.floor >= r.g.limit
	}
	return r.floor > r.g.limit
}

// goalApplies says whether a case (workload/[veth/]target/mode) is one the
// goal is about.
func goalApplies(g *goal, caseKey string) bool {
	work, rest, _ := strings.Cut(caseKey, "/")
	return work == g.work && strings.HasPrefix(rest, "veth/") == g.veth
}

// checkGoals checks every goal on every case it applies to, in the order
// the cases first appear in recs, and how its floor compares (see floors).
// A case where the peer never ran well with ft in one round is left out.
func checkGoals(recs []record, c costs) []goalResult {
	fl := floors(recs, c)
	secs := map[string]float64{} // case/tool/round -> seconds of a good run
	var cases []string
	seen := map[string]bool{}
	for _, rec := range recs {
		if !seen[rec.Case] {
			seen[rec.Case] = true
			cases = append(cases, rec.Case)
		}
		if rec.OK && rec.Seconds > 0 {
			secs[fmt.Sprint(rec.Case, "/", rec.Tool, "/", rec.Round)] = rec.Seconds
		}
	}
	var out []goalResult
	for i := range goals {
		g := &goals[i]
		for _, c := range cases {
			if !goalApplies(g, c) {
				continue
			}
			var ratios, floorRatios []float64
			for _, rec := range recs {
				if rec.Case != c || rec.Tool != "ft" || !rec.OK {
					continue
				}
				p := secs[fmt.Sprint(c, "/", g.peer, "/", rec.Round)]
				if p <= 0 {
					continue
				}
				ratios = append(ratios, rec.Seconds/p)
				if f := fl[fmt.Sprint(c, "/", rec.Round)]; f > 0 {
					floorRatios = append(floorRatios, f/p)
				}
			}
			if len(ratios) > 0 {
				r := goalResult{g: g, caseKey: c, ratio: median(ratios), rounds: len(ratios)}
				if len(floorRatios) > 0 {
					r.floor = median(floorRatios)
				}
				out = append(out, r)
			}
		}
	}
	return out
}

// peakRSS is the largest resident set of ft's sender and receiver on each
// case, in KiB (0: not measured), in the order cases first appear.
func peakRSS(recs []record) (cases []string, send, recv map[string]int64) {
	send, recv = map[string]int64{}, map[string]int64{}
	for _, rec := range recs {
		if rec.Tool != "ft" {
			continue
		}
		if _, ok := send[rec.Case]; !ok {
			cases = append(cases, rec.Case)
		}
		send[rec.Case] = max(send[rec.Case], rec.SendRSS)
		recv[rec.Case] = max(recv[rec.Case], rec.RecvRSS)
	}
	return cases, send, recv
}

// targetsTable is the markdown section that checks the targets.
func targetsTable(recs []record, c costs) string {
	var b strings.Builder
	b.WriteString("Each target as a bound on ft's time over the peer's in the same round and case; the ratio is the median over the rounds in which both ran well (lower is faster).\n\n")
	b.WriteString(floorNote(c))
	b.WriteString("| target | case | ft ÷ peer | bound | rounds | met | floor ÷ peer | out of reach here |\n|---|---|---|---|---|---|---|---|\n")
	results := checkGoals(recs, c)
	for _, r := range results {
		bound := "≤ "
		if r.g.strict {
			bound = "< "
		}
		floor, reach := "–", "–"
		if r.floor > 0 {
			floor, reach = fmt.Sprintf("%.3f", r.floor), "no"
			if r.outOfReach() {
				reach = "**yes**"
			}
		}
		fmt.Fprintf(&b, "| %s | %s | %.3f | %s%.3g | %d | %s | %s | %s |\n", r.g.text, r.caseKey, r.ratio, bound, r.g.limit, r.rounds, yesNo(r.met()), floor, reach)
	}
	cases, send, recv := peakRSS(recs)
	for _, c := range cases {
		s, r := send[c], recv[c]
		if s == 0 || r == 0 {
			fmt.Fprintf(&b, "| peak RSS of each ft process under 64 MiB | %s | not measured | | | | | |\n", c)
			continue
		}
		fmt.Fprintf(&b, "| peak RSS of each ft process under 64 MiB | %s | %s + %s MiB | < 64 | | %s | | |\n", c, mib(s), mib(r), yesNo(max(s, r) < rssLimitKiB))
	}
	if len(results) == 0 && len(cases) == 0 {
		b.WriteString("| (no run of ft with a peer to compare) | | | | | | | |\n")
	}
	return b.String()
}

func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "**no**"
}

// targetsMain is "bench targets FILE.json": the targets table of a run
// that was written before.
func targetsMain(args []string, w io.Writer) error {
	if len(args) != 1 {
		return fmt.Errorf("usage: bench targets RESULTS.json")
	}
	data, err := os.ReadFile(args[0])
	if err != nil {
		return err
	}
	var rep jsonReport
	if err := json.Unmarshal(data, &rep); err != nil {
		return fmt.Errorf("%s: %w", args[0], err)
	}
	c := costs{cores: rep.Cores, hash: rep.HashSecs}
	_, err = fmt.Fprintf(w, "Targets of the run of %s (ft %s, %d round(s)):\n\n%s", rep.Date, rep.FT, rep.Rounds, targetsTable(rep.Runs, c))
	return err
}
