//go:build linux

package inbox

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"strconv"
)

// readUmask returns the process's umask, read without changing it
// (umask(2) can only be read by setting it, which races with other
// threads creating files): from /proc, else by setting it.
func readUmask() fs.FileMode {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return setUmask()
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := bytes.CutPrefix(sc.Bytes(), []byte("Umask:")); ok {
			if n, err := strconv.ParseUint(string(bytes.TrimSpace(v)), 8, 32); err == nil {
				return fs.FileMode(n) & fs.ModePerm
			}
		}
	}
	return setUmask()
}
