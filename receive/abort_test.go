package receive

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// TestAbortedFile: a small file the sender aborts gets verdict
// CodeAborted (a refusal, not an integrity failure), leaves nothing in the
// inbox, and the next file lands.
func TestAbortedFile(t *testing.T) {
	s, parent := fuzzServer(t)
	client, srv := net.Pipe()
	done := make(chan error, 1)
	go func() { done <- s.serveConn(context.Background(), srv, nil) }()
	client.SetDeadline(time.Now().Add(10 * time.Second))
	br, bw := bufio.NewReader(client), bufio.NewWriter(client)
	hello := protocol.DefaultHello()
	if err := protocol.WriteHello(client, hello); err != nil {
		t.Fatal(err)
	}
	if _, err := protocol.ReadAccept(br, hello); err != nil {
		t.Fatal(err)
	}
	sendErr := make(chan error, 1)
	go func() { sendErr <- sendAbortedThenGood(bw) }()
	codes := map[uint64]protocol.Code{}
	rr := protocol.NewReplyReader(br)
	var sum protocol.Summary
	for {
		rep, err := rr.Next()
		if err != nil {
			t.Fatalf("replies: %v", err)
		}
		if rep.Summary != nil {
			sum = *rep.Summary
			break
		}
		codes[rep.Verdict.Index] = rep.Verdict.Code
	}
	if err := <-sendErr; err != nil {
		t.Fatal(err)
	}
	client.Close()
	if err := <-done; !errors.Is(err, ErrRefused) || errors.Is(err, ErrIntegrity) {
		t.Errorf("connection outcome %v, want ErrRefused", err)
	}
	if codes[0] != protocol.CodeAborted || codes[1] != protocol.CodeOK || len(codes) != 2 {
		t.Errorf("verdicts %v, want entry 0 aborted and entry 1 ok", codes)
	}
	if want := (protocol.Summary{Entries: 2, Committed: 1, Failed: 1, Bytes: 4}); sum != want {
		t.Errorf("summary %+v, want %+v", sum, want)
	}
	inbox := s.opts.Dir
	if _, err := os.Lstat(filepath.Join(inbox, "changed")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the aborted file is in the inbox: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(inbox, "good")); err != nil || string(b) != "fine" {
		t.Errorf("the next file: %q, %v", b, err)
	}
	checkInbox(t, parent, inbox)
}

// sendAbortedThenGood sends a 1000-byte file aborted after 10 bytes, then
// a good one.
func sendAbortedThenGood(bw *bufio.Writer) error {
	w := protocol.NewWriter(bw)
	h := &protocol.Header{Kind: protocol.KindFile, Name: "changed", Size: 1000, Mode: 0o644}
	if err := w.WriteHeader(h); err != nil {
		return err
	}
	if _, err := w.Write([]byte("0123456789")); err != nil {
		return err
	}
	if err := w.Abort(); err != nil {
		return err
	}
	if err := w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: "good", Size: 4, Mode: 0o644}); err != nil {
		return err
	}
	if _, err := w.Write([]byte("fine")); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	if err := w.WriteEnd(); err != nil {
		return err
	}
	return bw.Flush()
}
