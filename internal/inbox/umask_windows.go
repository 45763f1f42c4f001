package inbox

import "io/fs"

// readUmask is 0 where there is no umask.
func readUmask() fs.FileMode { return 0 }
