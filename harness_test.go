package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	ftinbox "github.com/ft-team/ft/internal/inbox"
)

// ftBin is the ft binary under test, built once by TestMain.
var ftBin string

// testUmask is the umask of the tests and of the receivers they start,
// which cuts the modes of what those receive.
var testUmask os.FileMode

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ft-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ftBin = filepath.Join(dir, "ft")
	testUmask = setTestUmask()
	// The binary is built with the tags of the test (buildtags_*_test.go).
	tags := "-tags=" + buildTags
	if out, err := exec.Command("go", "build", "-race", tags, "-o", ftBin, ".").CombinedOutput(); err != nil {
		// -race needs cgo; fall back to a plain build.
		if out2, err2 := exec.Command("go", "build", tags, "-o", ftBin, ".").CombinedOutput(); err2 != nil {
			fmt.Fprintf(os.Stderr, "build ft: %v\n%s\n%s", err2, out, out2)
			os.Exit(1)
		}
	}
	// A race found in the binary fails the test through its exit code (66);
	// without atexit_sleep_ms=0 every race-enabled process lingers 1 s at exit.
	os.Setenv("GORACE", "atexit_sleep_ms=0 halt_on_error=1")
	cleanConfig := isolateConfig()
	code := m.Run()
	cleanConfig()
	os.RemoveAll(dir)
	os.Exit(code)
}

// cmdTimeout bounds every ft process a test runs.
const cmdTimeout = 2 * time.Minute

// lockedBuffer is a bytes.Buffer safe for a process writing and a test reading.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// receiver is a running "ft receive".
type receiver struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string
	dir    string
	stderr *lockedBuffer
	done   chan struct{}
	err    error
}

// startReceiver runs "ft receive" on 127.0.0.1:0 into dir with extra args
// and waits until it prints its address.
func startReceiver(t *testing.T, dir string, args ...string) *receiver {
	t.Helper()
	return startReceiverBin(t, ftBin, cmdTimeout, dir, args...)
}

// startReceiverBin is startReceiver with the ft binary bin, killed after
// timeout.
func startReceiverBin(t *testing.T, bin string, timeout time.Duration, dir string, args ...string) *receiver {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	all := append([]string{"receive", "-d", dir, "--listen", "127.0.0.1:0"}, args...)
	cmd := exec.CommandContext(ctx, bin, all...)
	cmd.Env = ftEnv(t)
	r := &receiver{t: t, cmd: cmd, dir: dir, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = r.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		io.Copy(io.Discard, stdout)
	}()
	go func() { r.err = cmd.Wait(); cancel(); close(r.done) }()
	t.Cleanup(func() { r.stop() })
	select {
	case r.addr = <-addr:
	case <-time.After(30 * time.Second):
		t.Fatalf("receiver did not print its address; stderr:\n%s", r.stderr)
	}
	if r.addr == "" {
		<-r.done
		t.Fatalf("receiver exited: %v; stderr:\n%s", r.err, r.stderr)
	}
	return r
}

// stop interrupts the receiver and waits for it.
func (r *receiver) stop() {
	select {
	case <-r.done:
		return
	default:
	}
	r.cmd.Process.Signal(os.Interrupt)
	select {
	case <-r.done:
	case <-time.After(20 * time.Second):
		r.cmd.Process.Kill()
		<-r.done
		r.t.Errorf("receiver did not stop on SIGINT within 20s")
	}
}

// wait waits for the receiver to exit by itself and returns its exit code.
func (r *receiver) wait() int {
	r.t.Helper()
	select {
	case <-r.done:
	case <-time.After(cmdTimeout):
		r.t.Fatalf("receiver did not exit")
	}
	return exitCodeOf(r.t, r.err)
}

// result of running ft once.
type result struct {
	code           int
	stdout, stderr string
}

// ft runs the ft binary with args in the current directory.
func ft(t *testing.T, args ...string) result {
	t.Helper()
	return ftIn(t, "", args...)
}

// ftIn runs the ft binary with args in dir.
func ftIn(t *testing.T, dir string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, ftBin, args...)
	cmd.Dir = dir
	cmd.Env = ftEnv(t)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{code: exitCodeOf(t, err), stdout: stdout.String(), stderr: stderr.String()}
}

func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("run ft: %v", err)
	return -1
}

