//go:build linux

package main

import (
	"debug/buildinfo"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strings"
)

// fullReport is DATE.md: the machine, the data, the method, every case.
func (r *report) fullReport() string {
	var b strings.Builder
	h := r.h
	kind := "full"
	if h.cfg.quick {
		kind = "quick (smoke test: small data, not a measurement)"
	}
	fmt.Fprintf(&b, "# ft benchmark, %s\n\n", r.date)
	fmt.Fprintf(&b, "Run: %s, %d round(s), %s in all, `bench/run.sh`. ft %s (the commit the timed binary was built from; -dirty: tracked files had uncommitted changes then).\n\n", kind, h.cfg.rounds, r.total.Round(1e9), h.ftRev)
	b.WriteString("## Machine\n\n")
	for _, line := range r.machine {
		fmt.Fprintf(&b, "- %s\n", line)
	}
	b.WriteString("\n## Workloads\n\nGenerated with math/rand/v2 PCG and a fixed seed; the digest is BLAKE3 over every file's name, size and content (see bench/digest.go).\n\n")
	b.WriteString("| workload | files | bytes | digest |\n|---|---|---|---|\n")
	for _, k := range []string{"big", "tree", "small"} {
		if w := h.workloads[k]; w != nil {
			fmt.Fprintf(&b, "| %s (`%s`) | %d | %d | `%.16s` |\n", w.Title, w.Name, w.Man.Files, w.Man.Bytes, w.Man.Digest)
		}
	}
	b.WriteString(method)
	b.WriteString("\n## Summary\n\n")
	b.WriteString(r.shortTable())
	b.WriteString("\n## Targets\n\n")
	b.WriteString(targetsTable(r.recs, h.costs()))
	b.WriteString("\n## Every case\n")
	for _, c := range h.cases {
		r.caseTable(&b, c)
	}
	r.problems(&b)
	return b.String()
}

const method = `
## Method

- Each round runs every tool once on every case (workload × target × mode), in an order rotated from case to case and round to round.
- Time: wall clock from the sender's start until both ends have exited (for rsync and scp, until the client exits), after the receiver listens. In **durable** mode ft runs as it is by default (it syncs every file before confirming it) and every other tool (the raw pair too) is followed by ` + "`sync -f`" + ` on the target, that is syncfs(2) of the target filesystem, timed too; in **no-sync** mode ft's receiver runs with ` + "`--no-sync`" + ` and the others as they are. Dirty data from earlier runs is synced before the clock starts.
- Every output is checked (file count, bytes, BLAKE3 digest over names and contents) before a time counts; a failed or wrong run counts as a failure, never as a time.
- × floor: the median over rounds of the tool's time divided by the raw Go pair's with BLAKE3 (` + "`raw-b3`" + `) in the same round and case. 1.00 is the floor; lower is faster.
- MB/s is 10⁶ bytes of file content per second at the median time; files/s likewise.
- RSS: peak resident set of the sending and the receiving process, the maximum over the rounds, in MiB, measured by GNU time (` + "`/usr/bin/time -f %M`" + `, wait4(2) rusage of a child it forks; it reads about 1 MiB for the smallest process); for a shell pipeline it is the largest process in it; "–" where the receiving end is a daemon's child.
- CPU: user plus system seconds of the sending and the receiving process (with the processes they wait for: both sides of a shell pipeline), the median over the good runs, from the same GNU time (` + "`%U %S`" + `); "–" where an end is a daemon's child or a run did not report it. Cores busy is their sum over the median wall time: 2.00 means both ends kept a core each busy all along, so on this machine, with both ends on it, only less CPU work can be faster. Kernel work done in other threads (writeback, ksoftirqd) is not in it.
- Peers: ` + "`nc`" + ` is netcat-openbsd (` + "`tar | nc`" + ` for trees), socat runs with ` + "`-b1048576`" + ` (` + "`tar | socat`" + ` for trees), rsync runs ` + "`rsync -a`" + ` against an rsync daemon on the receiving side, scp runs ` + "`scp -r`" + ` against a private sshd with default ciphers. The raw pair is ` + "`io.Copy`" + ` over one TCP connection with a header per file (bench/rawpair.go).
- The veth case runs the sender and the receiver in two network namespaces joined by a veth pair shaped with ` + "`tc tbf rate 1gbit`" + ` on each end; its speed is shown as a share of the 1 Gbit/s link.
`

func (r *report) caseTable(b *strings.Builder, c *runCase) {
	what, into, mode := caseTitle(c)
	fmt.Fprintf(b, "\n### %s into %s, %s\n\n", what, into, mode)
	b.WriteString("| tool | median s | min–max s | MB/s | files/s | × floor | sender RSS MiB | receiver RSS MiB | CPU s send + recv | cores busy | runs ok |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, t := range r.h.tools {
		s := r.stats[c.Key()][t.key]
		if s == nil {
			continue
		}
		ratio := "–"
		if s.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f", s.Ratio)
		}
		if s.N == 0 {
			fmt.Fprintf(b, "| %s | – | – | – | – | – | %s | %s | – | – | 0/%d |\n", toolLabel(t.key), mib(s.SendRSS), mib(s.RecvRSS), s.Fail)
			continue
		}
		speed := kilo(s.MBps)
		if c.Net.RateBits > 0 {
			speed += fmt.Sprintf(" (%.0f%% of link)", 100*s.MBps*8e6/c.Net.RateBits)
		}
		cpu, busy := cpuCells(s)
		fmt.Fprintf(b, "| %s | %.3f | %.3f–%.3f | %s | %s | %s | %s | %s | %s | %s | %d/%d |\n", toolLabel(t.key), s.Med, s.Min, s.Max,
			speed, kilo(s.FilesPS), ratio, mib(s.SendRSS), mib(s.RecvRSS), cpu, busy, s.N, s.N+s.Fail)
	}
}

