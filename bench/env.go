//go:build linux

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
)

// netEnv is where a transfer's two ends run: both on loopback, or each in
// its own network namespace joined by a rate-limited veth pair.
type netEnv struct {
	Name     string // loopback or veth
	Addr     string // the receiver's address
	RateBits float64
	sendWrap []string
	recvWrap []string
}

func (n *netEnv) send(argv ...string) []string { return append(slices.Clone(n.sendWrap), argv...) }
func (n *netEnv) recv(argv ...string) []string { return append(slices.Clone(n.recvWrap), argv...) }

const tmpfsMagic = 0x01021994

// upperBytes bounds what a workload occupies on a filesystem. On a tmpfs
// every file takes whole 4 KiB pages: 100,000 files of 1 KiB take 400 MiB.
func (s sizes) upperBytes(key string) int64 {
	switch key {
	case "big":
		return s.bigBytes
	case "tree":
		return int64(s.treeFiles)*(s.treeMax+4096) + int64(s.treeBins)*s.binMax
	}
	return int64(s.smallFiles) * (max(s.smallSize, 4096) + 4096)
}

// sumBytes bounds what the workloads keys occupy together.
func (s sizes) sumBytes(keys []string) int64 {
	var n int64
	for _, k := range keys {
		n += s.upperBytes(k)
	}
	return n
}

// room is what the largest of the workloads keys takes, with headroom: one
// workload at a time is in a target.
func (s sizes) room(keys []string) int64 {
	var n int64
	for _, k := range keys {
		n = max(n, s.upperBytes(k))
	}
	return n + n/10 + 64<<20
}

// need is the room the largest chosen workload takes, with headroom.
func (h *harness) need() int64 { return h.sz.room(h.sourceKeys()) }

// wantTmpfsTarget says whether the run mounts a tmpfs target.
func (h *harness) wantTmpfsTarget() bool {
	return slices.Contains(h.cfg.targets, "tmpfs") || slices.Contains(h.cfg.workloads, "netns")
}

// setupTargets mounts a tmpfs and makes the disk target.
func (h *harness) setupTargets(ctx context.Context) error {
	if h.wantTmpfsTarget() {
		if err := h.setupTmpfs(); err != nil {
			return err
		}
	}
	if slices.Contains(h.cfg.targets, "disk") {
		return h.setupDisk(ctx)
	}
	return nil
}

func (h *harness) setupTmpfs() error {
	need := h.need()
	if avail := memAvailable(); avail < need+1<<30 {
		return h.skip("tmpfs target: %d MiB of memory available, %d MiB needed", avail>>20, (need+1<<30)>>20)
	}
	dir := filepath.Join(h.work, "tmpfs")
	if err := h.mountTmpfs(dir, need); err != nil {
		h.logf("cannot mount a tmpfs (%v); trying /dev/shm", err)
		if dir, err = shmDir(need); err != nil {
			return h.skip("tmpfs target: %v", err)
		}
		h.onCleanup(func() error { return os.RemoveAll(dir) })
	}
	h.targets["tmpfs"], h.fsTypes["tmpfs"] = dir, "tmpfs"
	return nil
}

// setupSources puts the generated data in a tmpfs of its own on src, so
// that no read of a source waits on the disk: a proactive reclaimer (such
// as DAMON's pageout scheme) evicts cold page cache at any moment, and a
// tool would then be timed reading the disk. Without root, or without the
// memory for this and the tmpfs target both, the data stays on the disk,
// and h.srcWhere says why. It reports whether it mounted the tmpfs.
func (h *harness) setupSources(src string, keys []string) bool {
	var st syscall.Statfs_t
	if err := syscall.Statfs(h.work, &st); err == nil && st.Type == tmpfsMagic {
		h.srcWhere = "tmpfs"
		h.logf("sources: in %s, a tmpfs already", src)
		return false
	}
	size := h.sz.sumBytes(keys)
	size += size/10 + 64<<20
	need := size + 1<<30
	if h.wantTmpfsTarget() {
		need += h.sz.room(keys)
	}
	var why string
	if os.Geteuid() != 0 {
		why = "not root"
	} else if avail := memAvailable(); avail < need {
		why = fmt.Sprintf("%d MiB of memory available, %d MiB needed with the tmpfs target", avail>>20, need>>20)
	} else if err := h.mountTmpfs(src, size); err != nil {
		why = fmt.Sprintf("cannot mount a tmpfs: %v", err)
	}
	if why != "" {
		h.srcWhere = "disk (" + why + ")"
		h.logf("sources: on the disk in %s, not in a tmpfs: %s", src, why)
		return false
	}
	h.srcWhere = "tmpfs"
	h.logf("sources: in a %d MiB tmpfs on %s", size>>20, src)
	return true
}

