package inbox

import (
	"errors"
	"io/fs"
	"path"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Temp is a file entry's body being written: under a temp name in the
// file's directory, or, in a staging directory, under its own name (see
// stage.go). Nothing appears under a final name before Commit.
type Temp struct {
	name    string // the entry's name
	dir     string // its directory (logical)
	file    string // what was created in dir
	staged  bool
	created []string // directories made for it, to take back if it fails
	t       *Transfer
	f       tempFile // nil once closed
	mtime   time.Time
	space   *reservation
	listed  bool // in the journal
}

// Create creates the temp file for the file entry name of size bytes,
// whose directory must exist, for a file that will get perm and mtime.
// The size is reserved in the free space until Commit or Drop; an error
// matching syscall.ENOSPC says it does not fit.
func (t *Transfer) Create(d *Dirs, name string, size int64, perm fs.FileMode, mtime time.Time) (*Temp, error) {
	tf := &Temp{name: name, dir: path.Dir(name), t: t, mtime: mtime}
	sub, err := d.open(tf.dir)
	if err != nil {
		return nil, err
	}
	if tf.space, err = t.in.space.reserve(uint64(size)); err != nil {
		return nil, &fs.PathError{Op: "create", Path: name, Err: err}
	}
	if err := tf.create(sub, perm); err != nil {
		tf.space.release()
		return nil, err
	}
	return tf, nil
}

// create creates the file in sub, its directory.
func (tf *Temp) create(sub *dir, perm fs.FileMode) error {
	t, name := tf.t, tf.name
	var err error
	perm &= fs.ModePerm &^ t.in.umask
	if sub.staged {
		// Nobody else sees this directory: the file goes straight to its
		// name (unless a second entry of the same name comes, which then
		// takes the usual way).
		base := path.Base(name)
		if tf.f, err = sub.create(base, perm); err == nil {
			tf.file, tf.staged = base, true
			return nil
		}
	}
	tf.file = tempName()
	physDir, _ := t.stage.phys(tf.dir)
	if err := t.in.jnl.add(path.Join(physDir, tf.file)); err != nil {
		return err
	}
	tf.listed = true
	if tf.f, err = sub.create(tf.file, perm); err != nil {
		tf.unlist()
	}
	return err
}

// unlist tells the journal the temp name is no longer live.
func (tf *Temp) unlist() {
	if tf.listed {
		tf.listed = false
		tf.t.in.jnl.done()
	}
}

// CreateWithParents is Create that first makes the missing parents of
// name, remembered as made by this transfer. Only the reading goroutine
// may call it.
func (t *Transfer) CreateWithParents(d *Dirs, name string, size int64, perm fs.FileMode, mtime time.Time) (*Temp, error) {
	tf, err := t.Create(d, name, size, perm, mtime)
	if !errors.Is(err, fs.ErrNotExist) {
		return tf, err
	}
	phys, inside := t.stage.phys(path.Dir(name))
	created, err := t.in.mkdirs(phys, false)
	if err == nil {
		if !inside {
			t.markFresh(created...)
		}
		tf, err = t.Create(d, name, size, perm, mtime)
	}
	if err != nil {
		rmdirs(t.in.root, created)
		return nil, err
	}
	tf.created = created
	return tf, nil
}

// Write writes body bytes.
func (tf *Temp) Write(p []byte) (int, error) {
	n, err := tf.f.Write(p)
	tf.space.wrote(n)
	return n, err
}

// Close finishes the written file, unless writing it failed with werr:
// gives it its mode and mtime and, where the platform needs it, syncs it;
// then closes it. It returns the first error.
func (tf *Temp) Close(werr error) error {
	if werr == nil {
		werr = tf.f.finish(tf.mtime, tf.t.in.fileSync())
	}
	if cerr := tf.f.Close(); werr == nil && cerr != nil {
		werr = cerr
	}
	tf.f = nil
	return werr
}

// Staged reports whether the file was written in a staging directory,
// where it is already under its name: its Result waits for Publish.
func (tf *Temp) Staged() bool { return tf.staged }

// Drop removes the file (closing it if needed) and the directories made
// for it.
func (tf *Temp) Drop() {
	if tf.f != nil {
		tf.f.Close()
		tf.f = nil
	}
	tf.space.release()
	root := tf.t.in.root
	dir, _ := tf.t.stage.phys(tf.dir)
	root.Remove(path.Join(dir, tf.file))
	tf.unlist()
	rmdirs(root, tf.created)
}

// Commit moves the verified file (whose content has the BLAKE3 sum) to its
// name in the same directory, by the rule every entry follows: a name taken
// meanwhile by an identical file gives unchanged. Anything but success
// drops the temp file.
func (t *Transfer) Commit(d *Dirs, tf *Temp, sum [protocol.HashSize]byte) Result {
	tf.space.release()
	if tf.staged { // already under its name in a staging directory
		return ok()
	}
	// The handle the file was created through may be closed by now, and
	// belong to another goroutine: take this one's own.
	sub, err := d.open(tf.dir)
	if err != nil {
		tf.Drop()
		return failed(err)
	}
	base := path.Base(tf.name)
	phys, _ := t.stage.phys(tf.name)
	r := t.place(placement{
		noReplace: func() error { return sub.commitNoReplace(tf.file, base) },
		replace:   func() error { return sub.Rename(tf.file, base) },
		same:      func() bool { return t.in.identical(phys, sum) },
		sameCode:  protocol.CodeUnchanged,
		taken:     "file exists with different content",
	})
	if r.Code != protocol.CodeOK {
		tf.Drop()
	}
	tf.unlist()
	return r
}
