package receive_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
)

// The tests of this package run the receiver in-process (receive.Run on
// 127.0.0.1:0) and talk to it over loopback TCP with hand-built streams
// from internal/vectors. They use receive's public API only.

// receiver is a receive.Run serving an inbox, stopped when the test ends.
type receiver struct {
	addr   string
	dir    string // the inbox
	parent string // the inbox's parent directory, which holds nothing else
	log    *logBuffer
}

// logBuffer collects the receiver's log, in the text form the CLI prints.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// quick are the options most tests run with: no syncs, and timeouts short
// enough that a stuck connection fails the test rather than hangs it.
func quick() receive.Options {
	return receive.Options{NoSync: true, HeaderTimeout: 5 * time.Second, IdleTimeout: 5 * time.Second}
}

// launch runs receive.Run with opts on 127.0.0.1:0, logging into r.log,
// and returns once it listens (r.addr), with its result and its cancel.
func launch(t *testing.T, opts receive.Options, r *receiver) (<-chan error, context.CancelFunc) {
	t.Helper()
	opts.Addr = "127.0.0.1:0"
	opts.Insecure = opts.SecretFile == "" // the hand-built streams speak version 1, unless a test gives a secret
	opts.Logger = slog.New(slog.NewTextHandler(r.log, nil))
	ready := make(chan string, 1)
	opts.Ready = func(a net.Addr) { ready <- a.String() }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- receive.Run(ctx, opts) }()
	select {
	case r.addr = <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("receive.Run returned before listening: %v", err)
	}
	return done, cancel
}

// startReceiver runs receive.Run with opts on 127.0.0.1:0, into a new
// inbox unless opts.Dir is set, and returns once it listens. Cancelling
// its context when the test ends must stop it cleanly.
func startReceiver(t *testing.T, opts receive.Options) *receiver {
	t.Helper()
	r := &receiver{log: &logBuffer{}}
	if opts.Dir == "" {
		r.parent = t.TempDir()
		opts.Dir = filepath.Join(r.parent, "inbox")
		if err := os.Mkdir(opts.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	r.dir = opts.Dir
	done, cancel := launch(t, opts, r)
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("receive.Run: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Errorf("receive.Run did not return within 20s of its context's end")
		}
	})
	return r
}

// outcome is what a hand-built sender heard back from the receiver.
type outcome struct {
	accepted bool
	verdicts []protocol.Verdict
	summary  *protocol.Summary
	remote   *protocol.RemoteError
	err      error // how reading ended, if not with a summary or an error frame
}

// codes lists the verdict codes in the order they came.
func (o outcome) codes() []protocol.Code {
	var cs []protocol.Code
	for _, v := range o.verdicts {
		cs = append(cs, v.Code)
	}
	return cs
}

// byIndex maps the verdicts to their entry index.
func (o outcome) byIndex() map[uint64]protocol.Code {
	m := make(map[uint64]protocol.Code)
	for _, v := range o.verdicts {
		m[v.Index] = v.Code
	}
	return m
}

func (o outcome) String() string {
	return fmt.Sprintf("accepted=%v verdicts=%+v summary=%+v remote=%v err=%v", o.accepted, o.verdicts, o.summary, o.remote, o.err)
}

// readOutcome reads the receiver's side of a connection to its end.
func readOutcome(r io.Reader) outcome {
	var o outcome
	br := bufio.NewReader(r)
	if _, o.err = protocol.ReadAccept(br, protocol.DefaultHello()); o.err != nil {
		errors.As(o.err, &o.remote)
		return o
	}
	o.accepted = true
	o.collect(protocol.NewReplyReader(br), nil)
	return o
}

// collect reads replies into o until a summary, an error frame or an
// error; answers (version 2) go to answer.
func (o *outcome) collect(rr *protocol.ReplyReader, answer func(protocol.Answer)) {
	for {
		rep, err := rr.Next()
		switch {
		case errors.As(err, &o.remote):
			return
		case err != nil:
			o.err = err
			return
		case rep.Summary != nil:
			o.summary = rep.Summary
			return
		case rep.Answer != nil:
			answer(*rep.Answer)
		default:
			o.verdicts = append(o.verdicts, *rep.Verdict)
		}
	}
}

// dial connects to the receiver; the connection is closed when the test ends.
func dial(t *testing.T, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(30 * time.Second))
	t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends stream on a new connection, half-closes it and reads what
// the receiver answers.
func exchange(t *testing.T, addr string, stream []byte) outcome {
	t.Helper()
	c := dial(t, addr)
	defer c.Close()
	go func() {
		c.Write(stream)
		c.(*net.TCPConn).CloseWrite()
	}()
	return readOutcome(c)
}

// openStream starts a sender connection and writes stream, leaving the
// connection open.
func openStream(t *testing.T, addr string, stream []byte) net.Conn {
	t.Helper()
	c := dial(t, addr)
	if _, err := c.Write(stream); err != nil {
		t.Fatal(err)
	}
	return c
}

// finishStream sends the end frame counting entries, half-closes and
// reads the receiver's answer.
func finishStream(t *testing.T, c net.Conn, entries uint64) outcome {
	t.Helper()
	if _, err := c.Write(vectors.NewStream().End(entries).Bytes()); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	return readOutcome(c)
}

