package protocol_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/testnet"
	"github.com/ft-team/ft/protocol"
)

// transports returns connected pairs (sender side, receiver side).
var transports = []struct {
	name string
	pair func(t *testing.T) (net.Conn, net.Conn)
}{
	{"pipe", func(t *testing.T) (net.Conn, net.Conn) { return net.Pipe() }},
	{"tcp", tcpPair},
}

// TestTransport runs whole sessions (handshake, entries, concurrent
// verdicts, summary) over net.Pipe, which has no buffering at all, and
// over loopback TCP. The sender reads verdicts while it streams; on a pipe
// anything else deadlocks.
func TestTransport(t *testing.T) {
	var entries []testEntry
	for i := range 300 {
		entries = append(entries, fileEntry(fmt.Sprintf("f%03d", i), body(i%50, i)))
	}
	entries = append(entries, sampleEntries(1<<20)...)
	for _, tr := range transports {
		t.Run(tr.name, func(t *testing.T) {
			sc, rc := tr.pair(t)
			deadline := time.Now().Add(time.Minute)
			sc.SetDeadline(deadline)
			rc.SetDeadline(deadline)
			recvErr := make(chan error, 1)
			go func() { recvErr <- receiveSession(rc) }()
			verdicts, sum, err := sendSession(sc, entries)
			if err != nil {
				t.Fatal(err)
			}
			if err := <-recvErr; err != nil {
				t.Fatal(err)
			}
			checkVerdicts(t, verdicts, sum, entries)
		})
	}
}

// sendSession sends entries, aborting the file named "d/f2", and returns
// the verdicts by index and the summary.
func sendSession(conn net.Conn, entries []testEntry) (map[uint64]protocol.Code, protocol.Summary, error) {
	defer conn.Close()
	br, bw := bufio.NewReader(conn), bufio.NewWriterSize(conn, 64<<10)
	hello := protocol.DefaultHello()
	if err := protocol.WriteHello(bw, hello); err != nil {
		return nil, protocol.Summary{}, err
	}
	if err := bw.Flush(); err != nil {
		return nil, protocol.Summary{}, err
	}
	if _, err := protocol.ReadAccept(br, hello); err != nil {
		return nil, protocol.Summary{}, err
	}
	type result struct {
		verdicts map[uint64]protocol.Code
		sum      protocol.Summary
		err      error
	}
	replies := make(chan result, 1)
	go func() {
		res := result{verdicts: map[uint64]protocol.Code{}}
		rr := protocol.NewReplyReader(br)
		for {
			rep, err := rr.Next()
			switch {
			case err != nil:
				res.err = err
			case rep.Verdict != nil:
				res.verdicts[rep.Verdict.Index] = rep.Verdict.Code
				continue
			default:
				res.sum = *rep.Summary
			}
			replies <- res
			return
		}
	}()
	if err := streamEntries(bw, entries); err != nil {
		return nil, protocol.Summary{}, err
	}
	res := <-replies
	return res.verdicts, res.sum, res.err
}

func streamEntries(bw *bufio.Writer, entries []testEntry) error {
	w := protocol.NewWriter(bw)
	for _, e := range entries {
		if err := w.WriteHeader(&e.h); err != nil {
			return err
		}
		if e.h.Name == "d/f2" { // the source "changed": give up half-way
			if _, err := w.Write(e.body[:len(e.body)/2]); err != nil {
				return err
			}
			if err := w.Abort(); err != nil {
				return err
			}
			continue
		}
		if e.h.Kind == protocol.KindFile {
			if _, err := w.Write(e.body); err != nil {
				return err
			}
		}
		if err := w.Close(); err != nil {
			return err
		}
	}
	if err := w.WriteEnd(); err != nil {
		return err
	}
	return bw.Flush()
}

// receiveSession answers one sender: a verdict per entry, then the summary.
func receiveSession(conn net.Conn) error {
	defer conn.Close()
	br, bw := bufio.NewReaderSize(conn, 64<<10), bufio.NewWriter(conn)
	h, err := protocol.ReadHello(br)
	if err != nil {
		return err
	}
	a, err := protocol.Negotiate(h)
	if err != nil {
		return err
	}
	if err := protocol.WriteAccept(bw, a); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	rd := protocol.NewReader(br)
	rw := protocol.NewReplyWriter(bw)
	var sum protocol.Summary
	for {
		hdr, err := rd.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		code := protocol.CodeOK
		if _, err := io.Copy(io.Discard, struct{ io.Reader }{rd}); errors.Is(err, protocol.ErrChecksum) {
			code = protocol.CodeChecksum
		} else if err != nil {
			return err
		}
		sum.Entries++
		if code.Success() {
			sum.Committed++
			sum.Bytes += uint64(hdr.Size)
		} else {
			sum.Failed++
		}
		if err := rw.WriteVerdict(protocol.Verdict{Index: sum.Entries - 1, Code: code}); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
	}
	if err := rw.WriteSummary(sum); err != nil {
		return err
	}
	return bw.Flush()
}

func checkVerdicts(t *testing.T, verdicts map[uint64]protocol.Code, sum protocol.Summary, entries []testEntry) {
	t.Helper()
	var want protocol.Summary
	for i, e := range entries {
		code := protocol.CodeOK
		if e.h.Name == "d/f2" {
			code = protocol.CodeChecksum
		}
		if got, ok := verdicts[uint64(i)]; !ok || got != code {
			t.Errorf("entry %d (%s): verdict %v (present %v), want %v", i, e.h.Name, got, ok, code)
		}
		want.Entries++
		if code.Success() {
			want.Committed++
			want.Bytes += uint64(e.h.Size)
		} else {
			want.Failed++
		}
	}
	if len(verdicts) != len(entries) || sum != want {
		t.Errorf("%d verdicts, summary %+v; want %d, %+v", len(verdicts), sum, len(entries), want)
	}
}

func tcpPair(t *testing.T) (net.Conn, net.Conn) { return testnet.Pair(t) }
