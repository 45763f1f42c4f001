package send

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/ft-team/ft/internal/idle"
	"github.com/ft-team/ft/internal/secure"
	"github.com/ft-team/ft/protocol"
)

const (
	readSize = 1 << 20 // file read chunk
	// bufSize is the socket write buffer. bufio.Writer copies any write
	// that is not bigger than its room; a smaller buffer than the read
	// chunk makes file chunks go to the socket directly, not through it.
	bufSize     = 256 << 10
	replyGrace  = 5 * time.Second
	walkWait    = 200 * time.Millisecond // for the walk's totals before streaming
	dialNetwork = "tcp"
)

// transfer dials, performs the handshake, streams the entries as the
// walker lists them, and collects the verdicts.
func transfer(ctx context.Context, opts Options, roots []root, warn func(string)) (*Result, error) {
	res := &Result{}
	cr, err := loadCreds(opts)
	if err != nil {
		return res, err
	}
	conn, err := dial(ctx, opts, cr)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	w := newWalker(roots, warn)
	w.exclude, w.onEntry = opts.Exclude, opts.OnEntry
	go w.run()
	defer close(w.stop)
	defer func() {
		res.Skipped, res.SkippedCount = w.skips()
		res.Excluded = int(w.nexcl.Load())
	}()

	replies := make(chan replyResult, 1)
	vs := newVerdicts()
	var ev *events
	if !cr.insecure {
		ev = newEvents()
	}
	go func() {
		rr := readReplies(bufio.NewReader(conn), vs, ev)
		if errors.As(rr.err, new(*protocol.RemoteError)) || errors.Is(rr.err, errBadReplies) {
			conn.Close() // the receiver has given up, or cannot be trusted: stop streaming into the void
		}
		replies <- rr
	}()

	sent, werr := stream(conn, w, vs, ev, opts.Progress, res, newDirHandle())
	var rr replyResult
	if errors.Is(werr, errBadReplies) {
		conn.Close() // the receiver cannot be trusted: no need to hear more
	}
	if werr != nil {
		// The receiver may have said why in an error frame: give it a moment.
		select {
		case rr = <-replies:
		case <-time.After(replyGrace):
			conn.Close()
			rr = <-replies
		}
	} else {
		rr = awaitReplies(replies, vs, conn, idleTimeout(opts))
	}
	if err := connError(ctx, conn, werr, rr.err); err != nil {
		return res, err
	}
	collect(res, sent, vs)
	if err := vs.check(rr.summary, sent); err != nil {
		return res, fmt.Errorf("%w: %w", ErrConnLost, err)
	}
	return res, nil
}

