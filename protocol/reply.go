package protocol

import (
	"encoding/binary"
	"fmt"
	"io"
)

// Verdict is the receiver's word on one entry, identified by its index
// (entries are numbered from 0 in the order they were sent).
type Verdict struct {
	Index   uint64
	Code    Code
	Message string
}

// Summary closes a transfer: what the receiver saw and committed.
type Summary struct {
	Entries   uint64 // entries received
	Committed uint64 // entries whose verdict was a success
	Failed    uint64 // entries whose verdict was a failure: always Entries - Committed
	Bytes     uint64 // sizes of the files written (verdict CodeOK; CodeUnchanged not counted)
}

// check enforces Failed = Entries - Committed.
func (s Summary) check() error {
	if s.Committed > s.Entries || s.Failed != s.Entries-s.Committed {
		return fmt.Errorf("%w: summary of %d entries counts %d committed and %d failed",
			ErrFrame, s.Entries, s.Committed, s.Failed)
	}
	return nil
}

// Reply is one frame from the receiver: exactly one field is set.
// Fatal errors are not replies: ReplyReader.Next returns them as
// *RemoteError.
type Reply struct {
	Verdict *Verdict
	Summary *Summary
	Answer  *Answer // version 2 only
}

// ReplyWriter writes the receiver's side of a transfer: verdicts, then
// one summary, or at any point one error frame (which may also take the
// place of the accept). Nothing may follow the summary or the error
// frame. Errors are sticky: after a failed write, every call returns it.
// Callers usually pass a *bufio.Writer and flush it when the reader is
// about to block.
type ReplyWriter struct {
	w     io.Writer
	err   error
	buf   []byte
	ended bool
}

// NewReplyWriter returns a ReplyWriter writing to w.
func NewReplyWriter(w io.Writer) *ReplyWriter {
	return &ReplyWriter{w: w, buf: make([]byte, 0, frameHeaderLen+32)}
}

// WriteVerdict writes a verdict frame. A message over MaxMessageLen bytes
// is cut.
func (w *ReplyWriter) WriteVerdict(v Verdict) error {
	if err := w.start("WriteVerdict"); err != nil {
		return err
	}
	msg := clip(v.Message)
	w.buf = appendFrameHeader(w.buf[:0], frameVerdict, 8+1+2+len(msg))
	w.buf = binary.BigEndian.AppendUint64(w.buf, v.Index)
	w.buf = append(w.buf, byte(v.Code))
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(msg)))
	return w.write("verdict", append(w.buf, msg...))
}

// WriteSummary writes the summary frame that ends a transfer. A summary
// whose Failed is not Entries - Committed is refused with ErrFrame and
// nothing is written.
func (w *ReplyWriter) WriteSummary(s Summary) error {
	if err := w.start("WriteSummary"); err != nil {
		return err
	}
	if err := s.check(); err != nil {
		return err
	}
	w.buf = appendFrameHeader(w.buf[:0], frameSummary, 32)
	for _, n := range []uint64{s.Entries, s.Committed, s.Failed, s.Bytes} {
		w.buf = binary.BigEndian.AppendUint64(w.buf, n)
	}
	w.ended = true
	return w.write("summary", w.buf)
}

// WriteError writes a fatal error frame; the receiver closes the
// connection after it. A message over MaxMessageLen bytes is cut.
func (w *ReplyWriter) WriteError(code Code, msg string) error {
	if err := w.start("WriteError"); err != nil {
		return err
	}
	msg = clip(msg)
	w.buf = appendFrameHeader(w.buf[:0], frameError, 1+2+len(msg))
	w.buf = append(w.buf, byte(code))
	w.buf = binary.BigEndian.AppendUint16(w.buf, uint16(len(msg)))
	w.ended = true
	return w.write("error frame", append(w.buf, msg...))
}

