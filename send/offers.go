package send

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ft-team/ft/protocol"
	"github.com/zeebo/blake3"
)

// events carries what the streamer of a version 2 transfer acts on, the
// receiver's answers and verdicts, from the reply reader. It is a queue
// without bound, so that the reply reader never waits for the streamer
// (which may be waiting for the socket, which waits for the reply reader).
type events struct {
	mu    sync.Mutex
	q     []event
	ready chan struct{} // a token: q is not empty
	done  chan struct{} // closed when the reply reader ends
}

// event is an answer, or an entry's verdict (its index and code).
type event struct {
	answer  *protocol.Answer
	verdict uint64
	code    protocol.Code
}

func newEvents() *events {
	return &events{ready: make(chan struct{}, 1), done: make(chan struct{})}
}

func (ev *events) push(e event) {
	ev.mu.Lock()
	ev.q = append(ev.q, e)
	ev.mu.Unlock()
	select {
	case ev.ready <- struct{}{}:
	default:
	}
}

func (ev *events) take() []event {
	ev.mu.Lock()
	defer ev.mu.Unlock()
	q := ev.q
	ev.q = nil
	return q
}

// errNoAnswer ends a transfer whose receiver stopped answering offers.
var errNoAnswer = errors.New("receiver stopped answering before every file was answered")

// openFile is a file offered and neither decided nor with its body sent.
type openFile struct {
	e      *entry
	hashed bool // its hash was sent
}

// offerer is the part of a version 2 streamer that keeps the open files:
// it answers the receiver's answers with hashes and bodies.
type offerer struct {
	st    *streamer
	s     *sent
	res   *Result
	roots []root
	ev    *events
	open  map[int]*openFile // by wire index
	names protocol.OpenNames
}

// blocked reports whether e must wait before it is offered: the receiver
// holds at most protocol.MaxOpen open files, and no entry may be offered
// at, under or above the name of one (PROTOCOL.md section 17.4).
func (o *offerer) blocked(e *entry) bool {
	return e.kind == protocol.KindFile && len(o.open) >= protocol.MaxOpen || o.names.Blocked(e.name)
}

// offer sends entry e as wire index i, once it may be: meanwhile it acts
// on the receiver's answers.
func (o *offerer) offer(e *entry, i int, vs *verdicts) error {
	if _, err := o.act(); err != nil {
		return err
	}
	for o.blocked(e) {
		if err := o.wait(); err != nil {
			return err
		}
	}
	vs.sent.Store(int64(i + 1))
	hdr := e.header()
	if err := o.st.pw.WriteHeader(&hdr); err != nil {
		return err
	}
	if e.kind == protocol.KindFile {
		o.open[i] = &openFile{e: e}
		o.names.Add(e.name)
	}
	return nil
}

// finish waits until no file is open.
func (o *offerer) finish() error {
	for len(o.open) > 0 {
		if err := o.wait(); err != nil {
			return err
		}
	}
	return nil
}

func (o *offerer) close(i int) {
	o.names.Remove(o.open[i].e.name)
	delete(o.open, i)
}

// wait sends what is buffered and acts on the receiver's next events.
func (o *offerer) wait() error {
	if err := o.st.bw.Flush(); err != nil {
		return err
	}
	select {
	case <-o.ev.ready:
	case <-o.ev.done:
	}
	n, err := o.act()
	if err == nil && n == 0 && isClosed(o.ev.done) {
		return errNoAnswer // the reply reader is done: nothing more comes
	}
	return err
}

// act acts on the events that have arrived, without waiting, and says
// how many there were.
func (o *offerer) act() (int, error) {
	q := o.ev.take()
	for _, e := range q {
		var err error
		if e.answer != nil {
			err = o.answered(e.answer)
		} else {
			err = o.decided(e)
		}
		if err != nil {
			return 0, err
		}
	}
	return len(q), nil
}

// decided handles the verdict of event e: a file decided before its body
// is no longer open. A receiver may refuse a file at any time, and may
// find it unchanged once it has its hash, but commits none unseen.
func (o *offerer) decided(e event) error {
	i := int(e.verdict)
	of := o.open[i]
	switch {
	case of == nil: // its body was sent, or not a file
		return nil
	case e.code == protocol.CodeOK:
		return fmt.Errorf("%w: %w: entry %d committed before its body was sent", errBadReplies, protocol.ErrFrame, e.verdict)
	case e.code == protocol.CodeUnchanged && !of.hashed:
		return fmt.Errorf("%w: %w: entry %d unchanged before its hash was sent", errBadReplies, protocol.ErrFrame, e.verdict)
	}
	o.close(i)
	if e.code == protocol.CodeUnchanged {
		o.res.Saved += of.e.size
	}
	o.st.progress(of.e.size)
	return nil
}

