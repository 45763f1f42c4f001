//go:build linux

// Command bench times ft against its peers (the raw Go pair, tar|nc, socat,
// rsync, scp) on the same generated data, round-robin over several rounds,
// and writes a markdown report, a PNG chart and a short table for the README.
// "bench targets FILE.json" checks ft's speed targets on a run written before.
//
// It is normally started by bench/run.sh, which installs the peers, builds ft
// and this program, and cleans up whatever a crashed run left behind. The raw
// Go pair used as the floor is this same program: "bench rawsend" and
// "bench rawrecv". See bench/README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// Names of the workloads, targets, modes and tools the flags accept.
// ft-portable (ft built with -tags ftportable) runs only when -tools names
// it: every other tool is in the default.
var (
	allWorkloads = []string{"big", "tree", "small", "netns"}
	allTargets   = []string{"tmpfs", "disk"}
	allModes     = []string{"durable", "nosync"}
	allTools     = []string{"ft", "ft-insecure", "ft-portable", "raw", "raw-b3", "nc", "socat", "rsync", "scp"}
	defaultTools = slices.DeleteFunc(slices.Clone(allTools), func(t string) bool { return t == "ft-portable" })
)

// config is what the flags say.
type config struct {
	quick      bool
	rounds     int
	workloads  []string
	targets    []string
	modes      []string
	tools      []string
	out        string
	work       string
	ftBin      string
	ftPortable string // the ft binary built with -tags ftportable
	ftRev      string // the commit ft was built from, -dirty with changes (run.sh)
	repo       string
	runTimeout time.Duration
	strict     bool // a missing peer is an error, not a skip
}

func main() {
	if len(os.Args) > 1 {
		var err error
		switch os.Args[1] {
		case "rawsend":
			err = rawSendMain(os.Args[2:])
		case "rawrecv":
			err = rawRecvMain(os.Args[2:])
		case "targets":
			err = targetsMain(os.Args[2:], os.Stdout)
		default:
			err = benchMain(os.Args[1:])
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if err := benchMain(nil); err != nil {
		fmt.Fprintf(os.Stderr, "bench: error: %v\n", err)
		os.Exit(1)
	}
}

func benchMain(args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg)
}

func parseFlags(args []string) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.BoolVar(&cfg.quick, "quick", false, "small data, one round, skip missing peers (CI smoke test)")
	fs.IntVar(&cfg.rounds, "rounds", 0, "rounds (default 3, or 1 with -quick)")
	workloads := fs.String("workloads", strings.Join(allWorkloads, ","), "comma list of "+strings.Join(allWorkloads, ","))
	targets := fs.String("targets", strings.Join(allTargets, ","), "comma list of "+strings.Join(allTargets, ","))
	modes := fs.String("modes", strings.Join(allModes, ","), "comma list of "+strings.Join(allModes, ","))
	tools := fs.String("tools", strings.Join(defaultTools, ","), "comma list of "+strings.Join(allTools, ","))
	fs.StringVar(&cfg.out, "out", "", "report directory (default bench/results, or a temp dir with -quick)")
	fs.StringVar(&cfg.work, "workdir", "", "scratch directory for data (default: a new temp dir, removed at the end)")
	fs.StringVar(&cfg.ftBin, "ft", "", "the ft binary to benchmark")
	fs.StringVar(&cfg.ftPortable, "ft-portable", "", "the ft binary built with -tags ftportable (tool ft-portable)")
	fs.StringVar(&cfg.ftRev, "ft-rev", "", "the commit -ft was built from, with -dirty if tracked files had changes (default: from the binary's build info)")
	fs.StringVar(&cfg.repo, "repo", ".", "the ft repository (for the default -out)")
	fs.DurationVar(&cfg.runTimeout, "run-timeout", 0, "limit for one transfer (default: from the workload's size)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	cfg.strict = !cfg.quick
	if cfg.rounds == 0 {
		cfg.rounds = 3
		if cfg.quick {
			cfg.rounds = 1
		}
	}
	var errs []error
	cfg.workloads, errs = splitList(*workloads, allWorkloads, errs)
	cfg.targets, errs = splitList(*targets, allTargets, errs)
	cfg.modes, errs = splitList(*modes, allModes, errs)
	cfg.tools, errs = splitList(*tools, allTools, errs)
	if cfg.rounds < 1 {
		errs = append(errs, errors.New("-rounds must be at least 1"))
	}
	if slices.Contains(cfg.tools, "ft") && cfg.ftBin == "" {
		errs = append(errs, errors.New("-ft is required when ft is benchmarked (bench/run.sh builds it)"))
	}
	if slices.Contains(cfg.tools, "ft-portable") && cfg.ftPortable == "" {
		errs = append(errs, errors.New("-ft-portable is required when ft-portable is benchmarked (bench/run.sh builds it)"))
	}
	return cfg, errors.Join(errs...)
}

// splitList parses a comma list of known names and returns them in the
// order of known.
func splitList(s string, known []string, errs []error) ([]string, []error) {
	var given []string
	for _, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if !slices.Contains(known, v) {
			errs = append(errs, fmt.Errorf("unknown %q (known: %s)", v, strings.Join(known, ",")))
		}
		given = append(given, v)
	}
	var out []string
	for _, k := range known {
		if slices.Contains(given, k) {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		errs = append(errs, fmt.Errorf("empty list %q", s))
	}
	return out, errs
}

// run is the whole benchmark: prepare, generate, time, check, report.
func run(ctx context.Context, cfg config) (err error) {
	start := time.Now()
	h, err := newHarness(cfg)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := h.cleanup(); err == nil {
			err = cerr
		}
	}()
	if err := h.prepare(ctx); err != nil {
		return err
	}
	recs := h.rounds(ctx)
	if ctx.Err() != nil {
		return fmt.Errorf("interrupted: %w", ctx.Err())
	}
	rep := newReport(h, recs, time.Since(start))
	out, err := h.outDir()
	if err != nil {
		return err
	}
	if err := rep.write(out); err != nil {
		return err
	}
	fmt.Print(rep.shortTable())
	if n := rep.mustFailures(); n > 0 {
		return fmt.Errorf("%d runs of ft or the raw pair failed or were wrong (see the report)", n)
	}
	return nil
}

// outDir is where the report goes: -out, bench/results in the repo, or for
// a quick run a new temp dir that is kept.
func (h *harness) outDir() (string, error) {
	switch {
	case h.cfg.out != "":
		return h.cfg.out, nil
	case h.cfg.quick:
		return os.MkdirTemp("", "ft-bench-quick-")
	}
	return filepath.Join(h.cfg.repo, "bench", "results"), nil
}
