//go:build linux && !ftportable

package inbox

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync"
)

// processUmask is the process's umask, read once without changing it
// (umask(2) can only be read by setting it), or -1 if it cannot be read.
// A file created with a mode the umask does not cut needs no chmod(2).
// (A default ACL on the directory also shapes the mode; receivers on such
// directories get the mode the ACL gives, as with tar without -p.)
var processUmask = sync.OnceValue(func() int {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Umask:")); ok {
			n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32)
			if err != nil {
				return -1
			}
			return int(n)
		}
	}
	return -1
})
