package inbox

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"time"
)

// The portable implementation: os.Root calls only, compiled on every
// platform, and the only one outside Linux or with the ftportable build
// tag (fast_none.go).

// tempFile is a temp file being written.
type tempFile interface {
	io.Writer
	Close() error
	// finish applies the permissions the file was created for and mtime
	// (unless zero) and, with sync, makes the file durable.
	finish(mtime time.Time, sync bool) error
}

// errUnsupported is a fast path's answer for an operation this filesystem
// lacks: the portable way is taken instead.
var errUnsupported = errors.New("not supported here")

// fastDir is the platform's fast path on one directory: the hot
// per-file operations in fewer system calls, each on a single name
// component in that directory.
type fastDir interface {
	create(name string, perm fs.FileMode) (tempFile, error)
	renameNoReplace(tmp, name string) error // errUnsupported where the filesystem cannot
	syncFS() error                          // makes the whole filesystem durable
	close()
}

// createPortable creates the new file name in r.
func createPortable(r *os.Root, name string, perm fs.FileMode) (tempFile, error) {
	f, err := r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &osTemp{File: f, root: r, name: name, perm: perm}, nil
}

// osTemp is a temp file being written through the portable calls.
type osTemp struct {
	*os.File
	root *os.Root
	name string // in root
	perm fs.FileMode
}

// finish gives the file its permissions and modification time and, with
// sync, makes it durable.
func (f *osTemp) finish(mtime time.Time, sync bool) error {
	if err := f.Chmod(f.perm); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := f.root.Chtimes(f.name, mtime, mtime); err != nil {
			return err
		}
	}
	if sync {
		return f.Sync()
	}
	return nil
}
