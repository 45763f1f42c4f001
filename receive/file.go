package receive

import (
	"errors"
	"io"
	"io/fs"
	"sync"

	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/protocol"
)

const checksumMsg = "content does not match its BLAKE3 hash"

var bufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// receiveFile handles one file entry: it decides whether the file can be
// taken, writes its body to a temp file in the file's directory (or, in a
// staging directory, under its own name: see stage.go; or only hashes it
// when an existing file may be identical) and hands the outcome to the
// committer. A returned error means the stream is broken; a refusal
// only becomes a verdict.
func (ss *session) receiveFile(pr *protocol.Reader, it *item) error {
	h := it.hdr
	adm := ss.t.Admit(ss.dirs, h.Name, h.Size)
	if adm.Code != protocol.CodeOK {
		it.decide(adm.Code, adm.Msg)
		ss.commit.add(it)
		return discard(pr)
	}
	if adm.Compare && !adm.Replace {
		return ss.compareExisting(pr, it)
	}
	return ss.storeBody(pr, it, adm)
}

// storeBody reads the body of an admitted file into its temp file (or, if
// small, into memory for the writer) and hands the outcome to the
// committer. A returned error means the stream is broken.
func (ss *session) storeBody(pr *protocol.Reader, it *item, adm inbox.Admission) error {
	h := it.hdr
	if h.Size <= smallFile && adm.Ready {
		return ss.receiveSmall(pr, it)
	}
	tf, err := ss.t.CreateWithParents(ss.dirs, h.Name, h.Size, fs.FileMode(h.Mode), h.ModTime)
	if err != nil {
		it.decide(inbox.Code(err), cannotCreate(err))
		ss.commit.add(it)
		return discard(pr)
	}
	werr, rerr := copyBody(tf, pr)
	if rerr == nil {
		werr = tf.Close(werr)
	}
	switch {
	case rerr != nil && !errors.Is(rerr, protocol.ErrChecksum):
		tf.Drop()
		return rerr
	case rerr != nil:
		tf.Drop()
		it.decide(bodyVerdict(rerr))
	case werr != nil:
		tf.Drop()
		it.decide(inbox.Code(werr), inbox.Describe(werr))
	default:
		it.tmp, it.sum = tf, pr.Sum()
		ss.handOver(it)
	}
	ss.commit.add(it)
	return nil
}

// cannotCreate is the verdict message for a temp file that could not be
// created.
func cannotCreate(err error) string { return "cannot create temp file: " + inbox.Describe(err) }

// compareExisting hashes the incoming body without storing it and compares
// it with the file already in place.
func (ss *session) compareExisting(pr *protocol.Reader, it *item) error {
	_, err := io.Copy(io.Discard, onlyReader{pr})
	switch {
	case errors.Is(err, protocol.ErrChecksum):
		it.decide(bodyVerdict(err))
	case err != nil:
		return err
	default:
		r := ss.t.Identical(it.hdr.Name, pr.Sum())
		it.decide(r.Code, r.Msg)
	}
	ss.commit.add(it)
	return nil
}

// copyBody copies the file body from pr to f. werr is a failure to write
// (the rest of the body is then read and dropped to keep the stream in
// step); rerr comes from the stream, ErrChecksum included.
func copyBody(f io.Writer, pr *protocol.Reader) (werr, rerr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		n, err := pr.Read(buf)
		if n > 0 && werr == nil {
			_, werr = f.Write(buf[:n])
		}
		if err == io.EOF {
			return werr, nil
		}
		if err != nil {
			return werr, err
		}
	}
}

// discard reads and drops the rest of a refused file's body.
func discard(pr *protocol.Reader) error {
	_, err := io.Copy(io.Discard, onlyReader{pr})
	if errors.Is(err, protocol.ErrChecksum) {
		return nil
	}
	return err
}

// onlyReader hides everything but Read, so io.Copy uses our Read loop.
type onlyReader struct{ r io.Reader }

func (o onlyReader) Read(p []byte) (int, error) { return o.r.Read(p) }
