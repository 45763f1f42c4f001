package inbox

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockInbox takes an exclusive lock on the inbox's lock file, held until
// the file is closed (or the process dies).
func lockInbox(root *os.Root) (*os.File, error) {
	f, err := root.OpenFile(LockName, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	ol := new(windows.Overlapped)
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	if err != nil {
		f.Close()
		if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
			return nil, ErrLocked
		}
		return nil, fmt.Errorf("lock: %w", err)
	}
	return f, nil
}
