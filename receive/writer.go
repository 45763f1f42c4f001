package receive

import (
	"errors"
	"io"
	"sync"

	"github.com/ft-team/ft/protocol"
)

// Small files are read whole and verified by the reading goroutine, then
// written out by a second one: the write, the modification time and the
// close of one file overlap the reading, hashing and creating of the next.
// With many small files the reading goroutine is otherwise the bottleneck.
const (
	smallFile    = 64 << 10 // bodies up to this size take the writer
	writerQueue  = 64       // files read ahead of the writer, at most
	writerBufCap = smallFile
)

var smallPool = sync.Pool{New: func() any { b := make([]byte, 0, writerBufCap); return &b }}

// writeJob is a created file and its verified body.
type writeJob struct {
	it   *item
	f    tempFile
	body *[]byte // from smallPool
}

// writer writes small files for one session.
type writer struct {
	ss   *session
	jobs chan writeJob
	done chan struct{}
}

func newWriter(ss *session) *writer {
	w := &writer{ss: ss, jobs: make(chan writeJob, writerQueue), done: make(chan struct{})}
	go w.run()
	return w
}

func (w *writer) run() {
	defer close(w.done)
	for j := range w.jobs {
		w.ss.writeOut(j)
	}
}

// wait writes what is queued and ends the writer.
func (w *writer) wait() {
	close(w.jobs)
	<-w.done
}

// receiveSmall reads a small file's body into memory, and hands it to the
// writer once its hash has been checked; f is already created.
func (ss *session) receiveSmall(pr *protocol.Reader, it *item, f tempFile) error {
	bp := smallPool.Get().(*[]byte)
	body := (*bp)[:it.hdr.Size]
	rerr := readBody(pr, body)
	if rerr != nil {
		smallPool.Put(bp)
		f.Close()
		ss.dropTemp(it)
		if !errors.Is(rerr, protocol.ErrChecksum) {
			return rerr
		}
		it.decide(protocol.CodeChecksum, checksumMsg)
		ss.commit.add(it)
		return nil
	}
	it.sum = pr.Sum()
	*bp = body
	ss.writes.jobs <- writeJob{it: it, f: f, body: bp}
	return nil
}

// readBody reads exactly len(b) bytes of the current body and its trailer:
// nil if the hash matches.
func readBody(pr *protocol.Reader, b []byte) error {
	for n := 0; ; {
		m, err := pr.Read(b[n:])
		n += m
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// writeOut writes a verified small file, closes it and hands it to the
// committer.
func (ss *session) writeOut(j writeJob) {
	it, f := j.it, j.f
	_, werr := f.Write(*j.body)
	smallPool.Put(j.body)
	if werr == nil {
		werr = f.finish(it.hdr.ModTime, needFileSync && !ss.s.opts.NoSync)
	}
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil {
		ss.dropTemp(it)
		it.decide(localCode(werr), cleanErr(werr))
	}
	ss.commit.add(it)
}
