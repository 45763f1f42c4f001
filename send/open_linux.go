//go:build linux && !ftportable

package send

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// rawSource is a file being sent, as a bare descriptor: os.Open would also
// try to register the file with the network poller and os.NewFile would
// query its flags, five more system calls per file, which matters with
// many small files.
type rawSource struct {
	fd   int
	name string
}

func (f *rawSource) Read(p []byte) (int, error) {
	for {
		n, err := unix.Read(f.fd, p)
		switch {
		case err == unix.EINTR:
			continue
		case err != nil:
			return 0, &os.PathError{Op: "read", Path: f.name, Err: err}
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func (f *rawSource) Close() error { return unix.Close(f.fd) }

func (f *rawSource) state() (size, mtime int64, regular bool, err error) {
	var st unix.Stat_t
	for {
		if err = unix.Fstat(f.fd, &st); err != unix.EINTR {
			break
		}
	}
	if err != nil {
		return 0, 0, false, &os.PathError{Op: "fstat", Path: f.name, Err: err}
	}
	return st.Size, st.Mtim.Nano(), st.Mode&unix.S_IFMT == unix.S_IFREG, nil
}
