package protocol_test

import (
	"bytes"
	"errors"
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
	for _, v := range verdicts {
		if err := protocol.WriteVerdict(&buf, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := protocol.WriteVerdict(&buf, protocol.Verdict{Index: 9, Message: long + "cut"}); err != nil {
		t.Fatal(err)
	}
	if err := protocol.WriteSummary(&buf, sum); err != nil {
		t.Fatal(err)
	}
	if err := protocol.WriteError(&buf, protocol.CodeShutdown, long+"cut"); err != nil {
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
	_, err = rr.Next()
	var re *protocol.RemoteError
	if !errors.As(err, &re) || re.Code != protocol.CodeShutdown || re.Message != long {
		t.Fatalf("Next = %v, want a shutdown *RemoteError with a clipped message", err)
	}
	if _, err := rr.Next(); !errors.Is(err, protocol.ErrTruncated) {
		t.Fatalf("Next at the end = %v, want ErrTruncated", err)
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
		{9, "code 9", false},
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
