//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// harness holds what one benchmark run set up, and how to undo it.
type harness struct {
	cfg       config
	work      string // scratch dir: sources, targets, keys, state
	state     string // ids of processes, namespaces and mounts to undo
	ownWork   bool
	self      string // this program, for the raw pair
	timeBin   string // GNU time, for the peak RSS of each end
	loadStart string // /proc/loadavg when the run started
	ftRev     string // the commit the timed ft binary was built from
	srcWhere  string // where the generated data lives: tmpfs, or disk (why)
	sz        sizes
	tools     []*tool
	skipped   []string // why a tool, target or workload did not run
	notes     []string
	targets   map[string]string // target -> destination dir
	fsTypes   map[string]string // target -> filesystem type
	workloads map[string]*workload
	nets      map[string]*netEnv
	daemons   map[string]*daemon // per tool and network
	ssh       *sshSetup
	cases     []*runCase
	cleanups  []func() error
}

// runCase is one cell of the matrix: a workload into a target over a
// network, in a mode.
type runCase struct {
	W      *workload
	Target string // tmpfs or disk
	Dest   string
	Mode   string // durable or nosync
	Net    *netEnv
}

// Key names the case in records and reports.
func (c *runCase) Key() string {
	if c.Net.Name != "loopback" {
		return fmt.Sprintf("%s/%s/%s/%s", c.W.Key, c.Net.Name, c.Target, c.Mode)
	}
	return fmt.Sprintf("%s/%s/%s", c.W.Key, c.Target, c.Mode)
}

func newHarness(cfg config) (*harness, error) {
	h := &harness{cfg: cfg, sz: sizesFor(cfg.quick), targets: map[string]string{},
		fsTypes: map[string]string{}, workloads: map[string]*workload{},
		nets: map[string]*netEnv{}, daemons: map[string]*daemon{}}
	var err error
	if h.self, err = os.Executable(); err != nil {
		return nil, err
	}
	h.loadStart = loadAvg()
	if h.timeBin, err = exec.LookPath("/usr/bin/time"); err != nil {
		h.notes = append(h.notes, "peak RSS not measured: /usr/bin/time (Debian package time) is missing")
	}
	if cfg.work == "" {
		if cfg.work, err = os.MkdirTemp("", "ft-bench."); err != nil {
			return nil, err
		}
		h.ownWork = true
	}
	h.cfg.work, _ = filepath.Abs(cfg.work)
	h.work = h.cfg.work
	h.state = filepath.Join(h.work, "state")
	if err := os.MkdirAll(h.state, 0o755); err != nil {
		return nil, err
	}
	for _, bin := range []*string{&h.cfg.ftBin, &h.cfg.ftPortable} {
		if *bin != "" {
			*bin, _ = filepath.Abs(*bin)
		}
	}
	h.ftRev = ftRevision(h.cfg.ftBin, cfg.ftRev)
	return h, nil
}

// onCleanup registers f to run at the end, in reverse order.
func (h *harness) onCleanup(f func() error) { h.cleanups = append(h.cleanups, f) }

// cleanup stops daemons, removes namespaces, unmounts, and removes the
// scratch dir if this program made it.
func (h *harness) cleanup() error {
	var errs []error
	for _, d := range h.daemons {
		d.p.stop()
	}
	for i := len(h.cleanups) - 1; i >= 0; i-- {
		if err := h.cleanups[i](); err != nil {
			errs = append(errs, err)
		}
	}
	if h.ownWork {
		errs = append(errs, os.RemoveAll(h.work))
	}
	return errors.Join(errs...)
}

// stateFile records something for run.sh's trap to undo if we die.
func (h *harness) stateFile(kind, value string) string {
	name := filepath.Join(h.state, fmt.Sprintf("%s.%d", kind, time.Now().UnixNano()))
	os.WriteFile(name, []byte(value), 0o644)
	return name
}

func (h *harness) logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...)
}

// skip records and prints why something does not run; in a full run that is
// an error.
func (h *harness) skip(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	if h.cfg.strict {
		return errors.New(msg + " (a full run needs everything; --quick skips)")
	}
	h.logf("skipping %s", msg)
	h.skipped = append(h.skipped, msg)
	return nil
}

