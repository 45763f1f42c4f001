package protocol

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/flynn/noise"
)

// MaxHandshakeLen bounds a handshake message (its 2-byte length is checked
// before the message is read). Version 2's messages are 48 or 96 bytes.
const MaxHandshakeLen = 1024

// KeyLen is the length of a secret, a private key and a public key.
const KeyLen = 32

var suite = noise.NewCipherSuite(noise.DH25519, noise.CipherAESGCM, noise.HashBLAKE2s)

// HandshakeConfig says who one side of a version 2 handshake is.
type HandshakeConfig struct {
	Mode      Mode
	Initiator bool   // the sender
	Prologue  []byte // SecureHello's bytes
	Secret    []byte // ModeSecret: the KeyLen-byte shared secret
	// ModeKey: this side's static key pair, and for the sender the
	// receiver's public key it pins.
	Static     noise.DHKey
	PeerStatic []byte
	// Random is the source of the ephemeral key (nil: crypto/rand). Only
	// the test vectors fix it.
	Random io.Reader
}

// Handshake is one side of a version 2 handshake: the sender writes
// message 1 and reads message 2, the receiver the other way round. Each
// message travels as a 2-byte big-endian length and the Noise message.
type Handshake struct {
	hs         *noise.HandshakeState
	send, recv *noise.CipherState
	initiator  bool
}

// NewHandshake starts one side of a handshake.
func NewHandshake(c HandshakeConfig) (*Handshake, error) {
	cfg := noise.Config{CipherSuite: suite, Random: c.Random, Initiator: c.Initiator, Prologue: c.Prologue}
	switch c.Mode {
	case ModeSecret:
		if len(c.Secret) != KeyLen {
			return nil, fmt.Errorf("%w: secret of %d bytes, want %d", ErrAuth, len(c.Secret), KeyLen)
		}
		cfg.Pattern, cfg.PresharedKey, cfg.PresharedKeyPlacement = noise.HandshakeNN, c.Secret, 0
	case ModeKey:
		cfg.Pattern, cfg.StaticKeypair = noise.HandshakeIK, c.Static
		if c.Initiator {
			if len(c.PeerStatic) != KeyLen {
				return nil, fmt.Errorf("%w: no receiver key to pin", ErrAuth)
			}
			cfg.PeerStatic = c.PeerStatic
		}
	default:
		return nil, fmt.Errorf("%w: unknown mode %d", ErrFrame, c.Mode)
	}
	hs, err := noise.NewHandshakeState(cfg)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	return &Handshake{hs: hs, initiator: c.Initiator}, nil
}

// WriteMessage writes the next handshake message, with an empty payload.
func (h *Handshake) WriteMessage(w io.Writer) error {
	out := make([]byte, 2, 2+128)
	out, c1, c2, err := h.hs.WriteMessage(out, nil)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	binary.BigEndian.PutUint16(out, uint16(len(out)-2))
	h.split(c1, c2)
	_, err = w.Write(out)
	return err
}

// ReadMessage reads the next handshake message and checks it: ErrAuth if
// the peer does not hold the credential this side expects. The sender
// reading message 2 may find an error frame instead (0x8f where a length
// starts with 0x00), returned as *RemoteError.
func (h *Handshake) ReadMessage(r io.Reader) error {
	var lb [2]byte
	if _, err := io.ReadFull(r, lb[:1]); err != nil {
		return truncated("handshake", err)
	}
	if h.initiator && lb[0] == frameError {
		return readRefusal(io.MultiReader(bytes.NewReader(lb[:1]), r))
	}
	if _, err := io.ReadFull(r, lb[1:]); err != nil {
		return truncated("handshake", err)
	}
	n := int(binary.BigEndian.Uint16(lb[:]))
	if n > MaxHandshakeLen {
		return fmt.Errorf("%w: handshake message of %d bytes", ErrTooLong, n)
	}
	msg := make([]byte, n)
	if _, err := io.ReadFull(r, msg); err != nil {
		return truncated("handshake", err)
	}
	payload, c1, c2, err := h.hs.ReadMessage(nil, msg)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrAuth, err)
	}
	if len(payload) != 0 {
		return fmt.Errorf("%w: handshake payload of %d bytes", ErrFrame, len(payload))
	}
	h.split(c1, c2)
	return nil
}

// split keeps the transport keys once the last message is through: c1
// encrypts from the sender to the receiver, c2 the other way.
func (h *Handshake) split(c1, c2 *noise.CipherState) {
	if c1 == nil {
		return
	}
	h.send, h.recv = c1, c2
	if !h.initiator {
		h.send, h.recv = c2, c1
	}
}

// PeerStatic returns the peer's static public key, in ModeKey once the
// sender's message 1 is read (the receiver's check of its allow list).
func (h *Handshake) PeerStatic() []byte { return h.hs.PeerStatic() }

// Done reports whether the handshake is over and Records may be called.
func (h *Handshake) Done() bool { return h.send != nil }

// Records returns the record layer over r and w with the handshake's
// transport keys. It panics if the handshake is not Done.
func (h *Handshake) Records(r io.Reader, w io.Writer) (*RecordReader, *RecordWriter) {
	if !h.Done() {
		panic("protocol: Records before the handshake is done")
	}
	return NewRecordReader(r, h.recv), NewRecordWriter(w, h.send)
}

// DHKey is a static X25519 key pair.
type DHKey = noise.DHKey
