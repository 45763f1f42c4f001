package send

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// fakeReceiver accepts one sender on a loopback listener, reads its whole
// stream, then answers with what replies writes, and closes. It returns
// the address to send to.
func fakeReceiver(t *testing.T, replies func(rw *protocol.ReplyWriter)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("fake receiver: %v", err)
		}
	})
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		done <- serveReplies(conn, replies)
	}()
	return ln.Addr().String()
}

func serveReplies(conn net.Conn, replies func(rw *protocol.ReplyWriter)) error {
	br, bw := bufio.NewReader(conn), bufio.NewWriter(conn)
	hello, err := protocol.ReadHello(br)
	if err != nil {
		return err
	}
	acc, err := protocol.Negotiate(hello)
	if err == nil {
		err = protocol.WriteAccept(conn, acc)
	}
	if err != nil {
		return err
	}
	rd := protocol.NewReader(br)
	for {
		if _, err := rd.Next(); err == io.EOF {
			break
		} else if err != nil {
			return err
		}
	}
	replies(protocol.NewReplyWriter(bw))
	bw.Flush() // the sender may have hung up on a bad reply: that is the point
	return nil
}

// twoFiles writes "a" (5 bytes) and "b" (3 bytes), sent as entries 0 and 1.
func twoFiles(t *testing.T) []string {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	for p, body := range map[string]string{a: "hello", b: "abc"} {
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return []string{a, b}
}

type reply struct {
	v *protocol.Verdict
	s *protocol.Summary
}

func verdict(i uint64, c protocol.Code) reply {
	return reply{v: &protocol.Verdict{Index: i, Code: c, Message: "msg"}}
}

func summary(entries, committed, bytes uint64) reply {
	return reply{s: &protocol.Summary{Entries: entries, Committed: committed, Failed: entries - committed, Bytes: bytes}}
}

// TestReplyChecks replays reply streams against a real send.Run: unknown
// codes of any value are refusals, and replies that contradict each other
// or the entries sent are protocol errors, never a success.
func TestReplyChecks(t *testing.T) {
	const ok, refused, broken = "ok", "refused", "broken"
	cases := []struct {
		name    string
		replies []reply
		want    string
		detail  string // in the error, for broken streams
	}{
		{"all ok", []reply{verdict(1, 0), verdict(0, 0), summary(2, 2, 8)}, ok, ""},
		{"unchanged", []reply{verdict(0, 1), verdict(1, 0), summary(2, 2, 3)}, ok, ""},
		{"aborted", []reply{verdict(0, protocol.CodeAborted), verdict(1, 0), summary(2, 1, 3)}, refused, ""},
		{"unassigned code 10", []reply{verdict(0, 10), verdict(1, 0), summary(2, 1, 3)}, refused, ""},
		{"error-range code 16", []reply{verdict(0, 16), verdict(1, 0), summary(2, 1, 3)}, refused, ""},
		{"code 254", []reply{verdict(0, 254), verdict(1, 0), summary(2, 1, 3)}, refused, ""},
		{"code 255", []reply{verdict(0, 0), verdict(1, 255), summary(2, 1, 5)}, refused, ""},
		{"ok then summary of none committed", []reply{verdict(0, 0), verdict(1, 0), summary(2, 0, 0)}, broken, "committed"},
		{"refused then summary of all committed", []reply{verdict(0, 2), verdict(1, 0), summary(2, 2, 8)}, broken, "committed"},
		{"wrong bytes", []reply{verdict(0, 0), verdict(1, 0), summary(2, 2, 9)}, broken, "bytes"},
		{"unchanged counted as bytes", []reply{verdict(0, 1), verdict(1, 0), summary(2, 2, 8)}, broken, "bytes"},
		{"duplicate verdict", []reply{verdict(0, 0), verdict(0, 0), verdict(1, 0), summary(2, 2, 8)}, broken, "second verdict"},
		{"duplicate verdict, other code", []reply{verdict(0, 0), verdict(1, 0), verdict(1, 2), summary(2, 2, 8)}, broken, "second verdict"},
		{"verdict for an entry never sent", []reply{verdict(0, 0), verdict(1, 0), verdict(2, 0), summary(2, 2, 8)}, broken, "not sent"},
		{"verdict for entry 2^64-1", []reply{verdict(1<<64-1, 0)}, broken, "not sent"},
		{"summary before a verdict", []reply{verdict(1, 0), summary(2, 1, 3)}, broken, "no verdict for entry 0"},
		{"summary counting 3 entries", []reply{verdict(0, 0), verdict(1, 0), verdict(2, 0), summary(3, 3, 8)}, broken, ""},
		{"summary counting 1 entry", []reply{verdict(0, 0), summary(1, 1, 5)}, broken, "counted 1 entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := fakeReceiver(t, func(rw *protocol.ReplyWriter) {
				for _, r := range tc.replies {
					if r.v != nil {
						rw.WriteVerdict(*r.v)
					} else if err := rw.WriteSummary(*r.s); err != nil {
						t.Errorf("test summary: %v", err)
					}
				}
			})
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := Run(ctx, Options{Addr: addr, Paths: twoFiles(t), Insecure: true})
			checkOutcome(t, tc.want, tc.detail, res, err)
		})
	}
}

