package receive

import (
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/ft-team/ft/protocol"
)

// commitFile moves a verified temp file to its final name. Without
// Overwrite it uses a hard link, which fails atomically if the name was
// taken meanwhile (then identical content still counts as unchanged).
func (c *committer) commitFile(it *item) {
	root := c.ss.s.root
	if c.ss.s.opts.Overwrite {
		if err := root.Rename(it.tmp, it.hdr.Name); err != nil {
			c.fail(it, protocol.CodeIO, err)
			return
		}
		it.decide(protocol.CodeOK, "")
		return
	}
	err := root.Link(it.tmp, it.hdr.Name)
	if err != nil && !errors.Is(err, fs.ErrExist) && linkUnsupported(err) {
		err = c.renameIfAbsent(it)
	}
	switch {
	case err == nil:
		root.Remove(it.tmp)
		it.decide(protocol.CodeOK, "")
	case errors.Is(err, fs.ErrExist):
		root.Remove(it.tmp)
		it.decide(c.ss.sameAsExisting(it.hdr.Name, it.sum))
	default:
		c.fail(it, protocol.CodeIO, err)
	}
}

// renameIfAbsent is the fallback for filesystems without hard links: it is
// not atomic against a concurrent writer of the same name.
func (c *committer) renameIfAbsent(it *item) error {
	if _, err := c.ss.s.root.Lstat(it.hdr.Name); err == nil {
		return fs.ErrExist
	}
	return c.ss.s.root.Rename(it.tmp, it.hdr.Name)
}

// commitDir creates a directory; its mode and time are applied at the end
// of the connection, after everything inside it is in place.
func (c *committer) commitDir(it *item) {
	root := c.ss.s.root
	if err := root.MkdirAll(it.hdr.Name, 0o755); err != nil {
		c.fail(it, protocol.CodeRefused, err)
		return
	}
	c.dirs = append(c.dirs, it.hdr)
	it.decide(protocol.CodeOK, "")
}

// commitSymlink creates a symlink whose target the protocol reader has
// already checked to stay inside the inbox, provided no directory on the
// way to it is itself a symlink (which would move where the target points).
func (c *committer) commitSymlink(it *item) {
	root := c.ss.s.root
	name, target := it.hdr.Name, it.hdr.Linkname
	if err := c.plainParents(name); err != nil {
		c.fail(it, protocol.CodeRefused, err)
		return
	}
	if c.ss.s.opts.Overwrite {
		tmp := tempName()
		err := root.Symlink(target, tmp)
		if err == nil {
			if err = root.Rename(tmp, name); err != nil {
				root.Remove(tmp)
			}
		}
		if err != nil {
			c.fail(it, protocol.CodeIO, err)
			return
		}
		it.decide(protocol.CodeOK, "")
		return
	}
	err := root.Symlink(target, name)
	switch {
	case err == nil:
		it.decide(protocol.CodeOK, "")
	case errors.Is(err, fs.ErrExist):
		if old, rerr := root.Readlink(name); rerr == nil && old == target {
			it.decide(protocol.CodeUnchanged, "")
		} else {
			it.decide(protocol.CodeExists, "exists")
		}
	default:
		c.fail(it, protocol.CodeIO, err)
	}
}

// plainParents fails if a directory on the way to name is a symlink.
func (c *committer) plainParents(name string) error {
	dir := path.Dir(name)
	for dir != "." {
		fi, err := c.ss.s.root.Lstat(dir)
		if err != nil {
			return err
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			return &fs.PathError{Op: "symlink", Path: name, Err: errors.New("a parent directory is a symlink")}
		}
		dir = path.Dir(dir)
	}
	return nil
}

// finishDirs applies modes and times to the directories of the transfer,
// deepest first, so that filling a directory does not change its time.
func (c *committer) finishDirs() {
	root := c.ss.s.root
	for _, h := range slices.Backward(c.dirs) {
		if err := root.Chmod(h.Name, fs.FileMode(h.Mode)&fs.ModePerm); err != nil {
			c.ss.log.Warn("chmod", "name", h.Name, "err", cleanErr(err))
		}
		if !h.ModTime.IsZero() {
			if err := root.Chtimes(h.Name, h.ModTime, h.ModTime); err != nil {
				c.ss.log.Warn("chtimes", "name", h.Name, "err", cleanErr(err))
			}
		}
	}
}

// sweep removes temp files left by a receiver that was killed.
func (s *server) sweep() {
	d, err := s.root.Open(".")
	if err != nil {
		return
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	n := 0
	for _, name := range names {
		if isTempName(name) && s.root.Remove(name) == nil {
			n++
		}
	}
	if n > 0 {
		s.log.Info("removed stale temp files", "count", n)
	}
}

func isTempName(name string) bool {
	return strings.HasPrefix(name, tempPrefix) && strings.HasSuffix(name, tempSuffix) &&
		len(name) == len(tempPrefix)+16+len(tempSuffix)
}
