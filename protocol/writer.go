package protocol

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Writer writes the sender's side of a transfer after the handshake: entry
// frames, file bodies with their BLAKE3 trailers, and the end frame.
// Errors are sticky: after one, every call returns it.
type Writer struct {
	w         io.Writer
	err       error
	buf       []byte
	hash      *blake3.Hasher
	inFile    bool
	remaining int64
	entries   uint64
	ended     bool
	v2        bool           // version 2: bodies in frames (offer.go)
	sum       [HashSize]byte // trailer of the last file closed
}

// NewWriter returns a Writer writing to w. Callers usually pass a
// *bufio.Writer and flush it after WriteEnd.
func NewWriter(w io.Writer) *Writer {
	return &Writer{w: w, buf: make([]byte, 0, MaxFrameLen+frameHeaderLen), hash: blake3.New()}
}

// WriteHeader writes the frame for a new entry. For a file, exactly h.Size
// bytes must follow through Write, then Close. The previous file, if any,
// must have been closed.
func (w *Writer) WriteHeader(h *Header) error {
	if w.err != nil {
		return w.err
	}
	if w.inFile || w.ended {
		return w.fail(fmt.Errorf("%w: WriteHeader before Close or after WriteEnd", ErrState))
	}
	if h.Size < 0 {
		return fmt.Errorf("%w: negative size %d", ErrFrame, h.Size)
	}
	if err := checkEntry(h, uint64(h.Size)); err != nil {
		return err // the stream is still consistent: nothing was written
	}
	n := entryFixedLen + len(h.Name) + len(h.Linkname)
	w.buf = appendFrameHeader(w.buf[:0], byte(h.Kind), n)
	w.buf = appendEntry(w.buf, h)
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write header: %w", err))
	}
	w.entries++
	if h.Kind == KindFile && !w.v2 {
		w.inFile = true
		w.remaining = h.Size
		w.hash.Reset()
	}
	return nil
}

// Write writes body bytes of the current file, hashing them as they pass.
// Writing more than the header's size returns ErrWriteTooLong.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if !w.inFile {
		return 0, fmt.Errorf("%w: Write outside a file", ErrState)
	}
	tooLong := int64(len(p)) > w.remaining
	if tooLong {
		p = p[:w.remaining]
	}
	w.hash.Write(p)
	write := w.w.Write
	if w.v2 {
		write = w.writeData
	}
	n, err := write(p)
	w.remaining -= int64(n)
	if err != nil {
		return n, w.fail(fmt.Errorf("write body: %w", err))
	}
	if tooLong {
		return n, ErrWriteTooLong
	}
	return n, nil
}

// Close finishes the current file: it fails with ErrWriteTooShort if fewer
// bytes than the header's size were written, and otherwise writes the
// BLAKE3 trailer. It does not close the underlying writer. Close after a
// directory or symlink entry does nothing.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	if !w.inFile {
		return nil
	}
	if w.remaining != 0 {
		return fmt.Errorf("%w: %d bytes missing", ErrWriteTooShort, w.remaining)
	}
	if w.v2 {
		return w.endBody(false, "")
	}
	w.inFile = false
	sum := w.hash.Sum(w.sum[:0])
	if _, err := w.w.Write(sum); err != nil {
		return w.fail(fmt.Errorf("write trailer: %w", err))
	}
	return nil
}

// Abort gives up on the current file without breaking the stream: it pads
// the missing bytes with zeros and writes as trailer the bitwise complement
// of the BLAKE3 of all the body bytes written, padding included. The
// receiver reads ErrAborted and refuses the file with CodeAborted. Senders
// use it when a source file changes while it is being sent.
func (w *Writer) Abort() error { return w.AbortWith("") }

// AbortWith is Abort with a message: in version 2 the body ends at once in
// an abort frame that carries msg (cut at MaxMessageLen bytes); version 1
// has no room for it.
func (w *Writer) AbortWith(msg string) error {
	if w.err != nil {
		return w.err
	}
	if !w.inFile {
		return nil
	}
	if w.v2 {
		return w.endBody(true, msg)
	}
	var zeros [32 * 1024]byte
	for w.remaining > 0 {
		n := int64(len(zeros))
		if n > w.remaining {
			n = w.remaining
		}
		if _, err := w.Write(zeros[:n]); err != nil {
			return err
		}
	}
	w.inFile = false
	var sum [HashSize]byte
	w.hash.Sum(sum[:0])
	sum = complement(sum)
	if _, err := w.w.Write(sum[:]); err != nil {
		return w.fail(fmt.Errorf("write trailer: %w", err))
	}
	return nil
}

// WriteEnd writes the end frame, which carries the number of entries sent.
// No entry may follow.
func (w *Writer) WriteEnd() error {
	if w.err != nil {
		return w.err
	}
	if w.inFile || w.ended {
		return w.fail(fmt.Errorf("%w: WriteEnd before Close or twice", ErrState))
	}
	w.ended = true
	w.buf = appendFrameHeader(w.buf[:0], frameEnd, 8)
	w.buf = binary.BigEndian.AppendUint64(w.buf, w.entries)
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write end: %w", err))
	}
	return nil
}

// Sum returns the BLAKE3 hash that the last Close wrote as the trailer of
// its file.
func (w *Writer) Sum() [HashSize]byte { return w.sum }

// Entries returns the number of entry frames written so far.
func (w *Writer) Entries() uint64 { return w.entries }

func (w *Writer) fail(err error) error {
	w.err = err
	return err
}
