package receive

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ft-team/ft/internal/idle"
	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/internal/secure"
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
	rw *protocol.ReplyWriter // over bw
}

func newReplies(w io.Writer, size int) *replies {
	bw := bufio.NewWriterSize(w, size)
	return &replies{bw: bw, rw: protocol.NewReplyWriter(bw)}
}

func (r *replies) verdicts(vs []protocol.Verdict) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, v := range vs {
		if err := r.rw.WriteVerdict(v); err != nil {
			return err
		}
	}
	return r.bw.Flush()
}

// answer writes an answer to an offer; it goes out at the next flush.
func (r *replies) answer(a protocol.Answer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rw.WriteAnswer(a)
}

// flush sends what was written.
func (r *replies) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.bw.Flush()
}

func (r *replies) summary(s protocol.Summary) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.rw.WriteSummary(s); err != nil {
		return err
	}
	return r.bw.Flush()
}

func (r *replies) fail(code protocol.Code, msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rw.WriteError(code, msg) == nil {
		r.bw.Flush()
	}
}

// busyReason is why the gate refuses a connection.
var busyReason = fmt.Sprintf("too many connections from this address before their handshake (at most %d at once, and %d failed handshakes per second)", gateOpen, gateRate)

// refuseBusy tells a connection the gate did not let in that the
// receiver is busy, logging the first refusals one by one and then one in
// 1000.
func (s *server) refuseBusy(conn net.Conn, linger bool) {
	if n := s.busy.Add(1); n <= refusalLines || n%1000 == 0 {
		s.log.Warn("refused connection", "peer", conn.RemoteAddr().String(), "reason", busyReason, "refused_so_far", n)
	}
	if !linger {
		conn.SetDeadline(time.Now().Add(100 * time.Millisecond))
		protocol.NewReplyWriter(conn).WriteError(protocol.CodeBusy, busyReason)
		closeNow(conn)
		return
	}
	conn.SetDeadline(time.Now().Add(lingerTime))
	newReplies(conn, 4096).fail(protocol.CodeBusy, busyReason)
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

// closeNow closes conn at once, but sends what was written first: closing
// a socket with unread input resets it, and a reset drops unsent output.
func closeNow(conn net.Conn) {
	if cw, ok := conn.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	conn.Close()
}

// session is one connection being served.
type session struct {
	s       *server
	raw     net.Conn     // the socket
	sc      *secure.Conn // over raw: clear for the handshake, then records (version 2)
	conn    *idle.Conn   // over sc
	log     *slog.Logger
	replies *replies
	commit  *committer
	writes  *writer // small files (see writer.go)
	t       *inbox.Transfer
	dirs    *inbox.Dirs // the reading goroutine's directory handles
	onWay   *inflight   // names handed to the lanes or the committer, not placed yet
	slot    *holder     // its claim on a transfer slot (see slots.go)
	evicted atomic.Bool // its slot went to a new sender
	version uint16      // negotiated
	early   int         // verdicts given before a body since the reader last waited (offers.go)
}

// errEvicted is why a connection lost its slot to a new sender.
var errEvicted = fmt.Errorf("evicted for a new sender: less than %d KiB sent in %v", paceMin>>10, paceWindow)

// evict ends the connection for a new sender that takes its slot; the
// reading goroutine fails and the connection is aborted as on any failure.
func (ss *session) evict() {
	ss.evicted.Store(true)
	ss.conn.Fail(errEvicted)
}

// handOver counts the item's name as on its way to its place, by the lanes
// or the committer, which counts it as done (committer.commitBatch).
func (ss *session) handOver(it *item) {
	it.onWay = true
	ss.onWay.add(it.hdr.Name)
}

// inOrder waits, if an entry of this name or of a directory above it is on
// its way, until it is placed: the reader may place this one itself.
func (ss *session) inOrder(name string) {
	if ss.onWay.covers(name) {
		ss.writes.sync()
		ss.commit.now()
		ss.onWay.wait()
	}
}

// warner returns a function that logs a filesystem operation that failed
// on name.
func warner(log *slog.Logger) func(op, name string, err error) {
	return func(op, name string, err error) { log.Warn(op, "name", name, "err", inbox.Describe(err)) }
}

// serveConn serves one sender and returns the connection's outcome.
// handshook, if not nil, is called when the handshake is over, with
// whether it failed.
func (s *server) serveConn(ctx context.Context, raw net.Conn, handshook func(failed bool)) error {
	start := time.Now()
	peer := raw.RemoteAddr().String()
	log := s.log.With("peer", peer)
	sc := secure.New(raw)
	conn := idle.Watch(sc, s.opts.IdleTimeout)
	defer conn.Close()
	ss := &session{s: s, raw: raw, sc: sc, conn: conn, log: log, replies: newReplies(conn, 64<<10),
		t: s.in.Begin(), onWay: newInflight()}
	ss.dirs = ss.t.Dirs()
	defer ss.dirs.Close()
	stop := context.AfterFunc(ctx, func() {
		conn.Grace(time.Second)
		ss.replies.fail(protocol.CodeShutdown, "receiver is shutting down")
		closeNow(conn)
	})
	defer stop()
	err := ss.handshake()
	if handshook != nil {
		// A sender refused for want of a slot did not fail to prove itself.
		handshook(err != nil && !errors.Is(err, errBusy) && !errors.Is(err, errOnce))
	}
	if err != nil {
		log.Warn("connection", "outcome", "failed", "err", err)
		closeGently(conn)
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	defer s.slots.release(ss.slot)
	log = ss.log // it names the sender now
	// Allocated only now: a connection in its handshake costs little.
	in := bufio.NewReaderSize(conn, readBufSize)
	ss.commit = newCommitter(commitDeps{t: ss.t, replies: ss.replies, log: log, touch: conn.Touch,
		onWay: ss.onWay, noSync: s.opts.NoSync})
	ss.writes = newWriter(ss.t, ss.commit)
	pr := protocol.NewReader(in)
	pr.SetVersion(ss.version)
	if ss.version >= protocol.Version2 {
		err = ss.readOffers(pr)
	} else {
		err = ss.readEntries(pr)
	}
	ss.writes.wait()
	sum := ss.commit.finish()
	ss.t.FinishDirs(warner(log))
	if err == nil {
		err = ss.replies.summary(sum)
	}
	outcome := "failed"
	if err == nil {
		outcome = ss.commit.outcome()
	}
	logEnd(log, outcome, sum, start, err)
	if err != nil {
		ss.abort(ctx, err)
		return fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	closeGently(conn)
	return ss.commit.err()
}

// refusalLines is how many refusals a connection logs one by one; the
// rest are counted in its last line, so that a stream of refusals, which
// costs the sender nothing, cannot fill the receiver's disk with logs.
const refusalLines = 10

// logEnd logs the one line that ends a connection past its handshake: at
// info level if its outcome is ok, else at warning level, so that with
// only warnings (ft receive -q) a connection logs this line and nothing
// else about its entries.
func logEnd(log *slog.Logger, outcome string, sum protocol.Summary, start time.Time, err error) {
	level := slog.LevelWarn
	if outcome == "ok" {
		level = slog.LevelInfo
	}
	attrs := []any{"outcome", outcome, "entries", sum.Entries, "committed", sum.Committed, "failed", sum.Failed,
		"bytes", sum.Bytes, "seconds", time.Since(start).Seconds()}
	if sum.Failed > refusalLines {
		attrs = append(attrs, "refusals_not_logged", sum.Failed-refusalLines)
	}
	if err != nil {
		attrs = append(attrs, "err", err)
	}
	log.Log(context.Background(), level, "connection", attrs...)
}

// handshake reads the sender's hello within the header timeout (straight
// from the connection, so that nothing beyond it is read) and answers,
// taking one of the MaxConns slots or refusing the sender as busy.
func (ss *session) handshake() error {
	timeout := ss.s.opts.HeaderTimeout
	ss.conn.SetDeadline(time.Now().Add(timeout))
	hello, err := protocol.ReadHello(ss.conn)
	if err != nil {
		switch {
		case errors.Is(err, protocol.ErrBadMagic):
			ss.replies.fail(protocol.CodeProtocol, "not an ft sender")
		case errors.Is(err, protocol.ErrFrame):
			ss.replies.fail(protocol.CodeProtocol, err.Error())
		case errors.Is(err, os.ErrDeadlineExceeded):
			ss.conn.Grace(time.Second)
			ss.replies.fail(protocol.CodeTimeout, fmt.Sprintf("no hello within %v", timeout))
		}
		return fmt.Errorf("handshake: %w", err)
	}
	if hello, err = ss.authenticate(hello); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	acc, err := ss.s.trust.negotiate(hello)
	if err != nil {
		ss.replies.fail(protocol.CodeVersion, err.Error())
		return fmt.Errorf("handshake: %w", err)
	}
	ss.version = acc.Version
	if !ss.s.once.take(ss.raw) {
		ss.replies.fail(protocol.CodeBusy, "the receiver serves one transfer only (--once)")
		return fmt.Errorf("handshake: %w", errOnce)
	}
	ss.slot = newHolder(ss.conn, ss.evict)
	if !ss.s.slots.acquire(ss.slot, ss.s.opts.MaxConns) {
		ss.replies.fail(protocol.CodeBusy, fmt.Sprintf("too many connections (limit %d)", ss.s.opts.MaxConns))
		return fmt.Errorf("handshake: %w", errBusy)
	}
	if err := ss.writeAccept(acc); err != nil {
		ss.s.slots.release(ss.slot)
		return err
	}
	return nil
}

// Why a sender is refused after its hello.
var (
	errBusy = errors.New("too many connections")
	errOnce = errors.New("another sender is the one transfer")
)

// writeAccept answers the hello and lifts the header deadline.
func (ss *session) writeAccept(acc protocol.Accept) error {
	ss.replies.mu.Lock()
	err := protocol.WriteAccept(ss.replies.bw, acc)
	if err == nil {
		err = ss.replies.bw.Flush()
	}
	ss.replies.mu.Unlock()
	if err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	if err := ss.conn.SetDeadline(time.Time{}); err != nil {
		return fmt.Errorf("handshake: %w", err)
	}
	return nil
}

// readEntries reads a version 1 stream until the end frame, handing each
// entry to the committer. A returned error means the stream is broken.
func (ss *session) readEntries(pr *protocol.Reader) error {
	for index := uint64(0); ; index++ {
		h, err := pr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		it := ss.entry(index, h)
		if h.Kind != protocol.KindFile {
			ss.placeEntry(it)
		} else if err := ss.receiveFile(pr, it); err != nil {
			return err
		}
	}
}

// entry starts on entry index: what is on its way to its name is placed
// first, and the transfer's bookkeeping is published if it is at its
// bound.
func (ss *session) entry(index uint64, h *protocol.Header) *item {
	if h.Kind != protocol.KindFile || h.Size > smallFile {
		ss.writes.flush() // the small files before it go first
	}
	ss.inOrder(h.Name)
	if ss.t.Full() {
		ss.checkpoint(h.Name)
	}
	return &item{index: index, hdr: h, start: time.Now()}
}

// placeEntry places a directory at once, so that the files that follow
// find it, or hands a symlink over, and gives the item to the committer.
func (ss *session) placeEntry(it *item) {
	if it.hdr.Kind == protocol.KindDir {
		var r inbox.Result
		r, it.staged = ss.t.Mkdir(it.hdr.Name, fs.FileMode(it.hdr.Mode), it.hdr.ModTime)
		it.decide(r.Code, r.Msg)
	} else {
		ss.handOver(it)
	}
	ss.commit.add(it)
}

// checkpoint publishes what the transfer holds once it holds its bound
// (see inbox.MaxHeld), before the entry next: memory stays bounded
// whatever the stream.
func (ss *session) checkpoint(next string) {
	ss.writes.sync()
	ss.commit.checkpoint()
	ss.t.Checkpoint(next, warner(ss.log))
}

// abort tells the sender why the connection ends, if it can still hear it.
func (ss *session) abort(ctx context.Context, err error) {
	code, msg := protocol.CodeProtocol, err.Error()
	switch {
	case ctx.Err() != nil:
		return // the shutdown hook has told the sender
	case ss.evicted.Load():
		code, msg = protocol.CodeBusy, errEvicted.Error()
	case ss.conn.Expired():
		code, msg = protocol.CodeTimeout, fmt.Sprintf("no progress for %v", ss.s.opts.IdleTimeout)
	case errors.Is(err, protocol.ErrTruncated), isNetErr(err):
		ss.conn.Close()
		return
	}
	ss.conn.Grace(lingerTime) // an expired connection still takes this last frame
	ss.replies.fail(code, msg)
	closeGently(ss.conn)
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, net.ErrClosed)
}
