package protocol

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Reader reads the sender's side of a transfer after the handshake.
// Next returns each entry's header; Read returns a file's body and, at its
// end, checks the BLAKE3 trailer. Errors are sticky, except ErrChecksum and
// ErrAborted, which leave the stream in sync so that the next entry can be
// read.
type Reader struct {
	r         io.Reader
	br        *bufio.Reader // r, if it is one: see BodyBuffered
	err       error
	buf       []byte
	hash      *blake3.Hasher
	inFile    bool
	remaining int64
	entries   uint64
	sum       [HashSize]byte
	v2        bool   // version 2: bodies in frames (offer.go)
	frameLeft int64  // version 2: bytes left in the current data frame
	abortMsg  string // version 2: the message of the last abort
}

// NewReader returns a Reader reading from r. Callers usually pass a
// *bufio.Reader of generous size; only then can BodyBuffered and
// NextBuffered tell what can be read without waiting.
func NewReader(r io.Reader) *Reader {
	br, _ := r.(*bufio.Reader)
	return &Reader{r: r, br: br, buf: make([]byte, MaxFrameLen), hash: blake3.New()}
}

// Next advances to the next entry, discarding the rest of the current
// file's body (its trailer is still read, and a mismatch reported).
// It returns io.EOF after the end frame. The header has been checked
// against the limits and the name rules (ValidName, ValidLinkTarget).
func (r *Reader) Next() (*Header, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.v2 {
		return nil, r.fail(fmt.Errorf("%w: Next on a version 2 stream", ErrState))
	}
	if err := r.skipBody(); err != nil {
		return nil, err
	}
	typ, payload, err := r.frame()
	if err != nil {
		return nil, err
	}
	return r.entry(typ, payload)
}

// skipBody reads the rest of a body the caller did not read to its end:
// a checksum mismatch no longer matters.
func (r *Reader) skipBody() error {
	if !r.inFile {
		return nil
	}
	if _, err := io.Copy(io.Discard, onlyReader{r}); err != nil && !errors.Is(err, ErrChecksum) {
		return err
	}
	return nil
}

// frame reads the next frame outside a body; the end frame is checked and
// becomes io.EOF.
func (r *Reader) frame() (byte, []byte, error) {
	typ, payload, err := readFrame(r.r, r.buf)
	if err == io.EOF {
		err = fmt.Errorf("%w: no end frame", ErrTruncated)
	}
	if err != nil {
		return 0, nil, r.fail(err)
	}
	if typ != frameEnd {
		return typ, payload, nil
	}
	if len(payload) != 8 {
		return 0, nil, r.fail(fmt.Errorf("%w: end frame of %d bytes", ErrFrame, len(payload)))
	}
	if n := binary.BigEndian.Uint64(payload); n != r.entries {
		return 0, nil, r.fail(fmt.Errorf("%w: end frame counts %d entries, %d were sent", ErrFrame, n, r.entries))
	}
	return 0, nil, r.fail(io.EOF)
}

// entry decodes an entry frame; any other type is ErrFrame. In version 1
// a file's body follows.
func (r *Reader) entry(typ byte, payload []byte) (*Header, error) {
	switch typ {
	case frameFile, frameDir, frameSymlink:
	default:
		return nil, r.fail(fmt.Errorf("%w: unexpected frame type %#x", ErrFrame, typ))
	}
	h, err := parseEntry(Kind(typ), payload)
	if err != nil {
		return nil, r.fail(err)
	}
	r.entries++
	if h.Kind == KindFile && !r.v2 {
		r.inFile = true
		r.remaining = h.Size
		r.hash.Reset()
	}
	return h, nil
}

// Read reads the current file's body. After the last byte it reads the
// trailer and returns io.EOF if the hash matches, ErrAborted if the
// trailer is its bitwise complement (the sender gave up on the file), and
// ErrChecksum otherwise.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if !r.inFile {
		return 0, io.EOF
	}
	if r.v2 {
		return r.read2(p)
	}
	if r.remaining == 0 {
		return 0, r.finish()
	}
	if int64(len(p)) > r.remaining {
		p = p[:r.remaining]
	}
	n, err := r.r.Read(p)
	r.hash.Write(p[:n])
	r.remaining -= int64(n)
	if err == io.EOF && r.remaining > 0 {
		return n, r.fail(fmt.Errorf("%w: %d bytes of the body missing", ErrTruncated, r.remaining))
	}
	if err != nil && err != io.EOF {
		return n, r.fail(fmt.Errorf("read body: %w", err))
	}
	if r.remaining == 0 && n > 0 {
		// Check the trailer now so that the caller sees the verdict with
		// the last bytes rather than one call later.
		return n, r.finish()
	}
	return n, nil
}

// finish reads and checks the trailer of the current file.
func (r *Reader) finish() error {
	r.inFile = false
	var got [HashSize]byte
	if _, err := io.ReadFull(r.r, got[:]); err != nil {
		return r.fail(truncated("trailer", err))
	}
	r.hash.Sum(r.sum[:0])
	switch {
	case got == r.sum:
		return io.EOF
	case got == complement(r.sum):
		return ErrAborted
	}
	return ErrChecksum
}

// complement returns sum with every bit flipped: the trailer of an
// aborted file.
func complement(sum [HashSize]byte) [HashSize]byte {
	for i := range sum {
		sum[i] = ^sum[i]
	}
	return sum
}

// BodyBuffered reports whether the rest of the current file's body and its
// trailer are buffered, so that reading the body to its end does not wait
// for the underlying reader. It is true outside a file (there is nothing
// left to read) and false inside one if the Reader was not made over a
// *bufio.Reader.
func (r *Reader) BodyBuffered() bool {
	_, ok := r.bufferedRest()
	return ok
}

// NextBuffered reports whether the rest of the current file, if any, and
// the whole next frame are buffered, so that Next returns without waiting
// for the underlying reader. It is false if the Reader was not made over
// a *bufio.Reader.
func (r *Reader) NextBuffered() bool {
	rest, ok := r.bufferedRest()
	if !ok || r.br == nil {
		return false
	}
	n := r.br.Buffered()
	if n-rest < frameHeaderLen {
		return false
	}
	hdr, err := r.br.Peek(rest + frameHeaderLen) // buffered: does not read
	if err != nil {
		return false
	}
	length := binary.BigEndian.Uint32(hdr[rest+1:])
	return uint64(n-rest-frameHeaderLen) >= uint64(length)
}

// bufferedRest returns how many bytes of the current file (body and
// trailer) are still to be read, and whether they are all buffered.
func (r *Reader) bufferedRest() (int, bool) {
	if r.v2 {
		return r.bufferedRest2()
	}
	if !r.inFile {
		return 0, true
	}
	if r.br == nil || r.remaining > int64(r.br.Buffered()-HashSize) {
		return 0, false
	}
	return int(r.remaining) + HashSize, true
}

// Sum returns the BLAKE3 hash of the last file whose body was read to the end.
func (r *Reader) Sum() [HashSize]byte { return r.sum }

// Entries returns the number of entry headers read so far.
func (r *Reader) Entries() uint64 { return r.entries }

func (r *Reader) fail(err error) error {
	r.err = err
	return err
}

// onlyReader hides the Reader's other methods from io.Copy.
type onlyReader struct{ r *Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
