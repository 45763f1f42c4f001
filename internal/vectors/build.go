package vectors

import (
	"encoding/binary"
	"encoding/hex"

	"github.com/zeebo/blake3"
)

// Byte values from PROTOCOL.md, spelled out here on purpose rather than
// taken from the protocol package.
const (
	magic = "\x89FTX\r\n\x1a\n"

	typeFile    = 0x01
	typeDir     = 0x02
	typeSymlink = 0x03
	typeEnd     = 0x0f
	typeVerdict = 0x81
	typeSummary = 0x82
	typeError   = 0x8f

	modeFile = 0o644
	modeDir  = 0o755
	modeLink = 0o777

	// mtime is 2023-11-14T22:13:20.123456789Z in Unix nanoseconds.
	mtime = 1700000000123456789
)

var be = binary.BigEndian

// stream accumulates the bytes of one vector.
type stream struct{ b []byte }

func (s *stream) raw(p ...string) *stream {
	for _, x := range p {
		s.b = append(s.b, x...)
	}
	return s
}

func (s *stream) u8(v uint8) *stream   { s.b = append(s.b, v); return s }
func (s *stream) u16(v uint16) *stream { s.b = be.AppendUint16(s.b, v); return s }
func (s *stream) u32(v uint32) *stream { s.b = be.AppendUint32(s.b, v); return s }
func (s *stream) u64(v uint64) *stream { s.b = be.AppendUint64(s.b, v); return s }

// hello appends a sender's hello.
func (s *stream) hello(min, max uint16, caps uint64) *stream {
	return s.raw(magic).u16(min).u16(max).u64(caps)
}

// hello1 appends the hello of a version 1 sender.
func (s *stream) hello1() *stream { return s.hello(1, 1, 0) }

// accept appends a receiver's accept.
func (s *stream) accept(version uint16, caps uint64) *stream {
	return s.raw(magic).u16(version).u64(caps)
}

// frame appends a frame header and payload.
func (s *stream) frame(typ uint8, payload []byte) *stream {
	s.u8(typ).u32(uint32(len(payload)))
	s.b = append(s.b, payload...)
	return s
}

// entry returns an entry payload.
func entry(name string, mode uint32, mtime int64, size uint64, target string) []byte {
	var b []byte
	b = be.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	b = be.AppendUint32(b, mode)
	b = be.AppendUint64(b, uint64(mtime))
	b = be.AppendUint64(b, size)
	b = be.AppendUint16(b, uint16(len(target)))
	return append(b, target...)
}

// file appends a complete, correct file entry.
func (s *stream) file(name, body string) *stream {
	s.frame(typeFile, entry(name, modeFile, mtime, uint64(len(body)), ""))
	return s.raw(body).trailer(body)
}

// trailer appends the BLAKE3 of body.
func (s *stream) trailer(body string) *stream {
	sum := blake3.Sum256([]byte(body))
	s.b = append(s.b, sum[:]...)
	return s
}

// abortTrailer appends the bitwise complement of the BLAKE3 of body: the
// trailer of an aborted file.
func (s *stream) abortTrailer(body string) *stream {
	sum := blake3.Sum256([]byte(body))
	for _, c := range sum {
		s.b = append(s.b, ^c)
	}
	return s
}

func (s *stream) dir(name string) *stream {
	return s.frame(typeDir, entry(name, modeDir, mtime, 0, ""))
}

func (s *stream) symlink(name, target string) *stream {
	return s.frame(typeSymlink, entry(name, modeLink, mtime, 0, target))
}

func (s *stream) end(n uint64) *stream {
	return s.frame(typeEnd, be.AppendUint64(nil, n))
}

func (s *stream) verdict(index uint64, code uint8, msg string) *stream {
	p := be.AppendUint64(nil, index)
	p = append(p, code)
	p = be.AppendUint16(p, uint16(len(msg)))
	return s.frame(typeVerdict, append(p, msg...))
}

func (s *stream) summary(entries, committed, failed, bytes uint64) *stream {
	p := be.AppendUint64(nil, entries)
	p = be.AppendUint64(p, committed)
	p = be.AppendUint64(p, failed)
	return s.frame(typeSummary, be.AppendUint64(p, bytes))
}

func (s *stream) errorFrame(code uint8, msg string) *stream {
	p := append([]byte{code}, 0, 0)
	be.PutUint16(p[1:], uint16(len(msg)))
	return s.frame(typeError, append(p, msg...))
}

// Expected entries.

func sum(body string) string {
	h := blake3.Sum256([]byte(body))
	return hex.EncodeToString(h[:])
}

func fileOK(name, body string) Entry {
	return Entry{Kind: "file", Name: name, Mode: modeFile, MTime: mtime,
		Size: int64(len(body)), Body: "ok", BLAKE3: sum(body)}
}

func dirOK(name string) Entry {
	return Entry{Kind: "dir", Name: name, Mode: modeDir, MTime: mtime}
}

func symlinkOK(name, target string) Entry {
	return Entry{Kind: "symlink", Name: name, Mode: modeLink, MTime: mtime, Target: target}
}

// v1 is the Hello and Accept of a plain version 1 handshake.
var (
	hello1  = &Hello{MinVersion: 1, MaxVersion: 1}
	accept1 = &Accept{Version: 1}
)

// ok returns a sender vector that reads cleanly after a version 1 hello.
func ok(name, desc string, s *stream, entries ...Entry) Vector {
	return Vector{Name: name, Stream: Sender, Description: desc, Data: s.b,
		Hello: hello1, Accept: accept1, Entries: entries}
}

// fails returns a sender vector that fails with err after a version 1
// hello and the given entries.
func fails(name, err, desc string, s *stream, entries ...Entry) Vector {
	v := ok(name, desc, s, entries...)
	v.Error = err
	return v
}

func newStream() *stream { return &stream{} }
