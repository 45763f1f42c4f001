package receive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/ft-team/ft/internal/idle"
	"github.com/ft-team/ft/protocol"
)

const (
	readBufSize = 1 << 20
	lingerTime  = 2 * time.Second // to let an error frame reach a sender that is still writing
)

func isTemporary(err error) bool {
	return errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) || errors.Is(err, syscall.ECONNABORTED)
}

// replies serialises the frames going back to the sender.
type replies struct {
	mu sync.Mutex
	bw *bufio.Writer
}

func (r *replies) verdicts(vs []protocol.Verdict) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		if err := protocol.WriteVerdict(r.bw, v); err != nil {
			return err
		}
	}
	return r.bw.Flush()
}

func (r *replies) summary(s protocol.Summary) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := protocol.WriteSummary(r.bw, s); err != nil {
		return err
	}
	return r.bw.Flush()
}

func (r *replies) fail(code protocol.Code, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if protocol.WriteError(r.bw, code, msg) == nil {
		r.bw.Flush()
	}
}

// refuseBusy tells a connection over the limit that the receiver is busy.
func (s *server) refuseBusy(conn net.Conn) {
	s.log.Warn("refused connection", "peer", conn.RemoteAddr().String(), "reason", "too many connections")
	conn.SetDeadline(time.Now().Add(lingerTime))
	bw := bufio.NewWriter(conn)
	(&replies{bw: bw}).fail(protocol.CodeBusy, fmt.Sprintf("too many connections (limit %d)", s.opts.MaxConns))
	closeGently(conn)
}

// closeGently half-closes conn and drains what the peer still sends for a
// moment, so that the peer reads our last frame rather than a reset.
func closeGently(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	conn.SetReadDeadline(time.Now().Add(lingerTime))
	io.Copy(io.Discard, io.LimitReader(conn, 1<<20))
	conn.Close()
}

// session is one connection being served.
type session struct {
	s       *server
	conn    *idle.Conn
	log     *slog.Logger
	replies *replies
	commit  *committer
}

// serveConn serves one sender and returns the connection's outcome.
func (s *server) serveConn(ctx context.Context, raw net.Conn) error {
	start := time.Now()
	peer := raw.RemoteAddr().String()
	log := s.log.With("peer", peer)
	conn := idle.Watch(raw, s.opts.IdleTimeout)
	defer conn.Close()
	ss := &session{s: s, conn: conn, log: log, replies: &replies{bw: bufio.NewWriterSize(conn, 64<<10)}}
	stop := context.AfterFunc(ctx, func() {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		ss.replies.fail(protocol.CodeShutdown, "receiver is shutting down")
		conn.Close()
	})
	defer stop()
	br := bufio.NewReaderSize(conn, readBufSize)
	if err := ss.handshake(br); err != nil {
		log.Warn("connection", "outcome", "failed", "err", err)
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	ss.commit = newCommitter(ss)
	err := ss.readEntries(protocol.NewReader(br))
	sum := ss.commit.finish()
	if err == nil {
		err = ss.replies.summary(sum)
	}
	if err != nil {
		ss.abort(ctx, err)
		log.Warn("connection", "outcome", "failed", "files", sum.Committed, "bytes", sum.Bytes, "err", err)
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	log.Info("connection", "outcome", ss.commit.outcome(), "entries", sum.Entries, "committed", sum.Committed,
		"failed", sum.Failed, "bytes", sum.Bytes, "seconds", time.Since(start).Seconds())
	closeGently(conn)
	return ss.commit.err()
}

// handshake reads the sender's hello within the header timeout and answers.
func (ss *session) handshake(br *bufio.Reader) error {
	ss.conn.SetDeadline(time.Now().Add(ss.s.opts.HeaderTimeout))
	hello, err := protocol.ReadHello(br)
	if err != nil {
		if errors.Is(err, protocol.ErrBadMagic) {
			ss.replies.fail(protocol.CodeProtocol, "not an ft sender")
		}
		return fmt.Errorf("handshake: %w", err)
	}
	acc, err := protocol.Negotiate(hello)
	if err != nil {
		ss.replies.fail(protocol.CodeVersion, err.Error())
		return fmt.Errorf("handshake: %w", err)
	}
	ss.replies.mu.Lock()
	err = protocol.WriteAccept(ss.replies.bw, acc)
	if err == nil {
		err = ss.replies.bw.Flush()
	}
	ss.replies.mu.Unlock()
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	return ss.conn.SetDeadline(time.Time{})
}

// readEntries reads entries until the end frame, handing each to the
// committer. A returned error means the stream is broken.
func (ss *session) readEntries(pr *protocol.Reader) error {
	for index := uint64(0); ; index++ {
		h, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Kind == protocol.KindFile {
			if err := ss.receiveFile(pr, index, h); err != nil {
				return err
			}
			continue
		}
		ss.commit.add(&item{index: index, hdr: h, start: time.Now()})
	}
}

// abort tells the sender why the connection ends, if it can still hear it.
func (ss *session) abort(ctx context.Context, err error) {
	code, msg := protocol.CodeProtocol, err.Error()
	switch {
	case ctx.Err() != nil:
		return // the shutdown hook has told the sender
	case ss.conn.Expired():
		code = protocol.CodeTimeout
	case errors.Is(err, protocol.ErrTruncated), isNetErr(err):
		ss.conn.Close()
		return
	}
	ss.replies.fail(code, msg)
	closeGently(ss.conn)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}
