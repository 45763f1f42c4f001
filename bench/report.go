//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
)

// floorTool is the yardstick every time is divided by.
const floorTool = "raw-b3"

// cellStats sums up one tool on one case over the rounds.
type cellStats struct {
	N, Fail          int
	Med, Min, Max    float64 // seconds, over the good runs
	MBps, FilesPS    float64 // at the median time
	Ratio            float64 // median over rounds of time / floor's time; 0: n/a
	SendRSS, RecvRSS int64   // KiB, peak over the rounds; 0: n/a
	SendCPU, RecvCPU float64 // user+system seconds, median over the good runs; 0: n/a
	Errs             []string
}

// report is what a run found.
type report struct {
	h       *harness
	recs    []record
	total   time.Duration
	date    string
	machine []string                         // the machine, the data's place, the targets, the peers
	stats   map[string]map[string]*cellStats // case key -> tool -> stats
}

// jsonReport is DATE.json: the setup and every run.
type jsonReport struct {
	Date    string
	Quick   bool
	Rounds  int
	FT      string   // the commit the timed ft was built from, -dirty with changes
	Sources string   // where the generated data lived: tmpfs, or disk (why)
	Machine []string // as in DATE.md
	Runs    []record
	// For the floor of the targets (see floors); absent in runs before it.
	Cores    int                `json:",omitempty"` // that both ends shared
	HashSecs map[string]float64 `json:",omitempty"` // workload key -> one core's seconds to hash it
}

func newReport(h *harness, recs []record, total time.Duration) *report {
	r := &report{h: h, recs: recs, total: total, date: time.Now().Format("2006-01-02"),
		machine: machineInfo(h), stats: map[string]map[string]*cellStats{}}
	floor := map[string]float64{} // case/round -> floor seconds
	for _, rec := range recs {
		if rec.Tool == floorTool && rec.OK {
			floor[fmt.Sprint(rec.Case, "/", rec.Round)] = rec.Seconds
		}
	}
	type acc struct{ times, ratios, sendCPU, recvCPU []float64 }
	accs := map[[2]string]*acc{}
	for _, rec := range recs {
		if r.stats[rec.Case] == nil {
			r.stats[rec.Case] = map[string]*cellStats{}
		}
		s := r.stats[rec.Case][rec.Tool]
		if s == nil {
			s = &cellStats{}
			r.stats[rec.Case][rec.Tool] = s
			accs[[2]string{rec.Case, rec.Tool}] = &acc{}
		}
		a := accs[[2]string{rec.Case, rec.Tool}]
		s.SendRSS, s.RecvRSS = max(s.SendRSS, rec.SendRSS), max(s.RecvRSS, rec.RecvRSS)
		if !rec.OK {
			s.Fail++
			s.Errs = append(s.Errs, fmt.Sprintf("round %d: %s", rec.Round, rec.Err))
			continue
		}
		s.N++
		a.times = append(a.times, rec.Seconds)
		a.sendCPU, a.recvCPU = append(a.sendCPU, rec.SendCPU), append(a.recvCPU, rec.RecvCPU)
		if f := floor[fmt.Sprint(rec.Case, "/", rec.Round)]; f > 0 {
			a.ratios = append(a.ratios, rec.Seconds/f)
		}
	}
	for _, c := range h.cases {
		for tk, s := range r.stats[c.Key()] {
			a := accs[[2]string{c.Key(), tk}]
			if s.N == 0 {
				continue
			}
			s.Med, s.Min, s.Max = median(a.times), slices.Min(a.times), slices.Max(a.times)
			s.MBps = float64(c.W.Man.Bytes) / 1e6 / s.Med
			s.FilesPS = float64(c.W.Man.Files) / s.Med
			if len(a.ratios) > 0 {
				s.Ratio = median(a.ratios)
			}
			s.SendCPU, s.RecvCPU = knownMedian(a.sendCPU), knownMedian(a.recvCPU)
		}
	}
	return r
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// knownMedian is the median of v, or 0 (unknown) if any value is unknown.
func knownMedian(v []float64) float64 {
	if len(v) == 0 || slices.Contains(v, 0) {
		return 0
	}
	return median(v)
}

// mustFailures counts failed runs of ft (either build) and the raw pair,
// which must work.
func (r *report) mustFailures() int {
	n := 0
	for _, rec := range r.recs {
		if !rec.OK && (isFt(rec.Tool) || strings.HasPrefix(rec.Tool, "raw")) {
			n++
		}
	}
	return n
}

// write puts DATE.md, DATE.json, DATE.png and latest-table.md into dir.
func (r *report) write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := filepath.Join(dir, r.date)
	c := r.h.costs()
	data, err := json.MarshalIndent(jsonReport{Date: r.date, Quick: r.h.cfg.quick, Rounds: r.h.cfg.rounds,
		FT: r.h.ftRev, Sources: r.h.srcWhere, Machine: r.machine, Runs: r.recs,
		Cores: c.cores, HashSecs: c.hash}, "", "  ")
	if err != nil {
		return err
	}
	files := map[string][]byte{
		base + ".md":                          []byte(r.fullReport()),
		base + ".json":                        append(data, '\n'),
		filepath.Join(dir, "latest-table.md"): []byte(r.shortTable()),
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o644); err != nil {
			return err
		}
	}
	if err := writeChart(base+".png", r); err != nil {
		return fmt.Errorf("chart: %w", err)
	}
	r.h.logf("report written to %s.md (and .json, .png, latest-table.md)", base)
	return nil
}

