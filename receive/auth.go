package receive

import (
	"errors"
	"fmt"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/protocol"
)

// Why a handshake failed on authentication.
var (
	errMode       = errors.New("the sender asked for another mode than this receiver serves")
	errNotAllowed = errors.New("sender's key not in the allow list")
)

// authenticate runs, for a secure receiver, the version 2 handshake that
// follows the hello h (PROTOCOL.md, section 16) and returns the hello the
// sender sends again as the first bytes of its records: only a sender that
// holds the credential can send that. An insecure receiver returns h. A
// refusal before the channel is up is a cleartext error frame of code
// auth. Nothing of the inbox, the slots or --once is touched here.
func (ss *session) authenticate(h protocol.Hello) (protocol.Hello, error) {
	tr := ss.s.trust
	v1, v2 := h.Speaks(protocol.Version1), h.Speaks(protocol.Version2)
	switch {
	case tr.insecure || !v1 && !v2:
		return h, nil // negotiate takes it from here: version 1 or code version
	case !v2:
		ss.replies.fail(protocol.CodeAuth, "this receiver serves authenticated senders only, and the sender runs --insecure")
		return h, errMode
	}
	mode, err := protocol.ReadMode(ss.conn)
	if err != nil {
		ss.replies.fail(protocol.CodeProtocol, err.Error())
		return h, err
	}
	if mode != tr.mode {
		ss.replies.fail(protocol.CodeAuth, fmt.Sprintf("this receiver serves %s mode only, the sender uses %s mode", tr.mode, mode))
		return h, fmt.Errorf("%w (%s)", errMode, mode)
	}
	hs, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: mode, Prologue: protocol.SecureHello(h, mode),
		Secret: tr.secret, Static: dhKey(tr.pair)})
	if err != nil {
		return h, err
	}
	if err := hs.ReadMessage(ss.conn); err != nil {
		ss.replies.fail(refusalCode(err), authRefusal(mode, err))
		return h, err
	}
	who := "secret"
	if mode == protocol.ModeKey {
		name, ok := tr.allow.Name(hs.PeerStatic())
		if !ok {
			ss.replies.fail(protocol.CodeAuth, "this sender's key is not in the receiver's allow list")
			return h, fmt.Errorf("%w: %w: %s", protocol.ErrAuth, errNotAllowed, keys.Encode(keys.PublicPrefix, hs.PeerStatic()))
		}
		who = name
	}
	if err := hs.WriteMessage(ss.conn); err != nil {
		return h, err
	}
	ss.sc.Start(hs)
	inner, err := protocol.ReadHello(ss.conn) // the first record: the sender holds the keys
	if err != nil {
		return h, fmt.Errorf("first record: %w", err)
	}
	if inner != h {
		ss.replies.fail(protocol.CodeProtocol, "the hello in the channel is not the one before it")
		return h, fmt.Errorf("%w: the hello in the channel is not the one before it", protocol.ErrFrame)
	}
	ss.log = ss.log.With("sender", who)
	return inner, nil
}

// refusalCode is the error code for a failed message 1.
func refusalCode(err error) protocol.Code {
	if errors.Is(err, protocol.ErrAuth) {
		return protocol.CodeAuth
	}
	return protocol.CodeProtocol
}

// authRefusal is the message for a failed message 1.
func authRefusal(mode protocol.Mode, err error) string {
	switch {
	case !errors.Is(err, protocol.ErrAuth):
		return err.Error()
	case mode == protocol.ModeKey:
		return "the sender did not pin this receiver's key (--peer)"
	}
	return "the sender does not hold this receiver's secret"
}

// dhKey is a key pair as Noise takes it.
func dhKey(p keys.Pair) protocol.DHKey { return protocol.DHKey{Private: p.Private, Public: p.Public} }
