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

// createTemp creates a new temp file in d.
func (d *dir) createTemp(perm fs.FileMode) (tempFile, string, error) {
	f, name, err := createTemp(d.Root)
	if err != nil {
		return nil, "", err
	}
	return &osTemp{File: f, dir: d, perm: perm}, name, nil
}

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
