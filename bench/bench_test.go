//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestQuickSmoke runs bench/run.sh --quick end to end: it builds ft and the
// harness, generates small workloads, times ft, the raw pair and every peer
// that is installed, checks every output and writes the report. It needs
// FT_BENCH_SMOKE=1 (CI sets it); FT_BENCH_INSTALL=1 also lets run.sh
// apt-get install the peers first.
func TestQuickSmoke(t *testing.T) {
	if os.Getenv("FT_BENCH_SMOKE") != "1" {
		t.Skip("set FT_BENCH_SMOKE=1 to run the benchmark's quick mode end to end (about a minute; root for tmpfs and netns)")
	}
	out := t.TempDir()
	args := []string{"run.sh", "--quick", "--out", out}
	if os.Getenv("FT_BENCH_INSTALL") != "1" {
		args = append(args, "--no-install")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // run.sh cleans up on TERM
	cmd.WaitDelay = time.Minute
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	t.Logf("run.sh output:\n%s", log.String())
	if err != nil {
		t.Fatalf("bash %s: %v", strings.Join(args, " "), err)
	}
	checkQuickReport(t, out)
}

func checkQuickReport(t *testing.T, out string) {
	t.Helper()
	table, err := os.ReadFile(filepath.Join(out, "latest-table.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"| ft |", "| ft-insecure |", "raw+BLAKE3", "1 KiB"} {
		if !bytes.Contains(table, []byte(want)) {
			t.Errorf("latest-table.md lacks %q:\n%s", want, table)
		}
	}
	mds, _ := filepath.Glob(filepath.Join(out, "*-*-*.md"))
	pngs, _ := filepath.Glob(filepath.Join(out, "*.png"))
	jsons, _ := filepath.Glob(filepath.Join(out, "*.json"))
	if len(mds) != 1 || len(pngs) != 1 || len(jsons) != 1 {
		t.Fatalf("want one report, chart and record file in %s; got %v %v %v", out, mds, pngs, jsons)
	}
	f, err := os.Open(pngs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if img, err := png.Decode(f); err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("chart %s: %v", pngs[0], err)
	}
	data, err := os.ReadFile(jsons[0])
	if err != nil {
		t.Fatal(err)
	}
	var rep jsonReport
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	checkSetup(t, mds[0], rep)
	_, err = os.Stat("/usr/bin/time")
	timed := err == nil // GNU time measures each end; without it the report says so
	ran := map[string]int{}
	var ftCPU float64
	for _, r := range rep.Runs {
		if r.OK && r.Tool == "ft" && timed {
			ftCPU += r.SendCPU + r.RecvCPU
			if r.SendRSS == 0 || r.RecvRSS == 0 {
				t.Errorf("ft on %s: no peak RSS of an end (%d, %d KiB)", r.Case, r.SendRSS, r.RecvRSS)
			}
		}
		if r.OK {
			ran[r.Tool]++
		} else if r.Tool == "ft" || strings.HasPrefix(r.Tool, "raw") {
			t.Errorf("%s on %s failed: %s", r.Tool, r.Case, r.Err)
		}
	}
	for _, tool := range []string{"ft", "raw", "raw-b3"} {
		if ran[tool] == 0 {
			t.Errorf("no good run of %s", tool)
		}
	}
	if timed && ftCPU == 0 {
		t.Errorf("no CPU time recorded for ft's %d good runs", ran["ft"])
	}
	if rep.Cores < 1 || rep.HashSecs["big"] <= 0 || rep.HashSecs["tree"] <= 0 || rep.HashSecs["small"] <= 0 {
		t.Errorf("json: no floor makings: %d cores, hash seconds %v", rep.Cores, rep.HashSecs)
	}
	md, _ := os.ReadFile(mds[0])
	for _, want := range []string{"| cores busy |", "## Targets", "| 1 GiB file: at most 0.9× raw+BLAKE3 | big/", "| floor ÷ peer |", "Floor: "} {
		if !bytes.Contains(md, []byte(want)) {
			t.Errorf("%s lacks %q", mds[0], want)
		}
	}
}

// checkSetup checks that the report says which ft was timed and where its
// sources lived, in DATE.md and DATE.json alike.
func checkSetup(t *testing.T, md string, rep jsonReport) {
	t.Helper()
	if rep.FT == "" || rep.FT == "unknown" {
		t.Errorf("no commit for the timed ft in the json: %q", rep.FT)
	}
	if rep.Sources != "tmpfs" && !strings.HasPrefix(rep.Sources, "disk (") {
		t.Errorf("json: sources %q, want tmpfs or disk (why)", rep.Sources)
	}
	if os.Geteuid() == 0 && rep.Sources != "tmpfs" {
		t.Logf("running as root, but the sources were not in a tmpfs: %s", rep.Sources)
	}
	text, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"- sources: " + rep.Sources + "\n", "ft " + rep.FT + " (the commit"} {
		if !bytes.Contains(text, []byte(want)) {
			t.Errorf("%s lacks %q", md, want)
		}
	}
	checkDiskTarget(t, md, string(text))
}

// checkDiskTarget checks that the report says what the disk target was: a
// fresh ext4 wherever root, mkfs.ext4 and losetup allow one, and otherwise
// the disk's own filesystem with the reason.
func checkDiskTarget(t *testing.T, md, text string) {
	t.Helper()
	_, line, ok := strings.Cut(text, "- target disk: ")
	if !ok {
		t.Errorf("%s does not say what the disk target was", md)
		return
	}
	line, _, _ = strings.Cut(line, "\n")
	fresh := strings.HasPrefix(line, "ext4, made for this run")
	_, errMkfs := exec.LookPath("mkfs.ext4")
	_, errLosetup := exec.LookPath("losetup")
	_, errLoop := os.Stat("/dev/loop-control")
	canLoop := os.Geteuid() == 0 && errMkfs == nil && errLosetup == nil && errLoop == nil
	switch {
	case !fresh && !strings.Contains(line, "(the disk's own filesystem: "):
		t.Errorf("disk target %q: neither a fresh ext4 nor a reason", line)
	case !fresh && canLoop:
		t.Errorf("disk target %q: root with mkfs.ext4 and losetup, but no fresh ext4", line)
	}
	t.Logf("disk target: %s", line)
}

func TestGeneratorIsDeterministic(t *testing.T) {
	sz := sizes{bigBytes: 100000, treeFiles: 60, treeMin: 1, treeMax: 9000, treeBins: 2,
		binMin: 5000, binMax: 70000, smallFiles: 30, smallSize: 1024, smallFilesPerDirec: 7}
	var first []manifest
	for i := range 2 {
		dir := t.TempDir()
		var got []manifest
		for _, gen := range []func(string, sizes) (*workload, error){genBig, genTree, genSmall} {
			w, err := gen(dir, sz)
			if err != nil {
				t.Fatal(err)
			}
			m, err := digestPath(w.Src)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, m)
		}
		if i == 0 {
			first = got
		} else if !equalManifests(first, got) {
			t.Fatalf("same seed, different data: %v and %v", first, got)
		}
	}
	if first[1].Files != 62 || first[2].Files != 30 || first[2].Bytes != 30*1024 {
		t.Errorf("unexpected workloads: %v", first)
	}
}