// prepare checks the tools, sets up the targets, generates the data and
// the network namespaces, and lists the cases.
func (h *harness) prepare(ctx context.Context) error {
	if err := h.checkTools(); err != nil {
		return err
	}
	if err := h.generate(ctx); err != nil {
		return err
	}
	if err := h.setupTargets(ctx); err != nil {
		return err
	}
	h.nets["loopback"] = &netEnv{Name: "loopback", Addr: "127.0.0.1"}
	if slices.Contains(h.cfg.workloads, "netns") {
		if err := h.setupNetns(ctx); err != nil {
			return err
		}
	}
	h.listCases()
	if len(h.cases) == 0 {
		return errors.New("nothing to run")
	}
	return nil
}

func (h *harness) listCases() {
	lo := h.nets["loopback"]
	for _, key := range []string{"big", "tree", "small"} {
		w := h.workloads[key]
		if w == nil || !slices.Contains(h.cfg.workloads, key) {
			continue
		}
		for _, t := range h.cfg.targets {
			if dest, ok := h.targets[t]; ok {
				for _, m := range h.cfg.modes {
					h.cases = append(h.cases, &runCase{W: w, Target: t, Dest: dest, Mode: m, Net: lo})
				}
			}
		}
	}
	if veth := h.nets["veth"]; veth != nil {
		t := "tmpfs"
		if _, ok := h.targets[t]; !ok {
			t = "disk"
		}
		h.cases = append(h.cases, &runCase{W: h.workloads["tree"], Target: t, Dest: h.targets[t], Mode: "nosync", Net: veth})
	}
}

// sourceKeys are the workloads to generate: the chosen ones, and the tree
// for the netns workload.
func (h *harness) sourceKeys() []string {
	var keys []string
	for _, key := range []string{"big", "tree", "small"} {
		if slices.Contains(h.cfg.workloads, key) || key == "tree" && slices.Contains(h.cfg.workloads, "netns") {
			keys = append(keys, key)
		}
	}
	return keys
}

