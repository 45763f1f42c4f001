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

// dirCache keeps os.Root handles on the inbox directories a connection is
// writing into, so that per-file operations take a single name component
// instead of walking the path from the inbox each time. A cache belongs to
// one goroutine.
type dirCache struct {
	root *os.Root
	m    map[string]*os.Root
}

func newDirCache(root *os.Root) *dirCache {
	return &dirCache{root: root, m: make(map[string]*os.Root)}
}

// open returns a handle on dir (slash-separated, "." for the inbox),
// which must exist. It fails with fs.ErrNotExist if it does not.
func (c *dirCache) open(dir string) (*os.Root, error) {
	if dir == "." {
		return c.root, nil
	}
	if r, ok := c.m[dir]; ok {
		return r, nil
	}
	r, err := c.root.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	if len(c.m) >= dirCacheSize {
		c.close()
	}
	c.m[dir] = r
	return r, nil
}

// close releases every handle.
func (c *dirCache) close() {
	for k, r := range c.m {
		r.Close()
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
