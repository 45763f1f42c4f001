package send

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ft-team/ft/internal/ignore"
	"github.com/ft-team/ft/protocol"
)

// entry is one thing to send, kept small: a list of 200,000 files should
// cost a few tens of bytes per file.
type entry struct {
	name  string // on the wire
	link  string // symlink target
	size  int64
	mtime int64 // unix nanoseconds
	mode  uint32
	kind  protocol.Kind
	root  int32 // index in the roots
	err   error // set (and nothing else but name) if the walk could not read it
}

// header returns the entry's protocol header.
func (e *entry) header() protocol.Header {
	return protocol.Header{Kind: e.kind, Name: e.name, Size: e.size, Mode: e.mode,
		ModTime: time.Unix(0, e.mtime), Linkname: e.link}
}

// root is a command-line argument.
type root struct {
	abs  string // absolute local path
	base string // its name on the wire
	dir  bool
}

// where returns where an entry is on disk for a dirHandle: its root,
// and the rest of its name ("" for the root itself).
func where(roots []root, e *entry) (top, rel string) {
	r := &roots[e.root]
	return r.abs, r.inner(e.name)
}

// inner returns the part of name, the name on the wire of an entry of r,
// below r ("" for r itself).
func (r *root) inner(name string) string {
	if len(name) > len(r.base) {
		return name[len(r.base)+1:]
	}
	return ""
}

// prepare checks the command-line paths before anything is sent: each
// must exist and be a regular file or a directory (symlinks named there
// are followed; a pipe such as /dev/stdin is refused, ErrNotFile) and no
// two may land under the same name.
func prepare(paths []string) ([]root, error) {
	roots := make([]root, 0, len(paths))
	seen := make(map[string]string)
	for _, arg := range paths {
		abs, err := filepath.Abs(arg)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSource, err)
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrSource, err)
		}
		if !fi.IsDir() && !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: %w: %q is %s", ErrSource, ErrNotFile, arg, special(fi.Mode()))
		}
		base := filepath.Base(abs)
		if prev, dup := seen[base]; dup {
			return nil, fmt.Errorf("%w: %q and %q would both land as %q", ErrSource, prev, arg, base)
		}
		seen[base] = arg
		roots = append(roots, root{abs: abs, base: base, dir: fi.IsDir()})
	}
	return roots, nil
}

// walker lists the roots' entries while they are being sent, and counts
// them. The list is the only thing that grows with the number of files. A file lands as its base name, a directory as its
// base name with its whole tree. Inside a directory, symlinks are kept
// when their target stays inside that directory and skipped with a warning
// otherwise; so are devices, sockets and pipes.
type walker struct {
	roots   []root
	warn    func(string)
	exclude *ignore.Rules    // entries of directories left out on purpose
	onEntry func(Outcome)    // Options.OnEntry: told by stream and collect, not by the walk
	dirs    func() dirHandle // makes the walk's dirHandle: newDirHandle but in tests
	stop    chan struct{}    // closed when nobody reads the list any more
	done    chan struct{}    // closed when the list and the counts are final
	bytes   atomic.Int64     // file bytes so far
	files   atomic.Int64     // regular files so far
	nexcl   atomic.Int64     // entries excluded so far

	mu      sync.Mutex
	more    *sync.Cond // signalled when the list grows or is final
	list    [][]entry  // blocks of entryBlock entries: growing never copies
	n       int        // entries in the list
	final   bool
	skipped []FileError // the first MaxFailed entries the walk could not send
	nskip   int         // all of them
}

// entryBlock is how many entries a block of the list holds.
const entryBlock = 4096

// at returns the i-th listed entry (i < n).
func (w *walker) at(i int) *entry { return &w.list[i/entryBlock][i%entryBlock] }

func newWalker(roots []root, warn func(string)) *walker {
	w := &walker{roots: roots, warn: warn, dirs: newDirHandle, stop: make(chan struct{}), done: make(chan struct{})}
	w.more = sync.NewCond(&w.mu)
	return w
}

// entry returns the i-th entry, waiting for the walk to list it; false if
// the walk ended before.
func (w *walker) entry(i int) (*entry, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for i >= w.n && !w.final {
		w.more.Wait()
	}
	if i >= w.n {
		return nil, false
	}
	return w.at(i), true
}

