//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tool is one way to move a workload: ft, the raw Go pair, or a peer.
type tool struct {
	key     string
	ownSync bool                 // durable by itself: no syncfs(2) after it in durable mode
	check   func(*harness) error // why it cannot run here, or nil
	run     func(context.Context, *harness, *runCase) (result, error)
}

// result is one transfer's wall time, from the sender's start until both
// ends exited, and what each end used where it is a process of its own.
type result struct {
	elapsed    time.Duration
	send, recv usage
}

// usage is what GNU time saw of one end: its peak RSS in KiB and its CPU
// time (user plus system) in seconds, with its children's; 0 if unknown.
type usage struct {
	rss int64
	cpu float64
}

func toolDefs() []*tool {
	return []*tool{
		{key: "ft", ownSync: true, check: checkFt("ft"), run: runFt("ft")},
		{key: "ft-insecure", ownSync: true, check: checkFt("ft-insecure"), run: runFt("ft-insecure")},
		{key: "ft-portable", ownSync: true, check: checkFt("ft-portable"), run: runFt("ft-portable")},
		{key: "raw", run: runRaw(false)},
		{key: "raw-b3", run: runRaw(true)},
		{key: "nc", check: checkNc, run: runNc},
		{key: "socat", check: needBins("socat", "tar"), run: runSocat},
		{key: "rsync", check: needBins("rsync"), run: runRsync},
		{key: "scp", check: checkScp, run: runScp},
	}
}

// checkTools keeps the chosen tools that can run here. ft and the raw pair
// must; a missing peer is skipped in quick mode and an error otherwise.
func (h *harness) checkTools() error {
	for _, t := range toolDefs() {
		if !strings.Contains(","+strings.Join(h.cfg.tools, ",")+",", ","+t.key+",") {
			continue
		}
		if t.check != nil {
			if err := t.check(h); err != nil {
				if isFt(t.key) {
					return err
				}
				if err := h.skip("%s: %v", t.key, err); err != nil {
					return err
				}
				continue
			}
		}
		h.tools = append(h.tools, t)
	}
	return nil
}

func needBins(bins ...string) func(*harness) error {
	return func(*harness) error {
		for _, b := range bins {
			if _, err := exec.LookPath(b); err != nil {
				return fmt.Errorf("%s not installed (bench/run.sh installs it)", b)
			}
		}
		return nil
	}
}

// isFt says whether a tool is ft: in either build, or in --insecure mode.
func isFt(key string) bool { return key == "ft" || key == "ft-insecure" || key == "ft-portable" }

// ftBinary is the binary of the ft tool key: -ft, or -ft-portable.
func (h *harness) ftBinary(key string) string {
	if key == "ft-portable" {
		return h.cfg.ftPortable
	}
	return h.cfg.ftBin
}

func checkFt(key string) func(*harness) error {
	return func(h *harness) error {
		bin := h.ftBinary(key)
		if fi, err := os.Stat(bin); err != nil || fi.Mode()&0o111 == 0 {
			return fmt.Errorf("%s binary %q not found or not executable", key, bin)
		}
		return nil
	}
}

func checkNc(h *harness) error {
	if err := needBins("nc", "tar")(h); err != nil {
		return err
	}
	out, _ := exec.Command("nc", "-h").CombinedOutput()
	if !strings.Contains(string(out), "OpenBSD") {
		return errors.New("nc is not netcat-openbsd")
	}
	return nil
}

