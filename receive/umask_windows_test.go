package receive_test

import "io/fs"

// testUmask is 0: there is no umask here.
const testUmask fs.FileMode = 0
