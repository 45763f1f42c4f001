package protocol

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/zeebo/blake3"
)

// Version 2 carries file bodies in frames (PROTOCOL.md section 17): a file
// entry is an offer, the receiver answers it before any body byte moves,
// and a body starts with a body frame, goes on in data frames and ends with
// a trailer or an abort frame.
const (
	frameBody    = 0x04
	frameData    = 0x05
	frameTrailer = 0x06
	frameAbort   = 0x07
	frameHash    = 0x08
	frameAnswer  = 0x83
)

// Limits of version 2.
const (
	MaxDataLen = 1 << 20 // bytes in one data frame
	// MaxOpen is how many files a version 2 sender may have open at once:
	// offered, and neither refused nor with their body sent.
	MaxOpen = 1024
)

const (
	bodyLen   = 8 + 8        // index, offset
	hashLen   = 8 + HashSize // index, sum
	answerLen = 8 + 1 + 8 + HashSize
)

// Item is one version 2 sender frame outside a body: exactly one field is
// set. After a Body item the caller reads the body with StartBody and Read.
type Item struct {
	Header *Header    // an entry; a file entry is an offer, its body comes later if asked for
	Body   *BodyStart // the start of a body
	Hash   *FileHash  // the hash of a file, as an answer asked for it
}

// BodyStart opens the body of an offered file, from Offset on.
type BodyStart struct {
	Index  uint64
	Offset int64
}

// FileHash is a sender's BLAKE3 of a whole offered file.
type FileHash struct {
	Index uint64
	Sum   [HashSize]byte
}

// Answer is a receiver's word on an offered file before its body: send the
// body from Offset (Prefix is the BLAKE3 of the bytes before it, which the
// receiver holds), or, if Hash, send the file's hash first.
type Answer struct {
	Index  uint64
	Hash   bool
	Offset int64
	Prefix [HashSize]byte
}

// SetVersion makes the Reader read version v's frames (1 or 2). It must be
// called before the first Next or NextItem.
func (r *Reader) SetVersion(v uint16) { r.v2 = v >= Version2 }

// NextItem reads the next version 2 frame outside a body: an entry, a
// body's start or a file's hash. It returns io.EOF after the end frame. An
// unfinished body is read to its end first.
func (r *Reader) NextItem() (Item, error) {
	if r.err != nil {
		return Item{}, r.err
	}
	if !r.v2 {
		return Item{}, r.fail(fmt.Errorf("%w: NextItem on a version 1 stream", ErrState))
	}
	if err := r.skipBody(); err != nil {
		return Item{}, err
	}
	typ, p, err := r.frame()
	if err != nil {
		return Item{}, err
	}
	be := binary.BigEndian
	switch typ {
	case frameBody:
		if len(p) != bodyLen {
			return Item{}, r.fail(fmt.Errorf("%w: body frame of %d bytes", ErrFrame, len(p)))
		}
		off := be.Uint64(p[8:])
		if off > MaxSize {
			return Item{}, r.fail(fmt.Errorf("%w: body offset %d", ErrFrame, off))
		}
		return Item{Body: &BodyStart{Index: be.Uint64(p), Offset: int64(off)}}, nil
	case frameHash:
		if len(p) != hashLen {
			return Item{}, r.fail(fmt.Errorf("%w: hash frame of %d bytes", ErrFrame, len(p)))
		}
		h := &FileHash{Index: be.Uint64(p)}
		copy(h.Sum[:], p[8:])
		return Item{Hash: h}, nil
	}
	h, err := r.entry(typ, p)
	if err != nil {
		return Item{}, err
	}
	return Item{Header: h}, nil
}

// StartBody begins reading the body that the last Body item opened, of a
// file of the given size, from offset on. prefix is the state of a BLAKE3
// hasher over the bytes before offset (nil if offset is 0); the trailer is
// checked against the hash of the whole file. The caller checks that the
// body was asked for and the offset is the one it answered.
func (r *Reader) StartBody(size, offset int64, prefix *blake3.Hasher) error {
	if r.err != nil {
		return r.err
	}
	if offset < 0 || offset > size || (offset > 0) != (prefix != nil) {
		return r.fail(fmt.Errorf("%w: StartBody at %d of %d", ErrState, offset, size))
	}
	r.hash.Reset()
	if prefix != nil {
		r.hash = prefix.Clone()
	}
	r.inFile, r.remaining, r.frameLeft, r.abortMsg = true, size-offset, 0, ""
	return nil
}

// AbortMessage is what the sender said when it aborted the last body.
func (r *Reader) AbortMessage() string { return r.abortMsg }

