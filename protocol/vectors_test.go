package protocol_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"testing/iotest"
	"time"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// sentinels maps the error names used in testdata/vectors.json to errors.
var sentinels = map[string]error{
	"ErrBadMagic":  protocol.ErrBadMagic,
	"ErrVersion":   protocol.ErrVersion,
	"ErrFrame":     protocol.ErrFrame,
	"ErrTooLong":   protocol.ErrTooLong,
	"ErrBadName":   protocol.ErrBadName,
	"ErrChecksum":  protocol.ErrChecksum,
	"ErrAborted":   protocol.ErrAborted,
	"ErrTruncated": protocol.ErrTruncated,
}

// outcome is what a reader concluded from a stream, in manifest terms.
type outcome struct {
	Hello   *vectors.Hello
	Accept  *vectors.Accept
	Entries []vectors.Entry
	Replies []vectors.Reply
	Remote  *vectors.Remote
	Err     error
	bodies  [][]byte // file bodies as received, for re-encoding
}

func loadManifest(t testing.TB) []vectors.Vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", vectors.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m vectors.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for i := range m.Vectors {
		v := &m.Vectors[i]
		if v.Data, err = os.ReadFile(filepath.Join("testdata", filepath.FromSlash(v.File))); err != nil {
			t.Fatal(err)
		}
	}
	return m.Vectors
}

// readSender reads a sender stream as a receiver would.
func readSender(r io.Reader) (o outcome) {
	h, err := protocol.ReadHello(r)
	if err != nil {
		o.Err = err
		return o
	}
	o.Hello = &vectors.Hello{MinVersion: h.MinVersion, MaxVersion: h.MaxVersion, Caps: h.Caps}
	a, err := protocol.Negotiate(h)
	if err != nil {
		o.Err = err
		return o
	}
	o.Accept = &vectors.Accept{Version: a.Version, Caps: a.Caps}
	rd := protocol.NewReader(r)
	for {
		hdr, err := rd.Next()
		if err == io.EOF {
			return o
		}
		if err != nil {
			o.Err = err
			return o
		}
		e := vectors.Entry{Kind: hdr.Kind.String(), Name: hdr.Name, Mode: hdr.Mode,
			MTime: unixNano(hdr.ModTime), Size: hdr.Size, Target: hdr.Linkname}
		if hdr.Kind == protocol.KindFile {
			body, err := readBody(rd, hdr.Size, &e)
			o.bodies = append(o.bodies, body)
			if err != nil {
				o.Entries = append(o.Entries, e)
				o.Err = err
				return o
			}
		}
		o.Entries = append(o.Entries, e)
	}
}

// readBody reads the current file to its end and fills e.Body and e.BLAKE3.
// It returns the error that ends the stream, if any.
func readBody(rd *protocol.Reader, size int64, e *vectors.Entry) ([]byte, error) {
	var body bytes.Buffer
	_, err := io.Copy(&body, struct{ io.Reader }{rd})
	switch {
	case err == nil:
		e.Body = "ok"
	case errors.Is(err, protocol.ErrAborted):
		e.Body = "ErrAborted"
	case errors.Is(err, protocol.ErrChecksum):
		e.Body = "ErrChecksum"
	default:
		e.Body = "incomplete"
		return body.Bytes(), err
	}
	sum := blake3.Sum256(body.Bytes())
	e.BLAKE3 = hex.EncodeToString(sum[:])
	if int64(body.Len()) != size {
		return nil, errors.New("body length differs from the header's size")
	}
	if e.Body == "ok" && rd.Sum() != sum {
		return nil, errors.New("Reader.Sum differs from the body's hash")
	}
	return body.Bytes(), nil
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

// readReceiver reads a receiver stream as a sender that offered hello would.
func readReceiver(r io.Reader, offered protocol.Hello) (o outcome) {
	defer func() {
		var re *protocol.RemoteError
		if errors.As(o.Err, &re) {
			o.Remote = &vectors.Remote{Code: uint8(re.Code), Message: re.Message}
		}
	}()
	a, err := protocol.ReadAccept(r, offered)
	if err != nil {
		o.Err = err
		return o
	}
	o.Accept = &vectors.Accept{Version: a.Version, Caps: a.Caps}
	rr := protocol.NewReplyReader(r)
	for {
		rep, err := rr.Next()
		if err != nil {
			o.Err = err
			return o
		}
		switch {
		case rep.Verdict != nil:
			v := rep.Verdict
			o.Replies = append(o.Replies, vectors.Reply{Verdict: &vectors.Verdict{
				Index: v.Index, Code: uint8(v.Code), Message: v.Message}})
		case rep.Summary != nil:
			s := vectors.Summary(*rep.Summary)
			o.Replies = append(o.Replies, vectors.Reply{Summary: &s})
			return o
		}
	}
}

func readVector(v vectors.Vector, r io.Reader) outcome {
	if v.Stream == vectors.Receiver {
		off := protocol.DefaultHello()
		if v.Offered != nil {
			off = protocol.Hello{MinVersion: v.Offered.MinVersion, MaxVersion: v.Offered.MaxVersion, Caps: v.Offered.Caps}
		}
		return readReceiver(r, off)
	}
	return readSender(r)
}

// checkOutcome compares what was read with what the manifest says.
func checkOutcome(t *testing.T, v vectors.Vector, o outcome) {
	t.Helper()
	want := outcome{Hello: v.Hello, Accept: v.Accept, Entries: v.Entries, Replies: v.Replies, Remote: v.Remote}
	got := o
	got.Err, got.bodies = nil, nil
	if v.Stream == vectors.Receiver {
		want.Hello = nil // the manifest's Hello of a receiver vector is in Offered
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("got\n%s\nwant\n%s", g, w)
	}
	switch v.Error {
	case "":
		if o.Err != nil {
			t.Errorf("error %v, want none", o.Err)
		}
	case "RemoteError":
		var re *protocol.RemoteError
		if !errors.As(o.Err, &re) {
			t.Errorf("error %v, want a *RemoteError", o.Err)
		}
	default:
		sentinel, ok := sentinels[v.Error]
		if !ok {
			t.Fatalf("unknown error name %q in the manifest", v.Error)
		}
		if !errors.Is(o.Err, sentinel) {
			t.Errorf("error %v, want %s", o.Err, v.Error)
		}
	}
}

// readers are the ways a vector is fed to the reader under test.
var readers = []struct {
	name string
	wrap func(io.Reader) io.Reader
}{
	{"whole", func(r io.Reader) io.Reader { return r }},
	{"one-byte", iotest.OneByteReader},
	{"half", iotest.HalfReader},
	{"data-err", iotest.DataErrReader},
}

func TestVectors(t *testing.T) {
	vs := loadManifest(t)
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		t.Run(v.Name, func(t *testing.T) {
			for _, rd := range readers {
				t.Run(rd.name, func(t *testing.T) {
					src := bytes.NewReader(v.Data)
					checkOutcome(t, v, readVector(v, rd.wrap(src)))
					if v.Error == "" && src.Len() != 0 {
						t.Errorf("%d bytes left unread after a clean end", src.Len())
					}
				})
			}
		})
	}
}

