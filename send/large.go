package send

import (
	"fmt"
	"io"
	"os"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

const (
	// largeFile is the size from which a file is hashed beside the copy
	// rather than in series with it.
	largeFile = 4 << 20
	// sendChunk is how much is handed to the kernel between progress reports.
	sendChunk = 8 << 20
)

type hashResult struct {
	sum [protocol.HashSize]byte
	err error
}

// sendLarge sends a large file's body while another goroutine hashes it
// with reads of its own: the copy to the socket needs no CPU of ours (the
// kernel does it with sendfile where it can), so hashing runs beside the
// transfer instead of in series with it. The trailer is the hash of what
// the hashing goroutine read; if the file changed meanwhile, the stat
// check fails the file and its trailer is spoiled so that the receiver
// drops it too.
func (st *streamer) sendLarge(f *os.File, before os.FileInfo) (local, err error) {
	size := before.Size()
	if err := st.bw.Flush(); err != nil { // nothing buffered: the copy goes straight to the socket
		return nil, fmt.Errorf("write body: %w", err)
	}
	sums := make(chan hashResult, 1)
	go func() { sums <- hashFile(f, size) }()
	var sent int64
	for sent < size {
		n, err := st.pw.CopyUnhashed(f, min(sendChunk, size-sent))
		sent += n
		if st.prog != nil {
			st.prog.Add(n)
		}
		if err != nil {
			<-sums
			return nil, err
		}
		if n == 0 {
			break
		}
	}
	h := <-sums
	switch {
	case sent < size:
		local = fmt.Errorf("%w: %w (shrank by %d bytes)", ErrSource, errChanged, size-sent)
	case h.err != nil:
		local = fmt.Errorf("%w: %w", ErrSource, h.err)
	default:
		local = checkUnchanged(f, before)
	}
	if local != nil {
		if sent < size {
			return local, st.pw.Abort()
		}
		for i := range h.sum {
			h.sum[i] = ^h.sum[i]
		}
	}
	return local, st.pw.CloseWithSum(h.sum)
}

// hashFile hashes the first size bytes of f with positioned reads, which
// do not move the offset the copy reads from.
func hashFile(f *os.File, size int64) hashResult {
	h := blake3.New()
	buf := make([]byte, 1<<20)
	n, err := io.CopyBuffer(h, io.NewSectionReader(f, 0, size), buf)
	var r hashResult
	switch {
	case err != nil:
		r.err = err
	case n < size:
		r.err = fmt.Errorf("%w (shrank while hashed)", errChanged)
	}
	h.Sum(r.sum[:0])
	return r
}