// read2 reads body bytes from data frames; see Read.
func (r *Reader) read2(p []byte) (int, error) {
	for r.frameLeft == 0 {
		if r.remaining == 0 {
			return 0, r.bodyEnd()
		}
		if err := r.bodyFrame(); err != nil {
			return 0, err
		}
	}
	if int64(len(p)) > r.frameLeft {
		p = p[:r.frameLeft]
	}
	n, err := r.r.Read(p)
	r.hash.Write(p[:n])
	r.frameLeft -= int64(n)
	r.remaining -= int64(n)
	if err == io.EOF && r.frameLeft > 0 {
		return n, r.fail(fmt.Errorf("%w: %d bytes of a data frame missing", ErrTruncated, r.frameLeft))
	}
	if err != nil && err != io.EOF {
		return n, r.fail(fmt.Errorf("read body: %w", err))
	}
	if r.remaining == 0 && r.frameLeft == 0 && n > 0 {
		return n, r.bodyEnd() // the verdict with the last bytes
	}
	return n, nil
}

// bodyFrame reads the next frame header inside a body, which bytes are
// still due: a data frame, or an abort.
func (r *Reader) bodyFrame() error {
	typ, n, err := r.bodyHeader()
	if err != nil {
		return err
	}
	switch {
	case typ == frameData && n > MaxDataLen:
		return r.fail(fmt.Errorf("%w: data frame of %d bytes", ErrTooLong, n))
	case typ == frameData && int64(n) > r.remaining:
		return r.fail(fmt.Errorf("%w: body longer than its size (%d bytes in a data frame, %d due)", ErrFrame, n, r.remaining))
	case typ == frameData:
		r.frameLeft = int64(n)
		return nil
	case typ == frameAbort:
		return r.abort(n)
	case typ == frameTrailer:
		return r.fail(fmt.Errorf("%w: trailer with %d bytes of the body missing", ErrFrame, r.remaining))
	}
	return r.fail(fmt.Errorf("%w: frame type %#x inside a body", ErrFrame, typ))
}

// bodyEnd reads the frame that ends a body whose bytes are all read: its
// trailer (io.EOF if it matches, else ErrChecksum), or an abort.
func (r *Reader) bodyEnd() error {
	typ, n, err := r.bodyHeader()
	for err == nil && typ == frameData && n == 0 { // empty data frames: skipped, in a loop (a peer may send many)
		typ, n, err = r.bodyHeader()
	}
	if err != nil {
		return err
	}
	switch typ {
	case frameTrailer:
		if n != HashSize {
			return r.fail(fmt.Errorf("%w: trailer of %d bytes", ErrFrame, n))
		}
		r.inFile = false
		var got [HashSize]byte
		if _, err := io.ReadFull(r.r, got[:]); err != nil {
			return r.fail(truncated("trailer", err))
		}
		if r.hash.Sum(r.sum[:0]); got == r.sum {
			return io.EOF
		}
		return ErrChecksum
	case frameAbort:
		return r.abort(n)
	case frameData:
		return r.fail(fmt.Errorf("%w: body longer than its size (%d more bytes)", ErrFrame, n))
	}
	return r.fail(fmt.Errorf("%w: frame type %#x where a trailer belongs", ErrFrame, typ))
}

// abort reads an abort frame's payload of n bytes.
func (r *Reader) abort(n uint32) error {
	r.inFile = false
	if n > MaxFrameLen {
		return r.fail(fmt.Errorf("%w: abort frame of %d bytes", ErrTooLong, n))
	}
	p := r.buf[:n]
	if _, err := io.ReadFull(r.r, p); err != nil {
		return r.fail(truncated("abort frame", err))
	}
	if len(p) < 2 {
		return r.fail(fmt.Errorf("%w: abort frame of %d bytes", ErrFrame, len(p)))
	}
	msg, err := message(p)
	if err != nil {
		return r.fail(err)
	}
	r.abortMsg = msg
	return ErrAborted
}

// bodyHeader reads a frame header inside a body.
func (r *Reader) bodyHeader() (byte, uint32, error) {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(r.r, hdr[:]); err != nil {
		return 0, 0, r.fail(truncated("body", err))
	}
	return hdr[0], binary.BigEndian.Uint32(hdr[1:]), nil
}

// bufferedRest2 is bufferedRest for version 2: it walks the data frames
// in the buffer up to the trailer, giving up (false) after a few frames.
func (r *Reader) bufferedRest2() (int, bool) {
	if !r.inFile {
		return 0, true
	}
	if r.br == nil || r.frameLeft > int64(r.br.Buffered()) {
		return 0, false
	}
	n, pos, due := r.br.Buffered(), int(r.frameLeft), r.remaining-r.frameLeft
	for range 4 {
		if pos+frameHeaderLen > n {
			return 0, false
		}
		hdr, _ := r.br.Peek(pos + frameHeaderLen) // buffered: does not read
		end := pos + frameHeaderLen + int(binary.BigEndian.Uint32(hdr[pos+1:]))
		if end > n || end < pos {
			return 0, false
		}
		if hdr[pos] != frameData || due == 0 {
			return end, true // the trailer, an abort, or what ends the body in error
		}
		due -= int64(end - pos - frameHeaderLen)
		pos = end
	}
	return 0, false
}

