package inbox

import (
	"errors"
	"io/fs"
	"path"
	"sync"
	"sync/atomic"

	"github.com/ft-team/ft/protocol"
)

// A directory that does not exist yet when the sender announces it is made
// under a temp name beside where it belongs: a staging directory.
// Everything inside it is written there under its final name, without a
// temp file and a rename per file. When the connection ends the staging
// directory is renamed into place whole (without replacing anything): a
// new directory thus appears complete, verified and durable, and a small
// file costs half the filesystem work. If the name was taken meanwhile (by
// another sender), the contents are moved in one by one by the rule every
// entry follows (publish.go).

// staging maps the directories a transfer is staging to their temp names.
// The reading goroutine adds to it; every goroutine looks names up.
type staging struct {
	mu     sync.Mutex
	dirs   map[string]string // logical directory -> temp name in the same parent
	order  []string          // logical directories, in the order they were staged
	merges map[string]bool   // staged directories that could not be published whole
	gen    atomic.Uint64     // counts resets: handles opened before one are stale
}

// phys returns where the entry with the logical name lives while the
// transfer lasts, and whether that is inside a staging directory.
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

// merged reports whether name is in a staged directory whose contents had
// to be merged into an existing one.
func (st *staging) merged(name string) bool {
	top := st.top(name)
	st.mu.Lock()
	defer st.mu.Unlock()
	return top != "" && st.merges[top]
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

// reset forgets the staging directories, once they are published.
func (st *staging) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.dirs, st.order, st.merges = nil, nil, nil
	st.gen.Add(1)
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
func (t *Transfer) stageDir(name string) bool {
	root := t.in.root
	if _, err := root.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
		return false
	}
	tmp := path.Join(path.Dir(name), tempName())
	if t.in.jnl.add(tmp) != nil {
		return false
	}
	// 0700 until published: no other user can put anything in it.
	if t.in.mkdir(t.in.root, tmp, tmp, 0o700) != nil {
		t.in.jnl.done()
		return false
	}
	tmp = path.Base(tmp)
	t.stage.add(name, tmp)
	t.Hold(name)
	t.Hold(tmp)
	return true
}

// Staged is an entry placed inside a staging directory, waiting for
// Publish.
type Staged struct {
	Name string
	Kind protocol.Kind
}

// Publish moves every staging directory into place, and returns the
// Result of each entry placed in one (in the order given). Call it at
// the end of the transfer, or before a Checkpoint, after Sync, and Sync
// again before telling the sender. warn is told what could not be
// cleaned up.
func (t *Transfer) Publish(d *Dirs, entries []Staged, warn func(op, name string, err error)) []Result {
	st := &t.stage
	st.mu.Lock()
	order, dirs := st.order, st.dirs
	st.mu.Unlock()
	t.keepOnly(entries, warn)
	merge := make(map[string]error) // staged dirs that could not move whole
	for _, name := range order {
		parent, err := d.open(path.Dir(name))
		if err == nil {
			err = parent.moveDirNoReplace(dirs[name], path.Base(name))
		}
		if err == nil && parent.ident != nil && !d.stillThere(path.Dir(name), parent) {
			err = ErrLeftInbox // published into a directory moved out meanwhile
		}
		if err != nil {
			merge[name] = err
		}
	}
	st.mu.Lock()
	st.merges = make(map[string]bool, len(merge))
	for name := range merge {
		st.merges[name] = true
	}
	st.mu.Unlock()
	results := make([]Result, len(entries))
	for i, e := range entries {
		if err, ok := merge[st.top(e.Name)]; ok {
			results[i] = t.mergeEntry(e, err)
		}
	}
	for name := range merge {
		if err := t.in.root.RemoveAll(path.Join(path.Dir(name), dirs[name])); err != nil {
			warn("remove staging directory", name, err) // the next start's sweep removes it
		}
	}
	for range order {
		t.in.jnl.done()
	}
	return results
}

// keepOnly removes from the staging directories whatever this transfer
// did not put there (a process of the same user may have), so that
// publishing them publishes only what was received and verified.
func (t *Transfer) keepOnly(entries []Staged, warn func(op, name string, err error)) {
	st := &t.stage
	want := make(map[string]protocol.Kind, len(entries))
	for _, e := range entries {
		want[e.Name] = e.Kind
		top := st.top(e.Name)
		for d := path.Dir(e.Name); top != "" && len(d) > len(top); d = path.Dir(d) {
			want[d] = protocol.KindDir // a parent made for an entry
		}
	}
	root := t.in.root
	for _, top := range st.order {
		phys, _ := st.phys(top)
		fs.WalkDir(root.FS(), phys, func(p string, de fs.DirEntry, err error) error {
			if err != nil || p == phys {
				return nil
			}
			name := top + p[len(phys):]
			kind, ok := want[name]
			if ok && (kind == protocol.KindDir) == de.IsDir() && (kind == protocol.KindSymlink) == (de.Type() == fs.ModeSymlink) {
				return nil
			}
			if err := root.RemoveAll(p); err != nil {
				warn("remove what was planted in a staging directory", name, err)
			} else {
				warn("removed what was planted in a staging directory", name, errPlanted)
			}
			if de.IsDir() {
				return fs.SkipDir
			}
			return nil
		})
	}
}

var errPlanted = errors.New("not written by this transfer")

// mergeEntry moves one entry of a staging directory that could not be
// published whole (why) to its logical name, by the rule every entry
// follows.
func (t *Transfer) mergeEntry(e Staged, why error) Result {
	root := t.in.root
	if !errors.Is(why, fs.ErrExist) {
		return failed(why)
	}
	from, _ := t.stage.phys(e.Name)
	if _, err := t.in.mkdirs(path.Dir(e.Name), false); err != nil {
		return failed(err)
	}
	p := placement{
		noReplace: func() error { return linkNoReplace(root, from, e.Name) },
		replace:   func() error { return root.Rename(from, e.Name) },
		sameCode:  protocol.CodeUnchanged,
		taken:     "exists",
	}
	switch e.Kind {
	case protocol.KindDir:
		p = placement{
			noReplace: func() error { return t.in.mkdir(root, e.Name, e.Name, 0o755) },
			same:      func() bool { return isRealDir(root, e.Name) },
			sameCode:  protocol.CodeOK,
			taken:     "exists and is not a directory",
		}
	case protocol.KindSymlink:
		target, err := root.Readlink(from)
		if err != nil {
			return failed(err)
		}
		p.same = sameLink(root, e.Name, target)
	default:
		sum, err := hashFile(root, from)
		if err != nil {
			return failed(err)
		}
		p.same = func() bool { return t.in.identical(e.Name, sum) }
		p.taken = "file exists with different content"
	}
	return t.place(p)
}