func checkOutcome(t *testing.T, want, detail string, res *Result, err error) {
	t.Helper()
	switch want {
	case "ok":
		if err != nil || res.Committed != 2 || len(res.Failed) != 0 {
			t.Errorf("Run = %+v, %v; want both committed", res, err)
		}
	case "refused":
		if !errors.Is(err, ErrRefused) || errors.Is(err, ErrConnLost) || res.Committed != 1 || len(res.Failed) != 1 {
			t.Errorf("Run = %+v, %v; want one committed, one refused (ErrRefused)", res, err)
		}
	case "broken":
		if !errors.Is(err, ErrConnLost) || !errors.Is(err, errBadReplies) || !errors.Is(err, protocol.ErrFrame) ||
			!strings.Contains(err.Error(), detail) {
			t.Errorf("Run error %v, want ErrConnLost for a receiver breaking the protocol, mentioning %q", err, detail)
		}
	default:
		panic(fmt.Sprintf("unknown outcome %q", want))
	}
}

// TestAbortedEntry: an entry the sender aborted is reported for its local
// reason (a source error), whatever the receiver's verdict on it; a
// success verdict on it is a protocol error.
func TestAbortedEntry(t *testing.T) {
	w := newWalker(nil, nil)
	w.emit(entry{name: "a", kind: protocol.KindFile, size: 10})
	w.emit(entry{name: "b", kind: protocol.KindFile, size: 3})
	changed := fmt.Errorf("%w: %w (size 10 -> 4)", ErrSource, errChanged)
	s := &sent{w: w, wire: []int32{0, 1}, local: map[int]error{0: changed}}
	for _, code := range []protocol.Code{protocol.CodeAborted, protocol.CodeChecksum, 200} {
		vs := newVerdicts()
		vs.sent.Store(2)
		for _, v := range []protocol.Verdict{{Index: 0, Code: code}, {Index: 1, Code: protocol.CodeOK}} {
			if err := vs.add(&v); err != nil {
				t.Fatal(err)
			}
		}
		if err := vs.check(protocol.Summary{Entries: 2, Committed: 1, Failed: 1, Bytes: 3}, s); err != nil {
			t.Errorf("verdict %v on the aborted entry: check = %v", code, err)
		}
		res := &Result{}
		collect(res, s, vs)
		err := failures(res)
		if res.Committed != 1 || len(res.Failed) != 1 || res.Failed[0].Code != protocol.CodeOK || !res.Failed[0].Local() ||
			!errors.Is(err, ErrSource) || !strings.Contains(res.Failed[0].Error(), `"a": `) ||
			!strings.Contains(res.Failed[0].Error(), "changed while being sent") {
			t.Errorf("verdict %v on the aborted entry: %+v, %v; want a source error naming \"a\" as changed", code, res, err)
		}
	}
	vs := newVerdicts()
	vs.sent.Store(2)
	vs.add(&protocol.Verdict{Index: 0, Code: protocol.CodeOK})
	vs.add(&protocol.Verdict{Index: 1, Code: protocol.CodeOK})
	if err := vs.check(protocol.Summary{Entries: 2, Committed: 2, Bytes: 13}, s); !errors.Is(err, errBadReplies) {
		t.Errorf("ok verdict on an aborted entry: check = %v, want a protocol error", err)
	}
}
