package receive

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// Temp files live at the top of the inbox, named tempPrefix + random hex +
// tempSuffix, and are moved into place when committed.
const (
	tempPrefix = ".ft-"
	tempSuffix = ".part"
)

const checksumMsg = "content does not match its BLAKE3 hash"

var bufPool = sync.Pool{New: func() any { b := make([]byte, readBufSize); return &b }}

// tempName returns a new random temp file name.
func tempName() string {
	var rnd [8]byte
	rand.Read(rnd[:])
	return tempPrefix + hex.EncodeToString(rnd[:]) + tempSuffix
}

// createTemp creates a new empty temp file at the top of the inbox and
// returns it with its name there.
func createTemp(root *os.Root) (*os.File, string, error) {
	name := tempName()
	f, err := root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	return f, name, err
}

// tempFile is a temp file being written.
type tempFile interface {
	io.Writer
	Close() error
	// finish applies the permissions the file was created for and mtime
	// (unless zero) and, with sync, makes the file durable.
	finish(mtime time.Time, sync bool) error
}

// receiveFile handles one file entry: it decides whether the file can be
// taken, writes its body to a temp file in the file's directory (or, in a
// staging directory, under its own name: see stage.go; or only hashes it
// when an existing file may be identical) and hands the outcome to the
// committer. A returned error means the stream is broken; a refusal
// only becomes a verdict.
func (ss *session) receiveFile(pr *protocol.Reader, it *item) error {
	h := it.hdr
	code, msg, compare := ss.admit(h, it.dir)
	if code != protocol.CodeOK {
		it.decide(code, msg)
		ss.commit.add(it)
		return discard(pr)
	}
	if compare {
		return ss.compareExisting(pr, it)
	}
	if h.Size <= smallFile {
		if _, err := ss.dirs.open(it.dir); err == nil { // else made below
			return ss.receiveSmall(pr, it)
		}
	}
	f, err := ss.createTemp(it)
	if err != nil {
		it.decide(localCode(err), cannotCreate(err))
		ss.commit.add(it)
		return discard(pr)
	}
	werr, rerr := copyBody(f, pr)
	if rerr != nil {
		f.Close() // dropped below
	} else {
		werr = ss.closeTemp(f, it, werr)
	}
	switch {
	case rerr != nil && !errors.Is(rerr, protocol.ErrChecksum):
		ss.dropTemp(it)
		return rerr
	case rerr != nil:
		ss.dropTemp(it)
		it.decide(protocol.CodeChecksum, checksumMsg)
	case werr != nil:
		ss.dropTemp(it)
		it.decide(localCode(werr), cleanErr(werr))
	default:
		it.sum = pr.Sum()
	}
	ss.commit.add(it)
	return nil
}

// createTemp makes the file's directory if needed and creates the temp
// file in it.
func (ss *session) createTemp(it *item) (tempFile, error) {
	sub, err := ss.dirs.open(it.dir)
	if errors.Is(err, fs.ErrNotExist) { // parents not announced: made here
		phys, inside := ss.stage.phys(it.dir)
		if it.created, err = mkdirs(ss.s.root, phys); err == nil {
			if !inside {
				ss.markFresh(it.created...)
			}
			sub, err = ss.dirs.open(it.dir)
		}
	}
	if err == nil {
		var f tempFile
		if f, err = createIn(sub, it); err == nil {
			return f, nil
		}
	}
	rmdirs(ss.s.root, it.created)
	return nil, err
}

// createIn creates the file of it in sub, its directory: under a temp
// name, or in a staging directory under its own.
func createIn(sub *dir, it *item) (tempFile, error) {
	perm := fs.FileMode(it.hdr.Mode) & fs.ModePerm
	if sub.staged {
		// Nobody else sees this directory: the file goes straight to its
		// name (unless a second entry of the same name comes, which then
		// takes the usual way).
		base := path.Base(it.hdr.Name)
		if f, err := sub.create(base, perm); err == nil {
			it.sub, it.tmp, it.staged = sub, base, true
			return f, nil
		}
	}
	tmp := tempName()
	f, err := sub.create(tmp, perm)
	if err != nil {
		return nil, err
	}
	it.sub, it.tmp = sub, tmp
	return f, nil
}

