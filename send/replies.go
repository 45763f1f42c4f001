package send

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"

	"github.com/ft-team/ft/protocol"
)

// replyResult is what the reply reader ends with.
type replyResult struct {
	summary protocol.Summary
	err     error
}

// verdicts records the receiver's verdict on each entry, by wire index,
// in a byte per entry (plus the messages of failures).
type verdicts struct {
	sent  atomic.Int64 // entries sent so far: no verdict may name a later one
	codes []uint8      // code+1; 0 while there is none
	msgs  map[uint64]string
}

// get returns the verdict on entry i, if there is one.
func (vs *verdicts) get(i int) (protocol.Verdict, bool) {
	if i >= len(vs.codes) || vs.codes[i] == 0 {
		return protocol.Verdict{}, false
	}
	return protocol.Verdict{Index: uint64(i), Code: protocol.Code(vs.codes[i] - 1), Message: vs.msgs[uint64(i)]}, true
}

// readReplies reads verdicts into vs until the summary. It runs
// concurrently with stream; it is the only user of vs until it returns.
func readReplies(r io.Reader, vs *verdicts) replyResult {
	rr := protocol.NewReplyReader(r)
	for {
		rep, err := rr.Next()
		if err != nil {
			return replyResult{err: err}
		}
		if rep.Summary != nil {
			return replyResult{summary: *rep.Summary}
		}
		v := rep.Verdict
		if v.Index >= uint64(vs.sent.Load()) || v.Code == 0xff {
			return replyResult{err: fmt.Errorf("%w: verdict for entry %d", protocol.ErrFrame, v.Index)}
		}
		for uint64(len(vs.codes)) <= v.Index {
			vs.codes = append(vs.codes, 0)
		}
		if vs.codes[v.Index] != 0 {
			return replyResult{err: fmt.Errorf("%w: second verdict for entry %d", protocol.ErrFrame, v.Index)}
		}
		vs.codes[v.Index] = uint8(v.Code) + 1
		if !v.Code.Success() {
			vs.msgs[v.Index] = v.Message
		}
	}
}

// collect fills res from the verdicts of the sent entries.
func collect(res *Result, s *sent, vs *verdicts) {
	for i, li := range s.wire {
		name := s.w.at(int(li)).name
		v, ok := vs.get(i)
		switch {
		case s.local[i] != nil:
			res.Failed = append(res.Failed, FileError{Name: name, Err: s.local[i]})
		case !ok:
			res.Failed = append(res.Failed, FileError{Name: name, Code: protocol.CodeInternal, Err: errors.New("no verdict from the receiver")})
		case v.Code.Success():
			res.Committed++
			if v.Code == protocol.CodeUnchanged {
				res.Unchanged++
			}
		default:
			res.Failed = append(res.Failed, FileError{Name: name, Code: v.Code, Err: verdictError(&v)})
		}
	}
}

// verdictError describes a refusal; the receiver's message is quoted
// because it comes from the peer.
func verdictError(v *protocol.Verdict) error {
	if v.Message == "" {
		return errors.New(v.Code.String())
	}
	return fmt.Errorf("%s: %s", v.Code, quoteIfOdd(v.Message))
}