func equalManifests(a, b []manifest) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestDigestSeesEveryChange(t *testing.T) {
	// tree writes the base tree into a new dir and returns its root.
	tree := func() string {
		root := filepath.Join(t.TempDir(), "t")
		for name, data := range map[string]string{"a/x": "hello", "b": "world"} {
			os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755)
			if err := os.WriteFile(filepath.Join(root, name), []byte(data), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return root
	}
	base, err := digestPath(tree())
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]func(root string) error{
		"content":    func(r string) error { return os.WriteFile(filepath.Join(r, "a/x"), []byte("hellO"), 0o644) },
		"name":       func(r string) error { return os.Rename(filepath.Join(r, "b"), filepath.Join(r, "c")) },
		"move":       func(r string) error { return os.Rename(filepath.Join(r, "b"), filepath.Join(r, "a/b")) },
		"empty file": func(r string) error { return os.WriteFile(filepath.Join(r, "a/y"), nil, 0o644) },
		"symlink":    func(r string) error { return os.Symlink("b", filepath.Join(r, "l")) },
		"missing":    func(r string) error { return os.Remove(filepath.Join(r, "b")) },
	}
	for what, change := range changes {
		root := tree()
		if err := change(root); err != nil {
			t.Fatal(err)
		}
		if m, err := digestPath(root); err == nil && m == base {
			t.Errorf("%s: change not seen", what)
		}
	}
	if m, _ := digestPath(tree()); m != base {
		t.Errorf("same tree, different digest")
	}
}