// start returns the sticky error, or ErrState after the last frame.
func (w *ReplyWriter) start(call string) error {
	if w.err != nil {
		return w.err
	}
	if w.ended {
		return w.fail(fmt.Errorf("%w: %s after the summary or an error frame", ErrState, call))
	}
	return nil
}

func (w *ReplyWriter) write(what string, b []byte) error {
	if _, err := w.w.Write(b); err != nil {
		return w.fail(fmt.Errorf("write %s: %w", what, err))
	}
	return nil
}

func (w *ReplyWriter) fail(err error) error {
	w.err = err
	return err
}

// clip shortens a message to MaxMessageLen bytes.
func clip(s string) string {
	if len(s) > MaxMessageLen {
		return s[:MaxMessageLen]
	}
	return s
}

// ReplyReader reads the receiver's frames after the accept. Errors are
// sticky: once Next fails, every later call returns the same error; after
// the summary, Next returns io.EOF without reading further.
type ReplyReader struct {
	r   io.Reader
	err error
	buf []byte
	v2  bool // version 2: answers (offer.go)
}

// NewReplyReader returns a ReplyReader reading from r.
func NewReplyReader(r io.Reader) *ReplyReader {
	return &ReplyReader{r: r, buf: make([]byte, MaxFrameLen)}
}

// Next reads the next verdict or summary. An error frame is returned as
// *RemoteError; the end of the stream before a summary as ErrTruncated.
func (rr *ReplyReader) Next() (Reply, error) {
	if rr.err != nil {
		return Reply{}, rr.err
	}
	typ, p, err := readFrame(rr.r, rr.buf)
	if err == io.EOF {
		err = fmt.Errorf("%w: no summary", ErrTruncated)
	}
	if err == nil {
		var rep Reply
		if typ == frameAnswer && rr.v2 {
			rep, err = parseAnswer(p)
		} else {
			rep, err = parseReply(typ, p)
		}
		if err == nil {
			if rep.Summary != nil {
				rr.err = io.EOF
			}
			return rep, nil
		}
	}
	rr.err = err
	return Reply{}, err
}

// parseReply decodes the payload of a receiver frame of type typ.
func parseReply(typ byte, p []byte) (Reply, error) {
	switch typ {
	case frameVerdict:
		if len(p) < 11 {
			return Reply{}, fmt.Errorf("%w: verdict of %d bytes", ErrFrame, len(p))
		}
		msg, err := message(p[9:])
		if err != nil {
			return Reply{}, err
		}
		return Reply{Verdict: &Verdict{Index: binary.BigEndian.Uint64(p), Code: Code(p[8]), Message: msg}}, nil
	case frameSummary:
		if len(p) != 32 {
			return Reply{}, fmt.Errorf("%w: summary of %d bytes", ErrFrame, len(p))
		}
		be := binary.BigEndian
		s := &Summary{be.Uint64(p), be.Uint64(p[8:]), be.Uint64(p[16:]), be.Uint64(p[24:])}
		if err := s.check(); err != nil {
			return Reply{}, err
		}
		return Reply{Summary: s}, nil
	case frameError:
		if len(p) < 3 {
			return Reply{}, fmt.Errorf("%w: error frame of %d bytes", ErrFrame, len(p))
		}
		msg, err := message(p[1:])
		if err != nil {
			return Reply{}, err
		}
		return Reply{}, &RemoteError{Code: Code(p[0]), Message: msg}
	}
	return Reply{}, fmt.Errorf("%w: unexpected reply type %#x", ErrFrame, typ)
}

// message decodes a uint16-length-prefixed message that must fill p.
func message(p []byte) (string, error) {
	n := int(binary.BigEndian.Uint16(p))
	if n > MaxMessageLen {
		return "", fmt.Errorf("%w: message of %d bytes", ErrTooLong, n)
	}
	if len(p) != 2+n {
		return "", fmt.Errorf("%w: message length does not add up", ErrFrame)
	}
	return string(p[2:]), nil
}
