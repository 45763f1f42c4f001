package inbox

import (
	"errors"
	"io/fs"
	"os"
)

// dirCacheSize bounds the directory handles one Dirs keeps open.
const dirCacheSize = 32

// dir is an open inbox directory: an os.Root for the portable operations,
// plus the fast-path handle where the platform has one.
type dir struct {
	*os.Root
	fast   fastDir     // nil: the portable calls only
	staged bool        // inside a staging directory (see stage.go)
	ident  fs.FileInfo // what was opened, to tell if it moved (nil for the inbox)
}

// create creates the new file name in d, for a file that will get perm.
func (d *dir) create(name string, perm fs.FileMode) (tempFile, error) {
	if d.fast != nil {
		return d.fast.create(name, perm)
	}
	return createPortable(d.Root, name, perm)
}

// commitNoReplace moves the file tmp to name unless name exists (then the
// error matches fs.ErrExist).
func (d *dir) commitNoReplace(tmp, name string) error {
	if d.fast != nil {
		if err := d.fast.renameNoReplace(tmp, name); !errors.Is(err, errUnsupported) {
			return err
		}
	}
	return linkNoReplace(d.Root, tmp, name)
}

// moveDirNoReplace renames the directory tmp to name unless name exists
// (then the error matches fs.ErrExist; atomic only on the fast path).
func (d *dir) moveDirNoReplace(tmp, name string) error {
	if d.fast != nil {
		if err := d.fast.renameNoReplace(tmp, name); !errors.Is(err, errUnsupported) {
			return err
		}
	}
	return checkAndRename(d.Root, tmp, name)
}

// Dirs keeps handles on the inbox directories one goroutine of a Transfer
// is writing into, so that per-file operations take a single name
// component instead of walking the path from the inbox each time.
type Dirs struct {
	in    *Inbox
	stage *staging
	m     map[string]*dir
	gen   uint64 // the staging generation the handles belong to
}

// open returns a handle on the directory name (slash-separated, "." for
// the inbox), which must exist: else the error matches fs.ErrNotExist. A
// directory inside a staging directory is opened there.
func (c *Dirs) open(name string) (*dir, error) {
	if gen := c.stage.gen.Load(); gen != c.gen {
		c.Close() // the staging directories were published: handles may be stale
		c.gen = gen
	}
	if d, ok := c.m[name]; ok {
		return d, nil
	}
	root, staged := c.in.root, false
	if name != "." {
		var err error
		var phys string
		phys, staged = c.stage.phys(name)
		if root, err = c.in.root.OpenRoot(phys); err != nil {
			return nil, err
		}
	}
	d := &dir{Root: root, staged: staged}
	if root != c.in.root {
		var err error
		if d.ident, err = root.Stat("."); err != nil {
			root.Close()
			return nil, err
		}
	}
	if c.in.fast != nil {
		var err error
		if d.fast, err = openFast(root); err != nil {
			if root != c.in.root {
				root.Close()
			}
			return nil, err
		}
	}
	if len(c.m) >= dirCacheSize {
		c.Close()
	}
	c.m[name] = d
	return d, nil
}

// Moved returns the directories open here that are no longer where their
// name says (moved out of the inbox, or replaced), and forgets them: what
// went into them since the last call did not land in the inbox.
func (c *Dirs) Moved() map[string]bool {
	var moved map[string]bool
	for name, d := range c.m {
		if d.ident == nil || c.stillThere(name, d) {
			continue
		}
		if moved == nil {
			moved = make(map[string]bool)
		}
		moved[name] = true
		c.forget(name, d)
	}
	return moved
}

// stillThere reports whether the handle d is still the directory name.
func (c *Dirs) stillThere(name string, d *dir) bool {
	phys, _ := c.stage.phys(name)
	fi, err := c.in.root.Lstat(phys)
	return err == nil && os.SameFile(fi, d.ident)
}

// forget closes the handle d on name.
func (c *Dirs) forget(name string, d *dir) {
	if d.fast != nil {
		d.fast.close()
	}
	if d.Root != c.in.root {
		d.Root.Close()
	}
	delete(c.m, name)
}

// Close releases every handle.
func (c *Dirs) Close() {
	for k, d := range c.m {
		c.forget(k, d)
	}
}

// linkNoReplace moves tmp to name unless name exists (then the error
// matches fs.ErrExist), with a hard link that fails atomically if the name
// is taken, or, on filesystems without hard links, a check and a rename
// that is not atomic against a concurrent writer.
func linkNoReplace(r *os.Root, tmp, name string) error {
	err := r.Link(tmp, name)
	if err != nil && !errors.Is(err, fs.ErrExist) && linkUnsupported(err) {
		return checkAndRename(r, tmp, name)
	}
	if err == nil {
		r.Remove(tmp)
	}
	return err
}

// checkAndRename renames tmp to name unless name exists, which it checks
// first: not atomic against a concurrent writer, for where nothing else is.
func checkAndRename(r *os.Root, tmp, name string) error {
	if _, err := r.Lstat(name); err == nil {
		return &fs.PathError{Op: "rename", Path: name, Err: fs.ErrExist}
	}
	return r.Rename(tmp, name)
}

// isRealDir reports whether name is a directory, not a symlink to one.
func isRealDir(root *os.Root, name string) bool {
	fi, err := root.Lstat(name)
	return err == nil && fi.IsDir()
}