func TestSplitList(t *testing.T) {
	got, errs := splitList("scp, ft,nc", allTools, nil)
	if len(errs) != 0 || strings.Join(got, ",") != "ft,nc,scp" {
		t.Errorf("got %v %v", got, errs)
	}
	if _, errs := splitList("ft,ftp", allTools, nil); len(errs) != 1 {
		t.Errorf("unknown name accepted: %v", errs)
	}
	if m := median([]float64{3, 1, 2, 10}); m != 2.5 {
		t.Errorf("median = %v", m)
	}
}

func TestSourceRoom(t *testing.T) {
	sz := sizesFor(false)
	keys := []string{"big", "tree", "small"}
	if got := sz.upperBytes("small"); got < 100000*4096 {
		t.Errorf("small files bound %d MiB: a tmpfs takes a 4 KiB page per file", got>>20)
	}
	sum := sz.sumBytes(keys)
	if sum != sz.upperBytes("big")+sz.upperBytes("tree")+sz.upperBytes("small") {
		t.Errorf("sumBytes = %d", sum)
	}
	if r := sz.room(keys); r < sz.upperBytes("tree") || r >= sum {
		t.Errorf("room = %d MiB, sum %d MiB", r>>20, sum>>20)
	}
}

func TestFtRevision(t *testing.T) {
	if got := ftRevision("/nonexistent/ft", "abc1234-dirty"); got != "abc1234-dirty" {
		t.Errorf("given revision not kept: %q", got)
	}
	if got := ftRevision(filepath.Join(t.TempDir(), "ft"), ""); got != "unknown" {
		t.Errorf("missing binary: %q", got)
	}
}

func TestParseUsage(t *testing.T) {
	for _, tc := range []struct {
		text string
		want usage
	}{
		{"11520 0.81 0.12\n", usage{rss: 11520, cpu: 0.93}},
		{"Command exited with non-zero status 1\n2048 0.00 0.01\n", usage{rss: 2048, cpu: 0.01}},
		{"", usage{}},
		{"11520\n", usage{}},                            // the old format: RSS only
		{"11520 x 0.1\n", usage{}},                      // malformed
		{"-1 0.5 0.5\n", usage{}},                       // impossible
		{"4096 1.50 2.25", usage{rss: 4096, cpu: 3.75}}, // no final newline
	} {
		got := parseUsage(tc.text)
		if got.rss != tc.want.rss || math.Abs(got.cpu-tc.want.cpu) > 1e-9 {
			t.Errorf("parseUsage(%q) = %+v, want %+v", tc.text, got, tc.want)
		}
	}
}

func TestCPUCells(t *testing.T) {
	for _, tc := range []struct {
		s         cellStats
		cpu, busy string
	}{
		{cellStats{Med: 1.0, SendCPU: 0.8, RecvCPU: 1.0}, "0.80 + 1.00", "1.80"},
		{cellStats{Med: 2.0, SendCPU: 0.5}, "0.50 + –", "–"}, // a daemon's child
		{cellStats{Med: 2.0}, "– + –", "–"},
	} {
		cpu, busy := cpuCells(&tc.s)
		if cpu != tc.cpu || busy != tc.busy {
			t.Errorf("cpuCells(%+v) = %q, %q; want %q, %q", tc.s, cpu, busy, tc.cpu, tc.busy)
		}
	}
	if m := knownMedian([]float64{0.5, 0, 0.7}); m != 0 {
		t.Errorf("a round without CPU time gave a median %v", m)
	}
	if m := knownMedian([]float64{0.5, 0.9, 0.7}); m != 0.7 {
		t.Errorf("knownMedian = %v", m)
	}
}
