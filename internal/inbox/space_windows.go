package inbox

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"golang.org/x/sys/windows"
)

// statSpace returns a reader of the free space of the volume of dir.
// Windows has no inode limit to speak of.
func statSpace(_ *os.Root, dir string) func() (fsSpace, bool) {
	return func() (fsSpace, bool) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return fsSpace{}, false
		}
		p, err := windows.UTF16PtrFromString(abs)
		if err != nil {
			return fsSpace{}, false
		}
		var free, total, totalFree uint64
		if err := windows.GetDiskFreeSpaceEx(p, &free, &total, &totalFree); err != nil {
			return fsSpace{}, false
		}
		return fsSpace{bytes: free, inodes: ^uint64(0)}, true
	}
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, windows.ERROR_DISK_FULL) || errors.Is(err, windows.ERROR_HANDLE_DISK_FULL)
}

// linkUnsupported is true for any link error other than an existing name.
func linkUnsupported(err error) bool { return err != nil && !errors.Is(err, os.ErrExist) }
