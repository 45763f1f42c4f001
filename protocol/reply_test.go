package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/ft-team/ft/protocol"
)

func TestRepliesRoundTrip(t *testing.T) {
	long := strings.Repeat("m", protocol.MaxMessageLen)
	verdicts := []protocol.Verdict{
		{Index: 0, Code: protocol.CodeOK},
		{Index: 1<<64 - 1, Code: protocol.CodeExists, Message: `"a.txt": exists`},
		{Index: 7, Code: protocol.CodeChecksum, Message: long},
		{Index: 8, Code: 200, Message: "unknown code"},
	}
	sum := protocol.Summary{Entries: 4, Committed: 1, Failed: 3, Bytes: 1 << 40}
	var buf bytes.Buffer
	rw := protocol.NewReplyWriter(&buf)
	for _, v := range verdicts {
		if err := rw.WriteVerdict(v); err != nil {
			t.Fatal(err)
		}
	}
	if err := rw.WriteVerdict(protocol.Verdict{Index: 9, Message: long + "cut"}); err != nil {
		t.Fatal(err)
	}
	if err := rw.WriteSummary(sum); err != nil {
		t.Fatal(err)
	}
	rr := protocol.NewReplyReader(&buf)
	for _, want := range append(verdicts, protocol.Verdict{Index: 9, Message: long}) {
		rep, err := rr.Next()
		if err != nil || rep.Verdict == nil || rep.Summary != nil || !reflect.DeepEqual(*rep.Verdict, want) {
			t.Fatalf("Next = %+v, %v, want verdict %+v", rep, err, want)
		}
	}
	rep, err := rr.Next()
	if err != nil || rep.Summary == nil || *rep.Summary != sum {
		t.Fatalf("Next = %+v, %v, want summary %+v", rep, err, sum)
	}
	buf.WriteString("not read") // nothing after the summary is read
	for range 2 {
		if rep, err := rr.Next(); err != io.EOF || rep != (protocol.Reply{}) {
			t.Fatalf("Next after the summary = %+v, %v, want io.EOF", rep, err)
		}
	}
	if buf.String() != "not read" {
		t.Fatalf("ReplyReader read beyond the summary: %q left", buf.String())
	}
}

// TestReplyErrorFrame: an error frame midway, its message clipped, is a
// *RemoteError, and Next returns the same error from then on.
func TestReplyErrorFrame(t *testing.T) {
	long := strings.Repeat("m", protocol.MaxMessageLen)
	var buf bytes.Buffer
	rw := protocol.NewReplyWriter(&buf)
	if err := rw.WriteVerdict(protocol.Verdict{Index: 3, Code: protocol.CodeOK}); err != nil {
		t.Fatal(err)
	}
	if err := rw.WriteError(protocol.CodeShutdown, long+"cut"); err != nil {
		t.Fatal(err)
	}
	rw.WriteVerdict(protocol.Verdict{Index: 4}) // refused: nothing follows an error frame
	rr := protocol.NewReplyReader(&buf)
	if rep, err := rr.Next(); err != nil || rep.Verdict == nil || rep.Verdict.Index != 3 {
		t.Fatalf("Next = %+v, %v, want the verdict on entry 3", rep, err)
	}
	_, first := rr.Next()
	var re *protocol.RemoteError
	if !errors.As(first, &re) || re.Code != protocol.CodeShutdown || re.Message != long {
		t.Fatalf("Next = %v, want a shutdown *RemoteError with a clipped message", first)
	}
	if _, err := rr.Next(); err != first {
		t.Fatalf("Next after the error frame = %v, want the same error %v", err, first)
	}
	if buf.Len() != 0 {
		t.Fatalf("%d bytes written after the error frame", buf.Len())
	}
}

