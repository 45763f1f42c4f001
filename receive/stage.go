package receive

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// A directory that does not exist yet when the sender announces it is made
// under a temp name beside where it belongs: a staging directory.
// Everything inside it is written there under its final name, without a
// temp file and a rename per file. When the connection ends the staging
// directory is renamed into place whole (without replacing anything), and
// only then are the verdicts on its contents sent. A new directory thus
// appears complete, verified and durable, and a small file costs the
// receiver half the file-system work. If the name was taken meanwhile (by
// another sender), the contents are moved in one by one under the same
// no-replace and compare rules as single files.

// staging maps the directories a session is staging to their temp names.
// The reading goroutine adds to it; both goroutines look names up.
type staging struct {
	mu    sync.Mutex
	dirs  map[string]string // logical directory -> temp name in the same parent
	order []string          // logical directories, in the order they were staged
}

// phys returns where the entry with the logical name lives while the
// connection lasts, and whether that is inside a staging directory.
func (st *staging) phys(name string) (string, bool) {
	top, tmp := st.find(name)
	if top == "" {
		return name, false
	}
	return path.Join(path.Dir(top), tmp, name[len(top):]), true
}

// top returns the staged directory that holds name ("" if none).
func (st *staging) top(name string) string {
	top, _ := st.find(name)
	return top
}

// find returns the staged directory that holds name and its temp name
// ("" if none).
func (st *staging) find(name string) (top, tmp string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.dirs) == 0 {
		return "", ""
	}
	for d := name; d != "." && d != "/"; d = path.Dir(d) {
		if tmp, ok := st.dirs[d]; ok {
			return d, tmp
		}
	}
	return "", ""
}

func (st *staging) add(name, tmp string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.dirs == nil {
		st.dirs = make(map[string]string)
	}
	st.dirs[name] = tmp
	st.order = append(st.order, name)
}

// stageDir makes the new directory name as a staging directory, if name
// does not exist and its parent does; false means it was not staged.
func (ss *session) stageDir(name string) bool {
	root := ss.s.root
	if _, err := root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	tmp := tempName()
	if root.Mkdir(path.Join(path.Dir(name), tmp), 0o755) != nil {
		return false
	}
	ss.stage.add(name, tmp)
	return true
}

// staged is an entry inside a staging directory, verified and written,
// waiting for its directory to be published. It is kept small (what else
// a rare merge needs is read back from the staged copy): a tree may hold
// hundreds of thousands.
type staged struct {
	index uint64
	size  int64
	name  string
	kind  protocol.Kind
}

func stagedOf(it *item) staged {
	return staged{index: it.index, size: it.hdr.Size, name: it.hdr.Name, kind: it.hdr.Kind}
}

// publish moves every staging directory into place and sends the verdicts
// held back for their contents. It runs in the committer at the end of the
// connection, whatever the end: what was verified is kept.
func (c *committer) publish() {
	st := &c.ss.stage
	st.mu.Lock()
	order, dirs := st.order, st.dirs
	st.mu.Unlock()
	if len(order) == 0 {
		return
	}
	if !c.ss.s.opts.NoSync {
		c.syncDisk()
	}
	merge := make(map[string]error) // staged dirs that could not move whole
	for _, name := range order {
		if err := c.moveDir(name, dirs[name]); err != nil {
			merge[name] = err
		}
	}
	verdicts := make([]protocol.Verdict, 0, len(c.staged))
	for i := range c.staged {
		e := &c.staged[i]
		v := protocol.Verdict{Index: e.index, Code: protocol.CodeOK}
		if err, ok := merge[st.top(e.name)]; ok {
			v.Code, v.Message = c.mergeEntry(e, err)
		}
		verdicts = append(verdicts, v)
	}
	root := c.ss.s.root
	for name := range merge {
		if err := root.RemoveAll(path.Join(path.Dir(name), dirs[name])); err != nil {
			c.ss.log.Warn("remove staging directory", "name", name, "err", cleanErr(err))
		}
	}
	if !c.ss.s.opts.NoSync {
		c.syncDisk()
	}
	for i, e := range c.staged {
		c.count(e.kind, e.name, e.size, verdicts[i])
	}
	c.ss.replies.verdicts(verdicts)
	c.staged = nil
}

// moveDir renames the staging directory tmp to its logical name, unless
// that name is taken.
func (c *committer) moveDir(name, tmp string) error {
	parent, err := c.dirs.open(path.Dir(name))
	if err != nil {
		return err
	}
	return parent.moveDirNoReplace(tmp, path.Base(name))
}

// mergeEntry moves one entry of a staging directory that could not be
// moved whole (why) to its logical name, and returns its verdict.
func (c *committer) mergeEntry(e *staged, why error) (protocol.Code, string) {
	root := c.ss.s.root
	if !errors.Is(why, fs.ErrExist) {
		return protocol.CodeIO, cleanErr(why)
	}
	from, _ := c.ss.stage.phys(e.name)
	if e.kind == protocol.KindDir {
		err := root.Mkdir(e.name, 0o755)
		if fi, lerr := root.Lstat(e.name); errors.Is(err, fs.ErrExist) && lerr == nil && fi.IsDir() {
			err = nil
		}
		if err != nil {
			return protocol.CodeExists, cleanErr(err)
		}
		return protocol.CodeOK, ""
	}
	if c.ss.s.opts.Overwrite {
		if err := root.Rename(from, e.name); err != nil {
			return protocol.CodeIO, cleanErr(err)
		}
		return protocol.CodeOK, ""
	}
	err := (&dir{Root: root}).linkNoReplace(from, e.name)
	switch {
	case err == nil:
		return protocol.CodeOK, ""
	case !errors.Is(err, fs.ErrExist):
		return protocol.CodeIO, cleanErr(err)
	case e.kind == protocol.KindSymlink:
		mine, merr := root.Readlink(from)
		if old, rerr := root.Readlink(e.name); merr == nil && rerr == nil && old == mine {
			return protocol.CodeUnchanged, ""
		}
		return protocol.CodeExists, "exists"
	}
	sum, err := hashFile(root, from)
	if err != nil {
		return protocol.CodeIO, cleanErr(err)
	}
	return c.ss.sameAsExisting(e.name, sum)
}

// hashFile returns the BLAKE3 of the file name.
func hashFile(root *os.Root, name string) (sum [protocol.HashSize]byte, err error) {
	f, err := root.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := blake3.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}
