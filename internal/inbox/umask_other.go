//go:build unix && !linux

package inbox

import "io/fs"

// readUmask returns the process's umask.
func readUmask() fs.FileMode { return setUmask() }
