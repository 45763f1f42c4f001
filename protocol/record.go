package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/flynn/noise"
)

// Record layer limits (PROTOCOL.md, section 16.5): a record is a 2-byte
// big-endian length, then that many bytes of one Noise transport message,
// the AES-GCM ciphertext of up to MaxRecordPlaintext bytes and its tag.
const (
	MaxRecordLen       = 65535
	RecordTagLen       = 16
	MaxRecordPlaintext = MaxRecordLen - RecordTagLen
)

// RecordWriter seals what is written to it into records. Each Write is
// cut into records of at most MaxRecordPlaintext bytes, sent WriteBatch
// plaintext bytes at a time with one Write on the underlying writer; it keeps
// nothing between Writes (put a bufio.Writer above it). Errors are sticky.
type RecordWriter struct {
	w   io.Writer
	cs  *noise.CipherState
	buf []byte
	err error
}

// WriteBatch is how much plaintext a RecordWriter seals at most for one
// write on the wire (its buffer grows to that as needed).
const WriteBatch = 16 * MaxRecordPlaintext

// NewRecordWriter returns a RecordWriter sealing with cs.
func NewRecordWriter(w io.Writer, cs *noise.CipherState) *RecordWriter {
	return &RecordWriter{w: w, cs: cs}
}

// seal appends to dst the records of p, cut into records of at most
// MaxRecordPlaintext bytes (none for an empty p). The nonce running out
// (noise.ErrMaxNonce, after 2^64-1 records) is an error like any other:
// the connection ends.
func (rw *RecordWriter) seal(dst, p []byte) ([]byte, error) {
	if rw.err != nil {
		return dst, rw.err
	}
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxRecordPlaintext)]
		start := len(dst)
		var err error
		if dst, err = rw.cs.Encrypt(append(dst, 0, 0), nil, chunk); err != nil {
			rw.err = fmt.Errorf("seal record: %w", err)
			return dst[:start], rw.err
		}
		binary.BigEndian.PutUint16(dst[start:], uint16(len(dst)-start-2))
		p = p[len(chunk):]
	}
	return dst, nil
}

// Write seals p in records and writes them.
func (rw *RecordWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), WriteBatch)]
		out, err := rw.seal(rw.buf[:0], chunk)
		rw.buf = out
		if err != nil {
			return n, err
		}
		if _, err := rw.w.Write(out); err != nil {
			rw.err = err
			return n, err
		}
		n += len(chunk)
		p = p[len(chunk):]
	}
	return n, nil
}

// RecordReader opens the records read from r and returns their plaintext.
// The stream may end only between records (io.EOF); a record that fails
// its check is ErrRecord. Errors are sticky.
//
// It reads r in large reads into a buffer of its own and opens each
// record straight into the caller's buffer when it fits there (else in
// place, and hands out the rest later), so that a byte is copied no more
// often than in clear.
type RecordReader struct {
	r     io.Reader
	cs    *noise.CipherState
	buf   []byte // read from r; buf[start:end] is not opened yet
	start int
	end   int
	plain []byte // opened in place and not returned yet, inside buf
	err   error  // of r or of a record, returned once the data before it is
}

// readLen is a RecordReader's buffer: a few records' worth, one at least.
const readLen = 4 * (2 + MaxRecordLen)

// NewRecordReader returns a RecordReader opening with cs.
func NewRecordReader(r io.Reader, cs *noise.CipherState) *RecordReader {
	return &RecordReader{r: r, cs: cs, buf: make([]byte, readLen)}
}

// Read returns plaintext: what is left of the last record opened, or as
// many whole records as are read and fit in p (one at least).
func (rr *RecordReader) Read(p []byte) (int, error) {
	if len(rr.plain) > 0 {
		n := copy(p, rr.plain)
		rr.plain = rr.plain[n:]
		return n, nil
	}
	n := 0
	for len(p) > 0 {
		rec, ok := rr.whole()
		switch {
		case !ok && (n > 0 || rr.err != nil):
			return n, rr.errAfter(n)
		case !ok:
			rr.fill()
			continue
		}
		if len(p) < len(rec)-RecordTagLen {
			if n > 0 {
				return n, nil // the next call opens it
			}
			// It does not fit: open it in place, return some of it.
			if rr.plain, ok = rr.openNext(rec[:0], rec); !ok {
				return 0, rr.err
			}
			return rr.Read(p)
		}
		out, ok := rr.openNext(p[:0], rec)
		if !ok {
			return n, rr.errAfter(n)
		}
		n += len(out)
		p = p[len(out):]
	}
	return n, nil
}

// errAfter is the error to return with n bytes: none while there are some.
func (rr *RecordReader) errAfter(n int) error {
	if n > 0 {
		return nil
	}
	return rr.err
}

// whole returns the ciphertext of the next record if it is read in full.
// A length shorter than the tag is an error (in rr.err) and no record.
func (rr *RecordReader) whole() ([]byte, bool) {
	have := rr.buf[rr.start:rr.end]
	if len(have) < 2 {
		return nil, false
	}
	n := int(binary.BigEndian.Uint16(have))
	if n < RecordTagLen {
		rr.broken(fmt.Errorf("%w: record of %d bytes, shorter than its tag", ErrRecord, n))
		return nil, false
	}
	if len(have) < 2+n {
		return nil, false
	}
	return have[2 : 2+n], true
}

// fill moves what is left of a record to the front of the buffer and
// reads more; the end of r there is io.EOF between records, else
// ErrTruncated, kept in rr.err.
func (rr *RecordReader) fill() {
	if rr.start > 0 {
		rr.end = copy(rr.buf, rr.buf[rr.start:rr.end])
		rr.start = 0
	}
	n, err := rr.r.Read(rr.buf[rr.end:])
	rr.end += n
	switch {
	case err == io.EOF && rr.end == 0:
		rr.err = io.EOF
	case err == io.EOF || err == io.ErrUnexpectedEOF:
		rr.err = fmt.Errorf("%w: inside a record", ErrTruncated)
	case err != nil:
		rr.err = err
	}
}

// openNext opens the next record, ciphertext c, appending its plaintext
// to dst; a record that fails breaks the stream (false).
func (rr *RecordReader) openNext(dst, c []byte) ([]byte, bool) {
	out, err := rr.cs.Decrypt(dst, nil, c)
	if err != nil {
		if errors.Is(err, noise.ErrMaxNonce) {
			rr.broken(fmt.Errorf("open record: %w", err))
		} else {
			rr.broken(fmt.Errorf("%w (tampered, dropped, reordered or replayed on the way)", ErrRecord))
		}
		return nil, false
	}
	rr.start += 2 + len(c)
	return out, true
}

// broken ends the stream with err: nothing read after it counts.
func (rr *RecordReader) broken(err error) {
	rr.err = err
	rr.start, rr.end = 0, 0
}
