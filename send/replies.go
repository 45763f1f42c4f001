package send

import (
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"

	"github.com/ft-team/ft/protocol"
)

// errBadReplies marks replies that break the protocol (PROTOCOL.md
// section 12): the receiver's word on the transfer cannot be trusted.
var errBadReplies = errors.New("receiver broke the protocol")

// replyResult is what the reply reader ends with.
type replyResult struct {
	summary protocol.Summary
	err     error
}

// verdicts records the receiver's verdict on each entry, by wire index:
// a code per entry, a bit saying it has one, and the messages of the
// MaxFailed failures of lowest index (the most a Result lists: the
// messages are up to protocol.MaxMessageLen bytes, which the reply reader
// enforces).
type verdicts struct {
	sent  atomic.Int64 // entries sent so far: no verdict may name a later one
	last  atomic.Int64 // unix nanoseconds of the last whole reply
	codes []protocol.Code
	have  []uint64 // bit i%64 of have[i/64]: entry i has a verdict
	msgs  map[uint64]string
}

func newVerdicts() *verdicts { return &verdicts{msgs: make(map[uint64]string)} }

// touch records that a whole reply came in now.
func (vs *verdicts) touch() { vs.last.Store(time.Now().UnixNano()) }

func (vs *verdicts) has(i int) bool {
	return i/64 < len(vs.have) && vs.have[i/64]&(1<<(i%64)) != 0
}

// add records v, which must name an entry sent and without a verdict yet.
func (vs *verdicts) add(v *protocol.Verdict) error {
	if v.Index >= uint64(vs.sent.Load()) {
		return fmt.Errorf("%w: verdict for entry %d, which was not sent", protocol.ErrFrame, v.Index)
	}
	i := int(v.Index)
	if vs.has(i) {
		return fmt.Errorf("%w: second verdict for entry %d", protocol.ErrFrame, v.Index)
	}
	if i >= len(vs.codes) {
		vs.codes = append(vs.codes, make([]protocol.Code, i+1-len(vs.codes))...)
	}
	if i/64 >= len(vs.have) {
		vs.have = append(vs.have, make([]uint64, i/64+1-len(vs.have))...)
	}
	vs.codes[i] = v.Code
	vs.have[i/64] |= 1 << (i % 64)
	if !v.Code.Success() {
		vs.keepMessage(v.Index, v.Message)
	}
	return nil
}

// keepMessage keeps the message of failed entry i if it is among the
// MaxFailed failures of lowest index so far.
func (vs *verdicts) keepMessage(i uint64, msg string) {
	if len(vs.msgs) < MaxFailed {
		vs.msgs[i] = msg
		return
	}
	var top uint64
	for j := range vs.msgs {
		top = max(top, j)
	}
	if i < top {
		delete(vs.msgs, top)
		vs.msgs[i] = msg
	}
}

// get returns the verdict on entry i, if there is one.
func (vs *verdicts) get(i int) (protocol.Verdict, bool) {
	if !vs.has(i) {
		return protocol.Verdict{}, false
	}
	return protocol.Verdict{Index: uint64(i), Code: vs.codes[i], Message: vs.msgs[uint64(i)]}, true
}

// readReplies reads verdicts into vs until the summary. It runs
// concurrently with stream; it is the only user of vs until it returns.
// With events (version 2) it reads answers too, and passes them and the
// verdicts' indices on to the streamer.
func readReplies(r io.Reader, vs *verdicts, ev *events) replyResult {
	rr := protocol.NewReplyReader(r)
	if ev != nil {
		rr.SetVersion(protocol.Version2)
		defer close(ev.done)
	}
	for {
		rep, err := rr.Next()
		if err == nil {
			vs.touch()
		}
		switch {
		case err != nil:
		case rep.Summary != nil:
			return replyResult{summary: *rep.Summary}
		case rep.Answer != nil && rep.Answer.Index >= uint64(vs.sent.Load()):
			err = fmt.Errorf("%w: answer for entry %d, which was not sent", protocol.ErrFrame, rep.Answer.Index)
		case rep.Answer != nil:
			ev.push(event{answer: rep.Answer})
		default:
			if err = vs.add(rep.Verdict); err == nil && ev != nil {
				ev.push(event{verdict: rep.Verdict.Index, code: rep.Verdict.Code})
			}
		}
		if errors.Is(err, protocol.ErrFrame) || errors.Is(err, protocol.ErrTooLong) {
			err = fmt.Errorf("%w: %w", errBadReplies, err)
		}
		if err != nil {
			return replyResult{err: err}
		}
	}
}

// check compares the summary with the verdicts on the entries sent: the
// receiver must have given each exactly one verdict, counted them right,
// and never committed a file that was aborted.
func (vs *verdicts) check(sum protocol.Summary, s *sent) error {
	n := len(s.wire)
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w: %s", errBadReplies, protocol.ErrFrame, fmt.Sprintf(format, args...))
	}
	if sum.Entries != uint64(n) {
		return bad("receiver counted %d entries, %d were sent", sum.Entries, n)
	}
	if len(vs.codes) > n {
		return bad("verdict for entry %d, which was not sent", len(vs.codes)-1)
	}
	var committed, bytes uint64
	for i, li := range s.wire {
		v, ok := vs.get(i)
		switch {
		case !ok:
			return bad("no verdict for entry %d before the summary", i)
		case !v.Code.Success():
			continue
		case s.local[i] != nil:
			return bad("verdict %s for entry %d, which was aborted", v.Code, i)
		}
		committed++
		if e := s.w.at(int(li)); v.Code == protocol.CodeOK && e.kind == protocol.KindFile {
			bytes += uint64(e.size)
		}
	}
	if sum.Committed != committed || sum.Bytes != bytes {
		return bad("summary counts %d committed and %d bytes, the verdicts %d and %d",
			sum.Committed, sum.Bytes, committed, bytes)
	}
	return nil // sum.Failed = sum.Entries - sum.Committed: the ReplyReader checked it
}

// collect fills res from the verdicts of the sent entries. An entry the
// sender aborted is reported for its local reason, whatever the verdict.
func collect(res *Result, s *sent, vs *verdicts) {
	for i, li := range s.wire {
		e := s.w.at(int(li))
		v, ok := vs.get(i)
		f := FileError{Name: e.name}
		switch {
		case s.local[i] != nil:
			f.Err = s.local[i]
		case !ok:
			f.Code, f.Err = protocol.CodeInternal, errors.New("no verdict from the receiver")
		case v.Code.Success():
			res.Committed++
			if v.Code == protocol.CodeUnchanged {
				res.Unchanged++
			}
			f.Code = v.Code
		default: // any other code, known or not, is a refusal
			f.Code, f.Err = v.Code, verdictError(&v)
		}
		if f.Err != nil {
			res.fail(f)
		}
		s.w.tell(e, s.sums[i], f.Code, f.Err)
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
