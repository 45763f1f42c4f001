//go:build linux

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

// openSource opens a file to send with one open(2). O_NONBLOCK keeps a
// FIFO swapped in for the file since the walk from blocking the open.
func openSource(name string) (source, error) {
	for {
		fd, err := unix.Open(name, unix.O_RDONLY|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: err}
		}
		return &rawSource{fd: fd, name: name}, nil
	}
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
