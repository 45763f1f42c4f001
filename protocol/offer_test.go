package protocol_test

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ft-team/ft/protocol"
	"github.com/zeebo/blake3"
)

// v2 returns a version 2 Writer over a fresh buffer.
func v2() (*protocol.Writer, *bytes.Buffer) {
	var buf bytes.Buffer
	w := protocol.NewWriter(&buf)
	w.SetVersion(protocol.Version2)
	return w, &buf
}

// readerV2 returns a version 2 Reader over b.
func readerV2(b []byte) *protocol.Reader {
	r := protocol.NewReader(bufio.NewReader(bytes.NewReader(b)))
	r.SetVersion(protocol.Version2)
	return r
}

func prefixHasher(b []byte) *blake3.Hasher {
	h := blake3.New()
	h.Write(b)
	return h
}

// TestOfferRoundTrip writes offers, a hash and bodies (whole, resumed,
// aborted, empty) and reads them back.
func TestOfferRoundTrip(t *testing.T) {
	data := body(3*protocol.MaxDataLen+17, 1)
	w, buf := v2()
	for i, size := range []int{len(data), len(data), 10, 0} {
		h := protocol.Header{Kind: protocol.KindFile, Name: string(rune('a' + i)), Mode: 0o644, Size: int64(size)}
		if err := w.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.WriteHash(2, blake3.Sum256(data[:10])))
	must(w.BeginBody(0, int64(len(data)), 0, nil))
	_, err := w.Write(data)
	must(err)
	must(w.Close())
	const off = protocol.MaxDataLen + 5
	must(w.BeginBody(1, int64(len(data)), off, prefixHasher(data[:off])))
	_, err = w.Write(data[off:])
	must(err)
	must(w.Close())
	must(w.BeginBody(2, 10, 0, nil))
	_, err = w.Write(data[:4])
	must(err)
	must(w.AbortWith("source changed"))
	must(w.BeginBody(3, 0, 0, nil))
	must(w.Close())
	must(w.WriteEnd())

	r := readerV2(buf.Bytes())
	for i := 0; i < 4; i++ {
		it, err := r.NextItem()
		if err != nil || it.Header == nil || it.Header.Size != []int64{int64(len(data)), int64(len(data)), 10, 0}[i] {
			t.Fatalf("offer %d: %+v, %v", i, it, err)
		}
	}
	it, err := r.NextItem()
	if err != nil || it.Hash == nil || it.Hash.Index != 2 || it.Hash.Sum != blake3.Sum256(data[:10]) {
		t.Fatalf("hash: %+v, %v", it, err)
	}
	readBody := func(index uint64, size, offset int64, prefix *blake3.Hasher) ([]byte, error) {
		t.Helper()
		it, err := r.NextItem()
		if err != nil || it.Body == nil || it.Body.Index != index || it.Body.Offset != offset {
			t.Fatalf("body %d: %+v, %v", index, it, err)
		}
		must(r.StartBody(size, offset, prefix))
		return io.ReadAll(r)
	}
	got, err := readBody(0, int64(len(data)), 0, nil)
	if err != nil || !bytes.Equal(got, data) || r.Sum() != blake3.Sum256(data) {
		t.Fatalf("whole body: %d bytes, %v", len(got), err)
	}
	got, err = readBody(1, int64(len(data)), off, prefixHasher(data[:off]))
	if err != nil || !bytes.Equal(got, data[off:]) || r.Sum() != blake3.Sum256(data) {
		t.Fatalf("resumed body: %d bytes, %v", len(got), err)
	}
	got, err = readBody(2, 10, 0, nil)
	if !errors.Is(err, protocol.ErrAborted) || len(got) != 4 || r.AbortMessage() != "source changed" {
		t.Fatalf("aborted body: %d bytes, %v, %q", len(got), err, r.AbortMessage())
	}
	if got, err = readBody(3, 0, 0, nil); err != nil || len(got) != 0 {
		t.Fatalf("empty body: %d bytes, %v", len(got), err)
	}
	if _, err := r.NextItem(); err != io.EOF {
		t.Fatalf("after the end frame: %v", err)
	}
}

