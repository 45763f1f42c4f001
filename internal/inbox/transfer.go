package inbox

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync/atomic"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Transfer is what one connection does to the inbox. Admit, Mkdir and
// CreateWithParents belong to the goroutine that reads the stream; the
// others may be called from any goroutine, each with its own Dirs.
type Transfer struct {
	in    *Inbox
	stage staging
	fresh map[string]bool // directories this transfer created (see markFresh)
	attrs []dirAttr       // directories whose mode and time are set at the end
	held  atomic.Int64    // bytes of bookkeeping held (see held.go)
}

// dirAttr is a directory entry's mode and time, applied by FinishDirs.
type dirAttr struct {
	name  string
	mode  fs.FileMode
	mtime time.Time
}

// Begin starts a transfer.
func (in *Inbox) Begin() *Transfer {
	return &Transfer{in: in, fresh: make(map[string]bool)}
}

// Dirs returns a new set of directory handles for one goroutine.
func (t *Transfer) Dirs() *Dirs {
	return &Dirs{in: t.in, stage: &t.stage, m: make(map[string]*dir)}
}

// Sync makes what was written durable where the filesystem can do that at
// once (see Inbox.Sync).
func (t *Transfer) Sync() error { return t.in.Sync() }

// Admission is the verdict on a file entry at its header.
type Admission struct {
	Result
	Compare bool // an existing regular file of the same size may be identical: see Identical
	Replace bool // what holds the name may be replaced (Overwrite)
	Ready   bool // its directory exists: Create needs no parents made
}

// Admit checks an incoming file against the name rules of this system, the
// size limits and what already holds its name.
func (t *Transfer) Admit(d *Dirs, name string, size int64) Admission {
	if r := checkName(name); r.Code != protocol.CodeOK {
		return Admission{Result: r}
	}
	if limit := t.in.opts.MaxSize; limit > 0 && size > limit {
		return Admission{Result: Result{protocol.CodeTooLarge, fmt.Sprintf("%d bytes is over the limit of %d", size, limit)}}
	}
	if err := t.in.space.check(uint64(size)); err != nil {
		return Admission{Result: failed(err)}
	}
	if t.stage.top(name) == name {
		return Admission{Result: Result{protocol.CodeExists, "a directory exists with that name"}}
	}
	parent := path.Dir(name)
	if t.fresh[parent] {
		return Admission{Ready: true} // nothing there yet but what the commit will find
	}
	sub, err := d.open(parent)
	var fi fs.FileInfo
	if err == nil {
		fi, err = sub.Lstat(path.Base(name))
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Admission{Ready: sub != nil}
	case err != nil:
		return Admission{Result: Result{protocol.CodeRefused, Describe(err)}}
	case fi.IsDir():
		return Admission{Result: Result{protocol.CodeExists, "a directory exists with that name"}}
	case fi.Mode().IsRegular() && fi.Size() == size:
		return Admission{Ready: true, Compare: true, Replace: t.in.opts.Overwrite}
	case t.in.opts.Overwrite:
		return Admission{Ready: true, Replace: true}
	}
	return Admission{Result: Result{protocol.CodeExists, "file exists with different content"}}
}

// Identical is the Result for a verified file with the sum whose name is
// taken: unchanged if what holds it is an identical regular file.
func (t *Transfer) Identical(name string, sum [protocol.HashSize]byte) Result {
	if phys, _ := t.stage.phys(name); t.in.identical(phys, sum) {
		return Result{Code: protocol.CodeUnchanged}
	}
	return Result{protocol.CodeExists, "file exists with different content"}
}

