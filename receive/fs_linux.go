//go:build linux

package receive

import (
	"os"

	"golang.org/x/sys/unix"
)

// needFileSync is false where syncFS makes a whole filesystem durable.
const needFileSync = false

// syncFS flushes the filesystem holding root to disk.
func syncFS(root *os.Root) error {
	d, err := root.Open(".")
	if err != nil {
		return err
	}
	defer d.Close()
	return unix.Syncfs(int(d.Fd()))
}
