package send

import (
	"errors"
	"fmt"
	"io"

	"github.com/ft-team/ft/protocol"
)

// replyResult is what the reply reader ends with.
type replyResult struct {
	summary protocol.Summary
	err     error
}

// readReplies reads verdicts into verdicts (indexed by wire index) until
// the summary. It runs concurrently with stream; it is the only writer of
// verdicts until it returns.
func readReplies(r io.Reader, verdicts []*protocol.Verdict) replyResult {
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
		if v.Index >= uint64(len(verdicts)) || verdicts[v.Index] != nil {
			return replyResult{err: fmt.Errorf("%w: verdict for entry %d", protocol.ErrFrame, v.Index)}
		}
		verdicts[v.Index] = v
	}
}

// collect fills res from the verdicts of the sent entries.
func collect(res *Result, p *plan, sent []sentEntry, verdicts []*protocol.Verdict) {
	for i, s := range sent {
		name := p.entries[s.plan].hdr.Name
		v := verdicts[i]
		switch {
		case s.local != nil:
			res.Failed = append(res.Failed, FileError{Name: name, Err: s.local})
		case v == nil:
			res.Failed = append(res.Failed, FileError{Name: name, Code: protocol.CodeInternal, Err: errors.New("no verdict from the receiver")})
		case v.Code.Success():
			res.Committed++
			if v.Code == protocol.CodeUnchanged {
				res.Unchanged++
			}
		default:
			res.Failed = append(res.Failed, FileError{Name: name, Code: v.Code, Err: verdictError(v)})
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