// cpuCells formats the CPU seconds of both ends and how many cores they
// kept busy over the median time.
func cpuCells(s *cellStats) (cpu, busy string) {
	sec := func(v float64) string {
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", v)
	}
	cpu, busy = sec(s.SendCPU)+" + "+sec(s.RecvCPU), "–"
	if s.SendCPU > 0 && s.RecvCPU > 0 && s.Med > 0 {
		busy = fmt.Sprintf("%.2f", (s.SendCPU+s.RecvCPU)/s.Med)
	}
	return cpu, busy
}

func mib(kib int64) string {
	if kib == 0 {
		return "–"
	}
	return fmt.Sprintf("%.1f", float64(kib)/1024)
}

// problems lists what was skipped, noticed or failed.
func (r *report) problems(b *strings.Builder) {
	var lines []string
	for _, s := range r.h.skipped {
		lines = append(lines, "skipped: "+s)
	}
	for _, n := range r.h.notes {
		lines = append(lines, "note: "+n)
	}
	for _, c := range r.h.cases {
		for _, t := range r.h.tools {
			if s := r.stats[c.Key()][t.key]; s != nil {
				for _, e := range s.Errs {
					lines = append(lines, fmt.Sprintf("failed: %s, %s, %s", c.Key(), t.key, e))
				}
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("\n## Skipped, notes and failures\n\n")
	for _, l := range lines {
		fmt.Fprintf(b, "- %s\n", strings.ReplaceAll(l, "|", "\\|"))
	}
}

// machineInfo describes the machine, the targets and the tools' versions.
func machineInfo(h *harness) []string {
	lines := []string{
		fmt.Sprintf("CPU: %s, %d cores; memory %s; kernel %s", cpuModel(), runtime.NumCPU(), memTotal(), firstLine0("uname", "-r")),
		fmt.Sprintf("Go %s (the raw pair and the harness)", runtime.Version()),
		fmt.Sprintf("load average (1, 5, 15 min) at the start: %s; at the end: %s", h.loadStart, loadAvg()),
	}
	for _, t := range h.tools {
		if isFt(t.key) {
			lines = append(lines, fmt.Sprintf("%s binary: %s", t.key, ftBuild(h.ftBinary(t.key))))
		}
	}
	lines = append(lines, "sources: "+h.srcWhere)
	for _, t := range []string{"tmpfs", "disk"} {
		if dir, ok := h.targets[t]; ok {
			lines = append(lines, fmt.Sprintf("target %s: %s (%s)", t, h.fsTypes[t], dir))
		}
	}
	var v []string
	for _, p := range []string{"netcat-openbsd", "socat", "rsync", "openssh-server", "tar", "iproute2"} {
		if out := firstLine0("dpkg-query", "-W", "-f=${Version}", p); out != "" {
			v = append(v, p+" "+out)
		}
	}
	if len(v) > 0 {
		lines = append(lines, "peers: "+strings.Join(v, ", "))
	}
	return lines
}

// loadAvg is the first three fields of /proc/loadavg: other work on the
// machine skews the times.
func loadAvg() string {
	data, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}

func cpuModel() string {
	data, _ := os.ReadFile("/proc/cpuinfo")
	for _, line := range strings.Split(string(data), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	data, _ := os.ReadFile("/proc/meminfo")
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "MemTotal:" {
			var kib int64
			fmt.Sscan(f[1], &kib)
			return fmt.Sprintf("%.1f GiB", float64(kib)/(1<<20))
		}
	}
	return "unknown"
}

// firstLine0 is the first line a command prints, or "".
func firstLine0(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

// ftRevision labels the ft binary that is timed: given (what run.sh took
// from git right before it built the binary) or else the VCS stamp in the
// binary's build info, which go build leaves out with -buildvcs=false.
func ftRevision(bin, given string) string {
	if given != "" || bin == "" {
		return given
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "unknown"
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev == "" {
		return "unknown"
	}
	rev = rev[:min(len(rev), 7)]
	if modified == "true" {
		rev += "-dirty" // go build counts untracked files too
	}
	return rev
}

// ftBuild says how an ft binary was built: with which build tags, from the
// binary's build info.
func ftBuild(bin string) string {
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		return "build unknown"
	}
	return buildTags(info.Settings)
}

// buildTags describes the -tags setting of a binary's build info.
func buildTags(settings []debug.BuildSetting) string {
	for _, s := range settings {
		if s.Key == "-tags" && s.Value != "" {
			return "built with -tags " + s.Value
		}
	}
	return "default build (no build tags)"
}
