package receive

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/ft-team/ft/protocol"
)

// commitFile moves a verified temp file to its final name in the same
// directory. Without Overwrite the move fails atomically if the name was
// taken meanwhile (then identical content still counts as unchanged).
func (c *committer) commitFile(it *item) {
	base := path.Base(it.hdr.Name)
	if c.ss.s.opts.Overwrite {
		if err := it.sub.Rename(it.tmp, base); err != nil {
			c.fail(it, protocol.CodeIO, err)
			return
		}
		it.decide(protocol.CodeOK, "")
		return
	}
	err := it.sub.commitNoReplace(it.tmp, base)
	switch {
	case err == nil:
		it.decide(protocol.CodeOK, "")
	case errors.Is(err, fs.ErrExist):
		it.sub.Remove(it.tmp)
		it.decide(c.ss.sameAsExisting(it.hdr.Name, it.sum))
	default:
		c.fail(it, protocol.CodeIO, err)
	}
}

// makeDir creates a directory entry right away; its mode and time are
// applied at the end of the connection, after everything inside it is in
// place.
func (ss *session) makeDir(it *item) {
	root, name := ss.s.root, it.hdr.Name
	if hasTempName(name) {
		it.decide(protocol.CodeBadName, reservedMsg(name))
		return
	}
	phys, inside := ss.stage.phys(name)
	if !inside && ss.stageDir(name) {
		ss.markFresh(name)
		ss.dirAttr = append(ss.dirAttr, it.hdr)
		it.staged = true
		it.decide(protocol.CodeOK, "")
		return
	}
	err := root.Mkdir(phys, 0o755)
	switch {
	case err == nil:
		ss.markFresh(name)
	case errors.Is(err, fs.ErrNotExist): // parents not announced: made too
		var created []string
		if created, err = mkdirs(root, phys); err == nil && inside {
			created = []string{name}
		}
		ss.markFresh(created...)
	case errors.Is(err, fs.ErrExist):
		err = root.MkdirAll(phys, 0o755) // fine if it is a directory
	}
	it.staged = inside
	if err != nil {
		code := protocol.CodeRefused
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTDIR) {
			code = protocol.CodeExists
		}
		it.decide(code, cleanErr(err))
		return
	}
	ss.dirAttr = append(ss.dirAttr, it.hdr)
	it.decide(protocol.CodeOK, "")
}

// maxFresh bounds the directories a session remembers as its own.
const maxFresh = 1 << 16

// markFresh records directories this session created. Files going into
// them skip the check for an existing file of the same name: nothing was
// there, and whatever another sender puts there meanwhile is still caught
// by the no-replace commit, which then compares contents.
func (ss *session) markFresh(dirs ...string) {
	if ss.fresh == nil {
		ss.fresh = make(map[string]bool)
	}
	for _, d := range dirs {
		if len(ss.fresh) < maxFresh {
			ss.fresh[d] = true
		}
	}
}

// commitSymlink creates a symlink whose target the protocol reader has
// already checked to stay inside the inbox, provided no directory on the
// way to it is itself a symlink (which would move where the target points).
func (c *committer) commitSymlink(it *item) {
	root := c.ss.s.root
	name, target := it.hdr.Name, it.hdr.Linkname
	if hasTempName(name) {
		it.decide(protocol.CodeBadName, reservedMsg(name))
		return
	}
	// In a staging directory the link is made there, at the same depth,
	// so its target means the same once the directory is published.
	name, it.staged = c.ss.stage.phys(name)
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
func (ss *session) finishDirs() {
	root := ss.s.root
	for _, h := range slices.Backward(ss.dirAttr) {
		if err := root.Chmod(h.Name, fs.FileMode(h.Mode)&fs.ModePerm); err != nil {
			ss.log.Warn("chmod", "name", h.Name, "err", cleanErr(err))
		}
		if !h.ModTime.IsZero() {
			if err := root.Chtimes(h.Name, h.ModTime, h.ModTime); err != nil {
				ss.log.Warn("chtimes", "name", h.Name, "err", cleanErr(err))
			}
		}
	}
}

// sweep removes temp files and staging directories left anywhere in the
// inbox by a receiver that was killed. It does not follow symlinks.
func (s *server) sweep() {
	n := 0
	fs.WalkDir(s.root.FS(), ".", func(name string, d fs.DirEntry, err error) error {
		switch {
		case err != nil || !isTempName(d.Name()):
		case d.IsDir(): // a staging directory, with whatever it held
			if s.root.RemoveAll(name) == nil {
				n++
			}
			return fs.SkipDir
		case s.root.Remove(name) == nil:
			n++
		}
		return nil
	})
	if n > 0 {
		s.log.Info("removed stale temp files", "count", n)
	}
}

// hasTempName reports whether any component of the slash-separated name
// has the form of a temp file or staging directory: such names are the
// receiver's own and would be swept.
func hasTempName(name string) bool {
	for name != "" {
		var elem string
		elem, name, _ = strings.Cut(name, "/")
		if isTempName(elem) {
			return true
		}
	}
	return false
}

// reservedMsg says why a name of the temp form is refused.
func reservedMsg(name string) string {
	return fmt.Sprintf("name %q is reserved for the receiver's temp files", name)
}

func isTempName(name string) bool {
	hex, ok := strings.CutPrefix(name, tempPrefix)
	hex, ok2 := strings.CutSuffix(hex, tempSuffix)
	return ok && ok2 && len(hex) == 16 && strings.Trim(hex, "0123456789abcdef") == ""
}