// Mkdir makes the directory entry name right away, so that the entries
// after it find it; its mode and mtime are applied by FinishDirs, and only
// to a directory this transfer made (or, with Overwrite, any). staged says
// that it is in a staging directory: it appears when Publish runs.
func (t *Transfer) Mkdir(name string, mode fs.FileMode, mtime time.Time) (r Result, staged bool) {
	if r := checkName(name); r.Code != protocol.CodeOK {
		return r, false
	}
	phys, inside := t.stage.phys(name)
	if !inside && t.stageDir(name) {
		t.markFresh(name)
		t.addAttr(dirAttr{name, mode, mtime})
		return ok(), true
	}
	root := t.in.root
	r = t.place(placement{
		noReplace: func() error { return t.mkdir(phys, name, inside) },
		same:      func() bool { return isRealDir(root, phys) },
		sameCode:  protocol.CodeOK,
		taken:     "exists and is not a directory",
	})
	if r.Code == protocol.CodeOK && (t.fresh[name] || t.in.opts.Overwrite) {
		t.addAttr(dirAttr{name, mode, mtime})
	}
	return r, inside
}

// addAttr holds a directory's mode and time for FinishDirs.
func (t *Transfer) addAttr(a dirAttr) {
	t.attrs = append(t.attrs, a)
	t.Hold(a.name)
}

// mkdir makes the directory phys (the logical name, or where it is in its
// staging directory) with any missing parents, and remembers it as made by
// this transfer.
func (t *Transfer) mkdir(phys, name string, inside bool) error {
	err := t.in.mkdir(t.in.root, phys, phys, 0o755)
	switch {
	case err == nil:
		t.markFresh(name)
	case errors.Is(err, fs.ErrNotExist): // parents not announced: made too
		var made []string
		if made, err = t.in.mkdirs(phys, false); err == nil && inside {
			made = []string{name}
		}
		t.markFresh(made...)
	}
	return err
}

// markFresh records directories this transfer created. Files going into
// them skip the check for an existing file of the same name: nothing was
// there, and whatever another sender puts there meanwhile is still caught
// by the no-replace commit, which then compares contents.
func (t *Transfer) markFresh(dirs ...string) {
	for _, d := range dirs {
		if !t.fresh[d] {
			t.fresh[d] = true
			t.Hold(d)
		}
	}
}

// Symlink places a symlink entry whose target the protocol reader has
// checked to stay inside the inbox, making missing parents, provided no
// directory on the way to it is itself a symlink (which would move where
// the target points). staged says it was made in a staging directory.
func (t *Transfer) Symlink(name, target string) (r Result, staged bool) {
	if r := checkName(name); r.Code != protocol.CodeOK {
		return r, false
	}
	root := t.in.root
	// In a staging directory the link is made there, at the same depth,
	// so its target means the same once the directory is published.
	phys, staged := t.stage.phys(name)
	made, err := t.in.mkdirs(path.Dir(phys), true)
	if err == nil {
		r = t.place(placement{
			noReplace: func() error { return root.Symlink(target, phys) },
			replace:   func() error { return t.in.replaceSymlink(target, phys) },
			same:      sameLink(root, phys, target),
			sameCode:  protocol.CodeUnchanged,
			taken:     "exists",
		})
	} else if r = failed(err); r.Code == protocol.CodeIO {
		r.Code = protocol.CodeRefused // a parent that cannot be one
	}
	if r.Code != protocol.CodeOK {
		rmdirs(root, made)
	}
	return r, staged
}

// FinishDirs applies modes and times to the directories of the transfer,
// deepest first, so that filling a directory does not change its time, and
// so that the first dir entry of a name is applied last. It never touches
// anything but a real directory, nor one a staging directory could not be
// published over. warn is told what failed.
func (t *Transfer) FinishDirs(warn func(op, name string, err error)) {
	root := t.in.root
	for _, a := range slices.Backward(t.attrs) {
		if t.stage.merged(a.name) && !t.in.opts.Overwrite || !isRealDir(root, a.name) {
			continue
		}
		if err := root.Chmod(a.name, a.mode&fs.ModePerm&^t.in.umask); err != nil {
			warn("chmod", a.name, err)
		}
		if !a.mtime.IsZero() {
			if err := root.Chtimes(a.name, a.mtime, a.mtime); err != nil {
				warn("chtimes", a.name, err)
			}
		}
	}
}
