package protocol

import "fmt"

// Code is a verdict or error code sent by the receiver.
type Code uint8

// Verdict codes, for one entry.
const (
	CodeOK        Code = 0 // committed
	CodeUnchanged Code = 1 // an identical file already existed; counts as success
	CodeExists    Code = 2 // a different file exists under that name
	CodeBadName   Code = 3 // the name breaks the name rules
	CodeTooLarge  Code = 4 // the size is over the receiver's limit
	CodeNoSpace   Code = 5 // not enough space on the receiver
	CodeChecksum  Code = 6 // the body did not match its trailer
	CodeIO        Code = 7 // the receiver could not write the entry
	CodeRefused   Code = 8 // refused for another reason (e.g. symlink escapes)
	CodeAborted   Code = 9 // the sender aborted the file (ErrAborted); not an integrity failure
)

// Error codes, for a whole connection (in an error frame).
const (
	CodeProtocol Code = 16 // malformed stream
	CodeVersion  Code = 17 // no common version
	CodeBusy     Code = 18 // too many connections
	CodeTimeout  Code = 19 // the peer was too slow
	CodeShutdown Code = 20 // the receiver is shutting down
	CodeInternal Code = 21 // anything else
	// CodeAuth (22, secure.go) is a refused handshake.
)

var codeNames = map[Code]string{
	CodeOK: "ok", CodeUnchanged: "unchanged", CodeExists: "exists",
	CodeBadName: "bad name", CodeTooLarge: "too large", CodeNoSpace: "no space",
	CodeChecksum: "checksum mismatch", CodeIO: "i/o error", CodeRefused: "refused", CodeAborted: "aborted by sender",
	CodeProtocol: "protocol error", CodeVersion: "version mismatch", CodeBusy: "busy",
	CodeTimeout: "timed out", CodeShutdown: "shutting down", CodeInternal: "internal error", CodeAuth: "authentication failed",
}

// String returns a short lowercase name for the code.
func (c Code) String() string {
	if s, ok := codeNames[c]; ok {
		return s
	}
	return fmt.Sprintf("code %d", uint8(c))
}

// Success reports whether the code means the entry is in place.
func (c Code) Success() bool { return c == CodeOK || c == CodeUnchanged }

// RemoteError is a fatal error reported by the peer in an error frame.
type RemoteError struct {
	Code    Code
	Message string
}

func (e *RemoteError) Error() string {
	if e.Message == "" {
		return "receiver: " + e.Code.String()
	}
	return "receiver: " + e.Code.String() + ": " + e.Message
}
