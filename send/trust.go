package send

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"net"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/internal/secure"
	"github.com/ft-team/ft/protocol"
)

// ErrAuth is Run's error when the sender and the receiver do not trust
// each other: this sender has no credential, the receiver refused it (a
// wrong secret, a key not allowed, another mode), or the receiver did not
// prove the secret or the pinned key. Nothing was sent then.
var ErrAuth = errors.New("send: authentication failed")

// ErrNoSecret is Run's error (it wraps ErrAuth) when there is no secret
// where it was looked for.
var ErrNoSecret = fmt.Errorf("%w: no shared secret", ErrAuth)

// creds is what a sender proves itself with (Options.Insecure,
// SecretFile, KeyFile, Peer).
type creds struct {
	insecure bool
	mode     protocol.Mode
	secret   []byte
	pair     keys.Pair
	peer     []byte
}

// loadCreds loads the credential opts name: a key pair and the
// receiver's pinned key with Peer, else the secret in SecretFile or at
// keys.DefaultSecretPath.
func loadCreds(opts Options) (*creds, error) {
	c := &creds{insecure: opts.Insecure}
	switch {
	case opts.Insecure:
		return c, nil
	case opts.Peer != "" || opts.KeyFile != "":
		if opts.Peer == "" || opts.KeyFile == "" {
			return nil, fmt.Errorf("%w: key mode needs both a key (--key) and the receiver's public key (--peer)", ErrAuth)
		}
		var err error
		if c.pair, err = keys.LoadPair(opts.KeyFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAuth, err)
		}
		if c.peer, err = keys.LoadPeer(opts.Peer); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrAuth, err)
		}
		c.mode = protocol.ModeKey
		return c, nil
	}
	path, _, err := keys.SecretPath(opts.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	secret, err := keys.LoadSecret(path)
	if errors.Is(err, errNotExist) {
		return nil, fmt.Errorf("%w in %s", ErrNoSecret, path)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrAuth, err)
	}
	c.mode, c.secret = protocol.ModeSecret, secret
	return c, nil
}

// handshake runs the version 2 handshake on conn (over sc) and leaves sc
// secure: it writes the hello, the mode and message 1 together, checks
// message 2 (the receiver's proof), then sends the hello again in the
// first record and reads the accept from the receiver's first record.
func (c *creds) handshake(conn net.Conn, sc *secure.Conn) error {
	hello := protocol.Hello{MinVersion: protocol.Version2, MaxVersion: protocol.Version2}
	first := protocol.SecureHello(hello, c.mode)
	hs, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: c.mode, Initiator: true, Prologue: first,
		Secret: c.secret, Static: protocol.DHKey{Private: c.pair.Private, Public: c.pair.Public}, PeerStatic: c.peer})
	if err != nil {
		return err
	}
	buf := bytes.NewBuffer(first)
	if err := hs.WriteMessage(buf); err != nil {
		return err
	}
	if _, err := conn.Write(buf.Bytes()); err != nil {
		return err
	}
	if err := hs.ReadMessage(conn); err != nil {
		var remote *protocol.RemoteError
		switch {
		case errors.Is(err, protocol.ErrAuth):
			return fmt.Errorf("the receiver did not prove the %s: %w", c.what(), err)
		case errors.As(err, &remote) && remote.Code == protocol.CodeVersion:
			return fmt.Errorf("%w: the receiver does not authenticate (it runs --insecure, or is an older ft): %w", errInsecurePeer, err)
		}
		return err
	}
	sc.Start(hs)
	if err := protocol.WriteHello(conn, hello); err != nil {
		return err
	}
	_, err = protocol.ReadAccept(conn, hello)
	return err
}

// what names the credential the receiver proves.
func (c *creds) what() string {
	if c.mode == protocol.ModeKey {
		return "pinned key (--peer)"
	}
	return "shared secret"
}

// authFailed reports whether a handshake error is about trust: the
// receiver's refusal of code auth, or its failing to prove itself.
func authFailed(err error) bool {
	var remote *protocol.RemoteError
	return errors.Is(err, protocol.ErrAuth) || errors.Is(err, errInsecurePeer) || errors.As(err, &remote) && remote.Code == protocol.CodeAuth
}

var errNotExist = fs.ErrNotExist

// errInsecurePeer is a receiver that does not speak version 2.
var errInsecurePeer = errors.New("no authentication offered")