// SetVersion makes the Writer write version v's frames (1 or 2). It must
// be called before the first frame.
func (w *Writer) SetVersion(v uint16) { w.v2 = v >= Version2 }

// BeginBody starts the body of offered file index, of the given size, from
// offset on: exactly size - offset bytes must follow through Write, then
// Close (or Abort). prefix is a hasher over the bytes before offset (nil
// if offset is 0): the trailer covers the whole file. Version 2 only.
func (w *Writer) BeginBody(index uint64, size, offset int64, prefix *blake3.Hasher) error {
	if w.err != nil {
		return w.err
	}
	if !w.v2 || w.inFile || w.ended || offset < 0 || offset > size || (offset > 0) != (prefix != nil) {
		return w.fail(fmt.Errorf("%w: BeginBody", ErrState))
	}
	w.buf = appendFrameHeader(w.buf[:0], frameBody, bodyLen)
	w.buf = binary.BigEndian.AppendUint64(w.buf, index)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(offset))
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write body frame: %w", err))
	}
	w.hash.Reset()
	if prefix != nil {
		w.hash = prefix.Clone()
	}
	w.inFile, w.remaining = true, size-offset
	return nil
}

// WriteHash sends the BLAKE3 of a whole offered file, which the receiver
// asked for. Version 2 only, outside a body.
func (w *Writer) WriteHash(index uint64, sum [HashSize]byte) error {
	if w.err != nil {
		return w.err
	}
	if !w.v2 || w.inFile || w.ended {
		return w.fail(fmt.Errorf("%w: WriteHash", ErrState))
	}
	w.buf = appendFrameHeader(w.buf[:0], frameHash, hashLen)
	w.buf = binary.BigEndian.AppendUint64(w.buf, index)
	w.buf = append(w.buf, sum[:]...)
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write hash: %w", err))
	}
	return nil
}

// writeData writes p as data frames.
func (w *Writer) writeData(p []byte) (int, error) {
	done := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), MaxDataLen)]
		w.buf = appendFrameHeader(w.buf[:0], frameData, len(chunk))
		if _, err := w.w.Write(w.buf); err != nil {
			return done, err
		}
		n, err := w.w.Write(chunk)
		done += n
		if err != nil {
			return done, err
		}
		p = p[n:]
	}
	return done, nil
}

// endBody writes the trailer, or an abort frame with msg, of a version 2 body.
func (w *Writer) endBody(abort bool, msg string) error {
	w.inFile = false
	if abort {
		msg = clip(msg)
		w.buf = appendFrameHeader(w.buf[:0], frameAbort, 2+len(msg))
		w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(msg)))
		w.buf = append(w.buf, msg...)
	} else {
		w.buf = appendFrameHeader(w.buf[:0], frameTrailer, HashSize)
		w.buf = append(w.buf, w.hash.Sum(w.sum[:0])...)
	}
	if _, err := w.w.Write(w.buf); err != nil {
		return w.fail(fmt.Errorf("write trailer: %w", err))
	}
	return nil
}

// SetVersion makes the ReplyReader read version v's frames (1 or 2).
func (rr *ReplyReader) SetVersion(v uint16) { rr.v2 = v >= Version2 }

// WriteAnswer writes an answer to an offered file (version 2).
func (w *ReplyWriter) WriteAnswer(a Answer) error {
	if err := w.start("WriteAnswer"); err != nil {
		return err
	}
	w.buf = appendFrameHeader(w.buf[:0], frameAnswer, answerLen)
	w.buf = binary.BigEndian.AppendUint64(w.buf, a.Index)
	what := byte(0)
	if a.Hash {
		what = 1
	}
	w.buf = append(w.buf, what)
	w.buf = binary.BigEndian.AppendUint64(w.buf, uint64(a.Offset))
	return w.write("answer", append(w.buf, a.Prefix[:]...))
}

// parseAnswer decodes an answer payload.
func parseAnswer(p []byte) (Reply, error) {
	if len(p) != answerLen {
		return Reply{}, fmt.Errorf("%w: answer of %d bytes", ErrFrame, len(p))
	}
	a := &Answer{Index: binary.BigEndian.Uint64(p), Hash: p[8] == 1}
	off := binary.BigEndian.Uint64(p[9:])
	copy(a.Prefix[:], p[17:])
	switch {
	case p[8] > 1:
		return Reply{}, fmt.Errorf("%w: answer of kind %d", ErrFrame, p[8])
	case off > MaxSize || (a.Hash && off != 0):
		return Reply{}, fmt.Errorf("%w: answer with offset %d", ErrFrame, off)
	case off == 0 && a.Prefix != [HashSize]byte{}:
		return Reply{}, fmt.Errorf("%w: answer with a prefix hash but no offset", ErrFrame)
	}
	a.Offset = int64(off)
	return Reply{Answer: a}, nil
}
