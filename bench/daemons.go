//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
)

// daemon is a long-lived receiver (rsync --daemon, sshd) serving one network.
type daemon struct {
	p    *proc
	port int
}

// startDaemon starts argv (built for a free port) in the receiver's
// namespace, once per network, and restarts it if it died.
func (h *harness) startDaemon(ctx context.Context, key string, n *netEnv, argv func(port int) ([]string, error)) (*daemon, error) {
	key += "/" + n.Name
	if d := h.daemons[key]; d != nil && !d.p.exited() {
		return d, nil
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args, err := argv(port)
	if err != nil {
		return nil, err
	}
	// Not ctx: a daemon outlives the transfer that started it; cleanup stops it.
	p, err := h.start(context.Background(), n.recv(args...), nil)
	if err != nil {
		return nil, err
	}
	if _, err := listening(n.Addr, port)(ctx, p); err != nil {
		p.kill()
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	d := &daemon{p: p, port: port}
	h.daemons[key] = d
	return d, nil
}

// rsyncd is an rsync daemon with one writable module per target.
func (h *harness) rsyncd(ctx context.Context, n *netEnv) (*daemon, error) {
	return h.startDaemon(ctx, "rsyncd", n, func(port int) ([]string, error) {
		var b strings.Builder
		b.WriteString("use chroot = no\nmax connections = 8\nlog file = /dev/null\n")
		if os.Geteuid() == 0 {
			b.WriteString("uid = root\ngid = root\n")
		}
		for t, dir := range h.targets {
			fmt.Fprintf(&b, "[%s]\npath = %s\nread only = no\n", t, dir)
		}
		conf := filepath.Join(h.work, "rsyncd-"+n.Name+".conf")
		if err := os.WriteFile(conf, []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		return []string{"rsync", "--daemon", "--no-detach", "--config=" + conf,
			fmt.Sprintf("--port=%d", port), "--address=" + n.Addr}, nil
	})
}

// sshSetup is the generated keys and client options for scp.
type sshSetup struct {
	dir        string
	sshd       string
	user       string
	clientOpts []string
}

// sshd is our own sshd on a free port of the receiver's address, with a
// generated host key, accepting only a generated client key. It reads only
// its own config; the system's sshd and its config are not touched.
func (h *harness) sshd(ctx context.Context, n *netEnv) (*daemon, error) {
	if h.ssh == nil {
		s, err := h.sshKeys(ctx)
		if err != nil {
			return nil, err
		}
		h.ssh = s
	}
	return h.startDaemon(ctx, "sshd", n, func(port int) ([]string, error) {
		conf := filepath.Join(h.ssh.dir, "sshd_config-"+n.Name)
		text := fmt.Sprintf(`Port %d
ListenAddress %s
HostKey %s
PidFile none
AuthorizedKeysFile %s
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
UseDNS no
PrintMotd no
MaxStartups 50
LogLevel ERROR
Subsystem sftp internal-sftp
`, port, n.Addr, filepath.Join(h.ssh.dir, "host_ed25519"), filepath.Join(h.ssh.dir, "authorized_keys"))
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			return nil, err
		}
		return []string{h.ssh.sshd, "-D", "-e", "-f", conf}, nil
	})
}

// sshKeys generates the host and client keys and, if it is missing, the
// privilege separation directory sshd insists on (removed at the end).
func (h *harness) sshKeys(ctx context.Context) (*sshSetup, error) {
	s := &sshSetup{dir: filepath.Join(h.work, "ssh")}
	var err error
	if s.sshd, err = findSshd(); err != nil {
		return nil, err
	}
	u, err := user.Current()
	if err != nil {
		return nil, err
	}
	s.user = u.Username
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, err
	}
	for _, k := range []string{"host_ed25519", "client_ed25519"} {
		if err := runCmd(ctx, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "ft-bench", "-f", filepath.Join(s.dir, k)); err != nil {
			return nil, err
		}
	}
	pub, err := os.ReadFile(filepath.Join(s.dir, "client_ed25519.pub"))
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.dir, "authorized_keys"), pub, 0o600); err != nil {
		return nil, err
	}
	if _, err := os.Stat("/run/sshd"); errors.Is(err, os.ErrNotExist) && os.Geteuid() == 0 {
		if err := os.Mkdir("/run/sshd", 0o755); err != nil {
			return nil, err
		}
		st := h.stateFile("rmdir", "/run/sshd")
		h.onCleanup(func() error { os.Remove(st); return os.Remove("/run/sshd") })
	}
	s.clientOpts = []string{"-i", filepath.Join(s.dir, "client_ed25519"),
		"-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes"}
	return s, nil
}

func findSshd() (string, error) {
	if p, err := exec.LookPath("sshd"); err == nil {
		return p, nil
	}
	if _, err := os.Stat("/usr/sbin/sshd"); err == nil {
		return "/usr/sbin/sshd", nil
	}
	return "", errors.New("sshd not installed (bench/run.sh installs openssh-server)")
}

func checkScp(h *harness) error {
	if err := needBins("scp", "ssh-keygen")(h); err != nil {
		return err
	}
	_, err := findSshd()
	return err
}
