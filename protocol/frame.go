package protocol

import (
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Header describes one entry of a transfer.
type Header struct {
	Kind     Kind
	Name     string    // relative, slash-separated; see ValidName
	Size     int64     // body length in bytes; files only
	Mode     uint32    // permission bits (0o777)
	ModTime  time.Time // sent with nanosecond precision
	Linkname string    // symlink target; symlinks only
}

// entryFixedLen is the entry payload without name and target:
// name length (2), mode (4), mtime (8), size (8), target length (2).
const entryFixedLen = 2 + 4 + 8 + 8 + 2

// appendEntry appends the entry payload of h to b.
func appendEntry(b []byte, h *Header) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Name)))
	b = append(b, h.Name...)
	b = binary.BigEndian.AppendUint32(b, h.Mode)
	var mtime int64
	if !h.ModTime.IsZero() {
		mtime = h.ModTime.UnixNano()
	}
	b = binary.BigEndian.AppendUint64(b, uint64(mtime))
	b = binary.BigEndian.AppendUint64(b, uint64(h.Size))
	b = binary.BigEndian.AppendUint16(b, uint16(len(h.Linkname)))
	return append(b, h.Linkname...)
}

// parseEntry decodes an entry payload of the given kind. It checks lengths
// and the name and target rules; it does not allocate beyond the strings.
func parseEntry(kind Kind, p []byte) (*Header, error) {
	if len(p) < entryFixedLen {
		return nil, fmt.Errorf("%w: %s entry of %d bytes", ErrFrame, kind, len(p))
	}
	nameLen := int(binary.BigEndian.Uint16(p))
	if nameLen > MaxNameLen {
		return nil, fmt.Errorf("%w: name of %d bytes", ErrTooLong, nameLen)
	}
	if len(p) < entryFixedLen+nameLen {
		return nil, fmt.Errorf("%w: name length %d beyond frame", ErrFrame, nameLen)
	}
	h := &Header{Kind: kind, Name: string(p[2 : 2+nameLen])}
	q := p[2+nameLen:]
	h.Mode = binary.BigEndian.Uint32(q)
	if mtime := int64(binary.BigEndian.Uint64(q[4:])); mtime != 0 {
		h.ModTime = time.Unix(0, mtime)
	}
	size := binary.BigEndian.Uint64(q[12:])
	targetLen := int(binary.BigEndian.Uint16(q[20:]))
	if targetLen > MaxTargetLen {
		return nil, fmt.Errorf("%w: symlink target of %d bytes", ErrTooLong, targetLen)
	}
	if len(q) != entryFixedLen-2+targetLen {
		return nil, fmt.Errorf("%w: entry length does not add up", ErrFrame)
	}
	h.Linkname = string(q[22:])
	if err := checkEntry(h, size); err != nil {
		return nil, err
	}
	h.Size = int64(size)
	return h, nil
}

// checkEntry enforces the per-kind rules shared by reader and writer.
func checkEntry(h *Header, size uint64) error {
	if h.Mode&^0o777 != 0 {
		return fmt.Errorf("%w: mode %#o has bits beyond 0777", ErrFrame, h.Mode)
	}
	switch h.Kind {
	case KindFile:
		if size > MaxSize {
			return fmt.Errorf("%w: size %d", ErrTooLong, size)
		}
		if h.Linkname != "" {
			return fmt.Errorf("%w: file with a link target", ErrFrame)
		}
	case KindDir, KindSymlink:
		if size != 0 {
			return fmt.Errorf("%w: %s with size %d", ErrFrame, h.Kind, size)
		}
		if h.Kind == KindDir && h.Linkname != "" {
			return fmt.Errorf("%w: dir with a link target", ErrFrame)
		}
	default:
		return fmt.Errorf("%w: unknown entry kind %#x", ErrFrame, uint8(h.Kind))
	}
	if err := ValidName(h.Name); err != nil {
		return err
	}
	if h.Kind == KindSymlink {
		return ValidLinkTarget(h.Name, h.Linkname)
	}
	return nil
}

// appendFrameHeader appends a frame's type and payload length.
func appendFrameHeader(b []byte, typ byte, n int) []byte {
	b = append(b, typ)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// readFrame reads one frame header and its payload into buf (which must
// hold MaxFrameLen bytes). io.EOF is returned only if the stream ends
// cleanly before the first byte.
func readFrame(r io.Reader, buf []byte) (typ byte, payload []byte, err error) {
	var hdr [frameHeaderLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if err == io.EOF {
			return 0, nil, io.EOF
		}
		return 0, nil, truncated("frame header", err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > MaxFrameLen {
		return 0, nil, fmt.Errorf("%w: frame of %d bytes", ErrTooLong, n)
	}
	payload = buf[:n]
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, truncated("frame payload", err)
	}
	return hdr[0], payload, nil
}

// truncated maps an unexpected end of stream to ErrTruncated and wraps
// other read errors with what was being read.
func truncated(what string, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: in %s", ErrTruncated, what)
	}
	return fmt.Errorf("read %s: %w", what, err)
}
