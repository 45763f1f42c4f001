//go:build !linux

package send

import "os"

// osSource is a file being sent, through the portable calls.
type osSource struct{ *os.File }

// openSource opens a file to send.
func openSource(name string) (source, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osSource{f}, nil
}

func (f osSource) state() (size, mtime int64, regular bool, err error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, 0, false, err
	}
	return fi.Size(), fi.ModTime().UnixNano(), fi.Mode().IsRegular(), nil
}