// transfer starts the receiver recv (nil for a daemon) in the case's
// network, waits until ready says it listens, then times send until both
// ends have exited. Each end runs under GNU time for its peak RSS and its
// CPU time. For the peak RSS it cannot be measured from here: a child
// of this program would inherit this program's RSS as its ru_maxrss (Go
// starts children with CLONE_VM, and exec keeps the old mm's high water),
// while time forks from a small process.
func (h *harness) transfer(ctx context.Context, c *runCase, recv []string, out io.Writer, ready readyFunc, send func(addr string) []string) (result, error) {
	var res result
	var r *proc
	var addr string
	recvRSS, sendRSS := filepath.Join(h.work, "rss.recv"), filepath.Join(h.work, "rss.send")
	os.Remove(recvRSS)
	os.Remove(sendRSS)
	if recv != nil {
		var err error
		if r, err = h.start(ctx, c.Net.recv(h.timed(recvRSS, recv)...), out); err != nil {
			return res, err
		}
		defer r.kill()
		if addr, err = ready(ctx, r); err != nil {
			return res, err
		}
	}
	t0 := time.Now()
	s, err := h.start(ctx, c.Net.send(h.timed(sendRSS, send(addr))...), nil)
	if err != nil {
		return res, err
	}
	defer s.kill()
	serr := s.wait()
	var rerr error
	if r != nil {
		if serr != nil {
			r.kill() // it may wait forever for a sender that is gone
		}
		rerr = r.wait()
	}
	res.elapsed = time.Since(t0)
	res.send, res.recv = readUsage(sendRSS), readUsage(recvRSS)
	if serr != nil {
		return res, fmt.Errorf("sender: %w", serr)
	}
	if rerr != nil {
		return res, fmt.Errorf("receiver: %w", rerr)
	}
	return res, nil
}

// timed wraps argv in GNU time, which writes the peak RSS in KiB and the
// user and system CPU seconds of argv and its children to file.
func (h *harness) timed(file string, argv []string) []string {
	if h.timeBin == "" {
		return argv
	}
	return append([]string{h.timeBin, "-q", "-f", "%M %U %S", "-o", file}, argv...)
}

// readUsage reads what timed wrote: the last line's three fields. A
// missing file or a malformed line gives zeros (unknown).
func readUsage(file string) usage {
	data, err := os.ReadFile(file)
	if err != nil {
		return usage{}
	}
	return parseUsage(string(data))
}

func parseUsage(text string) usage {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	f := strings.Fields(lines[len(lines)-1])
	if len(f) != 3 {
		return usage{}
	}
	kib, err1 := strconv.ParseInt(f[0], 10, 64)
	user, err2 := strconv.ParseFloat(f[1], 64)
	sys, err3 := strconv.ParseFloat(f[2], 64)
	if err1 != nil || err2 != nil || err3 != nil || kib < 0 || user < 0 || sys < 0 {
		return usage{}
	}
	return usage{rss: kib, cpu: user + sys}
}

// runFt is ft receive --once and ft send, of the ft tool key's binary.
func runFt(key string) func(context.Context, *harness, *runCase) (result, error) {
	return func(ctx context.Context, h *harness, c *runCase) (result, error) {
		bin := h.ftBinary(key)
		trust, err := ftTrust(ctx, h, key)
		if err != nil {
			return result{}, err
		}
		args := append([]string{bin, "receive", "-d", c.Dest, "--listen", hostPort(c.Net.Addr, 0), "--once", "--quiet"}, trust...)
		if c.Mode == "nosync" {
			args = append(args, "--no-sync")
		}
		lw := newLineWriter()
		return h.transfer(ctx, c, args, lw, firstLine(lw), func(addr string) []string {
			return append(append([]string{bin, "send", "--quiet"}, trust...), addr, c.W.Src)
		})
	}
}

// ftTrust is the trust flags of both ends for the ft tool key:
// --insecure for ft-insecure, else ft's default mode (authenticated,
// encrypted) with a secret of the run's own, never the user's default one.
func ftTrust(ctx context.Context, h *harness, key string) ([]string, error) {
	if key == "ft-insecure" {
		return []string{"--insecure"}, nil
	}
	secret := filepath.Join(h.work, "ft-secret")
	if _, err := os.Stat(secret); err != nil {
		if out, err := exec.CommandContext(ctx, h.ftBinary(key), "keygen", "--secret", secret).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("ft keygen --secret: %v: %s", err, out)
		}
	}
	return []string{"--secret", secret}, nil
}