var probes atomic.Int64

// sendValid checks that the receiver still serves: a valid transfer of a
// fresh small file is confirmed and lands; the file is then removed so
// that the inbox can be compared.
func sendValid(t *testing.T, r *receiver) {
	t.Helper()
	name := fmt.Sprintf("probe-%d.txt", probes.Add(1))
	const body = "a valid transfer\n"
	o := exchange(t, r.addr, vectors.NewStream().Hello1().File(name, body).End(1).Bytes())
	if !slices.Equal(o.codes(), []protocol.Code{protocol.CodeOK}) || o.summary == nil || o.summary.Committed != 1 {
		t.Fatalf("the next valid transfer failed: %v\nreceiver log:\n%s", o, r.log)
	}
	p := filepath.Join(r.dir, name)
	if got, err := os.ReadFile(p); err != nil || string(got) != body {
		t.Fatalf("the next valid transfer did not land: %q, %v", got, err)
	}
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
}

// walk calls fn for everything under dir in lexical order, with its
// slash-separated name and its Lstat information, through an os.Root so
// that names up to the protocol's limit work whatever the length of dir;
// it descends into a directory when fn returns true.
func walk(t *testing.T, dir string, fn func(name string, fi fs.FileInfo) bool) {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	var visit func(name string)
	visit = func(name string) {
		f, err := root.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		ents, err := f.ReadDir(-1)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(ents, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
		for _, e := range ents {
			p := path.Join(name, e.Name())
			if inbox.IsReceiverFile(p) {
				continue // the receiver's lock and journal
			}
			fi, err := root.Lstat(p)
			if err != nil {
				t.Fatal(err)
			}
			if fn(p, fi) && fi.IsDir() {
				visit(p)
			}
		}
	}
	visit(".")
}

// snapshot describes everything under dir by name (type, permissions,
// mtime, size and a hash of the content or the link target), so that two
// snapshots differ if anything changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	out := make(map[string]string)
	walk(t, dir, func(name string, fi fs.FileInfo) bool {
		var content string
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			content, err = root.Readlink(name)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = root.ReadFile(name)
			sum := sha256.Sum256(b)
			content = hex.EncodeToString(sum[:8])
		}
		if err != nil {
			t.Fatal(err)
		}
		out[name] = fmt.Sprintf("%v %d %d %s", fi.Mode(), fi.ModTime().UnixNano(), fi.Size(), content)
		return true
	})
	return out
}

// tempFiles returns what looks like the receiver's temp files or staging
// directories (names starting with ".ft-") anywhere under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	walk(t, dir, func(name string, fi fs.FileInfo) bool {
		if strings.HasPrefix(path.Base(name), ".ft-") {
			out = append(out, name)
			return false
		}
		return true
	})
	return out
}

// assertNoTemp fails if a temp file or staging directory is left.
func assertNoTemp(t *testing.T, dir string) {
	t.Helper()
	if left := tempFiles(t, dir); len(left) != 0 {
		t.Errorf("temp files left in the inbox: %q", left)
	}
}

// waitNoTemp waits until the receiver has removed its temp files.
func waitNoTemp(t *testing.T, dir string) {
	t.Helper()
	waitFor(t, 10*time.Second, "no temp file in the inbox", func() bool { return len(tempFiles(t, dir)) == 0 })
}

// assertAlone fails if anything but the inbox is in its parent directory:
// nothing may be written beside the inbox.
func assertAlone(t *testing.T, r *receiver) {
	t.Helper()
	if r.parent == "" {
		return
	}
	if ents, err := os.ReadDir(r.parent); err != nil || len(ents) != 1 {
		t.Errorf("something was written beside the inbox: %v %v", ents, err)
	}
}

// waitFor polls cond until it holds or timeout passes, then fails the test
// naming what it waited for.
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

// waitLog waits until the receiver's log, from offset from on, contains sub.
func waitLog(t *testing.T, r *receiver, from int, sub string) {
	t.Helper()
	waitFor(t, 15*time.Second, fmt.Sprintf("%q in the receiver's log", sub), func() bool {
		return strings.Contains(r.log.String()[from:], sub)
	})
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// assertFiles checks that each file under dir has its content and that no
// temp file or staging directory is left.
func assertFiles(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for name, content := range files {
		if got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name))); err != nil || !bytes.Equal(got, content) {
			t.Errorf("%s: wrong content or missing (%v)", name, err)
		}
	}
	assertNoTemp(t, dir)
}

// assertLogClean fails if the log holds raw control or escape characters
// or invalid UTF-8: peer-supplied names must be shown escaped.
func assertLogClean(t *testing.T, log string) {
	t.Helper()
	if !utf8.ValidString(log) {
		t.Errorf("receiver log is not valid UTF-8")
	}
	for _, line := range strings.Split(log, "\n") {
		for _, c := range line {
			if c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) {
				t.Errorf("receiver log has raw control character %U in line %q", c, line)
				break
			}
		}
	}
}

// removeAll removes name under dir.
func removeAll(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.RemoveAll(filepath.Join(dir, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
}