// run walks every root, then marks the list final.
func (w *walker) run() {
	defer func() {
		w.mu.Lock()
		w.final = true
		w.mu.Unlock()
		w.more.Broadcast()
		close(w.done)
	}()
	dirs := w.dirs()
	defer dirs.close()
	for i, r := range w.roots {
		if !r.dir {
			fi, err := os.Stat(r.abs)
			w.add(i, r.abs, r.base, fi, err)
			continue
		}
		filepath.WalkDir(r.abs, func(file string, d fs.DirEntry, err error) error {
			if w.stopped() {
				return filepath.SkipAll
			}
			name := r.base
			if rel, _ := filepath.Rel(r.abs, file); rel != "." {
				rel = filepath.ToSlash(rel)
				if w.exclude.Excluded(rel, d.IsDir()) {
					w.nexcl.Add(1)
					return skipDir(d)
				}
				name = r.base + "/" + rel
			}
			var fi fs.FileInfo
			switch {
			case err == nil && file == r.abs:
				fi, err = d.Info()
			case err == nil: // nothing followed below r.abs, even if swapped since WalkDir read it
				fi, err = dirs.lstat(r.abs, name[len(r.base)+1:])
			}
			if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
				w.addLink(i, file, name)
				return nil
			}
			w.add(i, file, name, fi, err)
			return nil
		})
	}
}

// tell gives the outcome of e to the onEntry callback, if there is one.
func (w *walker) tell(e *entry, sum [protocol.HashSize]byte, code protocol.Code, err error) {
	if w.onEntry != nil {
		w.onEntry(Outcome{Name: e.name, Kind: e.kind, Size: e.size, Sum: sum, Code: code, Err: err})
	}
}

// skipDir is what the walk returns for an excluded entry d: a directory
// is not walked.
func skipDir(d fs.DirEntry) error {
	if d.IsDir() {
		return filepath.SkipDir
	}
	return nil
}

// emit lists e.
func (w *walker) emit(e entry) {
	w.mu.Lock()
	if w.n%entryBlock == 0 {
		w.list = append(w.list, make([]entry, 0, entryBlock))
	}
	last := &w.list[len(w.list)-1]
	*last = append(*last, e)
	w.n++
	w.mu.Unlock()
	w.more.Signal()
}

func (w *walker) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// add lists a regular file or a directory, or the error that came instead.
func (w *walker) add(root int, file, name string, fi fs.FileInfo, err error) {
	if err != nil {
		w.emit(entry{name: name, root: int32(root), err: fmt.Errorf("%w: %w", ErrSource, err)})
		return
	}
	e := entry{name: name, mode: uint32(fi.Mode().Perm()), mtime: fi.ModTime().UnixNano(), root: int32(root)}
	switch {
	case fi.IsDir():
		e.kind = protocol.KindDir
	case fi.Mode().IsRegular():
		e.kind = protocol.KindFile
		e.size = fi.Size()
	default:
		w.skip(file, fmt.Sprintf("%s, not a regular file, directory or symlink", special(fi.Mode())))
		return
	}
	if err := protocol.ValidName(name); err != nil {
		e.err = fmt.Errorf("%w: %q cannot be sent: %w", ErrSource, file, err)
	}
	if e.kind == protocol.KindFile && e.err == nil {
		w.files.Add(1)
		w.bytes.Add(e.size)
	}
	w.emit(e)
}

// addLink lists a symlink whose target stays inside its root; an absolute
// target inside the root is made relative.
func (w *walker) addLink(root int, file, name string) {
	top := w.roots[root].abs
	target, err := os.Readlink(file)
	if err != nil {
		w.emit(entry{name: name, root: int32(root), err: fmt.Errorf("%w: %w", ErrSource, err)})
		return
	}
	if filepath.IsAbs(target) {
		rel, err := filepath.Rel(filepath.Dir(file), target)
		if err != nil || !strings.HasPrefix(target, top+string(filepath.Separator)) {
			w.skip(file, fmt.Sprintf("symlink target %q is outside %q", target, top))
			return
		}
		target = rel
	}
	target = filepath.ToSlash(target)
	// The target must stay inside the root, whose name on the wire is the
	// first component of name.
	inner := w.roots[root].inner(name)
	if protocol.ValidLinkTarget(inner, target) != nil || protocol.ValidName(name) != nil {
		w.skip(file, fmt.Sprintf("symlink target %q leads outside %q", target, top))
		return
	}
	w.emit(entry{kind: protocol.KindSymlink, name: name, mode: 0o777, link: target, root: int32(root)})
}

// skip records that the walk leaves out file for reason, and warns.
func (w *walker) skip(file, reason string) {
	if w.warn != nil {
		w.warn(fmt.Sprintf("skipping %q: %s", file, reason))
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.skipped) < MaxFailed {
		w.skipped = append(w.skipped, FileError{Name: file, Err: errors.New(reason)})
	}
	w.nskip++
}

// skips returns the entries the walk left out so far: the first
// MaxFailed, and how many in all.
func (w *walker) skips() ([]FileError, int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.skipped), w.nskip
}

// special names the kind of a file that is not a regular file, a
// directory or a symlink.
func special(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "an irregular file"
}
