//go:build linux

package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runs makes good records of one tool on one case, a round per time.
func runs(caseKey, tool string, secs ...float64) []record {
	var recs []record
	for i, s := range secs {
		recs = append(recs, record{Round: i + 1, Case: caseKey, Tool: tool, OK: true, Seconds: s,
			SendRSS: 10 << 10, RecvRSS: 20 << 10})
	}
	return recs
}

func TestCheckGoals(t *testing.T) {
	var recs []record
	recs = append(recs, runs("big/tmpfs/nosync", "ft", 1.0, 2.0, 0.9)...)
	recs = append(recs, runs("big/tmpfs/nosync", "raw-b3", 1.0, 1.0, 1.0)...) // ratios 1.0, 2.0, 0.9
	recs = append(recs, runs("big/tmpfs/nosync", "nc", 2.0, 2.0, 2.0)...)     // 0.5, 1.0, 0.45
	socat := runs("big/tmpfs/nosync", "socat", 1.0, 1.0, 1.0)
	socat[1].OK = false // round 2 does not count: ratios 1.0, 0.9
	recs = append(recs, socat...)
	recs = append(recs, runs("tree/tmpfs/durable", "ft", 0.7, 0.7)...)
	recs = append(recs, runs("tree/tmpfs/durable", "rsync", 1.0, 1.0)...) // exactly 0.7: met
	recs = append(recs, runs("tree/veth/tmpfs/nosync", "ft", 1.01)...)
	recs = append(recs, runs("tree/veth/tmpfs/nosync", "nc", 1.0)...)   // 1.01 <= 1/0.98
	recs = append(recs, runs("tree/veth/tmpfs/nosync", "rsync", 10)...) // no veth goal on rsync
	recs = append(recs, runs("small/disk/durable", "ft", 1.0)...)       // no peer: no row
	type want struct {
		ratio  float64
		rounds int
		met    bool
	}
	wants := map[string]want{
		"1 GiB file: at most 0.9× raw+BLAKE3 big/tmpfs/nosync":                  {1.0, 3, false},
		"1 GiB file: faster than nc big/tmpfs/nosync":                           {0.5, 3, true},
		"1 GiB file: faster than socat big/tmpfs/nosync":                        {0.95, 2, true},
		"build tree: at most 0.7× rsync tree/tmpfs/durable":                     {0.7, 2, true},
		"1 Gbit/s link: goodput at least 0.98× tar|nc's tree/veth/tmpfs/nosync": {1.01, 1, true},
	}
	got := checkGoals(recs, costs{})
	if len(got) != len(wants) {
		for _, r := range got {
			t.Logf("got %s %s %.3f", r.g.text, r.caseKey, r.ratio)
		}
		t.Fatalf("%d results, want %d", len(got), len(wants))
	}
	for _, r := range got {
		key := r.g.text + " " + r.caseKey
		w, ok := wants[key]
		if !ok {
			t.Errorf("unexpected result %q", key)
			continue
		}
		if math.Abs(r.ratio-w.ratio) > 1e-9 || r.rounds != w.rounds || r.met() != w.met {
			t.Errorf("%s: ratio %.3f over %d rounds, met %v; want %.3f, %d, %v", key, r.ratio, r.rounds, r.met(), w.ratio, w.rounds, w.met)
		}
	}
}

func TestStrictGoalAtTheBound(t *testing.T) {
	recs := append(runs("tree/disk/nosync", "ft", 1.0), runs("tree/disk/nosync", "nc", 1.0)...)
	for _, r := range checkGoals(recs, costs{}) {
		if r.g.peer == "nc" && r.met() {
			t.Errorf("%s: a tie counts as faster", r.g.text)
		}
	}
}

func TestTargetsTable(t *testing.T) {
	recs := append(runs("small/tmpfs/nosync", "ft", 1.0), runs("small/tmpfs/nosync", "rsync", 1.9)...)
	big := runs("big/disk/durable", "ft", 1.0)
	big[0].RecvRSS = 70 << 10
	recs = append(recs, big...)
	recs = append(recs, record{Round: 1, Case: "tree/tmpfs/nosync", Tool: "ft", OK: true, Seconds: 1})
	table := targetsTable(recs, costs{})
	for _, want := range []string{
		"| 100k files: files/s at least 2× rsync's | small/tmpfs/nosync | 0.526 | ≤ 0.5 | 1 | **no** | – | – |",
		"| peak RSS of each ft process under 64 MiB | small/tmpfs/nosync | 10.0 + 20.0 MiB | < 64 | | yes | | |",
		"| peak RSS of each ft process under 64 MiB | big/disk/durable | 10.0 + 70.0 MiB | < 64 | | **no** | | |",
		"No floor: ",
		"| peak RSS of each ft process under 64 MiB | tree/tmpfs/nosync | not measured |",
	} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q:\n%s", want, table)
		}
	}
	if empty := targetsTable(nil, costs{}); !strings.Contains(empty, "no run of ft") {
		t.Errorf("empty table:\n%s", empty)
	}
}

func TestTargetsMain(t *testing.T) {
	raw := record{Round: 1, Case: "tree/tmpfs/durable", Tool: "raw", OK: true, Seconds: 0.9, SendCPU: 0.3, RecvCPU: 0.5}
	rep := jsonReport{Date: "2026-11-22", Rounds: 1, FT: "abc1234", Cores: 2, HashSecs: map[string]float64{"tree": 0.25},
		Runs: append(runs("tree/tmpfs/durable", "ft", 0.8), append(runs("tree/tmpfs/durable", "nc", 1.0), raw)...)}
	data, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := targetsMain([]string{name}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"ft abc1234, 1 round(s)", "| build tree: faster than tar|nc | tree/tmpfs/durable | 0.800 | < 1 | 1 | yes | 0.650 | no |", "over the 2 cores"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	if err := targetsMain(nil, &out); err == nil {
		t.Error("no error without a file")
	}
	if err := os.WriteFile(name, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := targetsMain([]string{name}, &out); err == nil || !strings.Contains(err.Error(), name) {
		t.Errorf("bad json: %v", err)
	}
}
