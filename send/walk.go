package send

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ft-team/ft/protocol"
)

// entry is one thing to send: its header and where it is on disk.
type entry struct {
	hdr  protocol.Header
	path string
}

// plan is the walked file list.
type plan struct {
	entries []entry
	bytes   int64 // total file bytes
	files   int   // regular files
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
	h := protocol.Header{Name: name, Mode: uint32(fi.Mode().Perm()), ModTime: fi.ModTime()}
	switch {
	case fi.IsDir():
		h.Kind = protocol.KindDir
	case fi.Mode().IsRegular():
		h.Kind = protocol.KindFile
		h.Size = fi.Size()
	default:
		warn(fmt.Sprintf("skipping %q: not a regular file, directory or symlink", file))
		return nil
	}
	if err := protocol.ValidName(name); err != nil {
		return fmt.Errorf("%w: %q cannot be sent: %w", ErrSource, file, err)
	}
	if h.Kind == protocol.KindFile {
		p.files++
		p.bytes += h.Size
	}
	p.entries = append(p.entries, entry{hdr: h, path: file})
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
	h := protocol.Header{Kind: protocol.KindSymlink, Name: name, Mode: 0o777, Linkname: target}
	p.entries = append(p.entries, entry{hdr: h, path: file})
	return nil
}
