package receive

import (
	"fmt"
	"io"
	"time"

	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/protocol"
)

// offered is a file of a version 2 stream that is open: offered, and
// neither decided nor with its body read.
type offered struct {
	it    *item
	adm   inbox.Admission
	asked bool // answered "hash": its hash is due
	sent  bool // answered "send": its body is due
}

// openFiles are the open files of a version 2 stream (PROTOCOL.md
// section 17.4), by index and by name.
type openFiles struct {
	byIndex map[uint64]*offered
	names   protocol.OpenNames
}

func newOpenFiles() *openFiles {
	return &openFiles{byIndex: make(map[uint64]*offered)}
}

func (o *openFiles) add(of *offered) {
	o.byIndex[of.it.index] = of
	o.names.Add(of.it.hdr.Name)
}

func (o *openFiles) close(of *offered) {
	delete(o.byIndex, of.it.index)
	o.names.Remove(of.it.hdr.Name)
}

// readOffers reads a version 2 stream until its end frame: it answers each
// file offer before its body, reads the bodies it asked for and hands every
// entry to the committer. A returned error means the stream is broken.
func (ss *session) readOffers(pr *protocol.Reader) error {
	o := newOpenFiles()
	for index := uint64(0); ; {
		if !pr.NextBuffered() {
			ss.waiting() // the answers go out before the reader waits
		}
		item, err := pr.NextItem()
		switch {
		case err == io.EOF && len(o.byIndex) > 0:
			return fmt.Errorf("%w: end frame with %d files open", protocol.ErrFrame, len(o.byIndex))
		case err == io.EOF:
			return nil
		case err != nil:
			return err
		case item.Header != nil:
			err = ss.offer(o, index, item.Header)
			index++
		case item.Body != nil:
			err = ss.body(pr, o, item.Body)
		default:
			err = ss.hashed(o, item.Hash)
		}
		if err != nil {
			return err
		}
	}
}

// waiting is called when the reader is about to wait for the sender: the
// answers and the verdicts given before a body go out now.
func (ss *session) waiting() {
	if ss.early > 0 {
		ss.early = 0
		ss.commit.now()
	}
	ss.replies.flush()
}

// offer handles one entry of a version 2 stream: a directory or symlink is
// placed as in version 1, a file is admitted or refused, and answered.
func (ss *session) offer(o *openFiles, index uint64, h *protocol.Header) error {
	if o.names.Blocked(h.Name) {
		return fmt.Errorf("%w: entry %q offered at, under or above a file that is open", protocol.ErrFrame, h.Name)
	}
	if h.Kind == protocol.KindFile && len(o.byIndex) >= protocol.MaxOpen {
		return fmt.Errorf("%w: more than %d files open", protocol.ErrFrame, protocol.MaxOpen)
	}
	it := ss.entry(index, h)
	if h.Kind != protocol.KindFile {
		ss.placeEntry(it)
		return nil
	}
	adm := ss.t.Admit(ss.dirs, h.Name, h.Size)
	if adm.Code != protocol.CodeOK {
		return ss.decideEarly(it, adm.Result)
	}
	of := &offered{it: it, adm: adm}
	o.add(of)
	if adm.Compare {
		of.asked = true
		return ss.replies.answer(protocol.Answer{Index: index, Hash: true})
	}
	of.sent = true
	return ss.replies.answer(protocol.Answer{Index: index})
}

// decideEarly gives an offered file its verdict before any body.
func (ss *session) decideEarly(it *item, r inbox.Result) error {
	it.decide(r.Code, r.Msg)
	ss.commit.add(it)
	ss.early++
	return nil
}

// body reads the body of an open file that was asked for.
func (ss *session) body(pr *protocol.Reader, o *openFiles, b *protocol.BodyStart) error {
	of := o.byIndex[b.Index]
	switch {
	case of == nil || !of.sent:
		return fmt.Errorf("%w: body of entry %d, which was not asked for", protocol.ErrFrame, b.Index)
	case b.Offset != 0:
		return fmt.Errorf("%w: body of entry %d from byte %d, asked for from 0", protocol.ErrFrame, b.Index, b.Offset)
	}
	o.close(of)
	it := of.it
	if err := pr.StartBody(it.hdr.Size, 0, nil); err != nil {
		return err
	}
	if it.hdr.Size > smallFile {
		ss.writes.flush() // the small files before it go first
	}
	it.start = time.Now()
	return ss.storeBody(pr, it, of.adm)
}

// hashed compares the hash of an open file, which was asked for, with the
// file of its name: the same is unchanged, another is refused, or asked
// for if it may be replaced.
func (ss *session) hashed(o *openFiles, h *protocol.FileHash) error {
	of := o.byIndex[h.Index]
	if of == nil || !of.asked {
		return fmt.Errorf("%w: hash of entry %d, which was not asked for", protocol.ErrFrame, h.Index)
	}
	of.asked = false
	r := ss.t.Identical(of.it.hdr.Name, h.Sum)
	if r.Code != protocol.CodeUnchanged && of.adm.Replace {
		of.sent = true
		return ss.replies.answer(protocol.Answer{Index: h.Index})
	}
	o.close(of)
	return ss.decideEarly(of.it, r)
}
