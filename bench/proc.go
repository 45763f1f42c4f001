//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// proc is a started command in its own process group. The group is killed
// when its context ends, and the run's state dir holds its id meanwhile so
// that run.sh can kill it even if this program dies.
type proc struct {
	cmd   *exec.Cmd
	name  string
	errw  *tailWriter
	done  chan struct{}
	err   error
	state string
}

// start starts argv with stdout going to stdout (nil: discarded).
func (h *harness) start(ctx context.Context, argv []string, stdout io.Writer) (*proc, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	p := &proc{cmd: cmd, name: procName(argv), errw: &tailWriter{max: 4096}, done: make(chan struct{})}
	cmd.Stdout = stdout
	cmd.Stderr = p.errw
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p.state = filepath.Join(h.state, "pgid."+strconv.Itoa(cmd.Process.Pid))
	os.WriteFile(p.state, []byte(strconv.Itoa(cmd.Process.Pid)), 0o644)
	go func() {
		p.err = cmd.Wait()
		os.Remove(p.state)
		close(p.done)
	}()
	return p, nil
}

// procName names a command for messages, past the netns and time wrappers.
func procName(argv []string) string {
	for len(argv) > 0 {
		switch base := filepath.Base(argv[0]); {
		case base == "ip" && len(argv) > 4 && argv[1] == "netns":
			argv = argv[4:]
		case base == "time" && len(argv) > 6 && argv[1] == "-q":
			argv = argv[6:]
		case base == "bash" && len(argv) > 2:
			return strings.TrimPrefix(argv[2], "set -o pipefail; ")
		default:
			return base
		}
	}
	return "?"
}

// wait waits for the process and returns its error with the tail of its
// stderr.
func (p *proc) wait() error {
	<-p.done
	if p.err != nil {
		return fmt.Errorf("%s: %v: %s", p.name, p.err, p.errw.String())
	}
	return nil
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill kills the process group if the process is still running, and waits.
func (p *proc) kill() {
	if p == nil {
		return
	}
	if !p.exited() {
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	}
	<-p.done
}

// stop asks the process group to end with SIGTERM, then kills it.
func (p *proc) stop() {
	if p == nil || p.exited() {
		return
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(3 * time.Second):
		p.kill()
	}
}

// tailWriter keeps the last max bytes written to it.
type tailWriter struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (t *tailWriter) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > t.max {
		t.b = t.b[len(t.b)-t.max:]
	}
	return len(p), nil
}

func (t *tailWriter) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.b))
}

// lineWriter hands the first line written to it to first, and drops the rest.
type lineWriter struct {
	mu    sync.Mutex
	buf   []byte
	sent  bool
	first chan string
}

func newLineWriter() *lineWriter { return &lineWriter{first: make(chan string, 1)} }

func (l *lineWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sent {
		return len(p), nil
	}
	l.buf = append(l.buf, p...)
	if i := bytes.IndexByte(l.buf, '\n'); i >= 0 {
		l.first <- strings.TrimSpace(string(l.buf[:i]))
		l.sent = true
		l.buf = nil
	}
	return len(p), nil
}

// readyFunc waits until a started receiver accepts connections and returns
// the address to send to.
type readyFunc func(ctx context.Context, p *proc) (string, error)

const readyTimeout = 15 * time.Second

// firstLine waits for the address the receiver prints as its first line.
func firstLine(lw *lineWriter) readyFunc {
	return func(ctx context.Context, p *proc) (string, error) {
		select {
		case addr := <-lw.first:
			return addr, nil
		case <-p.done:
			return "", fmt.Errorf("receiver exited before it printed its address: %w", p.wait())
		case <-time.After(readyTimeout):
			return "", errors.New("receiver printed no address in time")
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// listening waits until a TCP socket listens on port in the receiver's
// network namespace, read from /proc/PID/net/tcp: a tool that serves only
// one connection must not be probed by connecting to it.
func listening(host string, port int) readyFunc {
	return func(ctx context.Context, p *proc) (string, error) {
		deadline := time.Now().Add(readyTimeout)
		addr := hostPort(host, port)
		for time.Now().Before(deadline) {
			if ok, _ := isListening(p.cmd.Process.Pid, port); ok {
				return addr, nil
			}
			select {
			case <-p.done:
				return "", fmt.Errorf("receiver exited before it listened: %w", p.wait())
			case <-ctx.Done():
				return "", ctx.Err()
			case <-time.After(2 * time.Millisecond):
			}
		}
		return "", fmt.Errorf("nothing listens on %s in time", addr)
	}
}

func isListening(pid, port int) (bool, error) {
	want := fmt.Sprintf(":%04X", port)
	for _, f := range []string{"tcp", "tcp6"} {
		file, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			return false, err
		}
		sc := bufio.NewScanner(file)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) > 3 && strings.HasSuffix(fields[1], want) && fields[3] == "0A" {
				file.Close()
				return true, nil
			}
		}
		file.Close()
	}
	return false, nil
}

func hostPort(host string, port int) string {
	return fmt.Sprintf("%s:%d", host, port)
}
