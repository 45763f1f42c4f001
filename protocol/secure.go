package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Version2 is the authenticated, encrypted protocol (PROTOCOL.md,
// section 16): the hello of version 1 followed by a mode byte, a Noise
// handshake, then the version 1 stream inside Noise transport records.
// Version1 stays the unauthenticated protocol (ft's --insecure).
const Version2 = 2

// Mode is the credential a version 2 sender uses, sent after its hello.
type Mode uint8

// Modes of version 2, each with one fixed Noise protocol.
const (
	ModeSecret Mode = 1 // a 32-byte shared secret: NoiseSecret
	ModeKey    Mode = 2 // static keys, the receiver's pinned: NoiseKey
)

// The Noise protocol of each mode (noiseprotocol.org, revision 34).
const (
	NoiseSecret = "Noise_NNpsk0_25519_AESGCM_BLAKE2s"
	NoiseKey    = "Noise_IK_25519_AESGCM_BLAKE2s"
)

// String returns "secret" or "key".
func (m Mode) String() string {
	switch m {
	case ModeSecret:
		return "secret"
	case ModeKey:
		return "key"
	}
	return fmt.Sprintf("mode(%d)", uint8(m))
}

// Errors of version 2. ErrAuth is a handshake that failed: a wrong or
// missing credential, or a peer that did not prove its own. ErrRecord is
// a transport record that failed its authentication: tampered, dropped,
// reordered or replayed on the way.
var (
	ErrAuth   = errors.New("protocol: authentication failed")
	ErrRecord = errors.New("protocol: record failed its integrity check")
)

// CodeAuth is the error code of a refused handshake: the sender's
// credential is wrong or not allowed, or it asked for another mode than
// the receiver serves (authenticated or not, secret or key).
const CodeAuth Code = 22

// SecureHello returns the opening bytes of a version 2 sender: its hello
// (20 bytes) and the mode byte. They are the Noise prologue of the
// handshake, so a change on the way makes it fail at both ends.
func SecureHello(h Hello, m Mode) []byte {
	b := make([]byte, 0, clientHelloLen+1)
	b = append(b, Magic...)
	b = binary.BigEndian.AppendUint16(b, h.MinVersion)
	b = binary.BigEndian.AppendUint16(b, h.MaxVersion)
	b = binary.BigEndian.AppendUint64(b, h.Caps)
	return append(b, byte(m))
}

// Speaks reports whether the hello's version range includes v.
func (h Hello) Speaks(v uint16) bool { return h.MinVersion <= v && v <= h.MaxVersion }

// ReadMode reads the mode byte that follows a version 2 hello. An unknown
// mode is ErrFrame.
func ReadMode(r io.Reader) (Mode, error) {
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return 0, truncated("hello mode", err)
	}
	m := Mode(b[0])
	if m != ModeSecret && m != ModeKey {
		return m, fmt.Errorf("%w: unknown mode %d", ErrFrame, b[0])
	}
	return m, nil
}
