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
	Failed    uint64 // entries whose verdict was a failure
	Bytes     uint64 // sizes of the files written (verdict CodeOK; CodeUnchanged not counted)
}

// Reply is one frame from the receiver: exactly one field is set.
// Fatal errors are not replies: ReadReply returns them as *RemoteError.
type Reply struct {
	Verdict *Verdict
	Summary *Summary
}

// WriteVerdict writes a verdict frame.
func WriteVerdict(w io.Writer, v Verdict) error {
	msg := clip(v.Message)
	b := appendFrameHeader(make([]byte, 0, 16+len(msg)), frameVerdict, 8+1+2+len(msg))
	b = binary.BigEndian.AppendUint64(b, v.Index)
	b = append(b, byte(v.Code))
	b = binary.BigEndian.AppendUint16(b, uint16(len(msg)))
	_, err := w.Write(append(b, msg...))
	return err
}

// WriteSummary writes the summary frame that ends a successful connection.
func WriteSummary(w io.Writer, s Summary) error {
	b := appendFrameHeader(make([]byte, 0, 40), frameSummary, 32)
	for _, n := range []uint64{s.Entries, s.Committed, s.Failed, s.Bytes} {
		b = binary.BigEndian.AppendUint64(b, n)
	}
	_, err := w.Write(b)
	return err
}

// WriteError writes a fatal error frame; the writer closes the connection
// after it. A receiver may send one instead of its Accept.
func WriteError(w io.Writer, code Code, msg string) error {
	msg = clip(msg)
	b := appendFrameHeader(make([]byte, 0, 8+len(msg)), frameError, 1+2+len(msg))
	b = append(b, byte(code))
	b = binary.BigEndian.AppendUint16(b, uint16(len(msg)))
	_, err := w.Write(append(b, msg...))
	return err
}

// clip shortens a message to MaxMessageLen bytes.
func clip(s string) string {
	if len(s) > MaxMessageLen {
		return s[:MaxMessageLen]
	}
	return s
}

// ReplyReader reads the receiver's frames.
type ReplyReader struct {
	r   io.Reader
	buf []byte
}

// NewReplyReader returns a ReplyReader reading from r.
func NewReplyReader(r io.Reader) *ReplyReader {
	return &ReplyReader{r: r, buf: make([]byte, MaxFrameLen)}
}

// Next reads the next verdict or summary. An error frame is returned as
// *RemoteError; an end of stream before a summary as ErrTruncated.
func (rr *ReplyReader) Next() (Reply, error) {
	var typ [1]byte
	if _, err := io.ReadFull(rr.r, typ[:]); err != nil {
		return Reply{}, truncated("reply", err)
	}
	return readReplyAfterType(rr.r, typ[0], rr.buf)
}

func readReplyAfterType(r io.Reader, typ byte, buf []byte) (Reply, error) {
	var n [4]byte
	if _, err := io.ReadFull(r, n[:]); err != nil {
		return Reply{}, truncated("reply", err)
	}
	size := binary.BigEndian.Uint32(n[:])
	if size > MaxFrameLen {
		return Reply{}, fmt.Errorf("%w: reply of %d bytes", ErrTooLong, size)
	}
	p := buf[:size]
	if _, err := io.ReadFull(r, p); err != nil {
		return Reply{}, truncated("reply", err)
	}
	switch typ {
	case frameVerdict:
		if len(p) < 11 {
			return Reply{}, fmt.Errorf("%w: verdict of %d bytes", ErrFrame, len(p))
		}
		msg, err := message(p[9:])
		v := &Verdict{Index: binary.BigEndian.Uint64(p), Code: Code(p[8]), Message: msg}
		return Reply{Verdict: v}, err
	case frameSummary:
		if len(p) != 32 {
			return Reply{}, fmt.Errorf("%w: summary of %d bytes", ErrFrame, len(p))
		}
		be := binary.BigEndian
		s := &Summary{be.Uint64(p), be.Uint64(p[8:]), be.Uint64(p[16:]), be.Uint64(p[24:])}
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