func runRaw(hash bool) func(context.Context, *harness, *runCase) (result, error) {
	return func(ctx context.Context, h *harness, c *runCase) (result, error) {
		recv := []string{h.self, "rawrecv", "-listen", hostPort(c.Net.Addr, 0), "-d", c.Dest}
		send := []string{h.self, "rawsend"}
		if hash {
			recv = append(recv, "-hash")
			send = append(send, "-hash")
		}
		lw := newLineWriter()
		return h.transfer(ctx, c, recv, lw, firstLine(lw), func(addr string) []string {
			return append(send, addr, c.W.Src)
		})
	}
}

// runNc is nc for a file, tar | nc for a tree.
func runNc(ctx context.Context, h *harness, c *runCase) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	a, p := c.Net.Addr, fmt.Sprint(port)
	recv := "exec nc -l " + a + " " + p + " </dev/null >" + q(filepath.Join(c.Dest, c.W.Name))
	send := "exec nc -N " + a + " " + p + " <" + q(c.W.Src)
	if c.W.IsDir {
		recv = "nc -l " + a + " " + p + " </dev/null | tar -C " + q(c.Dest) + " -xf -"
		send = "tar -C " + q(filepath.Dir(c.W.Src)) + " -cf - " + q(c.W.Name) + " | nc -N " + a + " " + p
	}
	return h.transfer(ctx, c, bash(recv), nil, listening(a, port), func(string) []string {
		return bash(send)
	})
}

// runSocat is socat with 1 MiB buffers for a file, tar | socat for a tree.
func runSocat(ctx context.Context, h *harness, c *runCase) (result, error) {
	port, err := freePort()
	if err != nil {
		return result{}, err
	}
	a := c.Net.Addr
	listen := fmt.Sprintf("TCP-LISTEN:%d,bind=%s,reuseaddr", port, a)
	connect := fmt.Sprintf("TCP:%s:%d", a, port)
	recv := "exec socat -u -b1048576 " + listen + " CREATE:" + q(filepath.Join(c.Dest, c.W.Name))
	send := "exec socat -u -b1048576 OPEN:" + q(c.W.Src) + ",rdonly " + connect
	if c.W.IsDir {
		recv = "socat -u -b1048576 " + listen + " STDOUT | tar -C " + q(c.Dest) + " -xf -"
		send = "tar -C " + q(filepath.Dir(c.W.Src)) + " -cf - " + q(c.W.Name) + " | socat -u -b1048576 STDIN " + connect
	}
	return h.transfer(ctx, c, bash(recv), nil, listening(a, port), func(string) []string {
		return bash(send)
	})
}

// runRsync is rsync -a to an rsync daemon whose modules are the targets.
func runRsync(ctx context.Context, h *harness, c *runCase) (result, error) {
	d, err := h.rsyncd(ctx, c.Net)
	if err != nil {
		return result{}, err
	}
	url := fmt.Sprintf("rsync://%s:%d/%s/", c.Net.Addr, d.port, c.Target)
	return h.transfer(ctx, c, nil, nil, nil, func(string) []string {
		return []string{"rsync", "-a", c.W.Src, url}
	})
}

// runScp is scp -r to our own sshd.
func runScp(ctx context.Context, h *harness, c *runCase) (result, error) {
	d, err := h.sshd(ctx, c.Net)
	if err != nil {
		return result{}, err
	}
	args := append([]string{"scp", "-q", "-r", "-B", "-F", "/dev/null", "-P", fmt.Sprint(d.port)}, h.ssh.clientOpts...)
	args = append(args, c.W.Src, fmt.Sprintf("%s@%s:%s/", h.ssh.user, c.Net.Addr, c.Dest))
	return h.transfer(ctx, c, nil, nil, nil, func(string) []string { return args })
}

// freePort asks the kernel for a free loopback port. Another process could
// take it before the receiver does; on this quiet machine none does.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func bash(script string) []string { return []string{"bash", "-c", "set -o pipefail; " + script} }

// q quotes s for the shell.
func q(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
