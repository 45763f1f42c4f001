package inbox

import "time"

// spaceRecheck is how long a free-space reading is trusted for files that
// are small against it.
const spaceRecheck = 200 * time.Millisecond

// spaceCheck reads the inbox filesystem's free space, at most every
// spaceRecheck for small files so that many small files do not cost a
// statfs each; a file of a quarter of the last reading or more is always
// checked afresh.
type spaceCheck struct {
	dir  string
	at   time.Time
	last uint64
	ok   bool
}

// free returns the bytes available for a file of the given size, and false
// if the filesystem cannot tell.
func (s *spaceCheck) free(size int64) (uint64, bool) {
	if s.ok && time.Since(s.at) < spaceRecheck && uint64(size) < s.last/4 {
		return s.last, true
	}
	s.last, s.ok = freeSpace(s.dir)
	s.at = time.Now()
	return s.last, s.ok
}
