package send

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// errSwapped marks a path below a top directory that no longer is what
// the walk saw: a directory on the way, or the file itself, is now a
// symlink (or not a directory), and it is not followed.
var errSwapped = errors.New("replaced since the walk (by a symlink?): not followed")

// osSource is a file being sent, through the portable calls.
type osSource struct{ *os.File }

func (f osSource) state() (size, mtime int64, regular bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false, err
	}
	return fi.Size(), fi.ModTime().UnixNano(), fi.Mode().IsRegular(), nil
}

// dirHandle opens and stats the files to send, by a top directory (a
// command-line argument, followed if it is a symlink) and a slash-separated
// path inside it, which must stay inside it. The fast path
// (dirfd_linux.go) keeps the directories on the way to the last name open
// and follows no symlink below the top; the portable one (portableDir),
// compiled everywhere, goes through an os.Root of the top.
type dirHandle interface {
	// open opens the file rel inside top, or top itself if rel is "".
	open(top, rel string) (source, error)
	// lstat is os.Lstat of rel inside top (os.Stat of top if rel is "").
	lstat(top, rel string) (fs.FileInfo, error)
	close()
}

// portableDir is the portable dirHandle: an os.Root of the last top
// directory, which nothing below it can lead out of. A directory on the
// way that is a symlink staying inside is followed, unlike in the fast
// path, but never one that leads out; the file itself never is.
type portableDir struct {
	top  string
	root *os.Root
}

func (d *portableDir) close() {
	if d.root != nil {
		d.root.Close()
		d.root, d.top = nil, ""
	}
}

// at returns the os.Root of top.
func (d *portableDir) at(top string) (*os.Root, error) {
	if d.root != nil && d.top == top {
		return d.root, nil
	}
	d.close()
	r, err := os.OpenRoot(top)
	if err != nil {
		return nil, err
	}
	d.top, d.root = top, r
	return r, nil
}

// open opens a file to send.
func (d *portableDir) open(top, rel string) (source, error) {
	if rel == "" {
		f, err := os.Open(top)
		if err != nil {
			return nil, err
		}
		return osSource{f}, nil
	}
	r, err := d.at(top)
	if err != nil {
		return nil, err
	}
	f, err := r.Open(filepath.FromSlash(rel))
	if err != nil {
		return nil, explain(r, top, rel, err)
	}
	// Like O_NOFOLLOW: the file itself is not a symlink, even one inside.
	if fi, err := r.Lstat(filepath.FromSlash(rel)); err != nil || fi.Mode()&fs.ModeSymlink != 0 {
		f.Close()
		return nil, &os.PathError{Op: "open", Path: filepath.Join(top, filepath.FromSlash(rel)), Err: errSwapped}
	}
	return osSource{f}, nil
}

// lstat is os.Lstat inside top.
func (d *portableDir) lstat(top, rel string) (fs.FileInfo, error) {
	if rel == "" {
		return os.Stat(top)
	}
	r, err := d.at(top)
	if err != nil {
		return nil, err
	}
	fi, err := r.Lstat(filepath.FromSlash(rel))
	if err != nil {
		return nil, explain(r, top, rel, err)
	}
	return fi, nil
}

// explain returns errSwapped for rel if a component of it is a symlink
// or a directory on the way is not a directory (which is why os.Root
// refused it), err otherwise.
func explain(r *os.Root, top, rel string, err error) error {
	for i := 0; ; {
		j := strings.IndexByte(rel[i:], '/')
		prefix := rel
		if j >= 0 {
			prefix = rel[:i+j]
		}
		fi, lerr := r.Lstat(filepath.FromSlash(prefix))
		switch {
		case lerr != nil:
			return err
		case fi.Mode()&fs.ModeSymlink != 0 || (j >= 0 && !fi.IsDir()):
			return &os.PathError{Op: "open", Path: filepath.Join(top, filepath.FromSlash(prefix)), Err: errSwapped}
		case j < 0:
			return err
		}
		i += j + 1
	}
}
