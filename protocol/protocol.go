// Package protocol implements the ft wire format: the handshake, the entry
// frames with their raw file bodies and BLAKE3 trailers, and the verdict,
// summary and error frames a receiver sends back.
//
// The format is specified byte by byte in PROTOCOL.md at the root of the
// repository; this package is its reference implementation. It knows bytes
// only: it never touches the network or the filesystem.
//
// The API is shaped like archive/tar: a sender uses a Writer (WriteHeader,
// Write, Close per file, WriteEnd once), a receiver a Reader (Next, then Read
// up to the file's size; the trailer is checked at the end of the body).
// The replies have the same shape: the receiver writes verdicts and a
// summary with a ReplyWriter, the sender reads them with a ReplyReader.
// Errors are sticky on all four.
package protocol

import (
	"errors"
	"fmt"
)

// Magic opens every connection, in both directions. Its first byte is not
// ASCII and it contains CR LF and ^Z, so text-mode mangling, HTTP clients and
// other protocols are told apart at the first read.
const Magic = "\x89FTX\r\n\x1a\n"

// Protocol versions this package speaks.
const (
	Version1   = 1
	MinVersion = Version1
	MaxVersion = Version1
)

// Limits. A reader checks every length field against them before it
// allocates or reads anything.
const (
	MaxNameLen      = 4096      // bytes in a whole entry name
	MaxComponentLen = 255       // bytes in one slash-separated component
	MaxDepth        = 256       // components in one entry name
	MaxTargetLen    = 4096      // bytes in a symlink target
	MaxMessageLen   = 1024      // bytes in a verdict or error message
	MaxFrameLen     = 16 * 1024 // bytes in one frame payload
	MaxSize         = 1<<63 - 1 // bytes in one file
	HashSize        = 32        // bytes in a BLAKE3 trailer
)

// Frame types. Types below 0x80 travel from sender to receiver, types from
// 0x80 up from receiver to sender.
const (
	frameFile    = 0x01
	frameDir     = 0x02
	frameSymlink = 0x03
	frameEnd     = 0x0f
	frameVerdict = 0x81
	frameSummary = 0x82
	frameError   = 0x8f
)

// frameHeaderLen is the type byte plus the uint32 payload length.
const frameHeaderLen = 5

// Kind is the type of an entry.
type Kind uint8

// Entry kinds, equal to their frame types.
const (
	KindFile    Kind = frameFile
	KindDir     Kind = frameDir
	KindSymlink Kind = frameSymlink
)

// String returns "file", "dir" or "symlink".
func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "dir"
	case KindSymlink:
		return "symlink"
	}
	return fmt.Sprintf("kind(%#x)", uint8(k))
}

// Sentinel errors. Check them with errors.Is; they are usually wrapped.
// ErrChecksum and ErrAborted leave the stream in sync; every other error of
// a Reader, Writer, ReplyReader or ReplyWriter is sticky. An aborted body
// is also a checksum mismatch: errors.Is(ErrAborted, ErrChecksum) holds, so
// code that only knows ErrChecksum still keeps reading.
var (
	ErrBadMagic      = errors.New("protocol: not an ft peer (bad magic)")
	ErrVersion       = errors.New("protocol: no common protocol version")
	ErrFrame         = errors.New("protocol: malformed frame")
	ErrTooLong       = errors.New("protocol: length over limit")
	ErrBadName       = errors.New("protocol: invalid name")
	ErrChecksum      = errors.New("protocol: checksum mismatch")
	ErrAborted       = error(&narrowError{"protocol: file aborted by the sender", ErrChecksum})
	ErrTruncated     = errors.New("protocol: stream ended early")
	ErrWriteTooLong  = errors.New("protocol: write beyond the declared size")
	ErrWriteTooShort = errors.New("protocol: fewer bytes written than declared")
	ErrState         = errors.New("protocol: call out of order")
)

// narrowError is a sentinel that is a special case of a broader one.
type narrowError struct {
	msg string
	of  error
}

func (e *narrowError) Error() string        { return e.msg }
func (e *narrowError) Is(target error) bool { return target == e.of }
