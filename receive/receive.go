// Package receive implements the receiving side of ft: it listens, serves
// each sender on its own goroutine, and runs each connection's pipeline:
// the reader (conn.go, file.go) checks every entry and writes large bodies
// to temp files, the writing lanes (writer.go) write small files verified
// in memory, the committer (commit.go) puts them in place in batches and
// sends the verdicts. Everything it does to the filesystem goes through
// internal/inbox, which confines it to the inbox and places every entry by
// one rule.
package receive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ft-team/ft/internal/inbox"
)

// Sentinel errors. Run's error, and with Once the connection's, wraps one.
var (
	ErrInbox     = inbox.ErrUnusable // "unusable inbox"
	ErrListen    = errors.New("receive: cannot listen")
	ErrConnLost  = errors.New("receive: connection failed")
	ErrRefused   = errors.New("receive: files refused")
	ErrIntegrity = errors.New("receive: integrity check failed")
)

// Defaults for the zero values of Options.
const (
	DefaultPort          = 9000
	DefaultMaxConns      = 64
	DefaultHeaderTimeout = 10 * time.Second
	DefaultIdleTimeout   = 60 * time.Second
)

// Options configure Run. The zero value listens on all interfaces on
// DefaultPort and writes into the current directory.
type Options struct {
	Dir  string // inbox; created if missing (default ".")
	Addr string // listen address, host:port (default ":9000"; a missing port means DefaultPort)

	Once      bool  // serve the first sender past its handshake, then return its outcome
	Overwrite bool  // let an incoming file replace an existing one
	NoSync    bool  // do not wait for the disk before confirming files
	MaxSize   int64 // largest accepted file in bytes (0: no limit but free space)
	MaxConns  int   // transfers served at once, handshakes aside (default DefaultMaxConns; see slots.go)

	HeaderTimeout time.Duration // for the handshake (default DefaultHeaderTimeout)
	IdleTimeout   time.Duration // no byte moved for that long aborts (default DefaultIdleTimeout; negative disables)

	Logger *slog.Logger        // nil discards logs
	Ready  func(addr net.Addr) // called once listening, with the bound address

	// Who is served (README, "Trust"; trust.go). The zero value serves
	// the senders holding the secret in SecretFile.
	Insecure   bool           // speak the unauthenticated protocol (version 1) only
	SecretFile string         // the shared secret (default keys.DefaultSecretPath, created there if missing)
	KeyFile    string         // key mode: this receiver's private key (with AllowFile)
	AllowFile  string         // key mode: the senders' public keys served (with KeyFile)
	AllowFrom  []netip.Prefix // if not empty, connections from other addresses are closed at once
	// Notify, if not nil, is told what the user must know at start: a
	// secret created, an insecure receiver reachable from the network.
	Notify func(msg, hint string)
}

func (o Options) withDefaults() Options {
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Addr == "" {
		o.Addr = ":" + strconv.Itoa(DefaultPort)
	} else if _, _, err := net.SplitHostPort(o.Addr); err != nil {
		o.Addr = net.JoinHostPort(o.Addr, strconv.Itoa(DefaultPort))
	}
	if o.MaxConns <= 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.HeaderTimeout <= 0 {
		o.HeaderTimeout = DefaultHeaderTimeout
	}
	if o.IdleTimeout == 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return o
}

// server is the state shared by the connections of one Run.
type server struct {
	opts     Options
	in       *inbox.Inbox
	log      *slog.Logger
	slots    slotTable     // transfers past their handshake, up to MaxConns
	gate     gate          // connections in their handshake (gate.go)
	refusing chan struct{} // busy refusals lingering, up to maxRefusing
	busy     atomic.Int64  // connections the gate refused
	once     *onceGate     // with Once: who is the one transfer
	trust    *trust        // who is served (trust.go)
}

// newServer returns the server of one Run on in.
func newServer(opts Options, in *inbox.Inbox) *server {
	s := &server{opts: opts, in: in, log: opts.Logger, trust: &trust{insecure: opts.Insecure, from: opts.AllowFrom},
		refusing: make(chan struct{}, maxRefusing)}
	if opts.Once {
		s.once = newOnceGate()
	}
	return s
}

