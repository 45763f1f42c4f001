//go:build !linux

package receive

import (
	"io/fs"
	"os"
	"time"
)

// sysDir is empty where the portable os.Root calls are all there is.
type sysDir struct{}

func openSysDir(*os.Root) (sysDir, error) { return sysDir{}, nil }

func (sysDir) close() {}

// create creates the new file name in d.
func (d *dir) create(name string, perm fs.FileMode) (tempFile, error) {
	f, err := d.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	return &osTemp{File: f, dir: d, perm: perm}, nil
}

// moveDirNoReplace renames the directory tmp to name unless name exists
// (then the error matches fs.ErrExist; not atomic here).
func (d *dir) moveDirNoReplace(tmp, name string) error { return d.checkAndRename(tmp, name) }

// osTemp is a temp file being written, through the portable calls.
type osTemp struct {
	*os.File
	dir  *dir
	perm fs.FileMode
}

// finish gives the file its permissions and modification time and, where
// there is no syncfs, makes it durable.
func (f *osTemp) finish(mtime time.Time, sync bool) error {
	if err := f.Chmod(f.perm); err != nil {
		return err
	}
	if !mtime.IsZero() {
		if err := f.dir.Chtimes(f.Name(), mtime, mtime); err != nil {
			return err
		}
	}
	if sync {
		return f.Sync()
	}
	return nil
}

// commitNoReplace moves tmp to name unless name exists (then the error
// matches fs.ErrExist).
func (d *dir) commitNoReplace(tmp, name string) error { return d.linkNoReplace(tmp, name) }
