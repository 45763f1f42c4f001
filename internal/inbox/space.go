package inbox

import (
	"fmt"
	"sync"
	"syscall"
	"time"
)

// The free space of the inbox's filesystem is accounted across all the
// transfers of an Inbox: what admitted files will still write is reserved
// against what the filesystem reports free, and what was written or made
// since the last reading (file bytes, directories, inodes) is counted
// until the next one. A file is admitted only if its declared size and an
// inode fit in what is left; a directory only if a block (dirCost) and an
// inode do.

// spaceRecheck is how long a reading of the free space is trusted for
// files that are small against it; one of a quarter of the last reading or
// more always reads afresh.
const spaceRecheck = 200 * time.Millisecond

// dirCost is what a directory is counted as taking: one block.
const dirCost = 4096

// fsSpace is an amount of bytes and inodes.
type fsSpace struct{ bytes, inodes uint64 }

// space accounts an inbox's free space.
type space struct {
	stat func() (fsSpace, bool) // the filesystem's reading; false: it cannot tell

	mu       sync.Mutex
	at       time.Time
	last     fsSpace // the last reading
	ok       bool
	since    fsSpace // written or made since the last reading
	reserved fsSpace // promised to files being received, not written yet
}

// avail returns what is left for a new file of the given size (reading
// the filesystem afresh if due), and false if the filesystem cannot tell.
// mu is held.
func (s *space) avail(size uint64, fresh bool) (fsSpace, bool) {
	if fresh || !s.ok || time.Since(s.at) >= spaceRecheck || size >= s.last.bytes/4 {
		s.last, s.ok = s.stat()
		s.at, s.since = time.Now(), fsSpace{}
	}
	sub := func(a, b, c uint64) uint64 {
		if a < b+c {
			return 0
		}
		return a - b - c
	}
	return fsSpace{sub(s.last.bytes, s.since.bytes, s.reserved.bytes), sub(s.last.inodes, s.since.inodes, s.reserved.inodes)}, s.ok
}

// check returns nil if size bytes and an inode fit, else an error that
// matches syscall.ENOSPC and says what is free.
func (s *space) check(size uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkLocked(size)
}

func (s *space) checkLocked(size uint64) error {
	free, ok := s.avail(size, false)
	err := fitsIn(free, ok, size)
	if err != nil { // a refusal rests on a fresh reading
		free, ok = s.avail(size, true)
		err = fitsIn(free, ok, size)
	}
	return err
}

// fitsIn checks size bytes and an inode against free (ok: the filesystem
// can tell).
func fitsIn(free fsSpace, ok bool, size uint64) error {
	switch {
	case !ok:
		return nil
	case size > free.bytes:
		return &spaceError{fmt.Sprintf("%d bytes needed, %d free", size, free.bytes)}
	case free.inodes < 1:
		return &spaceError{"no inode free"}
	}
	return nil
}

// reserve promises size bytes and an inode to a file, or fails as check.
func (s *space) reserve(size uint64) (*reservation, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.checkLocked(size); err != nil {
		return nil, err
	}
	s.reserved.bytes += size
	s.reserved.inodes++
	return &reservation{s: s, bytes: size}, nil
}

// made counts a directory made.
func (s *space) made() {
	s.mu.Lock()
	s.since.bytes += dirCost
	s.since.inodes++
	s.mu.Unlock()
}

// reservation is what a file being received still has promised.
type reservation struct {
	s     *space
	bytes uint64
	done  bool
}

// wrote counts n bytes as written: no longer promised, but taken.
func (r *reservation) wrote(n int) {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	m := min(uint64(n), r.bytes)
	r.bytes -= m
	s.reserved.bytes -= m
	s.since.bytes += uint64(n)
}

// release gives back what is still promised, once the file is committed
// or dropped.
func (r *reservation) release() {
	s := r.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	s.reserved.bytes -= r.bytes
	s.reserved.inodes--
	s.since.inodes++ // it may still hold one until the next reading
	r.bytes = 0
}

// spaceError is a refusal for want of space; it matches syscall.ENOSPC.
type spaceError struct{ msg string }

func (e *spaceError) Error() string        { return e.msg }
func (e *spaceError) Is(target error) bool { return target == syscall.ENOSPC }
