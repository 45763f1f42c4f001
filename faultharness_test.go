package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// Helpers for the fault tests: hand-built streams, asynchronous processes,
// bounded polling and inbox checks. The proxy lives in faultproxy_test.go.

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

// tempBytes is the total size of the ft temp files under dir.
func tempBytes(dir string) int64 {
	var n int64
	for _, name := range tempFiles(dir) {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// assertLogClean fails if a log holds raw control or escape characters or
// invalid UTF-8: peer-supplied names must be shown escaped.
func assertLogClean(t *testing.T, log string) {
	t.Helper()
	if !utf8.ValidString(log) {
		t.Errorf("receiver log is not valid UTF-8")
	}
	for _, line := range strings.Split(log, "\n") {
		for _, r := range line {
			if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
				t.Errorf("receiver log has raw control character %U in line %q", r, line)
				break
			}
		}
	}
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

// wait waits up to timeout for the process to exit and returns its result.
func (p *process) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not exit within %v; stderr:\n%s", p.cmd.Args, timeout, p.stderr)
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err == nil {
		code = 0
	}
	return result{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
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

// helloBytes is a valid sender hello for version 1.
func helloBytes() []byte {
	b := []byte(protocol.Magic)
	return append(b, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
}

// rawFrame builds a frame with any type, claimed length and payload.
func rawFrame(typ byte, claimed uint32, payload []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, claimed)
	return append(b, payload...)
}

// rawEntry builds a file entry frame (no body) with any name and size,
// following PROTOCOL.md but without the protocol package's checks.
func rawEntry(name string, size uint64) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(len(name)))
	p = append(p, name...)
	p = binary.BigEndian.AppendUint32(p, 0o644)
	p = binary.BigEndian.AppendUint64(p, uint64(time.Now().UnixNano()))
	p = binary.BigEndian.AppendUint64(p, size)
	p = binary.BigEndian.AppendUint16(p, 0)
	return rawFrame(0x01, uint32(len(p)), p)
}

// trailer is the BLAKE3 trailer of body.
func trailer(body []byte) []byte {
	sum := blake3.Sum256(body)
	return sum[:]
}

// endFrame builds the end frame counting n entries.
func endFrame(n uint64) []byte {
	return rawFrame(0x0f, 8, binary.BigEndian.AppendUint64(nil, n))
}

// validStream is a whole correct stream sending one file.
func validStream(name string, body []byte) []byte {
	b := append(helloBytes(), rawFileFrame(name, body)...)
	return append(b, endFrame(1)...)
}

// rawOutcome is what a hand-built client heard back from the receiver.
type rawOutcome struct {
	accepted bool
	verdicts []protocol.Verdict
	summary  *protocol.Summary
	remote   *protocol.RemoteError
	err      error // how reading ended, if not with a summary or an error frame
}

// codes lists the verdict codes in order.
func (o rawOutcome) codes() []protocol.Code {
	var cs []protocol.Code
	for _, v := range o.verdicts {
		cs = append(cs, v.Code)
	}
	return cs
}

func (o rawOutcome) String() string {
	return fmt.Sprintf("accepted=%v verdicts=%+v summary=%+v remote=%v err=%v", o.accepted, o.verdicts, o.summary, o.remote, o.err)
}

// readOutcome reads the receiver's side of a connection to its end.
func readOutcome(r io.Reader) rawOutcome {
	var o rawOutcome
	br := bufio.NewReader(r)
	if _, o.err = protocol.ReadAccept(br, protocol.DefaultHello()); o.err != nil {
		errors.As(o.err, &o.remote)
		return o
	}
	o.accepted = true
	rr := protocol.NewReplyReader(br)
	for {
		rep, err := rr.Next()
		switch {
		case errors.As(err, &o.remote):
			return o
		case err != nil:
			o.err = err
			return o
		case rep.Summary != nil:
			o.summary = rep.Summary
			return o
		}
		o.verdicts = append(o.verdicts, *rep.Verdict)
	}
}

// sendRaw writes stream on a new connection, half-closes it and reads
// what the receiver answers.
func sendRaw(t *testing.T, addr string, stream []byte) rawOutcome {
	t.Helper()
	c := dialRaw(t, addr)
	defer c.Close()
	go func() {
		c.Write(stream)
		c.(*net.TCPConn).CloseWrite()
	}()
	return readOutcome(c)
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

// runCmd runs a setup command (ip, tc, nft, mount) and fails on error.
func runCmd(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// isRoot reports whether the tests run as root.
func isRoot() bool { return os.Geteuid() == 0 }

// removeAll removes name under dir.
func removeAll(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// runOut runs a command and returns its combined output.
func runOut(name string, args ...string) ([]byte, error) {
	return exec.Command(name, args...).CombinedOutput()
}

// waitLog waits until the receiver's log, from offset from on, contains sub.
func waitLog(t *testing.T, r *receiver, from int, sub string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.stderr.String()[from:], sub) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not log %q within 15s; its log:\n%s", sub, r.stderr)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}
