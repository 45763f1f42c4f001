package protocol_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
	"time"

	"github.com/ft-team/ft/protocol"
)

// bufSize is the buffer size n of the boundary tests: bodies of 0, 1, n-1,
// n and n+1 bytes are written and read in chunks of n.
const bufSize = 4096

var boundarySizes = []int{0, 1, bufSize - 1, bufSize, bufSize + 1, 3*bufSize + 7}

// body returns n bytes of a pattern that depends on seed.
func body(n, seed int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + seed*13 + i>>8)
	}
	return b
}

var mtime = time.Unix(1700000000, 123456789)

// testEntry is a header and, for files, its body.
type testEntry struct {
	h    protocol.Header
	body []byte
}

func fileEntry(name string, b []byte) testEntry {
	return testEntry{protocol.Header{Kind: protocol.KindFile, Name: name, Size: int64(len(b)), Mode: 0o644, ModTime: mtime}, b}
}

// sampleEntries returns a dir, a file of n bytes, a symlink and a second
// file of n+1 bytes.
func sampleEntries(n int) []testEntry {
	return []testEntry{
		{h: protocol.Header{Kind: protocol.KindDir, Name: "d", Mode: 0o755, ModTime: mtime}},
		fileEntry("d/f1", body(n, 1)),
		{h: protocol.Header{Kind: protocol.KindSymlink, Name: "d/l", Mode: 0o777, ModTime: mtime, Linkname: "f1"}},
		fileEntry("d/f2", body(n+1, 2)),
	}
}

// encode writes entries and the end frame, writing bodies in chunks of
// bufSize.
func encode(t testing.TB, w io.Writer, entries []testEntry) {
	t.Helper()
	pw := protocol.NewWriter(w)
	for _, e := range entries {
		h := e.h
		if err := pw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		for b := e.body; len(b) > 0; {
			k := min(len(b), bufSize)
			if n, err := pw.Write(b[:k]); n != k || err != nil {
				t.Fatalf("Write = %d, %v", n, err)
			}
			b = b[k:]
		}
		if err := pw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := pw.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	if got := pw.Entries(); got != uint64(len(entries)) {
		t.Fatalf("Entries() = %d, want %d", got, len(entries))
	}
}

// decode reads entries until the end frame, reading bodies with a buffer
// of bufSize, and compares them with want.
func decode(t *testing.T, r io.Reader, want []testEntry) {
	t.Helper()
	rd := protocol.NewReader(r)
	buf := make([]byte, bufSize)
	for i, w := range want {
		h, err := rd.Next()
		if err != nil {
			t.Fatalf("entry %d: Next: %v", i, err)
		}
		if !sameHeader(*h, w.h) {
			t.Fatalf("entry %d: got %+v, want %+v", i, *h, w.h)
		}
		var got bytes.Buffer
		if _, err := io.CopyBuffer(&got, struct{ io.Reader }{rd}, buf); err != nil {
			t.Fatalf("entry %d: body: %v", i, err)
		}
		if !bytes.Equal(got.Bytes(), w.body) {
			t.Fatalf("entry %d: body of %d bytes differs (want %d)", i, got.Len(), len(w.body))
		}
	}
	if h, err := rd.Next(); err != io.EOF {
		t.Fatalf("after the last entry: Next = %v, %v, want io.EOF", h, err)
	}
	if got := rd.Entries(); got != uint64(len(want)) {
		t.Fatalf("Entries() = %d, want %d", got, len(want))
	}
}

func sameHeader(a, b protocol.Header) bool {
	return a.Kind == b.Kind && a.Name == b.Name && a.Size == b.Size && a.Mode == b.Mode &&
		a.ModTime.Equal(b.ModTime) && a.Linkname == b.Linkname
}

func TestRoundTrip(t *testing.T) {
	for _, rw := range readers {
		for _, n := range boundarySizes {
			t.Run(fmt.Sprintf("%s/%d", rw.name, n), func(t *testing.T) {
				entries := sampleEntries(n)
				var buf bytes.Buffer
				encode(t, &buf, entries)
				decode(t, rw.wrap(&buf), entries)
			})
		}
	}
}

func TestBodyTestReader(t *testing.T) {
	for _, n := range boundarySizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			b := body(n, 3)
			var buf bytes.Buffer
			encode(t, &buf, []testEntry{fileEntry("f", b), fileEntry("g", b)})
			rd := protocol.NewReader(&buf)
			for range 2 {
				if _, err := rd.Next(); err != nil {
					t.Fatal(err)
				}
				if err := iotest.TestReader(rd, b); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := rd.Next(); err != io.EOF {
				t.Fatalf("Next = %v, want io.EOF", err)
			}
		})
	}
}

// TestSkipBodies checks that Next skips unread bodies, bad trailers
// included, and that the reader stays in sync.
func TestSkipBodies(t *testing.T) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	for i, n := range boundarySizes {
		h := &protocol.Header{Kind: protocol.KindFile, Name: fmt.Sprint("f", i), Size: int64(n)}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(body(n, i)); err != nil {
			t.Fatal(err)
		}
		finish := w.Close
		if i%2 == 1 {
			finish = w.Abort
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
	rd := protocol.NewReader(&buf)
	for i := range boundarySizes {
		h, err := rd.Next()
		if err != nil || h.Name != fmt.Sprint("f", i) {
			t.Fatalf("entry %d: Next = %v, %v", i, h, err)
		}
		if i%3 == 2 { // read part of the body
			if _, err := rd.Read(make([]byte, 1)); err != nil && err != io.EOF && !errors.Is(err, protocol.ErrChecksum) {
				t.Fatal(err)
			}
		}
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Fatalf("Next = %v, want io.EOF", err)
	}
}

func TestReaderErrorsAreSticky(t *testing.T) {
	var buf bytes.Buffer
	encode(t, &buf, []testEntry{fileEntry("f", body(100, 0))})
	cut := buf.Bytes()[:buf.Len()-40] // inside the trailer
	rd := protocol.NewReader(bytes.NewReader(cut))
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	_, err := io.Copy(io.Discard, struct{ io.Reader }{rd})
	if !errors.Is(err, protocol.ErrTruncated) {
		t.Fatalf("body: %v, want ErrTruncated", err)
	}
	if _, err2 := rd.Next(); err2 != err {
		t.Fatalf("Next after an error = %v, want the same %v", err2, err)
	}
	if _, err2 := rd.Read(make([]byte, 1)); err2 != err {
		t.Fatalf("Read after an error = %v, want the same %v", err2, err)
	}
}

func TestReadOutsideFile(t *testing.T) {
	var buf bytes.Buffer
	encode(t, &buf, sampleEntries(0)[:1])
	rd := protocol.NewReader(&buf)
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if n, err := rd.Read(make([]byte, 4)); n != 0 || err != io.EOF {
		t.Fatalf("Read of a dir = %d, %v, want 0, io.EOF", n, err)
	}
}
