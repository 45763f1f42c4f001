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
// cut into records of at most MaxRecordPlaintext bytes, each sent with
// up to writeBatch records at a time with one Write on the underlying
// writer; it keeps nothing between Writes (put a bufio.Writer above it).
// Errors are sticky.
type RecordWriter struct {
	w   io.Writer
	cs  *noise.CipherState
	buf []byte
	err error
}

// NewRecordWriter returns a RecordWriter sealing with cs.
func NewRecordWriter(w io.Writer, cs *noise.CipherState) *RecordWriter {
	return &RecordWriter{w: w, cs: cs, buf: make([]byte, 0, writeBatch*(2+MaxRecordLen)+2+MaxRecordLen)}
}

// Write seals p in records and writes them. The nonce running out
// (noise.ErrMaxNonce, after 2^64-1 records) is an error like any other:
// the connection ends.
func (rw *RecordWriter) Write(p []byte) (int, error) {
	if rw.err != nil {
		return 0, rw.err
	}
	n := 0
	for len(p) > 0 {
		// Up to writeBatch records of this Write go out in one write.
		out, sealed := rw.buf[:0], 0
		for len(p) > 0 && len(out) < cap(rw.buf)-2-MaxRecordLen {
			chunk := p[:min(len(p), MaxRecordPlaintext)]
			start := len(out)
			var err error
			if out, err = rw.cs.Encrypt(out[:start+2], nil, chunk); err != nil {
				rw.err = fmt.Errorf("seal record: %w", err)
				return n, rw.err
			}
			binary.BigEndian.PutUint16(out[start:], uint16(len(out)-start-2))
			sealed += len(chunk)
			p = p[len(chunk):]
		}
		if _, err := rw.w.Write(out); err != nil {
			rw.err = err
			return n, err
		}
		n += sealed
	}
	return n, nil
}

// writeBatch is how many records a RecordWriter writes at once at most.
const writeBatch = 16

// RecordReader opens the records read from r and returns their plaintext.
// The stream may end only between records (io.EOF); a record that fails
// its check is ErrRecord. Errors are sticky.
type RecordReader struct {
	r     io.Reader
	cs    *noise.CipherState
	buf   []byte
	plain []byte // what is left of the last record
	err   error
}

// NewRecordReader returns a RecordReader opening with cs.
func NewRecordReader(r io.Reader, cs *noise.CipherState) *RecordReader {
	return &RecordReader{r: r, cs: cs, buf: make([]byte, MaxRecordLen)}
}

// Read returns plaintext, opening the next record when the last one is used up.
func (rr *RecordReader) Read(p []byte) (int, error) {
	for len(rr.plain) == 0 {
		if rr.err != nil {
			return 0, rr.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		rr.err = rr.next()
	}
	n := copy(p, rr.plain)
	rr.plain = rr.plain[n:]
	return n, nil
}

// next reads and opens one record into rr.plain (which may be empty).
func (rr *RecordReader) next() error {
	var lb [2]byte
	if _, err := io.ReadFull(rr.r, lb[:]); err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return recordTruncated(err)
	}
	n := int(binary.BigEndian.Uint16(lb[:]))
	if n < RecordTagLen {
		return fmt.Errorf("%w: record of %d bytes, shorter than its tag", ErrRecord, n)
	}
	c := rr.buf[:n]
	if _, err := io.ReadFull(rr.r, c); err != nil {
		return recordTruncated(err)
	}
	plain, err := rr.cs.Decrypt(c[:0], nil, c)
	if err != nil {
		if errors.Is(err, noise.ErrMaxNonce) {
			return fmt.Errorf("open record: %w", err)
		}
		return fmt.Errorf("%w (tampered, dropped, reordered or replayed on the way)", ErrRecord)
	}
	rr.plain = plain
	return nil
}

func recordTruncated(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: inside a record", ErrTruncated)
	}
	return err
}
