package vectors

// Stream is the vector builder, exported so that the tests of other
// packages (receive, the binary tests at the root) build their streams
// with the one encoder of the wire format rather than their own. It lays
// bytes out as PROTOCOL.md says, without the protocol package's checks,
// so a test can build any stream, broken or not. Every method appends to
// the stream and returns it, for chaining:
//
//	b := vectors.NewStream().Hello1().Dir("d").File("d/a", "abc").End(2).Bytes()
type Stream struct{ s stream }

// NewStream returns an empty Stream.
func NewStream() *Stream { return &Stream{} }

// Frame types, modes and the modification time the builder uses, as in
// PROTOCOL.md.
const (
	TypeFile    = typeFile
	TypeDir     = typeDir
	TypeSymlink = typeSymlink
	TypeEnd     = typeEnd
	TypeVerdict = typeVerdict
	TypeSummary = typeSummary
	TypeError   = typeError

	ModeFile = modeFile // of the entries File writes
	ModeDir  = modeDir  // of the entries Dir writes
	ModeLink = modeLink // of the entries Symlink writes

	// MTime is the modification time, in Unix nanoseconds, of the entries
	// that File, Dir and Symlink write (2023-11-14T22:13:20.123456789Z).
	MTime = mtime
)

// Bytes returns the bytes built so far. The slice aliases the Stream's
// buffer until the next append, so a test may corrupt a byte in place.
func (s *Stream) Bytes() []byte { return s.s.b }

// Raw appends bytes as they are.
func (s *Stream) Raw(p ...string) *Stream { s.s.raw(p...); return s }

// U8 appends one byte.
func (s *Stream) U8(v uint8) *Stream { s.s.u8(v); return s }

// U16 appends a big-endian uint16.
func (s *Stream) U16(v uint16) *Stream { s.s.u16(v); return s }

// U32 appends a big-endian uint32.
func (s *Stream) U32(v uint32) *Stream { s.s.u32(v); return s }

// U64 appends a big-endian uint64.
func (s *Stream) U64(v uint64) *Stream { s.s.u64(v); return s }

// Hello appends a sender's hello: the magic, a version range and
// capability bits.
func (s *Stream) Hello(min, max uint16, caps uint64) *Stream { s.s.hello(min, max, caps); return s }

// Hello1 appends the hello of a version 1 sender without capabilities.
func (s *Stream) Hello1() *Stream { s.s.hello1(); return s }

// Accept appends a receiver's accept.
func (s *Stream) Accept(version uint16, caps uint64) *Stream { s.s.accept(version, caps); return s }

// Frame appends a frame of any type with its payload; its length field is
// the payload's length. A frame header with another length is U8 then U32.
func (s *Stream) Frame(typ uint8, payload []byte) *Stream { s.s.frame(typ, payload); return s }

// File appends a complete, correct file entry: the frame (ModeFile,
// MTime), the body and its trailer.
func (s *Stream) File(name, body string) *Stream { s.s.file(name, body); return s }

// FileEntry appends a file entry frame alone, with any mode, mtime and
// size; the body and the trailer are the caller's (Raw, Trailer).
func (s *Stream) FileEntry(name string, mode uint32, mtime int64, size uint64) *Stream {
	s.s.frame(typeFile, entry(name, mode, mtime, size, ""))
	return s
}

// Trailer appends the BLAKE3 of body.
func (s *Stream) Trailer(body string) *Stream { s.s.trailer(body); return s }

// Dir appends a directory entry (ModeDir, MTime).
func (s *Stream) Dir(name string) *Stream { s.s.dir(name); return s }

// DirMode appends a directory entry with any mode and mtime.
func (s *Stream) DirMode(name string, mode uint32, mtime int64) *Stream {
	s.s.frame(typeDir, entry(name, mode, mtime, 0, ""))
	return s
}

// Symlink appends a symlink entry (ModeLink, MTime).
func (s *Stream) Symlink(name, target string) *Stream { s.s.symlink(name, target); return s }

// End appends the end frame counting n entries.
func (s *Stream) End(n uint64) *Stream { s.s.end(n); return s }

// Verdict appends a verdict frame.
func (s *Stream) Verdict(index uint64, code uint8, msg string) *Stream {
	s.s.verdict(index, code, msg)
	return s
}

// Summary appends a summary frame.
func (s *Stream) Summary(entries, committed, failed, bytes uint64) *Stream {
	s.s.summary(entries, committed, failed, bytes)
	return s
}

// ErrorFrame appends an error frame.
func (s *Stream) ErrorFrame(code uint8, msg string) *Stream { s.s.errorFrame(code, msg); return s }

// EntryPayload returns the payload of an entry frame with any fields, for
// Frame.
func EntryPayload(name string, mode uint32, mtime int64, size uint64, target string) []byte {
	return entry(name, mode, mtime, size, target)
}
