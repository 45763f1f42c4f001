package receive

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/netip"
	"sync/atomic"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/protocol"
)

// ErrCredentials is Run's error when it cannot load or create the
// credentials it serves with.
var ErrCredentials = errors.New("receive: cannot set up authentication")

// trust is who a server serves (Options.Insecure, SecretFile, KeyFile,
// AllowFile, AllowFrom), loaded once by Run.
type trust struct {
	insecure bool
	mode     protocol.Mode
	secret   []byte
	pair     keys.Pair
	allow    keys.Allow
	from     []netip.Prefix
	refused  atomic.Int64 // connections refused by from
}

// loadTrust loads the credentials of opts. With no secret anywhere, it
// creates one at the default place and says so through notify; in key
// mode it tells the receiver's public key through notify.
func loadTrust(opts Options, notify func(msg, hint string)) (*trust, error) {
	tr := &trust{insecure: opts.Insecure, from: opts.AllowFrom}
	switch {
	case opts.Insecure:
		return tr, nil
	case opts.KeyFile != "" || opts.AllowFile != "":
		if opts.KeyFile == "" || opts.AllowFile == "" {
			return nil, fmt.Errorf("%w: key mode needs both a key (--key) and an allow list (--allow)", ErrCredentials)
		}
		var err error
		if tr.pair, err = keys.LoadPair(opts.KeyFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
		}
		if tr.allow, err = keys.LoadAllow(opts.AllowFile); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
		}
		tr.mode = protocol.ModeKey
		pub := keys.Encode(keys.PublicPrefix, tr.pair.Public)
		notify("serving in key mode; this receiver's public key is "+pub,
			"senders pin it with: ft send --key THEIR_KEY --peer "+pub+" HOST:PORT PATH")
		return tr, nil
	}
	tr.mode = protocol.ModeSecret
	path, dflt, err := keys.SecretPath(opts.SecretFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	secret, err := keys.LoadSecret(path)
	if dflt && errors.Is(err, fs.ErrNotExist) {
		if err = keys.NewSecret(path); err == nil || errors.Is(err, keys.ErrExists) {
			if err == nil {
				notify("created a new shared secret in "+path,
					"copy that file to each sender's machine (same place, mode 0600), or give it with --secret FILE")
			}
			secret, err = keys.LoadSecret(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCredentials, err)
	}
	tr.secret = secret
	return tr, nil
}

// admits reports whether a connection from addr may begin its handshake.
func (tr *trust) admits(addr net.Addr) bool {
	if len(tr.from) == 0 {
		return true
	}
	ta, ok := addr.(*net.TCPAddr)
	if !ok {
		return false
	}
	ip, ok := netip.AddrFromSlice(ta.IP)
	if !ok {
		return false
	}
	ip = ip.Unmap()
	for _, p := range tr.from {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// refuseFrom closes a connection from an address --allow-from does not
// list, logging the first refusals one by one and then one in 1000.
func (s *server) refuseFrom(conn net.Conn) {
	n := s.trust.refused.Add(1)
	if n <= refusalLines || n%1000 == 0 {
		s.log.Warn("refused connection", "peer", conn.RemoteAddr().String(),
			"reason", "address not in --allow-from", "refused_so_far", n)
	}
	conn.Close()
}

// negotiate picks the version for a hello: 2 for a secure receiver, 1
// for an insecure one.
func (tr *trust) negotiate(h protocol.Hello) (protocol.Accept, error) {
	if tr.insecure {
		return protocol.Negotiate(h)
	}
	if !h.Speaks(protocol.Version2) {
		return protocol.Accept{}, fmt.Errorf("%w: peer speaks %d-%d, we speak %d",
			protocol.ErrVersion, h.MinVersion, h.MaxVersion, protocol.Version2)
	}
	return protocol.Accept{Version: protocol.Version2}, nil
}