// closeTemp gives a written temp file its mode and time (and syncs it
// where that is needed) unless writing it failed with werr, and closes it;
// it returns the first error.
func (ss *session) closeTemp(f tempFile, it *item, werr error) error {
	if werr == nil {
		werr = f.finish(it.hdr.ModTime, needFileSync && !ss.s.opts.NoSync)
	}
	if cerr := f.Close(); werr == nil && cerr != nil {
		werr = cerr
	}
	return werr
}

// cannotCreate is the verdict message for a temp file that could not be
// created.
func cannotCreate(err error) string { return "cannot create temp file: " + cleanErr(err) }

// dropTemp removes the temp file of a failed item and the directories made
// for it.
func (ss *session) dropTemp(it *item) {
	it.sub.Remove(it.tmp)
	it.tmp = ""
	rmdirs(ss.s.root, it.created)
}

// admit checks an incoming file against the name rules of this system, the
// size limits and what already exists. compare means an existing regular
// file of the same size may be identical.
func (ss *session) admit(h *protocol.Header, dir string) (code protocol.Code, msg string, compare bool) {
	if !filepath.IsLocal(filepath.FromSlash(h.Name)) {
		return protocol.CodeBadName, fmt.Sprintf("name %q is not a local path on the receiver", h.Name), false
	}
	if hasTempName(h.Name) {
		return protocol.CodeBadName, reservedMsg(h.Name), false
	}
	if limit := ss.s.opts.MaxSize; limit > 0 && h.Size > limit {
		return protocol.CodeTooLarge, fmt.Sprintf("%d bytes is over the limit of %d", h.Size, limit), false
	}
	if free, ok := ss.space.free(h.Size); ok && uint64(h.Size) > free {
		return protocol.CodeNoSpace, fmt.Sprintf("%d bytes needed, %d free", h.Size, free), false
	}
	if ss.fresh[dir] {
		return protocol.CodeOK, "", false // nothing there yet but what the commit will find
	}
	sub, err := ss.dirs.open(dir)
	var fi fs.FileInfo
	if err == nil {
		fi, err = sub.Lstat(path.Base(h.Name))
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return protocol.CodeOK, "", false
	case err != nil:
		return protocol.CodeRefused, cleanErr(err), false
	case fi.IsDir():
		return protocol.CodeExists, "a directory exists with that name", false
	case ss.s.opts.Overwrite:
		return protocol.CodeOK, "", false
	case fi.Mode().IsRegular() && fi.Size() == h.Size:
		return protocol.CodeOK, "", true
	}
	return protocol.CodeExists, "file exists with different content", false
}

// compareExisting hashes the incoming body without storing it and compares
// it with the file already in place.
func (ss *session) compareExisting(pr *protocol.Reader, it *item) error {
	_, err := io.Copy(io.Discard, onlyReader{pr})
	switch {
	case errors.Is(err, protocol.ErrChecksum):
		it.decide(protocol.CodeChecksum, checksumMsg)
	case err != nil:
		return err
	default:
		it.decide(ss.sameAsExisting(it.hdr.Name, pr.Sum()))
	}
	ss.commit.add(it)
	return nil
}

// sameAsExisting returns the verdict for an incoming file with hash sum
// whose name is taken: unchanged if the content is identical.
func (ss *session) sameAsExisting(name string, sum [protocol.HashSize]byte) (protocol.Code, string) {
	f, err := ss.s.root.Open(name)
	if err != nil {
		return protocol.CodeExists, "file exists"
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return protocol.CodeExists, "file exists"
	}
	h := blake3.New()
	if _, err := io.Copy(h, f); err != nil {
		return protocol.CodeExists, "file exists"
	}
	var got [protocol.HashSize]byte
	if h.Sum(got[:0]); got != sum {
		return protocol.CodeExists, "file exists with different content"
	}
	return protocol.CodeUnchanged, ""
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

// localCode maps a local write error to a verdict code.
func localCode(err error) protocol.Code {
	if isNoSpace(err) {
		return protocol.CodeNoSpace
	}
	return protocol.CodeIO
}

// cleanErr describes err without the inbox path, for the sender.
func cleanErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Op + ": " + pe.Err.Error())
	}
	return err.Error()
}
