package protocol_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// errBlocked stands for a read that would wait for the network.
var errBlocked = errors.New("would block")

// cutReader returns its data in one Read, then errBlocked forever: what a
// sender that stalls after data looks like to a reader that must not wait.
type cutReader struct{ data []byte }

func (c *cutReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, errBlocked
	}
	n := copy(p, c.data)
	c.data = c.data[n:]
	return n, nil
}

// TestBuffered cuts a stream at every byte, buffers what came, and checks
// that BodyBuffered and NextBuffered say true exactly when reading the
// rest of the body, or the next entry, succeeds without another read:
// whether bodies are read or skipped by Next.
func TestBuffered(t *testing.T) {
	var buf bytes.Buffer
	entries := append(sampleEntries(10), fileEntry("empty", nil), fileEntry("big", body(300, 3)))
	encode(t, &buf, entries)
	stream := buf.Bytes()
	for _, readBodies := range []bool{true, false} {
		for cut := 1; cut <= len(stream); cut++ {
			br := bufio.NewReaderSize(&cutReader{data: stream[:cut]}, len(stream)+1)
			if _, err := br.Peek(1); err != nil { // buffer everything there is
				t.Fatal(err)
			}
			checkBuffered(t, protocol.NewReader(br), readBodies, cut)
		}
	}
}

// checkBuffered reads rd until something would block (or the end) and
// compares each answer with what the read then does.
func checkBuffered(t *testing.T, rd *protocol.Reader, readBodies bool, cut int) {
	t.Helper()
	for {
		want := rd.NextBuffered()
		h, err := rd.Next()
		if err == io.EOF {
			if !want {
				t.Fatalf("cut %d: NextBuffered false before the end frame, which was read", cut)
			}
			return
		}
		if got := err == nil; got != want || (err != nil && !errors.Is(err, errBlocked)) {
			t.Fatalf("cut %d (bodies read %v): NextBuffered %v, Next %v", cut, readBodies, want, err)
		}
		if err != nil {
			return
		}
		if h.Kind != protocol.KindFile || !readBodies {
			if !rd.BodyBuffered() && h.Kind != protocol.KindFile {
				t.Fatalf("cut %d: BodyBuffered false after a %s entry", cut, h.Kind)
			}
			continue
		}
		want = rd.BodyBuffered()
		_, err = io.Copy(io.Discard, struct{ io.Reader }{rd})
		if got := err == nil; got != want || (err != nil && !errors.Is(err, errBlocked)) {
			t.Fatalf("cut %d: BodyBuffered %v for %q, reading it: %v", cut, want, h.Name, err)
		}
		if err != nil {
			return
		}
		if !rd.BodyBuffered() {
			t.Fatalf("cut %d: BodyBuffered false after the body of %q was read", cut, h.Name)
		}
	}
}

// TestBufferedNeedsBufio: over a reader that is not a *bufio.Reader, the
// Reader cannot tell, and says nothing is buffered.
func TestBufferedNeedsBufio(t *testing.T) {
	var buf bytes.Buffer
	encode(t, &buf, []testEntry{fileEntry("a", body(5, 1))})
	rd := protocol.NewReader(bytes.NewReader(buf.Bytes()))
	if rd.NextBuffered() {
		t.Error("NextBuffered true over a bytes.Reader")
	}
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	if rd.BodyBuffered() || rd.NextBuffered() {
		t.Error("BodyBuffered or NextBuffered true over a bytes.Reader")
	}
}
