package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// TestCopyUnhashed covers the path senders use for large files: the body
// copied without hashing, the trailer supplied by the caller.
func TestCopyUnhashed(t *testing.T) {
	body := bytes.Repeat([]byte("0123456789"), 1000)
	sum := blake3.Sum256(body)
	cases := []struct {
		name   string
		finish func(w *protocol.Writer) error
		want   error // from reading the body
	}{
		{"right sum", func(w *protocol.Writer) error { return w.CloseWithSum(sum) }, nil},
		{"wrong sum", func(w *protocol.Writer) error { return w.CloseWithSum([32]byte{1}) }, protocol.ErrChecksum},
		{"abort", func(w *protocol.Writer) error { return w.Abort() }, protocol.ErrChecksum},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			w := protocol.NewWriter(&buf)
			if err := w.WriteHeader(fileHeader("f", int64(len(body)))); err != nil {
				t.Fatal(err)
			}
			// In two pieces, the way a sender hands chunks to the kernel.
			for _, part := range [][]byte{body[:3333], body[3333:]} {
				if n, err := w.CopyUnhashed(bytes.NewReader(part), int64(len(part))); err != nil || n != int64(len(part)) {
					t.Fatalf("CopyUnhashed = %d, %v", n, err)
				}
			}
			if err := w.Close(); !errors.Is(err, protocol.ErrState) {
				t.Fatalf("Close after CopyUnhashed = %v, want ErrState", err)
			}
			if err := tc.finish(w); err != nil {
				t.Fatal(err)
			}
			if err := w.WriteHeader(fileHeader("next", 1)); err != nil {
				t.Fatal(err)
			}
			w.Write([]byte("x"))
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			w.WriteEnd()
			r := protocol.NewReader(&buf)
			r.Next()
			got, err := io.ReadAll(r)
			if !errors.Is(err, tc.want) && !(tc.want == nil && err == nil) {
				t.Fatalf("reading the body: %v, want %v", err, tc.want)
			}
			if !bytes.Equal(got, body) && tc.name != "abort" {
				t.Errorf("body differs")
			}
			if h, err := r.Next(); err != nil || h.Name != "next" {
				t.Fatalf("next entry: %v, %v", h, err)
			}
		})
	}
}

func TestCopyUnhashedLimits(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	if _, err := w.CopyUnhashed(strings.NewReader("x"), 1); !errors.Is(err, protocol.ErrState) {
		t.Errorf("outside a file: %v, want ErrState", err)
	}
	w.WriteHeader(fileHeader("f", 4))
	if _, err := w.CopyUnhashed(strings.NewReader("abcde"), 5); !errors.Is(err, protocol.ErrWriteTooLong) {
		t.Errorf("beyond the size: %v, want ErrWriteTooLong", err)
	}
	// A source that ends early stops the copy without error; the caller
	// notices the short count and CloseWithSum refuses.
	if n, err := w.CopyUnhashed(strings.NewReader("ab"), 4); n != 2 || err != nil {
		t.Errorf("short source: %d, %v", n, err)
	}
	if err := w.CloseWithSum([32]byte{}); !errors.Is(err, protocol.ErrWriteTooShort) {
		t.Errorf("CloseWithSum on a short body: %v, want ErrWriteTooShort", err)
	}
}