// Connections in their handshake do not count against MaxConns, so that
// idle sockets cannot crowd out real senders; they are bounded on their own
// (gate.go, and by HeaderTimeout), which keeps file descriptors and memory
// bounded. A connection the gate does not let in is refused as busy:
// gently (letting the frame reach the peer) for up to maxRefusing at once,
// abruptly beyond.
const maxRefusing = 64

// Run listens and serves senders until ctx is done (then it returns nil
// after aborting the transfers in flight), or, with Once, until the first
// connection that completed its handshake ends (then it returns that
// connection's outcome; connections that failed theirs do not count).
func Run(ctx context.Context, opts Options) error {
	opts = opts.withDefaults()
	in, err := inbox.Open(opts.Dir, inbox.Options{Overwrite: opts.Overwrite, NoSync: opts.NoSync, MaxSize: opts.MaxSize})
	if err != nil {
		return fmt.Errorf("receive: %w", err) // matches ErrInbox
	}
	defer in.Close()
	notify := opts.Notify
	if notify == nil {
		notify = func(string, string) {}
	}
	tr, err := loadTrust(opts, notify)
	if err != nil {
		return err
	}
	s := newServer(opts, in)
	s.trust = tr
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("%w on %s: %w", ErrListen, opts.Addr, err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); ok && opts.Insecure && !ta.IP.IsLoopback() {
		notify(fmt.Sprintf("warning: --insecure: anyone who can reach port %d can write into %s", ta.Port, opts.Dir), "")
	}
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	s.log.Info("listening", "addr", ln.Addr().String(), "dir", opts.Dir)
	// What a killed receiver left goes while we already serve: its names
	// are not ours (the journal lists them, see internal/inbox).
	swept := make(chan struct{})
	go func() {
		defer close(swept)
		if n := in.Sweep(); n > 0 {
			s.log.Info("removed stale temp files", "count", n)
		}
	}()
	defer func() { <-swept }()
	if opts.Ready != nil {
		opts.Ready(ln.Addr())
	}
	sampling, stopSampling := context.WithCancel(ctx)
	defer stopSampling()
	go s.slots.sample(sampling)
	if opts.Once {
		return s.serveOnce(ctx, ln)
	}
	return s.serve(ctx, ln)
}

// serveOnce serves connections until one completes its handshake (which
// closes the listener) and returns that connection's outcome once it
// ends and the connections still in their handshake have been sent away.
func (s *server) serveOnce(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.once.ln = ln
	served := make(chan error, 1)
	go func() { served <- s.serve(ctx, ln) }()
	select {
	case err := <-s.once.outcome:
		cancel() // the others
		<-served
		return err
	case err := <-served:
		if s.once.taken() {
			return <-s.once.outcome
		}
		return err
	}
}

// serve accepts connections until the listener closes: at the end of ctx
// (then it returns nil), or with Once when a sender has passed its
// handshake. It returns once every connection has ended.
func (s *server) serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if s.once != nil && s.once.taken() {
				return nil
			}
			if ctx.Err() != nil {
				s.log.Info("shutting down")
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || isTemporary(err) {
				s.log.Warn("accept", "err", err)
				time.Sleep(50 * time.Millisecond) // e.g. out of file descriptors
				continue
			}
			return fmt.Errorf("%w: accept: %w", ErrListen, err)
		}
		if !s.trust.admits(conn.RemoteAddr()) {
			s.refuseFrom(conn)
			continue
		}
		leave, ok := s.gate.enter(conn.RemoteAddr(), time.Now(), func() { conn.Close() })
		if ok {
			wg.Go(func() { s.once.ended(conn, s.serveConn(ctx, conn, leave)) })
			continue
		}
		select {
		case s.refusing <- struct{}{}:
			wg.Go(func() { s.refuseBusy(conn, true); <-s.refusing })
		default:
			s.refuseBusy(conn, false) // a flood: no time for manners
		}
	}
}
