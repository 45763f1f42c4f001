package inbox

import (
	"errors"
	"io"
	"io/fs"
	"os"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// placement is how one entry reaches its name; place applies the rule.
type placement struct {
	noReplace func() error // places the entry unless the name is taken (then fs.ErrExist)
	replace   func() error // places it over what is there; nil: never replaces (directories)
	same      func() bool  // whether what holds the taken name is identical to the entry
	sameCode  protocol.Code
	taken     string // why a taken name that is not the same refuses the entry
}

// place is the one rule by which every entry, files, symlinks, directories
// and the contents of staging directories alike, reaches its name: with
// Overwrite (and an entry that may replace) it replaces what is there;
// otherwise it is placed only where the name is free, and a taken name
// gives sameCode if what holds it is the same, verdict 2 if not.
func (t *Transfer) place(p placement) Result {
	if t.in.opts.Overwrite && p.replace != nil {
		if err := p.replace(); err != nil {
			return failed(err)
		}
		return ok()
	}
	err := p.noReplace()
	switch {
	case err == nil:
		return ok()
	case !errors.Is(err, fs.ErrExist):
		return failed(err)
	case p.same != nil && p.same():
		return Result{Code: p.sameCode}
	}
	return Result{protocol.CodeExists, p.taken}
}

// identical reports whether name is a regular file (not a symlink) whose
// content has the BLAKE3 sum.
func (in *Inbox) identical(name string, sum [protocol.HashSize]byte) bool {
	got, err := hashFile(in.root, name)
	return err == nil && got == sum
}

// hashFile returns the BLAKE3 of the regular file name, not a symlink to
// one. It never blocks on a FIFO or device planted there, even between
// its checks: it opens without blocking, then checks what it opened.
func hashFile(root *os.Root, name string) (sum [protocol.HashSize]byte, err error) {
	if fi, err := root.Lstat(name); err != nil || !fi.Mode().IsRegular() {
		return sum, errNotRegular
	}
	f, err := root.OpenFile(name, os.O_RDONLY|openNoBlock, 0)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return sum, errNotRegular
	}
	h := blake3.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, err
	}
	h.Sum(sum[:0])
	return sum, nil
}

var errNotRegular = errors.New("not a regular file")

// sameLink returns a placement's same for a symlink with target at name.
func sameLink(root *os.Root, name, target string) func() bool {
	return func() bool {
		old, err := root.Readlink(name)
		return err == nil && old == target
	}
}

// replaceSymlink puts a symlink to target at name over what is there,
// atomically: made under a temp name, then renamed.
func (in *Inbox) replaceSymlink(target, name string) error {
	root, tmp := in.root, tempName()
	if err := in.jnl.add(tmp); err != nil {
		return err
	}
	defer in.jnl.done()
	if err := root.Symlink(target, tmp); err != nil {
		return err
	}
	if err := root.Rename(tmp, name); err != nil {
		root.Remove(tmp)
		return err
	}
	return nil
}