// mountTmpfs mounts a tmpfs of size bytes on dir, made if missing, and
// unmounts it at cleanup.
func (h *harness) mountTmpfs(dir string, size int64) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	st := h.stateFile("mount", dir)
	if err := syscall.Mount("ft-bench", dir, "tmpfs", 0, fmt.Sprintf("size=%d,mode=0755", size)); err != nil {
		os.Remove(st)
		return err
	}
	h.onCleanup(func() error {
		if err := syscall.Unmount(dir, 0); err != nil {
			return syscall.Unmount(dir, syscall.MNT_DETACH)
		}
		os.Remove(st)
		return nil
	})
	return nil
}

// shmDir is a directory in /dev/shm, when that is a tmpfs with room.
func shmDir(need int64) (string, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs("/dev/shm", &st); err != nil {
		return "", err
	}
	if st.Type != tmpfsMagic || int64(st.Bavail)*st.Bsize < need {
		return "", errors.New("/dev/shm is not a tmpfs with enough room")
	}
	return os.MkdirTemp("/dev/shm", "ft-bench-")
}

// memAvailable is MemAvailable from /proc/meminfo, in bytes.
func memAvailable() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if fields := strings.Fields(sc.Text()); len(fields) >= 2 && fields[0] == "MemAvailable:" {
			kib, _ := strconv.ParseInt(fields[1], 10, 64)
			return kib << 10
		}
	}
	return 0
}

// fsTypeOf names the filesystem a path is on and its device, from
// /proc/self/mounts (the longest mount point that holds the path).
func fsTypeOf(p string) string {
	data, err := os.ReadFile("/proc/self/mounts")
	if err != nil {
		return "unknown"
	}
	best, kind := "", "unknown"
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 3 {
			continue
		}
		mp := f[1]
		if (p == mp || strings.HasPrefix(p, strings.TrimSuffix(mp, "/")+"/")) && len(mp) >= len(best) {
			best, kind = mp, f[2]+" on "+f[0]
		}
	}
	return kind
}

// setupNetns makes two network namespaces joined by a veth pair, each end
// shaped by tc tbf to 1 Gbit/s. The addresses are from TEST-NET-1 (RFC
// 5737) and exist only inside the two namespaces.
func (h *harness) setupNetns(ctx context.Context) error {
	if os.Geteuid() != 0 {
		return h.skip("netns workload: needs root")
	}
	for _, bin := range []string{"ip", "tc"} {
		if _, err := exec.LookPath(bin); err != nil {
			return h.skip("netns workload: %s not found (apt-get install iproute2)", bin)
		}
	}
	tag := fmt.Sprintf("%05x", os.Getpid()&0xfffff)
	nsS, nsR := "ftb-"+tag+"-s", "ftb-"+tag+"-r"
	vS, vR := "ftb"+tag+"s", "ftb"+tag+"r"
	for _, ns := range []string{nsS, nsR} {
		st := h.stateFile("netns", ns)
		if err := runCmd(ctx, "ip", "netns", "add", ns); err != nil {
			os.Remove(st)
			return err
		}
		h.onCleanup(func() error { defer os.Remove(st); return runCmd(context.Background(), "ip", "netns", "del", ns) })
	}
	steps := [][]string{
		{"ip", "link", "add", vS, "netns", nsS, "type", "veth", "peer", "name", vR, "netns", nsR},
		{"ip", "-n", nsS, "addr", "add", "192.0.2.1/30", "dev", vS},
		{"ip", "-n", nsR, "addr", "add", "192.0.2.2/30", "dev", vR},
	}
	for _, s := range [][2]string{{nsS, vS}, {nsR, vR}} {
		steps = append(steps,
			[]string{"ip", "-n", s[0], "link", "set", "lo", "up"},
			[]string{"ip", "-n", s[0], "link", "set", s[1], "up"},
			[]string{"tc", "-n", s[0], "qdisc", "add", "dev", s[1], "root", "tbf", "rate", "1gbit", "burst", "256kb", "latency", "20ms"})
	}
	for _, s := range steps {
		if err := runCmd(ctx, s[0], s[1:]...); err != nil {
			return err
		}
	}
	h.nets["veth"] = &netEnv{Name: "veth", Addr: "192.0.2.2", RateBits: 1e9,
		sendWrap: []string{"ip", "netns", "exec", nsS}, recvWrap: []string{"ip", "netns", "exec", nsR}}
	h.logf("network namespaces %s and %s joined by a 1 Gbit/s veth pair", nsS, nsR)
	return nil
}

// runCmd runs a short setup command.
func runCmd(ctx context.Context, name string, args ...string) error {
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
