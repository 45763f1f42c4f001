package receive

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"slices"
)

// dirCacheSize bounds the directory handles one cache keeps open.
const dirCacheSize = 32

// dir is an open inbox directory: an os.Root for the portable operations,
// plus what the platform offers to do the per-file ones in fewer system
// calls (see dir_linux.go).
type dir struct {
	*os.Root
	sys    sysDir
	staged bool // inside a staging directory (see stage.go)
}

// linkNoReplace moves tmp to name unless name exists (then the error
// matches fs.ErrExist), with a hard link that fails atomically if the name
// is taken, or, on filesystems without hard links, a check and a rename
// that is not atomic against a concurrent writer.
func (d *dir) linkNoReplace(tmp, name string) error {
	err := d.Link(tmp, name)
	if err != nil && !errors.Is(err, fs.ErrExist) && linkUnsupported(err) {
		return d.checkAndRename(tmp, name)
	}
	if err == nil {
		d.Remove(tmp)
	}
	return err
}

// checkAndRename renames tmp to name unless name exists, which it checks
// first: not atomic against a concurrent writer, for where nothing else is.
func (d *dir) checkAndRename(tmp, name string) error {
	if _, err := d.Lstat(name); err == nil {
		return &fs.PathError{Op: "rename", Path: name, Err: fs.ErrExist}
	}
	return d.Rename(tmp, name)
}

// dirCache keeps handles on the inbox directories a connection is writing
// into, so that per-file operations take a single name component instead
// of walking the path from the inbox each time. A cache belongs to one
// goroutine.
type dirCache struct {
	root  *os.Root
	stage *staging // where staged directories are for now
	m     map[string]*dir
}

func newDirCache(root *os.Root, stage *staging) *dirCache {
	return &dirCache{root: root, stage: stage, m: make(map[string]*dir)}
}

// open returns a handle on name (slash-separated, "." for the inbox),
// which must exist. It fails with fs.ErrNotExist if it does not. A
// directory inside a staging directory is opened there.
func (c *dirCache) open(name string) (*dir, error) {
	if d, ok := c.m[name]; ok {
		return d, nil
	}
	r, staged := c.root, false
	if name != "." {
		var err error
		var phys string
		phys, staged = c.stage.phys(name)
		if r, err = c.root.OpenRoot(phys); err != nil {
			return nil, err
		}
	}
	sys, err := openSysDir(r)
	if err != nil {
		if r != c.root {
			r.Close()
		}
		return nil, err
	}
	if len(c.m) >= dirCacheSize {
		c.close()
	}
	d := &dir{Root: r, sys: sys, staged: staged}
	c.m[name] = d
	return d, nil
}

// close releases every handle.
func (c *dirCache) close() {
	for k, d := range c.m {
		d.sys.close()
		if d.Root != c.root {
			d.Root.Close()
		}
		delete(c.m, k)
	}
}

// mkdirs creates dir and any missing parents, and returns the directories
// it created, deepest last, so that a failure can take them back.
func mkdirs(root *os.Root, dir string) ([]string, error) {
	var missing []string
	for d := dir; d != "."; d = path.Dir(d) {
		_, err := root.Lstat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		missing = append(missing, d)
	}
	slices.Reverse(missing)
	var created []string
	for _, d := range missing {
		err := root.Mkdir(d, 0o755)
		switch {
		case err == nil:
			created = append(created, d)
		case !errors.Is(err, fs.ErrExist): // made meanwhile by another sender: not ours
			return created, err
		}
	}
	return created, nil
}

// rmdirs removes the directories mkdirs created, deepest first, as far as
// they are empty.
func rmdirs(root *os.Root, created []string) {
	for _, d := range slices.Backward(created) {
		if root.Remove(d) != nil {
			return
		}
	}
}
