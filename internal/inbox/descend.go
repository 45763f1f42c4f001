package inbox

import (
	"errors"
	"io/fs"
	"os"
	"path"
	"strings"
)

// Making the parents of a name, and taking them back, descends one
// component at a time on directory handles: each step is a call or two
// on a single name, so a path of depth n costs O(n) system calls. Walking
// each parent from the inbox again (root.Mkdir("a/b/c") after "a/b")
// would cost O(n^2): about 130,000 calls for one name 256 levels deep.

// mkdir makes the directory comp in dir, whose name in the inbox is
// name, if the free space has room for it.
func (in *Inbox) mkdir(dir *os.Root, comp, name string, perm fs.FileMode) error {
	if err := in.space.check(dirCost); err != nil {
		return &fs.PathError{Op: "mkdir", Path: name, Err: err}
	}
	if err := dir.Mkdir(comp, perm); err != nil {
		return err
	}
	in.space.made()
	return nil
}

// mkdirs creates the directory name and any missing parents, and returns
// the directories it created, deepest last, so that a failure can take
// them back. With plain set, a symlink on the way (name included) fails
// it with errSymlinkParent; without, it is followed inside the inbox.
func (in *Inbox) mkdirs(name string, plain bool) ([]string, error) {
	var created []string
	dir := in.root
	defer func() { closeSub(in.root, dir) }()
	for i := 0; name != "." && i < len(name); {
		j := strings.IndexByte(name[i:], '/')
		if j < 0 {
			j = len(name)
		} else {
			j += i
		}
		comp, sofar := name[i:j], name[:j]
		fi, err := dir.Lstat(comp)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fi = nil
			if err = in.mkdir(dir, comp, sofar, 0o755); err == nil {
				created = append(created, sofar)
			} else if !errors.Is(err, fs.ErrExist) { // made meanwhile by another sender: not ours
				return created, err
			}
		case err != nil:
			return created, err
		case fi.Mode()&fs.ModeSymlink != 0 && plain:
			return created, &fs.PathError{Op: "symlink", Path: sofar, Err: errSymlinkParent}
		}
		if j == len(name) {
			break
		}
		sub, err := in.openSub(dir, comp, sofar, fi)
		if err != nil {
			return created, err
		}
		closeSub(in.root, dir)
		dir, i = sub, j+1
	}
	return created, nil
}

// openSub opens the directory comp of dir, whose name in the inbox is
// name; a symlink (fi) is followed from the inbox, where it may point.
func (in *Inbox) openSub(dir *os.Root, comp, name string, fi fs.FileInfo) (*os.Root, error) {
	if fi != nil && fi.Mode()&fs.ModeSymlink != 0 {
		return in.root.OpenRoot(name)
	}
	return dir.OpenRoot(comp)
}

// closeSub closes dir unless it is the inbox itself.
func closeSub(inbox, dir *os.Root) {
	if dir != inbox {
		dir.Close()
	}
}

// rmdirs removes the directories mkdirs created, deepest first, as far as
// they are empty, holding a handle on each on the way down.
func rmdirs(root *os.Root, created []string) {
	if len(created) == 0 {
		return
	}
	parent := root
	if d := path.Dir(created[0]); d != "." {
		var err error
		if parent, err = root.OpenRoot(d); err != nil {
			return
		}
		defer parent.Close()
	}
	rmChain(parent, created)
}

// rmChain removes created[0] from dir, which holds it, after what
// created[1:] lists below it; it reports whether created[0] is gone.
func rmChain(dir *os.Root, created []string) bool {
	base := path.Base(created[0])
	if len(created) > 1 {
		// The next one is below created[0], perhaps with a directory made
		// meanwhile by someone else in between.
		below := strings.TrimPrefix(path.Dir(created[1]), created[0])
		sub, err := dir.OpenRoot(base + below)
		if err != nil {
			return false
		}
		gone := rmChain(sub, created[1:])
		sub.Close()
		if !gone {
			return false
		}
	}
	return dir.Remove(base) == nil
}