// toolLabel is a tool's column name.
func toolLabel(t string) string {
	switch t {
	case "nc":
		return "nc (tar\\|nc)"
	case "socat":
		return "socat (tar\\|socat)"
	case floorTool:
		return "raw+BLAKE3"
	}
	return t
}

// caseTitle describes a case for humans.
func caseTitle(c *runCase) (what, into, mode string) {
	what = c.W.Title
	into = c.Target
	if c.Net.Name == "veth" {
		into = "veth 1 Gbit/s → " + c.Target
	}
	mode = "durable"
	if c.Mode == "nosync" {
		mode = "no-sync"
	}
	return what, into, mode
}

// cell is a short table cell: the ratio to the floor, and the speed.
func (r *report) cell(c *runCase, s *cellStats) string {
	if s == nil {
		return "–"
	}
	if s.N == 0 {
		return "FAILED"
	}
	var speed string
	switch {
	case c.Net.RateBits > 0:
		speed = fmt.Sprintf("%.0f%% of link", 100*s.MBps*8e6/c.Net.RateBits)
	case c.W.Key == "small":
		speed = fmt.Sprintf("%s files/s", kilo(s.FilesPS))
	default:
		speed = fmt.Sprintf("%s MB/s", kilo(s.MBps))
	}
	ratio := "–"
	if s.Ratio > 0 {
		ratio = fmt.Sprintf("%.2f×", s.Ratio)
	}
	if s.Fail > 0 {
		speed += fmt.Sprintf(", %d failed", s.Fail)
	}
	return fmt.Sprintf("%s (%s)", ratio, speed)
}

// kilo formats a rate with 3 significant digits, k above 10,000.
func kilo(v float64) string {
	switch {
	case v >= 10000:
		return fmt.Sprintf("%.1fk", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}

// shortTable is the markdown table for the README.
func (r *report) shortTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Time as a multiple of the raw Go pair with BLAKE3 on both ends in the same round (lower is better; median over %d round(s), %s, ft %s), and in brackets the speed at the median time. ", r.h.cfg.rounds, r.date, r.h.ftRev)
	b.WriteString("Durable: ft's default against each peer followed by `sync -f` (syncfs of the target); no-sync: `ft receive --no-sync` against the peers as they are.\n\n")
	b.WriteString("| workload | into | mode |")
	sep := "|---|---|---|"
	for _, t := range r.h.tools {
		fmt.Fprintf(&b, " %s |", toolLabel(t.key))
		sep += "---|"
	}
	b.WriteString("\n" + sep + "\n")
	for _, c := range r.h.cases {
		what, into, mode := caseTitle(c)
		fmt.Fprintf(&b, "| %s | %s | %s |", what, into, mode)
		for _, t := range r.h.tools {
			cell := r.cell(c, r.stats[c.Key()][t.key])
			if isFt(t.key) {
				cell = "**" + cell + "**"
			}
			fmt.Fprintf(&b, " %s |", cell)
		}
		b.WriteString("\n")
	}
	if r.h.cfg.quick {
		b.WriteString("\nQuick mode: small data, not a measurement.\n")
	}
	return b.String()
}