// TestReplyReaderSticky: a stream that ends early, a malformed frame and
// an inconsistent summary each fail Next, and every later call with the
// same error, without reading on.
func TestReplyReaderSticky(t *testing.T) {
	var (
		verdict = "\x81\x00\x00\x00\x0b" + "\x00\x00\x00\x00\x00\x00\x00\x00" + "\x00\x00\x00"
		after   = verdict + "\x82\x00\x00\x00\x20" + strings.Repeat("\x00", 32)
	)
	summary := func(entries, committed, failed uint64) string {
		b := []byte{0x82, 0, 0, 0, 32}
		for _, n := range []uint64{entries, committed, failed, 0} {
			b = binary.BigEndian.AppendUint64(b, n)
		}
		return string(b)
	}
	tests := []struct {
		name   string
		stream string
		want   error
	}{
		{"no summary", verdict, protocol.ErrTruncated},
		{"cut verdict", verdict[:9], protocol.ErrTruncated},
		{"unknown type", "\x83\x00\x00\x00\x00" + after, protocol.ErrFrame},
		{"over-long frame", "\x81\xff\xff\xff\xff" + after, protocol.ErrTooLong},
		{"failed not entries-committed", summary(2, 1, 0) + after, protocol.ErrFrame},
		{"committed over entries", summary(1, 2, 1<<64-1) + after, protocol.ErrFrame},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := strings.NewReader(tt.stream)
			rr := protocol.NewReplyReader(src)
			var first error
			for first == nil {
				_, first = rr.Next()
			}
			if !errors.Is(first, tt.want) {
				t.Fatalf("Next = %v, want %v", first, tt.want)
			}
			left := src.Len()
			for range 2 {
				if _, err := rr.Next(); err != first {
					t.Fatalf("Next after %v = %v, want the same error", first, err)
				}
			}
			if src.Len() != left {
				t.Fatalf("Next read on after an error")
			}
		})
	}
}

// TestReplyWriterSticky: after a failed write every call returns that
// error; a wrong summary is refused without breaking the writer; nothing
// may follow the summary.
func TestReplyWriterSticky(t *testing.T) {
	rw := protocol.NewReplyWriter(&failWriter{limit: 20})
	if err := rw.WriteVerdict(protocol.Verdict{Index: 1}); err != nil {
		t.Fatal(err)
	}
	err := rw.WriteVerdict(protocol.Verdict{Index: 2})
	if !errors.Is(err, errDisk) {
		t.Fatalf("second verdict: %v, want %v", err, errDisk)
	}
	for _, call := range []func() error{
		func() error { return rw.WriteVerdict(protocol.Verdict{Index: 3}) },
		func() error { return rw.WriteSummary(protocol.Summary{}) },
		func() error { return rw.WriteError(protocol.CodeInternal, "") },
	} {
		if got := call(); got != err {
			t.Fatalf("call after the failure = %v, want the same error %v", got, err)
		}
	}

	var buf bytes.Buffer
	rw = protocol.NewReplyWriter(&buf)
	if err := rw.WriteSummary(protocol.Summary{Entries: 2, Committed: 1}); !errors.Is(err, protocol.ErrFrame) || buf.Len() != 0 {
		t.Fatalf("inconsistent summary: %v, %d bytes written; want ErrFrame and nothing", err, buf.Len())
	}
	if err := rw.WriteSummary(protocol.Summary{Entries: 2, Committed: 1, Failed: 1}); err != nil {
		t.Fatal(err)
	}
	n := buf.Len()
	if err := rw.WriteVerdict(protocol.Verdict{}); !errors.Is(err, protocol.ErrState) {
		t.Fatalf("verdict after the summary: %v, want ErrState", err)
	}
	if err := rw.WriteError(protocol.CodeShutdown, ""); !errors.Is(err, protocol.ErrState) || buf.Len() != n {
		t.Fatalf("error frame after the summary: %v, want ErrState and nothing written", err)
	}
}

func TestCodes(t *testing.T) {
	tests := []struct {
		code    protocol.Code
		name    string
		success bool
	}{
		{protocol.CodeOK, "ok", true},
		{protocol.CodeUnchanged, "unchanged", true},
		{protocol.CodeExists, "exists", false},
		{protocol.CodeBadName, "bad name", false},
		{protocol.CodeTooLarge, "too large", false},
		{protocol.CodeNoSpace, "no space", false},
		{protocol.CodeChecksum, "checksum mismatch", false},
		{protocol.CodeIO, "i/o error", false},
		{protocol.CodeRefused, "refused", false},
		{protocol.CodeProtocol, "protocol error", false},
		{protocol.CodeVersion, "version mismatch", false},
		{protocol.CodeBusy, "busy", false},
		{protocol.CodeTimeout, "timed out", false},
		{protocol.CodeShutdown, "shutting down", false},
		{protocol.CodeInternal, "internal error", false},
		{protocol.CodeAborted, "aborted by sender", false},
		{10, "code 10", false},
		{15, "code 15", false},
		{255, "code 255", false},
	}
	for _, tt := range tests {
		if got := tt.code.String(); got != tt.name {
			t.Errorf("Code(%d).String() = %q, want %q", tt.code, got, tt.name)
		}
		if got := tt.code.Success(); got != tt.success {
			t.Errorf("Code(%d).Success() = %v, want %v", tt.code, got, tt.success)
		}
	}
	if got := (&protocol.RemoteError{Code: protocol.CodeTimeout}).Error(); got != "receiver: timed out" {
		t.Errorf("RemoteError without a message: %q", got)
	}
}