// dial connects and performs the handshake within the dial timeout.
func dial(ctx context.Context, opts Options, cr *creds) (*idle.Conn, error) {
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, dialNetwork, opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w to %s: %w", ErrConnect, opts.Addr, err)
	}
	var sc *secure.Conn
	if !cr.insecure {
		sc = secure.New(c)
		c = sc
	}
	conn := idle.Watch(c, idleTimeout(opts))
	conn.SetDeadline(time.Now().Add(timeout))
	if cr.insecure {
		hello := protocol.DefaultHello()
		err = protocol.WriteHello(conn, hello)
		if err == nil {
			_, err = protocol.ReadAccept(conn, hello)
		}
	} else {
		err = cr.handshake(conn, sc)
	}
	if err != nil {
		conn.Close()
		if authFailed(err) {
			return nil, fmt.Errorf("%w (wrong secret or not allowed) by %s: %w", ErrAuth, opts.Addr, err)
		}
		return nil, fmt.Errorf("%w to %s: handshake: %w", ErrConnect, opts.Addr, err)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// idleTimeout is opts.IdleTimeout or its default.
func idleTimeout(opts Options) time.Duration {
	if opts.IdleTimeout == 0 {
		return DefaultIdleTimeout
	}
	return opts.IdleTimeout
}

// errNoReply is the end of a transfer whose receiver stopped replying
// once everything was sent.
var errNoReply = errors.New("receiver sent no reply")

// awaitReplies waits for the reply reader once the end frame is sent. If
// the receiver sends no whole reply for the idle timeout (bytes trickled
// in do not count) while it has all we sent (where the kernel tells: the
// clock restarts while it still acknowledges our bytes, on a slow link),
// the connection is closed and the transfer fails with errNoReply. A
// timeout of zero or less waits for ever.
func awaitReplies(replies <-chan replyResult, vs *verdicts, conn *idle.Conn, timeout time.Duration) replyResult {
	if timeout <= 0 {
		return <-replies
	}
	vs.touch() // the clock starts at the end frame
	acked, _ := conn.Acked()
	t := time.NewTimer(timeout)
	defer t.Stop()
	for {
		select {
		case rr := <-replies:
			if errors.Is(rr.err, idle.ErrTimeout) { // the watchdog was first: say the same
				rr.err = fmt.Errorf("%w for %v: %w", errNoReply, timeout, rr.err)
			}
			return rr
		case <-t.C:
			if n, ok := conn.Acked(); ok && n != acked { // still taking in what we sent (a slow link)
				acked = n
				vs.touch()
			}
			if left := timeout - time.Since(time.Unix(0, vs.last.Load())); left > 0 {
				t.Reset(left)
				continue
			}
			conn.Close()
			<-replies
			return replyResult{err: fmt.Errorf("%w for %v (%w)", errNoReply, timeout, idle.ErrTimeout)}
		}
	}
}

// streamer writes entries to the connection.
type streamer struct {
	bw   *bufio.Writer
	pw   *protocol.Writer // over bw
	buf  []byte
	prog Progress
	dirs dirHandle // where the last file was opened
}

// sent is what stream sent: the entries in wire order, with the local
// failures of those not sent whole.
type sent struct {
	w     *walker
	wire  []int32                         // index in the walker's list, by wire index
	local map[int]error                   // by wire index
	sums  map[int][protocol.HashSize]byte // by wire index, files sent whole; only for an onEntry
}

// stream writes every entry the walker lists, then the end frame. Entries
// that cannot be read are recorded in res and not sent. It tells the
// progress about the totals once the walk is over. It opens the files
// through dirs, and closes it.
//
// With events (version 2), files are offered and their bodies sent as the
// receiver answers (offers.go).
func stream(conn net.Conn, w *walker, vs *verdicts, ev *events, prog Progress, res *Result, dirs dirHandle) (*sent, error) {
	bw := bufio.NewWriterSize(conn, bufSize)
	st := &streamer{bw: bw, pw: protocol.NewWriter(bw), buf: make([]byte, readSize), prog: prog, dirs: dirs}
	defer st.dirs.close()
	s := &sent{w: w, local: make(map[int]error)}
	if w.onEntry != nil {
		s.sums = make(map[int][protocol.HashSize]byte)
	}
	var o *offerer
	if ev != nil {
		st.pw.SetVersion(protocol.Version2)
		o = &offerer{st: st, s: s, res: res, roots: w.roots, ev: ev, open: make(map[int]*openFile)}
	}
	started := prog == nil
	if !started { // most walks are over at once: then the totals come first
		select {
		case <-w.done:
		case <-time.After(walkWait):
		}
	}
	for i := 0; ; i++ {
		e, ok := w.entry(i)
		if !ok {
			break
		}
		if !started && isClosed(w.done) {
			prog.Start(w.bytes.Load(), int(w.files.Load()))
			started = true
		}
		local := e.err
		if local == nil && o != nil {
			if err := o.offer(e, len(s.wire), vs); err != nil {
				return s, err
			}
		} else if local == nil {
			// Its verdict may come back while its body is still going out.
			vs.sent.Store(int64(len(s.wire) + 1))
			var err error
			if local, err = st.sendEntry(e, w.roots); err != nil {
				return s, err
			}
		}
		if local != nil && (e.err != nil || errors.Is(local, errNotSent)) {
			res.fail(FileError{Name: e.name, Err: local})
			w.tell(e, [protocol.HashSize]byte{}, protocol.CodeOK, local)
			continue
		}
		if local != nil {
			s.local[len(s.wire)] = local
		} else if s.sums != nil && e.kind == protocol.KindFile && o == nil {
			s.sums[len(s.wire)] = st.pw.Sum()
		}
		s.wire = append(s.wire, int32(i))
		if e.kind == protocol.KindFile {
			res.Files++
			if o == nil {
				res.Bytes += e.size
			}
		}
	}
	if !started {
		prog.Start(w.bytes.Load(), int(w.files.Load()))
	}
	if o != nil {
		if err := o.finish(); err != nil {
			return s, err
		}
	}
	res.Entries = len(s.wire)
	if err := st.pw.WriteEnd(); err != nil {
		return s, err
	}
	return s, bw.Flush()
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

var errNotSent = fmt.Errorf("%w: could not be opened", ErrSource)

// source is a file being sent.
type source interface {
	io.ReadCloser
	// state returns the file's size, modification time (unix nanoseconds)
	// and whether it is a regular file.
	state() (size, mtime int64, regular bool, err error)
}

// sendEntry writes one entry. A non-nil local error means the entry was
// not sent whole (errNotSent: not at all); err means the stream broke.
// A file is checked against what the walk saw once, after it was read:
// anything else it could be by then (shorter, longer, touched, replaced
// by something that is not a regular file) spoils its trailer.
func (st *streamer) sendEntry(e *entry, roots []root) (local, err error) {
	pw, prog := st.pw, st.prog
	hdr := e.header()
	if e.kind != protocol.KindFile {
		return nil, pw.WriteHeader(&hdr)
	}
	f, err := st.dirs.open(where(roots, e))
	if err != nil {
		return fmt.Errorf("%w: %w", errNotSent, err), nil
	}
	defer f.Close()
	if prog != nil {
		prog.StartFile(e.name, e.size)
	}
	if err := pw.WriteHeader(&hdr); err != nil {
		return nil, err
	}
	local, err = st.copyBody(f, e.size)
	if err == nil && local == nil {
		local = checkUnchanged(f, e)
	}
	if err != nil {
		return nil, err
	}
	if local != nil {
		return local, pw.Abort()
	}
	return nil, pw.Close()
}

var errChanged = errors.New("changed while being sent")

// progress counts n bytes done.
func (st *streamer) progress(n int64) {
	if st.prog != nil && n > 0 {
		st.prog.Add(n)
	}
}

// copyBody copies exactly size bytes from f to pw. A file that ends early
// is a local error; a failing write is a stream error.
func (st *streamer) copyBody(f io.Reader, size int64) (local, err error) {
	pw, buf, prog := st.pw, st.buf, st.prog
	for left := size; left > 0; {
		n, rerr := f.Read(buf[:min(int64(len(buf)), left)])
		if n > 0 {
			if _, err := pw.Write(buf[:n]); err != nil {
				return nil, err
			}
			left -= int64(n)
			if prog != nil {
				prog.Add(int64(n))
			}
		}
		if rerr == io.EOF && left > 0 {
			return fmt.Errorf("%w: %w (shrank by %d bytes)", ErrSource, errChanged, left), nil
		}
		if rerr != nil && rerr != io.EOF {
			return fmt.Errorf("%w: %w", ErrSource, rerr), nil
		}
	}
	return nil, nil
}

// checkUnchanged reports a local error if the file is no longer what the
// walk listed: another size or modification time, or not a regular file.
func checkUnchanged(f source, e *entry) error {
	size, mtime, regular, err := f.state()
	switch {
	case err != nil:
		return fmt.Errorf("%w: %w", ErrSource, err)
	case !regular:
		return fmt.Errorf("%w: %w (no longer a regular file)", ErrSource, errChanged)
	case size != e.size:
		return fmt.Errorf("%w: %w (size %d -> %d)", ErrSource, errChanged, e.size, size)
	case mtime != e.mtime:
		return fmt.Errorf("%w: %w (modified)", ErrSource, errChanged)
	}
	return nil
}

// connError decides what a broken transfer reports: the receiver's own
// error frame or its breaking the protocol first, then cancellation, then
// idleness, then the rest.
func connError(ctx context.Context, conn *idle.Conn, werr, rerr error) error {
	var remote *protocol.RemoteError
	switch {
	case werr == nil && rerr == nil:
		return nil
	case errors.As(rerr, &remote):
		return fmt.Errorf("%w: %w", ErrConnLost, remote)
	case errors.Is(rerr, errBadReplies): // the cause of the broken write, if any
		return fmt.Errorf("%w: %w", ErrConnLost, rerr)
	case ctx.Err() != nil:
		return context.Cause(ctx)
	case conn.Expired():
		return fmt.Errorf("%w: %w", ErrConnLost, firstErr(werr, rerr))
	}
	return fmt.Errorf("%w: %w", ErrConnLost, firstErr(werr, rerr))
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
