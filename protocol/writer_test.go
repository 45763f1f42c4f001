package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ft-team/ft/protocol"
)

func fileHeader(name string, size int64) *protocol.Header {
	return &protocol.Header{Kind: protocol.KindFile, Name: name, Size: size, Mode: 0o644}
}

func TestWriteTooLong(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	if err := w.WriteHeader(fileHeader("f", 3)); err != nil {
		t.Fatal(err)
	}
	n, err := w.Write([]byte("abcd"))
	if n != 3 || !errors.Is(err, protocol.ErrWriteTooLong) {
		t.Fatalf("Write = %d, %v, want 3, ErrWriteTooLong", n, err)
	}
	if n, err := w.Write([]byte("x")); n != 0 || !errors.Is(err, protocol.ErrWriteTooLong) {
		t.Fatalf("second Write = %d, %v, want 0, ErrWriteTooLong", n, err)
	}
	// Not sticky: the file is complete and the stream goes on.
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	decode(t, &buf, []testEntry{{h: *fileHeader("f", 3), body: []byte("abc")}})
}

// TestWriteTooShortThenAbort: Close refuses a short file; Abort then ends
// it so that the reader sees ErrAborted (also an ErrChecksum) for it and
// reads the next entry.
func TestWriteTooShortThenAbort(t *testing.T) {
	for _, written := range []int{0, 1, bufSize - 1, bufSize} {
		var buf bytes.Buffer
		w := protocol.NewWriter(&buf)
		if err := w.WriteHeader(fileHeader("short", bufSize+1)); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body(written, 0)); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); !errors.Is(err, protocol.ErrWriteTooShort) {
			t.Fatalf("Close = %v, want ErrWriteTooShort", err)
		}
		if err := w.Abort(); err != nil {
			t.Fatal(err)
		}
		encodeMore(t, w, fileEntry("next", []byte("fine")))
		rd := protocol.NewReader(&buf)
		if _, err := rd.Next(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(struct{ io.Reader }{rd})
		if err != protocol.ErrAborted || !errors.Is(err, protocol.ErrChecksum) {
			t.Fatalf("aborted body: %v, want ErrAborted, which is an ErrChecksum", err)
		}
		want := append(body(written, 0), make([]byte, bufSize+1-written)...)
		if !bytes.Equal(got, want) {
			t.Fatalf("aborted body is not the bytes written padded with zeros")
		}
		h, err := rd.Next()
		if err != nil || h.Name != "next" {
			t.Fatalf("after an abort: Next = %v, %v", h, err)
		}
		if got, err := io.ReadAll(struct{ io.Reader }{rd}); err != nil || string(got) != "fine" {
			t.Fatalf("after an abort: body %q, %v", got, err)
		}
		if _, err := rd.Next(); err != io.EOF {
			t.Fatalf("Next = %v, want io.EOF", err)
		}
	}
}

// encodeMore writes one more entry and the end frame.
func encodeMore(t *testing.T, w *protocol.Writer, e testEntry) {
	t.Helper()
	if err := w.WriteHeader(&e.h); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(e.body); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
}

func TestAbortAfterFullBody(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	if err := w.WriteHeader(fileHeader("f", 2)); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("ab")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	rd := protocol.NewReader(&buf)
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(struct{ io.Reader }{rd}); err != protocol.ErrAborted {
		t.Fatalf("body: %v, want ErrAborted", err)
	}
}

// TestChecksumIsNotAbort: a trailer that is neither the hash nor its
// complement is ErrChecksum, and ErrChecksum is not an ErrAborted.
func TestChecksumIsNotAbort(t *testing.T) {
	var buf bytes.Buffer
	encode(t, &buf, []testEntry{fileEntry("f", []byte("abc"))})
	b := buf.Bytes()
	trailer := b[len(b)-13-protocol.HashSize : len(b)-13] // before the end frame
	for i := range trailer {
		trailer[i] = ^trailer[i]
	}
	trailer[0] ^= 1 // the complement but for one bit
	rd := protocol.NewReader(bytes.NewReader(b))
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := io.ReadAll(struct{ io.Reader }{rd})
	if !errors.Is(err, protocol.ErrChecksum) || errors.Is(err, protocol.ErrAborted) {
		t.Fatalf("body: %v, want ErrChecksum and not ErrAborted", err)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next after a mismatch = %v, want io.EOF", err)
	}
}

// failWriter accepts limit bytes, then fails.
type failWriter struct{ limit int }

