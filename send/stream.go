package send

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/ft-team/ft/internal/idle"
	"github.com/ft-team/ft/protocol"
)

const (
	bufSize     = 1 << 20 // socket write buffer and file read chunk
	replyGrace  = 5 * time.Second
	dialNetwork = "tcp"
)

// transfer dials, performs the handshake, streams the plan and collects
// the verdicts.
func transfer(ctx context.Context, opts Options, p *plan) (*Result, error) {
	res := &Result{}
	conn, err := dial(ctx, opts)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	replies := make(chan replyResult, 1)
	vs := newVerdicts(len(p.entries))
	go func() {
		rr := readReplies(bufio.NewReader(conn), vs)
		if errors.As(rr.err, new(*protocol.RemoteError)) {
			conn.Close() // the receiver has given up: stop streaming into the void
		}
		replies <- rr
	}()

	sent, werr := stream(conn, p, opts.Progress, res)
	var rr replyResult
	if werr != nil {
		// The receiver may have said why in an error frame: give it a moment.
		select {
		case rr = <-replies:
		case <-time.After(replyGrace):
			conn.Close()
			rr = <-replies
		}
	} else {
		rr = <-replies
	}
	if err := connError(ctx, conn, werr, rr.err); err != nil {
		return res, err
	}
	collect(res, p, sent, vs)
	if s := rr.summary; s.Entries != uint64(len(sent.wire)) {
		return res, fmt.Errorf("%w: receiver counted %d entries, %d were sent", ErrConnLost, s.Entries, len(sent.wire))
	}
	return res, nil
}

// dial connects and performs the handshake within the dial timeout.
func dial(ctx context.Context, opts Options) (*idle.Conn, error) {
	timeout := opts.DialTimeout
	if timeout <= 0 {
		timeout = DefaultDialTimeout
	}
	d := net.Dialer{Timeout: timeout}
	c, err := d.DialContext(ctx, dialNetwork, opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("%w to %s: %w", ErrConnect, opts.Addr, err)
	}
	idleTimeout := opts.IdleTimeout
	if idleTimeout == 0 {
		idleTimeout = DefaultIdleTimeout
	}
	conn := idle.Watch(c, idleTimeout)
	conn.SetDeadline(time.Now().Add(timeout))
	hello := protocol.DefaultHello()
	err = protocol.WriteHello(conn, hello)
	if err == nil {
		_, err = protocol.ReadAccept(conn, hello)
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("%w to %s: handshake: %w", ErrConnect, opts.Addr, err)
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// streamer writes entries to the connection.
type streamer struct {
	bw   *bufio.Writer
	pw   *protocol.Writer // over bw
	buf  []byte
	prog Progress
}

// sent maps entry indexes on the wire to the plan, with the local failures
// of entries that were not sent whole.
type sent struct {
	wire  []int32       // plan index of each wire index
	local map[int]error // by wire index
}

// stream writes every entry of the plan, then the end frame. Files that
// cannot be opened are recorded in res and not sent.
func stream(conn net.Conn, p *plan, prog Progress, res *Result) (*sent, error) {
	bw := bufio.NewWriterSize(conn, bufSize)
	st := &streamer{bw: bw, pw: protocol.NewWriter(bw), buf: make([]byte, bufSize), prog: prog}
	if prog != nil {
		prog.Start(p.bytes, p.files)
	}
	s := &sent{wire: make([]int32, 0, len(p.entries)), local: make(map[int]error)}
	for i := range p.entries {
		e := &p.entries[i]
		local, err := st.sendEntry(e, p.path(e))
		if err != nil {
			return s, err
		}
		if errors.Is(local, errNotSent) {
			res.Failed = append(res.Failed, FileError{Name: e.name, Err: local})
			continue
		}
		if local != nil {
			s.local[len(s.wire)] = local
		}
		s.wire = append(s.wire, int32(i))
		if e.kind == protocol.KindFile {
			res.Files++
			res.Bytes += e.size
		}
	}
	res.Entries = len(s.wire)
	if err := st.pw.WriteEnd(); err != nil {
		return s, err
	}
	return s, bw.Flush()
}

var errNotSent = fmt.Errorf("%w: could not be opened", ErrSource)

// sendEntry writes one entry. A non-nil local error means the entry was
// not sent whole (errNotSent: not at all); err means the stream broke.
func (st *streamer) sendEntry(e *entry, path string) (local, err error) {
	pw, prog := st.pw, st.prog
	hdr := e.header()
	if e.kind != protocol.KindFile {
		return nil, pw.WriteHeader(&hdr)
	}
	f, err := openSource(path)
	if err != nil {
		return fmt.Errorf("%w: %w", errNotSent, err), nil
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %w", errNotSent, err), nil
	}
	if fi.Size() != e.size || !fi.Mode().IsRegular() {
		return fmt.Errorf("%w: %w", errNotSent, errChanged), nil
	}
	if prog != nil {
		prog.StartFile(e.name, e.size)
	}
	if err := pw.WriteHeader(&hdr); err != nil {
		return nil, err
	}
	if e.size >= largeFile {
		return st.sendLarge(f, fi)
	}
	local, err = st.copyBody(f, e.size)
	if err == nil && local == nil {
		local = checkUnchanged(f, fi)
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

// copyBody copies exactly size bytes from f to pw. A file that ends early
// is a local error; a failing write is a stream error.
func (st *streamer) copyBody(f *os.File, size int64) (local, err error) {
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

// checkUnchanged reports a local error if the file grew or was modified
// while it was read.
func checkUnchanged(f *os.File, before os.FileInfo) error {
	after, err := f.Stat()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSource, err)
	}
	if after.Size() != before.Size() || !after.ModTime().Equal(before.ModTime()) {
		return fmt.Errorf("%w: %w (size %d -> %d)", ErrSource, errChanged, before.Size(), after.Size())
	}
	return nil
}

// connError decides what a broken transfer reports: the receiver's own
// error frame first, then cancellation, then idleness, then the rest.
func connError(ctx context.Context, conn *idle.Conn, werr, rerr error) error {
	var remote *protocol.RemoteError
	switch {
	case werr == nil && rerr == nil:
		return nil
	case errors.As(rerr, &remote):
		return fmt.Errorf("%w: %w", ErrConnLost, remote)
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
