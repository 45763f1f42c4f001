//go:build !linux

package receive

import (
	"os"
	"time"
)

// sysDir is empty where the portable os.Root calls are all there is.
type sysDir struct{}

func openSysDir(*os.Root) (sysDir, error) { return sysDir{}, nil }

func (sysDir) close() {}

// createTemp creates a new temp file in d.
func (d *dir) createTemp() (*os.File, string, error) { return createTemp(d.Root) }

// setTimes sets the access and modification times of name in d.
func (d *dir) setTimes(name string, t time.Time) error { return d.Chtimes(name, t, t) }

// commitNoReplace moves tmp to name unless name exists (then the error
// matches fs.ErrExist).
func (d *dir) commitNoReplace(tmp, name string) error { return d.linkNoReplace(tmp, name) }