// generate writes the workloads under work/src, in a tmpfs if it can, and
// computes their manifests.
func (h *harness) generate(ctx context.Context) error {
	src := filepath.Join(h.work, "src")
	keys := h.sourceKeys()
	need := h.sz.sumBytes(keys)
	if !h.setupSources(src, keys) {
		need += 1 << 30 // a shared filesystem: leave some room
	}
	if err := os.MkdirAll(src, 0o755); err != nil {
		return err
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(src, &st); err == nil && int64(st.Bavail)*st.Bsize < need {
		return fmt.Errorf("%s: %d MiB free, the data needs %d MiB", src, int64(st.Bavail)*st.Bsize>>20, need>>20)
	}
	gens := map[string]func(string, sizes) (*workload, error){"big": genBig, "tree": genTree, "small": genSmall}
	for _, key := range keys {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		t0 := time.Now()
		w, err := gens[key](src, h.sz)
		if err != nil {
			return fmt.Errorf("generate %s: %w", key, err)
		}
		syscall.Sync()
		if w.Man, err = digestPath(w.Src); err != nil {
			return fmt.Errorf("digest %s: %w", key, err)
		}
		if w.Hash, err = hashCost(w.Src, hashPasses); err != nil {
			return fmt.Errorf("hash cost of %s: %w", key, err)
		}
		h.workloads[key] = w
		h.logf("generated %s: %v in %.1fs; one core hashes it in %.3fs", key, w.Man, time.Since(t0).Seconds(), w.Hash)
	}
	return nil
}

// rounds runs every tool on every case once per round, round-robin, with
// the order of the tools rotated from case to case and round to round.
func (h *harness) rounds(ctx context.Context) []record {
	var recs []record
	for r := 1; r <= h.cfg.rounds; r++ {
		for ci, c := range h.cases {
			order := h.tools
			if k := (r - 1 + ci) % len(order); k > 0 {
				order = append(slices.Clone(order[k:]), order[:k]...)
			}
			for _, t := range order {
				if ctx.Err() != nil {
					return recs
				}
				rec := h.runOne(ctx, r, c, t)
				recs = append(recs, rec)
				h.logRun(rec, c)
			}
		}
	}
	return recs
}

// record is the outcome of one timed transfer.
type record struct {
	Round   int
	Case    string
	Tool    string
	OK      bool
	Err     string  `json:",omitempty"`
	Seconds float64 // transfer, plus syncfs(2) for a peer in durable mode
	SyncSec float64 `json:",omitempty"`
	SendRSS int64   // KiB, 0 if unknown
	RecvRSS int64   // KiB, 0 if unknown
	SendCPU float64 `json:",omitempty"` // user+system seconds, 0 if unknown
	RecvCPU float64 `json:",omitempty"` // user+system seconds, 0 if unknown
}

// runOne times one transfer and checks what arrived.
func (h *harness) runOne(ctx context.Context, round int, c *runCase, t *tool) record {
	rec := record{Round: round, Case: c.Key(), Tool: t.key}
	if err := clearDir(c.Dest); err != nil {
		rec.Err = err.Error()
		return rec
	}
	syscall.Sync() // nothing dirty from earlier runs gets flushed on our clock
	limit := h.timeoutFor(c.W)
	rctx, cancel := context.WithTimeout(ctx, limit)
	res, err := t.run(rctx, h, c)
	cancel()
	if errors.Is(rctx.Err(), context.DeadlineExceeded) {
		err = fmt.Errorf("timed out after %v", limit)
	}
	if err == nil && c.Mode == "durable" && !t.ownSync {
		t0 := time.Now()
		err = syncFS(c.Dest)
		rec.SyncSec = time.Since(t0).Seconds()
	}
	if err == nil {
		err = h.verify(c, t)
	}
	rec.Seconds = res.elapsed.Seconds() + rec.SyncSec
	rec.SendRSS, rec.RecvRSS = res.send.rss, res.recv.rss
	rec.SendCPU, rec.RecvCPU = res.send.cpu, res.recv.cpu
	rec.OK = err == nil
	if err != nil {
		rec.Err = oneLine(err.Error())
	}
	if cerr := clearDir(c.Dest); cerr != nil && rec.OK {
		rec.OK, rec.Err = false, "clean up: "+cerr.Error()
	}
	return rec
}

func (h *harness) logRun(rec record, c *runCase) {
	status := "ok"
	if !rec.OK {
		status = "FAILED: " + rec.Err
	}
	mbps := float64(c.W.Man.Bytes) / 1e6 / rec.Seconds
	h.logf("round %d/%d  %-28s %-7s %8.3fs %8.1f MB/s  %s", rec.Round, h.cfg.rounds, rec.Case, rec.Tool, rec.Seconds, mbps, status)
}

// timeoutFor bounds one transfer: generous, but a hang ends.
func (h *harness) timeoutFor(w *workload) time.Duration {
	if h.cfg.runTimeout > 0 {
		return h.cfg.runTimeout
	}
	return 60*time.Second + time.Duration(w.Man.Bytes/5e6)*time.Second + time.Duration(w.Man.Files)*5*time.Millisecond
}

// verify checks that the destination holds exactly the workload: a fast
// wrong answer must never count.
func (h *harness) verify(c *runCase, t *tool) error {
	got, err := digestPath(filepath.Join(c.Dest, c.W.Name))
	if err != nil {
		return fmt.Errorf("check output: %w", err)
	}
	if got != c.W.Man {
		return fmt.Errorf("wrong output: got %v, want %v", got, c.W.Man)
	}
	entries, err := os.ReadDir(c.Dest)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != c.W.Name {
			note := fmt.Sprintf("%s left %q next to the output in the destination", t.key, e.Name())
			if !slices.Contains(h.notes, note) {
				h.notes = append(h.notes, note)
				h.logf("note: %s", note)
			}
		}
	}
	return nil
}

// syncFS flushes the filesystem that holds dir, as `sync -f DIR` does:
// syncfs(2) rather than sync(2), so that what other processes on the
// machine left dirty on other filesystems is not charged to the tool.
func syncFS(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		return fmt.Errorf("syncfs %s: %w", dir, err)
	}
	return nil
}

// clearDir removes everything in dir, but not dir.
func clearDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(dir, e.Name())); err != nil {
			return err
		}
	}
	return nil
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
