package protocol

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
)

// Hello is what a sender offers when it connects.
type Hello struct {
	MinVersion, MaxVersion uint16
	Caps                   uint64 // capability bits wanted; none are defined in version 1
}

// Accept is the receiver's answer to a Hello.
type Accept struct {
	Version uint16
	Caps    uint64 // capability bits granted, a subset of those wanted
}

const (
	clientHelloLen = len(Magic) + 2 + 2 + 8
	serverHelloLen = len(Magic) + 2 + 8
)

// DefaultHello is the Hello this package's version speaks.
func DefaultHello() Hello { return Hello{MinVersion: MinVersion, MaxVersion: MaxVersion} }

// WriteHello writes a sender's opening bytes.
func WriteHello(w io.Writer, h Hello) error {
	b := make([]byte, 0, clientHelloLen)
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, h.MinVersion)
	b = binary.BigEndian.AppendUint16(b, h.MaxVersion)
	b = binary.BigEndian.AppendUint64(b, h.Caps)
	_, err := w.Write(b)
	return err
}

// ReadHello reads a sender's opening bytes. It returns ErrBadMagic if the
// peer is not an ft sender.
func ReadHello(r io.Reader) (Hello, error) {
	var b [clientHelloLen]byte
	if err := readMagic(r, b[:], 0); err != nil {
		return Hello{}, err
	}
	h := Hello{
		MinVersion: binary.BigEndian.Uint16(b[8:]),
		MaxVersion: binary.BigEndian.Uint16(b[10:]),
		Caps:       binary.BigEndian.Uint64(b[12:]),
	}
	if h.MinVersion > h.MaxVersion {
		return h, fmt.Errorf("%w: version range %d-%d", ErrFrame, h.MinVersion, h.MaxVersion)
	}
	return h, nil
}

// Negotiate picks the highest version both sides speak and the capabilities
// both know (none in version 1). It returns ErrVersion if there is none.
func Negotiate(h Hello) (Accept, error) {
	v := min(h.MaxVersion, MaxVersion)
	if v < MinVersion || v < h.MinVersion {
		return Accept{}, fmt.Errorf("%w: peer speaks %d-%d, we speak %d-%d",
			ErrVersion, h.MinVersion, h.MaxVersion, MinVersion, MaxVersion)
	}
	return Accept{Version: v, Caps: 0}, nil
}

// WriteAccept writes the receiver's answer to a Hello.
func WriteAccept(w io.Writer, a Accept) error {
	b := make([]byte, 0, serverHelloLen)
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, a.Version)
	b = binary.BigEndian.AppendUint64(b, a.Caps)
	_, err := w.Write(b)
	return err
}

// ReadAccept reads the receiver's answer to a Hello. A receiver that refuses
// the connection sends an error frame instead, returned as *RemoteError.
func ReadAccept(r io.Reader, offered Hello) (Accept, error) {
	var first [1]byte
	if _, err := io.ReadFull(r, first[:]); err != nil {
		return Accept{}, truncated("receiver hello", err)
	}
	if first[0] == frameError {
		return Accept{}, readRefusal(io.MultiReader(bytes.NewReader(first[:]), r))
	}
	var b [serverHelloLen]byte
	b[0] = first[0]
	if err := readMagic(r, b[:], 1); err != nil {
		return Accept{}, err
	}
	a := Accept{Version: binary.BigEndian.Uint16(b[8:]), Caps: binary.BigEndian.Uint64(b[10:])}
	if a.Version < offered.MinVersion || a.Version > offered.MaxVersion {
		return a, fmt.Errorf("%w: receiver chose version %d", ErrVersion, a.Version)
	}
	if a.Caps&^offered.Caps != 0 {
		return a, fmt.Errorf("%w: receiver granted capabilities %#x not asked for", ErrFrame, a.Caps)
	}
	return a, nil
}

// readRefusal reads the error frame that replaces an accept.
func readRefusal(r io.Reader) error {
	typ, p, err := readFrame(r, make([]byte, MaxFrameLen))
	if err != nil {
		return err // not io.EOF: its first byte was read
	}
	_, err = parseReply(typ, p)
	return err // a *RemoteError: typ is frameError
}

// readMagic reads the magic into b[:len(Magic)], of which have bytes are
// already there, checking every byte as it arrives: a wrong peer is told
// apart at its first wrong byte, without waiting for more. Then it fills the
// rest of b.
func readMagic(r io.Reader, b []byte, have int) error {
	m := b[:len(Magic)]
	for {
		if string(m[:have]) != Magic[:have] {
			return ErrBadMagic
		}
		if have == len(m) {
			break
		}
		n, err := r.Read(m[have:])
		have += n
		if err != nil {
			if string(m[:have]) != Magic[:have] {
				return ErrBadMagic
			}
			return truncated("hello", err)
		}
	}
	if _, err := io.ReadFull(r, b[len(Magic):]); err != nil {
		return truncated("hello", err)
	}
	return nil
}