// TestBodyFraming checks what a reader concludes from bodies that break
// the framing.
func TestBodyFraming(t *testing.T) {
	frame := func(typ byte, payload ...byte) []byte {
		return append([]byte{typ, 0, 0, byte(len(payload) >> 8), byte(len(payload))}, payload...)
	}
	sum := blake3.Sum256([]byte("abc"))
	bad := sum
	bad[0] ^= 1
	trailer := frame(0x06, sum[:]...)
	for _, tc := range []struct {
		name string
		body []byte
		want error
	}{
		{"clean", cat(frame(0x05, 'a', 'b'), frame(0x05, 'c'), trailer), nil},
		{"empty data frames", cat(frame(0x05), frame(0x05, 'a', 'b', 'c'), frame(0x05), trailer), nil},
		{"a million empty data frames after the body", cat(frame(0x05, 'a', 'b', 'c'), bytes.Repeat(frame(0x05), 1<<20), trailer), nil},
		{"flipped trailer", cat(frame(0x05, 'a', 'b', 'c'), frame(0x06, bad[:]...)), protocol.ErrChecksum},
		{"longer than size", cat(frame(0x05, 'a', 'b', 'c', 'd'), trailer), protocol.ErrFrame},
		{"more data after the last byte", cat(frame(0x05, 'a', 'b', 'c'), frame(0x05, 'd'), trailer), protocol.ErrFrame},
		{"early trailer", cat(frame(0x05, 'a', 'b'), trailer), protocol.ErrFrame},
		{"short trailer", cat(frame(0x05, 'a', 'b', 'c'), frame(0x06, 1, 2)), protocol.ErrFrame},
		{"abort midway", cat(frame(0x05, 'a'), frame(0x07, 0, 2, 'n', 'o')), protocol.ErrAborted},
		{"abort with a bad message", cat(frame(0x05, 'a'), frame(0x07, 0, 9, 'n')), protocol.ErrFrame},
		{"entry inside a body", cat(frame(0x05, 'a'), frame(0x01, 0)), protocol.ErrFrame},
		{"data frame of 2^20+1", cat([]byte{0x05, 0, 0x10, 0, 1}, trailer), protocol.ErrTooLong},
		{"cut in a data frame", frame(0x05, 'a', 'b', 'c')[:6], protocol.ErrTruncated},
		{"cut before the trailer", frame(0x05, 'a', 'b', 'c'), protocol.ErrTruncated},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := readerV2(cat(frame(0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), tc.body))
			if it, err := r.NextItem(); err != nil || it.Body == nil {
				t.Fatalf("body frame: %+v, %v", it, err)
			}
			if err := r.StartBody(3, 0, nil); err != nil {
				t.Fatal(err)
			}
			_, err := io.ReadAll(r)
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if errors.Is(tc.want, protocol.ErrFrame) && errors.Is(err, protocol.ErrChecksum) {
				t.Fatalf("a framing error read as a checksum mismatch: %v", err)
			}
		})
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// TestAnswers round-trips answers and rejects malformed ones; a version 1
// reply reader refuses them.
func TestAnswers(t *testing.T) {
	var buf bytes.Buffer
	rw := protocol.NewReplyWriter(&buf)
	want := []protocol.Answer{{Index: 3}, {Index: 4, Hash: true}, {Index: 5, Offset: 1 << 20, Prefix: blake3.Sum256([]byte("x"))}}
	for _, a := range want {
		if err := rw.WriteAnswer(a); err != nil {
			t.Fatal(err)
		}
	}
	rr := protocol.NewReplyReader(bytes.NewReader(buf.Bytes()))
	rr.SetVersion(protocol.Version2)
	for _, a := range want {
		rep, err := rr.Next()
		if err != nil || rep.Answer == nil || *rep.Answer != a {
			t.Fatalf("got %+v, %v; want %+v", rep.Answer, err, a)
		}
	}
	if _, err := protocol.NewReplyReader(bytes.NewReader(buf.Bytes())).Next(); !errors.Is(err, protocol.ErrFrame) {
		t.Fatalf("a version 1 reader took an answer: %v", err)
	}
	one := buf.Bytes()[:5+49]
	for name, mutate := range map[string]func(b []byte) []byte{
		"kind 2":                   func(b []byte) []byte { b[5+8] = 2; return b },
		"hash with an offset":      func(b []byte) []byte { b[5+8] = 1; b[5+16] = 1; return b },
		"prefix without an offset": func(b []byte) []byte { b[5+17] = 1; return b },
		"offset 2^63":              func(b []byte) []byte { b[5+9] = 0x80; return b },
		"short":                    func(b []byte) []byte { b[4]--; return b[:len(b)-1] },
	} {
		rr := protocol.NewReplyReader(bytes.NewReader(mutate(bytes.Clone(one))))
		rr.SetVersion(protocol.Version2)
		if _, err := rr.Next(); !errors.Is(err, protocol.ErrFrame) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// FuzzReaderV2 reads version 2 sender streams: whatever the input, the
// reader allocates in proportion to it and fails only with sentinels.
func FuzzReaderV2(f *testing.F) {
	w, buf := v2()
	w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: "f", Mode: 0o600, Size: 5})
	w.WriteHash(0, blake3.Sum256([]byte("hello")))
	w.BeginBody(0, 5, 0, nil)
	w.Write([]byte("hello"))
	w.Close()
	w.WriteEnd()
	f.Add(buf.Bytes())
	f.Add(buf.Bytes()[:buf.Len()-20])
	f.Fuzz(func(t *testing.T, data []byte) {
		var err error
		n := allocated(func() { err = readV2(data) })
		if n > allocBudget(len(data)) {
			t.Fatalf("allocated %d bytes for %d input bytes", n, len(data))
		}
		if err != nil && !isSentinel(err) {
			t.Fatalf("error %v is not a protocol sentinel", err)
		}
	})
}