// TestVectorsUpToDate fails when the committed vectors and the generator
// disagree: run `go run ./protocol/internal/gen` and commit the result.
func TestVectorsUpToDate(t *testing.T) {
	diffs, err := vectors.Stale("testdata")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if len(diffs) > 0 {
		t.Log("regenerate with: go run ./protocol/internal/gen")
	}
}

// TestVectorsReencode checks that the Writer produces, byte for byte, every
// sender vector that reads cleanly with all its checksums matching or its
// aborts recognised (written with Abort): the encoding is canonical.
func TestVectorsReencode(t *testing.T) {
	for _, v := range loadManifest(t) {
		if v.Stream != vectors.Sender || v.Error != "" || hasBadBody(v.Entries) {
			continue
		}
		t.Run(v.Name, func(t *testing.T) {
			o := readSender(bytes.NewReader(v.Data))
			var buf bytes.Buffer
			h := protocol.Hello{MinVersion: v.Hello.MinVersion, MaxVersion: v.Hello.MaxVersion, Caps: v.Hello.Caps}
			if err := protocol.WriteHello(&buf, h); err != nil {
				t.Fatal(err)
			}
			writeEntries(t, protocol.NewWriter(&buf), v.Entries, o.bodies)
			if !bytes.Equal(buf.Bytes(), v.Data) {
				t.Errorf("Writer output differs from the vector\ngot  %x\nwant %x", buf.Bytes(), v.Data)
			}
		})
	}
}

func hasBadBody(es []vectors.Entry) bool {
	for _, e := range es {
		if e.Kind == "file" && e.Body != "ok" && e.Body != "ErrAborted" {
			return true
		}
	}
	return false
}

func writeEntries(t *testing.T, w *protocol.Writer, es []vectors.Entry, bodies [][]byte) {
	t.Helper()
	kinds := map[string]protocol.Kind{"file": protocol.KindFile, "dir": protocol.KindDir, "symlink": protocol.KindSymlink}
	for _, e := range es {
		h := &protocol.Header{Kind: kinds[e.Kind], Name: e.Name, Size: e.Size, Mode: e.Mode, Linkname: e.Target}
		if e.MTime != 0 {
			h.ModTime = time.Unix(0, e.MTime)
		}
		if err := w.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Kind == protocol.KindFile {
			if _, err := w.Write(bodies[0]); err != nil {
				t.Fatal(err)
			}
			bodies = bodies[1:]
		}
		finish := w.Close
		if e.Body == "ErrAborted" {
			finish = w.Abort
		}
		if err := finish(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteEnd(); err != nil {
		t.Fatal(err)
	}
}
