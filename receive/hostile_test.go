package receive_test

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// hostileCase is one hand-built stream of DESIGN.md section 4 that no
// protocol vector holds (TestSenderVectors replays those), and what the
// receiver must answer.
type hostileCase struct {
	name   string
	stream []byte
	remote protocol.Code   // error frame expected (0: none)
	msg    string          // in the error frame's message
	codes  []protocol.Code // verdicts expected, in order
	lands  []string        // files that may be committed (complete and verified)
	log    string          // in the receiver's log
}

// unvectoredNames are names a receiver must refuse (DESIGN.md section 4,
// names) for which protocol/testdata has no vector.
var unvectoredNames = []string{
	"//srv/x",       // a UNC-like absolute name with forward slashes
	"a\rb",          // a carriage return
	"\u009b31mred",  // the C1 control CSI, as UTF-8
	"\x9b31m",       // the 8-bit CSI byte, invalid UTF-8
	"a\xed\xa0\x80", // a UTF-16 surrogate encoded as UTF-8
}

func hostileCases() []hostileCase {
	var cs []hostileCase
	for _, n := range unvectoredNames {
		cs = append(cs, hostileCase{
			name:   "name " + strconv.Quote(n),
			stream: vectors.NewStream().Hello1().File(n, "pwned").End(1).Bytes(),
			remote: protocol.CodeProtocol, msg: "invalid name " + strconv.Quote(n),
			log: "invalid name",
		})
	}
	return append(cs, hostileCase{
		name:   "bytes after the end frame",
		stream: vectors.NewStream().Hello1().File("extra.bin", "0123456789").End(1).Raw("trailing junk").Bytes(),
		codes:  []protocol.Code{protocol.CodeOK}, lands: []string{"extra.bin"}, log: "extra.bin",
	})
}

// TestHostileStreams sends the hostile streams no vector holds: each gets
// a clear answer, leaves the inbox as it was (but for what may land), and
// the receiver then serves a valid transfer.
func TestHostileStreams(t *testing.T) {
	t.Parallel()
	opts := quick()
	opts.NoSync = false
	r := startReceiver(t, opts)
	for _, tc := range hostileCases() {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, r.dir)
			logAt := len(r.log.String())
			o := exchange(t, r.addr, tc.stream)
			checkOutcome(t, tc, o)
			waitLog(t, r, logAt, tc.log)
			waitNoTemp(t, r.dir)
			checkLanded(t, r, tc.lands, before)
			sendValid(t, r)
		})
	}
	assertAlone(t, r)
	assertLogClean(t, r.log.String())
}

// checkOutcome compares what the hand-built client heard with tc.
func checkOutcome(t *testing.T, tc hostileCase, o outcome) {
	t.Helper()
	if !slices.Equal(o.codes(), tc.codes) {
		t.Errorf("verdicts %v, want %v (%v)", o.codes(), tc.codes, o)
	}
	if tc.remote != 0 {
		if o.remote == nil || o.remote.Code != tc.remote || !strings.Contains(o.remote.Message, tc.msg) {
			t.Errorf("want error frame %v with %q; got %v", tc.remote, tc.msg, o)
		}
	} else if o.summary == nil || o.summary.Entries != uint64(len(tc.codes)) {
		t.Errorf("want a summary of %d entries; got %v", len(tc.codes), o)
	}
}

// checkLanded checks that the inbox holds what it held before plus the
// expected files, then removes those so that the next case starts clean.
func checkLanded(t *testing.T, r *receiver, lands []string, before map[string]string) {
	t.Helper()
	var extra []string
	for name, now := range snapshot(t, r.dir) {
		if before[name] != now {
			extra = append(extra, name)
		}
	}
	slices.Sort(extra)
	if !slices.Equal(extra, lands) {
		t.Errorf("inbox gained %q, want %q", extra, lands)
	}
	for _, name := range lands {
		removeAll(t, r.dir, name)
	}
}

// TestBadNameRawClient injects a traversal name, with no end frame after
// it: the receiver refuses it naming it, writes nothing, logs it and
// serves the next sender.
func TestBadNameRawClient(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	o := exchange(t, r.addr, vectors.NewStream().Hello1().File("../escape.txt", "pwned").Bytes())
	if o.remote == nil || !strings.Contains(o.remote.Message, "invalid name") || !strings.Contains(o.remote.Message, `"../escape.txt"`) {
		t.Errorf("reply does not name the bad name: %v", o)
	}
	assertAlone(t, r) // nothing escaped beside the inbox
	if got := snapshot(t, r.dir); len(got) != 0 {
		t.Errorf("inbox not empty: %q", got)
	}
	sendValid(t, r)
	if !strings.Contains(r.log.String(), `escape.txt`) {
		t.Errorf("receiver log does not mention the bad name:\n%s", r.log)
	}
}