// writeFile creates a file with content under dir, making parents.
func writeFile(t *testing.T, path string, content []byte, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, content, mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// listTree returns "path size mode" lines (or "path -> target") for
// everything under dir, sorted, so trees can be compared.
func listTree(t *testing.T, dir string) []string {
	t.Helper()
	return listTreeUmask(t, dir, 0)
}

// listTreeUmask is listTree with the modes cut by umask: what a receiver
// running under it makes of the tree.
func listTreeUmask(t *testing.T, dir string, umask os.FileMode) []string {
	t.Helper()
	var out []string
	err := filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		switch {
		case rel == ".", ftinbox.IsReceiverFile(filepath.ToSlash(rel)): // the receiver's lock and journal
		case fi.Mode()&os.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, rel+" -> "+target)
		case fi.IsDir():
			out = append(out, fmt.Sprintf("%s/ %v", rel, fi.Mode().Perm()&^umask))
		default:
			out = append(out, fmt.Sprintf("%s %d %v", rel, fi.Size(), fi.Mode().Perm()&^umask))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// dialRawListener returns the address of a loopback port that was just
// closed, so connecting to it is refused.
func dialRawListener(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// waitFor polls cond every few milliseconds until it holds or timeout
// passes, then fails the test naming what it waited for.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a readiness guess
	}
}

// tempFiles returns the ft temp files and staging directories anywhere
// under dir (the receiver keeps each one in its file's directory),
// relative to dir.
func tempFiles(dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".ft-") && strings.HasSuffix(d.Name(), ".part") {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, rel)
			if d.IsDir() {
				return fs.SkipDir
			}
		}
		return nil
	})
	return out
}

// process is an ft process running in the background.
type process struct {
	cmd    *exec.Cmd
	start  time.Time
	stdout *lockedBuffer
	stderr *lockedBuffer
	done   chan struct{}
	err    error
	took   time.Duration
}

// startFt starts "ft args..." in dir (prefix, if any, is run instead, with
// the ft binary and args after it, e.g. "ip netns exec NS").
func startFt(t *testing.T, dir string, prefix []string, args ...string) *process {
	t.Helper()
	argv := append(append(append([]string{}, prefix...), ftBin), args...)
	ctx, cancel := context.WithTimeout(context.Background(), cmdTimeout)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = ftEnv(t)
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.stdout, p.stderr
	p.start = time.Now()
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	go func() { p.err = cmd.Wait(); p.took = time.Since(p.start); cancel(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

// startReceiverVia runs "ft receive" through prefix (e.g. in a network
// namespace) listening on listen, and waits for its address.
func startReceiverVia(t *testing.T, prefix []string, dir, listen string, args ...string) *receiver {
	t.Helper()
	all := append([]string{"receive", "-d", dir, "--listen", listen}, args...)
	p := startFt(t, "", prefix, all...)
	r := &receiver{t: t, cmd: p.cmd, dir: dir, stderr: p.stderr, done: make(chan struct{})}
	go func() { <-p.done; r.err = p.err; close(r.done) }()
	t.Cleanup(r.stop) // runs before startFt's cleanup: interrupt first, kill last
	waitFor(t, 30*time.Second, "the receiver's address", func() bool {
		select {
		case <-r.done:
			t.Fatalf("receiver exited: %v; stderr:\n%s", r.err, r.stderr)
		default:
		}
		line, ok := strings.CutSuffix(p.stdout.String(), "\n")
		r.addr = line
		return ok
	})
	return r
}

// sendOneFile runs a real "ft send" of a small fresh file and fails the
// test unless the receiver confirms it; it then removes the file from
// the inbox again so that the inbox can be compared.
func sendOneFile(t *testing.T, r *receiver) {
	t.Helper()
	src := t.TempDir()
	name := fmt.Sprintf("probe-%d.txt", time.Now().UnixNano())
	writeFile(t, filepath.Join(src, name), []byte("a valid transfer\n"), 0o644)
	res := ftIn(t, src, "send", "-q", r.addr, name)
	if res.code != 0 {
		t.Fatalf("the next valid transfer failed: exit %d: %s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
	}
	if got, err := os.ReadFile(filepath.Join(r.dir, name)); err != nil || string(got) != "a valid transfer\n" {
		t.Fatalf("the next valid transfer did not land: %q, %v", got, err)
	}
	os.Remove(filepath.Join(r.dir, name))
}
