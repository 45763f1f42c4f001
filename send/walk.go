package send

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	root  int32 // index in plan.roots
}

// header returns the entry's protocol header.
func (e *entry) header() protocol.Header {
	return protocol.Header{Kind: e.kind, Name: e.name, Size: e.size, Mode: e.mode,
		ModTime: time.Unix(0, e.mtime), Linkname: e.link}
}

// plan is the walked file list.
type plan struct {
	entries []entry
	roots   []string // local paths of the command-line arguments
	bytes   int64    // total file bytes
	files   int      // regular files
}

// path returns where an entry is on disk: its root (the command-line
// argument, whose name on the wire is the entry name's first component)
// joined with the rest of its name.
func (p *plan) path(e *entry) string {
	root := p.roots[e.root]
	if i := strings.IndexByte(e.name, '/'); i >= 0 {
		return root + string(filepath.Separator) + filepath.FromSlash(e.name[i+1:])
	}
	return root
}

// walk turns the command-line paths into a file list. A file lands as its
// base name, a directory as its base name with its whole tree. Symlinks
// named on the command line are followed; inside a directory they are kept
// as symlinks when their target stays inside that directory, and skipped
// with a warning otherwise. Names that would land twice are an error.
func walk(paths []string, warn func(string)) (*plan, error) {
	p := &plan{}
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
		base := filepath.Base(abs)
		if prev, dup := seen[base]; dup {
			return nil, fmt.Errorf("%w: %q and %q would both land as %q", ErrSource, prev, arg, base)
		}
		seen[base] = arg
		p.roots = append(p.roots, abs)
		if !fi.IsDir() {
			if err := p.add(abs, base, fi, warn); err != nil {
				return nil, err
			}
			continue
		}
		if err := p.walkDir(abs, base, warn); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// walkDir adds the directory root, landing as base, and everything under it.
func (p *plan) walkDir(root, base string, warn func(string)) error {
	return filepath.WalkDir(root, func(file string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSource, err)
		}
		rel, err := filepath.Rel(root, file)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSource, err)
		}
		name := base
		if rel != "." {
			name = base + "/" + filepath.ToSlash(rel)
		}
		fi, err := d.Info()
		if err != nil {
			return fmt.Errorf("%w: %w", ErrSource, err)
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return p.addLink(root, file, name, warn)
		}
		return p.add(file, name, fi, warn)
	})
}

// add appends a regular file or a directory; other kinds are skipped.
func (p *plan) add(file, name string, fi fs.FileInfo, warn func(string)) error {
	e := entry{name: name, mode: uint32(fi.Mode().Perm()), mtime: fi.ModTime().UnixNano(), root: int32(len(p.roots) - 1)}
	switch {
	case fi.IsDir():
		e.kind = protocol.KindDir
	case fi.Mode().IsRegular():
		e.kind = protocol.KindFile
		e.size = fi.Size()
	default:
		warn(fmt.Sprintf("skipping %q: not a regular file, directory or symlink", file))
		return nil
	}
	if err := protocol.ValidName(name); err != nil {
		return fmt.Errorf("%w: %q cannot be sent: %w", ErrSource, file, err)
	}
	if e.kind == protocol.KindFile {
		p.files++
		p.bytes += e.size
	}
	p.entries = append(p.entries, e)
	return nil
}

// addLink appends a symlink found under root if its target stays inside
// root; an absolute target inside root is made relative.
func (p *plan) addLink(root, file, name string, warn func(string)) error {
	target, err := os.Readlink(file)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrSource, err)
	}
	if filepath.IsAbs(target) {
		rel, err := filepath.Rel(filepath.Dir(file), target)
		if err != nil || !strings.HasPrefix(target, root+string(filepath.Separator)) {
			warn(fmt.Sprintf("skipping symlink %q: target %q is outside %q", file, target, root))
			return nil
		}
		target = rel
	}
	target = filepath.ToSlash(target)
	// The target must stay inside root, whose name on the wire is the
	// first component of name.
	inner := name[strings.IndexByte(name, '/')+1:]
	if protocol.ValidLinkTarget(inner, target) != nil || protocol.ValidName(name) != nil {
		warn(fmt.Sprintf("skipping symlink %q: target %q leads outside %q", file, target, root))
		return nil
	}
	p.entries = append(p.entries, entry{kind: protocol.KindSymlink, name: name, mode: 0o777, link: target, root: int32(len(p.roots) - 1)})
	return nil
}