// readV2 reads a version 2 stream to its end, reading the body of every
// offered file that one is started for.
func readV2(data []byte) error {
	r := readerV2(data)
	sizes := map[uint64]int64{}
	for {
		it, err := r.NextItem()
		switch {
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case it.Header != nil && it.Header.Kind == protocol.KindFile:
			sizes[r.Entries()-1] = it.Header.Size
		case it.Body != nil:
			size, ok := sizes[it.Body.Index]
			if !ok || it.Body.Offset > size {
				return protocol.ErrFrame
			}
			var prefix *blake3.Hasher
			if it.Body.Offset > 0 {
				prefix = blake3.New()
			}
			if err := r.StartBody(size, it.Body.Offset, prefix); err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, r); err != nil && !errors.Is(err, protocol.ErrChecksum) {
				return err
			}
		}
	}
}

func TestOpenNames(t *testing.T) {
	var o protocol.OpenNames
	if o.Blocked("a") {
		t.Fatal("empty set blocks")
	}
	o.Add("a/b/c")
	o.Add("x")
	for name, want := range map[string]bool{
		"a/b/c": true, "a/b/c/d": true, "a/b": true, "a": true, "x": true, "x/y": true,
		"a/b/d": false, "a/bc": false, "ab": false, "a/b/cd": false, "y": false, "xx": false,
	} {
		if got := o.Blocked(name); got != want {
			t.Errorf("Blocked(%q) = %v, want %v", name, got, want)
		}
	}
	o.Remove("a/b/c")
	if o.Blocked("a") || o.Blocked("a/b/c") || !o.Blocked("x") || o.Len() != 1 {
		t.Errorf("after Remove: a %v, a/b/c %v, x %v, len %d", o.Blocked("a"), o.Blocked("a/b/c"), o.Blocked("x"), o.Len())
	}
}

// FuzzReplyReaderV2 checks the version 2 reply decoder: it ends in a
// sentinel or a remote error, and every answer it accepts re-encodes to
// the bytes it read.
func FuzzReplyReaderV2(f *testing.F) {
	var seed bytes.Buffer
	rw := protocol.NewReplyWriter(&seed)
	rw.WriteAnswer(protocol.Answer{Index: 3, Offset: 7, Prefix: blake3.Sum256([]byte("1234567"))})
	rw.WriteAnswer(protocol.Answer{Index: 4, Hash: true})
	rw.WriteVerdict(protocol.Verdict{Index: 3, Code: protocol.CodeOK})
	f.Add(seed.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		rr := protocol.NewReplyReader(bytes.NewReader(data))
		rr.SetVersion(protocol.Version2)
		for range 64 {
			rep, err := rr.Next()
			if err != nil {
				var re *protocol.RemoteError
				if !isSentinel(err) && !errors.As(err, &re) && err != io.EOF {
					t.Fatalf("error %v is neither a sentinel nor a *RemoteError", err)
				}
				return
			}
			if a := rep.Answer; a != nil {
				var buf bytes.Buffer
				protocol.NewReplyWriter(&buf).WriteAnswer(*a)
				rr2 := protocol.NewReplyReader(&buf)
				rr2.SetVersion(protocol.Version2)
				if back, err := rr2.Next(); err != nil || *back.Answer != *a {
					t.Fatalf("answer %+v re-reads as %+v, %v", *a, back.Answer, err)
				}
			}
			if rep.Summary != nil {
				return
			}
		}
	})
}