// answered sends what answer a asks for: the file's hash, or its body.
func (o *offerer) answered(a *protocol.Answer) error {
	i := int(a.Index)
	of := o.open[i]
	switch {
	case of == nil:
		return fmt.Errorf("%w: %w: answer for entry %d, which is not an open file", errBadReplies, protocol.ErrFrame, a.Index)
	case a.Hash && of.hashed:
		return fmt.Errorf("%w: %w: second hash asked for entry %d", errBadReplies, protocol.ErrFrame, a.Index)
	case a.Offset > of.e.size:
		return fmt.Errorf("%w: %w: entry %d asked for from byte %d of %d", errBadReplies, protocol.ErrFrame, a.Index, a.Offset, of.e.size)
	case a.Hash:
		of.hashed = true
		return o.sendHash(i, of.e)
	}
	o.close(i)
	return o.sendBody(i, of.e, a)
}

// sendHash sends the BLAKE3 of file e, read from disk now. If it cannot be
// read whole, as the walk saw it, it sends 32 zero bytes instead, which are
// no file's hash, and records why.
func (o *offerer) sendHash(i int, e *entry) error {
	var sum [protocol.HashSize]byte
	f, err := o.st.dirs.open(where(o.roots, e))
	if err == nil {
		h := blake3.New()
		if _, err = io.Copy(h, io.LimitReader(f, e.size+1)); err == nil {
			err = checkUnchanged(f, e)
		}
		f.Close()
		h.Sum(sum[:0])
	}
	if err != nil {
		sum = [protocol.HashSize]byte{}
		if !errors.Is(err, ErrSource) {
			err = fmt.Errorf("%w: %w", ErrSource, err)
		}
		o.s.local[i] = err
	} else if o.s.sums != nil {
		o.s.sums[i] = sum
	}
	return o.st.pw.WriteHash(uint64(i), sum)
}

// sendBody sends the body of file e from where answer a asks, if the
// receiver's prefix is the file's own, else from its start.
func (o *offerer) sendBody(i int, e *entry, a *protocol.Answer) error {
	st := o.st
	if st.prog != nil {
		st.prog.StartFile(e.name, e.size)
	}
	f, err := st.dirs.open(where(o.roots, e))
	if err != nil {
		o.s.local[i] = fmt.Errorf("%w: %w", errNotSent, err)
		if err := st.pw.BeginBody(uint64(i), e.size, 0, nil); err != nil {
			return err
		}
		return st.pw.AbortWith("cannot open the source")
	}
	offset, prefix, err := resumeAt(f, a)
	if err == nil && offset == 0 && a.Offset > 0 { // not the prefix it holds: from the start
		f.Close()
		f, err = st.dirs.open(where(o.roots, e))
	}
	if err != nil {
		o.s.local[i] = fmt.Errorf("%w: %w", ErrSource, err)
		offset, prefix = 0, nil
	}
	if f != nil {
		defer f.Close()
	}
	if err := st.pw.BeginBody(uint64(i), e.size, offset, prefix); err != nil {
		return err
	}
	st.progress(offset)
	o.res.Saved += offset
	if offset > 0 {
		o.res.Resumed++
	}
	o.res.Bytes += e.size - offset
	if o.s.local[i] != nil {
		return st.pw.AbortWith("cannot read the source")
	}
	local, err := st.copyBody(f, e.size-offset)
	if err == nil && local == nil {
		local = checkUnchanged(f, e)
	}
	if err != nil {
		return err
	}
	if local != nil {
		o.s.local[i] = local
		return st.pw.AbortWith(local.Error())
	}
	if err := st.pw.Close(); err != nil {
		return err
	}
	if o.s.sums != nil {
		o.s.sums[i] = st.pw.Sum()
	}
	return nil
}

// resumeAt reads the first a.Offset bytes of f: if their BLAKE3 is
// a.Prefix, the body goes on from there with that hasher; else it starts
// at 0 (from a new handle: f has been read).
func resumeAt(f source, a *protocol.Answer) (int64, *blake3.Hasher, error) {
	if a.Offset == 0 {
		return 0, nil, nil
	}
	h := blake3.New()
	n, err := io.Copy(h, io.LimitReader(f, a.Offset))
	if err != nil {
		return 0, nil, err
	}
	var sum [protocol.HashSize]byte
	if n == a.Offset && bytes.Equal(h.Sum(sum[:0]), a.Prefix[:]) {
		return a.Offset, h, nil
	}
	return 0, nil, nil
}
