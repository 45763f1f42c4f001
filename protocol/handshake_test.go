package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

func TestNegotiate(t *testing.T) {
	tests := []struct {
		min, max uint16
		want     uint16 // 0: no common version
	}{
		{1, 1, 1},
		{1, 9, 1},
		{0, 1, 1},
		{0, 0xffff, 1},
		{0, 0, 0},
		{2, 3, 0},
		{0xffff, 0xffff, 0},
	}
	for _, tt := range tests {
		a, err := protocol.Negotiate(protocol.Hello{MinVersion: tt.min, MaxVersion: tt.max, Caps: 1<<64 - 1})
		if tt.want == 0 {
			if !errors.Is(err, protocol.ErrVersion) {
				t.Errorf("Negotiate(%d-%d) = %+v, %v, want ErrVersion", tt.min, tt.max, a, err)
			}
			continue
		}
		if err != nil || a.Version != tt.want || a.Caps != 0 {
			t.Errorf("Negotiate(%d-%d) = %+v, %v, want version %d, no caps", tt.min, tt.max, a, err, tt.want)
		}
	}
}

func TestHelloRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	want := protocol.Hello{MinVersion: 1, MaxVersion: 7, Caps: 0x0f}
	if err := protocol.WriteHello(&buf, want); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 20 || !strings.HasPrefix(buf.String(), protocol.Magic) {
		t.Fatalf("hello is %x", buf.Bytes())
	}
	got, err := protocol.ReadHello(&buf)
	if err != nil || got != want {
		t.Fatalf("ReadHello = %+v, %v, want %+v", got, err, want)
	}
	if def := protocol.DefaultHello(); def.MinVersion != protocol.MinVersion || def.MaxVersion != protocol.MaxVersion || def.Caps != 0 {
		t.Fatalf("DefaultHello() = %+v", def)
	}
}

func TestAcceptRoundTrip(t *testing.T) {
	offered := protocol.Hello{MinVersion: 1, MaxVersion: 1, Caps: 0b101}
	for _, a := range []protocol.Accept{{Version: 1}, {Version: 1, Caps: 0b100}, {Version: 1, Caps: 0b101}} {
		var buf bytes.Buffer
		if err := protocol.WriteAccept(&buf, a); err != nil {
			t.Fatal(err)
		}
		if buf.Len() != 18 {
			t.Fatalf("accept is %x", buf.Bytes())
		}
		if got, err := protocol.ReadAccept(&buf, offered); err != nil || got != a {
			t.Fatalf("ReadAccept = %+v, %v, want %+v", got, err, a)
		}
	}
}

func TestReadAcceptChecks(t *testing.T) {
	offered := protocol.DefaultHello()
	tests := []struct {
		a    protocol.Accept
		want error
	}{
		{protocol.Accept{Version: 2}, protocol.ErrVersion},
		{protocol.Accept{Version: 0}, protocol.ErrVersion},
		{protocol.Accept{Version: 1, Caps: 1}, protocol.ErrFrame},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := protocol.WriteAccept(&buf, tt.a); err != nil {
			t.Fatal(err)
		}
		if _, err := protocol.ReadAccept(&buf, offered); !errors.Is(err, tt.want) {
			t.Errorf("ReadAccept(%+v) = %v, want %v", tt.a, err, tt.want)
		}
	}
}

func TestErrorFrameInsteadOfAccept(t *testing.T) {
	var buf bytes.Buffer
	if err := protocol.NewReplyWriter(&buf).WriteError(protocol.CodeBusy, "too many connections"); err != nil {
		t.Fatal(err)
	}
	_, err := protocol.ReadAccept(&buf, protocol.DefaultHello())
	var re *protocol.RemoteError
	if !errors.As(err, &re) || re.Code != protocol.CodeBusy || re.Message != "too many connections" {
		t.Fatalf("ReadAccept = %v, want a busy *RemoteError", err)
	}
	if got, want := err.Error(), "receiver: busy: too many connections"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
}

// TestBadMagicWithoutBlocking: a peer that sends a few bytes of garbage and
// then nothing is refused at once; the reader does not wait for the rest
// of the hello.
func TestBadMagicWithoutBlocking(t *testing.T) {
	read := map[string]func(io.Reader) error{
		"ReadHello": func(r io.Reader) error { _, err := protocol.ReadHello(r); return err },
		"ReadAccept": func(r io.Reader) error {
			_, err := protocol.ReadAccept(r, protocol.DefaultHello())
			return err
		},
	}
	for name, readFn := range read {
		for _, garbage := range []string{"G", "\x00", "\x89F\x00", protocol.Magic[:7] + "x"} {
			pr, pw := io.Pipe()
			done := make(chan error, 1)
			go func() { done <- readFn(pr) }()
			go pw.Write([]byte(garbage)) // the pipe stays open: more bytes never come
			select {
			case err := <-done:
				if !errors.Is(err, protocol.ErrBadMagic) {
					t.Errorf("%s after %q: %v, want ErrBadMagic", name, garbage, err)
				}
			case <-time.After(10 * time.Second):
				t.Errorf("%s after %q: still waiting for more bytes", name, garbage)
			}
			pw.Close()
			pr.Close()
		}
	}
}

func TestHelloTruncated(t *testing.T) {
	var buf bytes.Buffer
	if err := protocol.WriteHello(&buf, protocol.DefaultHello()); err != nil {
		t.Fatal(err)
	}
	full := buf.Bytes()
	for n := range len(full) {
		if _, err := protocol.ReadHello(bytes.NewReader(full[:n])); !errors.Is(err, protocol.ErrTruncated) {
			t.Errorf("hello cut at %d bytes: %v, want ErrTruncated", n, err)
		}
	}
}

// errReader fails every read.
type errReader struct{}

var errNet = errors.New("connection reset")

func (errReader) Read([]byte) (int, error) { return 0, errNet }

func TestHelloReadError(t *testing.T) {
	if _, err := protocol.ReadHello(errReader{}); !errors.Is(err, errNet) {
		t.Fatalf("ReadHello = %v, want the reader's error", err)
	}
	if _, err := protocol.ReadAccept(errReader{}, protocol.DefaultHello()); !errors.Is(err, errNet) {
		t.Fatalf("ReadAccept = %v, want the reader's error", err)
	}
}