var errDisk = errors.New("disk on fire")

func (f *failWriter) Write(p []byte) (int, error) {
	if len(p) <= f.limit {
		f.limit -= len(p)
		return len(p), nil
	}
	n := f.limit
	f.limit = 0
	return n, errDisk
}

func TestWriterErrorsAreSticky(t *testing.T) {
	for _, limit := range []int{0, 10, 32, 45, 70} { // in the header, body, trailer, end
		w := protocol.NewWriter(&failWriter{limit: limit})
		var first error
		steps := []func() error{
			func() error { return w.WriteHeader(fileHeader("f", 5)) },
			func() error { _, err := w.Write([]byte("hello")); return err },
			w.Close,
			w.WriteEnd,
		}
		for _, step := range steps {
			err := step()
			if first == nil {
				first = err
			} else if err != first {
				t.Fatalf("limit %d: after %v, a call returned %v", limit, first, err)
			}
		}
		if !errors.Is(first, errDisk) {
			t.Fatalf("limit %d: first error %v, want the writer's", limit, first)
		}
		if err := w.WriteHeader(fileHeader("g", 0)); err != first {
			t.Fatalf("limit %d: WriteHeader after an error = %v", limit, err)
		}
	}
}

func TestWriterState(t *testing.T) {
	w := protocol.NewWriter(io.Discard)
	if _, err := w.Write([]byte("x")); !errors.Is(err, protocol.ErrState) {
		t.Fatalf("Write before WriteHeader = %v, want ErrState", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close with no file = %v", err)
	}
	if err := w.WriteHeader(fileHeader("f", 1)); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(); !errors.Is(err, protocol.ErrState) {
		t.Fatalf("WriteEnd inside a file = %v, want ErrState", err)
	}
	if err := w.WriteHeader(fileHeader("g", 0)); !errors.Is(err, protocol.ErrState) {
		t.Fatalf("sticky: WriteHeader = %v, want ErrState", err)
	}

	w = protocol.NewWriter(io.Discard)
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteEnd(); !errors.Is(err, protocol.ErrState) {
		t.Fatalf("WriteEnd twice = %v, want ErrState", err)
	}
}

// TestWriterRefusesBadHeaders: a header the reader would refuse is not
// written, and the writer stays usable.
func TestWriterRefusesBadHeaders(t *testing.T) {
	bad := []struct {
		h    protocol.Header
		want error
	}{
		{protocol.Header{Kind: protocol.KindFile, Name: "../x"}, protocol.ErrBadName},
		{protocol.Header{Kind: protocol.KindFile, Name: "a\nb"}, protocol.ErrBadName},
		{protocol.Header{Kind: protocol.KindFile, Name: "f", Size: -1}, protocol.ErrFrame},
		{protocol.Header{Kind: protocol.KindFile, Name: "f", Mode: 0o4755}, protocol.ErrFrame},
		{protocol.Header{Kind: protocol.KindFile, Name: "f", Linkname: "x"}, protocol.ErrFrame},
		{protocol.Header{Kind: protocol.KindDir, Name: "d", Size: 1}, protocol.ErrFrame},
		{protocol.Header{Kind: protocol.KindSymlink, Name: "l", Linkname: "../x"}, protocol.ErrBadName},
		{protocol.Header{Kind: protocol.KindSymlink, Name: "l"}, protocol.ErrBadName},
		{protocol.Header{Kind: 0x7, Name: "f"}, protocol.ErrFrame},
	}
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	for _, b := range bad {
		if err := w.WriteHeader(&b.h); !errors.Is(err, b.want) {
			t.Errorf("WriteHeader(%+v) = %v, want %v", b.h, err, b.want)
		}
	}
	if buf.Len() != 0 || w.Entries() != 0 {
		t.Fatalf("refused headers wrote %d bytes, counted %d entries", buf.Len(), w.Entries())
	}
	encodeMore(t, w, fileEntry("ok", []byte("x")))
	decode(t, &buf, []testEntry{fileEntry("ok", []byte("x"))})
}

func TestKindString(t *testing.T) {
	for k, want := range map[protocol.Kind]string{
		protocol.KindFile: "file", protocol.KindDir: "dir", protocol.KindSymlink: "symlink", 9: "kind(0x9)",
	} {
		if got := k.String(); got != want {
			t.Errorf("Kind(%d).String() = %q, want %q", k, got, want)
		}
	}
}
