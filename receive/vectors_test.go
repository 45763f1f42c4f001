package receive_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// vectorsDir holds the protocol's test vectors.
const vectorsDir = "../protocol/testdata"

// knownGaps are vectors on which the receiver does not yet do what
// PROTOCOL.md says, with the reason. Their checks still run: while they
// fail the vector is skipped with what failed; once they pass, the test
// fails until the entry is removed.
var knownGaps = map[string]string{}

// sentinels maps the error names of vectors.json to the protocol's errors.
var sentinels = map[string]error{
	"ErrBadMagic":  protocol.ErrBadMagic,
	"ErrVersion":   protocol.ErrVersion,
	"ErrFrame":     protocol.ErrFrame,
	"ErrTooLong":   protocol.ErrTooLong,
	"ErrBadName":   protocol.ErrBadName,
	"ErrTruncated": protocol.ErrTruncated,
}

// senderVectors reads the manifest and returns its sender streams.
func senderVectors(t *testing.T) []vectors.Vector {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(vectorsDir, vectors.ManifestFile))
	if err != nil {
		t.Fatal(err)
	}
	var m vectors.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	var vs []vectors.Vector
	for _, v := range m.Vectors {
		if v.Stream != vectors.Sender {
			continue
		}
		if v.Data, err = os.ReadFile(filepath.Join(vectorsDir, filepath.FromSlash(v.File))); err != nil {
			t.Fatal(err)
		}
		vs = append(vs, v)
	}
	if len(vs) < 50 {
		t.Fatalf("only %d sender vectors in %s", len(vs), vectorsDir)
	}
	return vs
}

// TestSenderVectors replays every sender stream of protocol/testdata
// against an in-process receiver whose inbox already holds a file and a
// directory. The receiver must answer as the vector's outcome says (the
// verdicts and summary of a clean stream; for a broken one, the verdicts
// of the entries before the break, then an error frame naming the
// protocol's error, or for a truncated stream just the end), log the
// failure, leave exactly the entries that are whole in the inbox (with
// their content, mode and time), no temp file, nothing beside the inbox
// and the existing entries untouched, and then serve a valid transfer.
func TestSenderVectors(t *testing.T) {
	t.Parallel()
	for _, v := range senderVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			t.Parallel()
			rep := &report{t: t, gap: knownGaps[v.Name]}
			replay(t, rep, v)
			rep.done()
		})
	}
}

// report collects a replay's failures: straight to the test, or for a
// known gap into a list.
type report struct {
	t      *testing.T
	gap    string
	failed []string
}

func (r *report) errorf(format string, args ...any) {
	r.t.Helper()
	if r.gap == "" {
		r.t.Errorf(format, args...)
		return
	}
	r.failed = append(r.failed, fmt.Sprintf(format, args...))
}

func (r *report) done() {
	if r.gap == "" {
		return
	}
	if len(r.failed) > 0 {
		r.t.Skipf("known gap, %s:\n%s", r.gap, strings.Join(r.failed, "\n"))
	}
	r.t.Errorf("the known gap %q no longer shows: remove it from knownGaps", r.gap)
}

func replay(t *testing.T, rep *report, v vectors.Vector) {
	t.Helper()
	opts := quick()
	opts.NoSync = false // as a receiver runs by default
	r := startReceiver(t, opts)
	plant(t, r.dir)
	before := snapshot(t, r.dir)
	want := expect(v)
	readErr := readerError(v.Data)
	if (readErr == nil) != (v.Error == "") || (v.Error != "" && !errors.Is(readErr, sentinels[v.Error])) {
		t.Fatalf("the protocol reader ends the stream with %v, the vector says %q", readErr, v.Error)
	}
	o := exchange(t, r.addr, v.Data)
	checkReplies(rep, v, want, readErr, o)
	waitLog(t, r, 0, "msg=connection")
	checkLog(rep, r.log.String(), want, readErr)
	waitNoTemp(t, r.dir)
	assertAlone(t, r)
	checkInbox(t, rep, r.dir, before, want.lands)
	sendValid(t, r)
	assertLogClean(t, r.log.String())
}

// plant puts entries in the inbox that no vector names: they must stay
// as they are.
func plant(t *testing.T, inbox string) {
	t.Helper()
	for name, body := range map[string]string{"preexisting.txt": "keep me\n", "preexisting-dir/inner.txt": "me too\n"} {
		p := filepath.Join(inbox, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o640); err != nil {
			t.Fatal(err)
		}
	}
}

// readerError returns the error with which the protocol's own reader ends
// the stream, reading it as a receiver does (nil if it reads cleanly).
func readerError(data []byte) error {
	r := bytes.NewReader(data)
	h, err := protocol.ReadHello(r)
	if err != nil {
		return err
	}
	if _, err := protocol.Negotiate(h); err != nil {
		return err
	}
	pr := protocol.NewReader(r)
	for {
		if _, err := pr.Next(); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if _, err := io.Copy(io.Discard, pr); err != nil && !errors.Is(err, protocol.ErrChecksum) {
			return err
		}
	}
}

// expectation is what the receiver must answer and leave for a vector.
type expectation struct {
	verdicts map[uint64]protocol.Code // every entry read whole, by index
	partial  map[uint64]bool          // entries cut by the stream's end: a refusal at most
	lands    []vectors.Entry          // what the inbox gains
	bytes    uint64                   // the summary's byte count
}

// expect applies the receiver's rules to the entries a vector lists: a
// whole entry with a good trailer lands unless its name is already taken
// in this stream (first wins: an identical file is unchanged, anything
// else exists, a directory again is fine); a bad trailer fails its entry, an aborted one is aborted.
func expect(v vectors.Vector) expectation {
	x := expectation{verdicts: make(map[uint64]protocol.Code), partial: make(map[uint64]bool)}
	placed := make(map[string]vectors.Entry)
	for i, e := range v.Entries {
		idx := uint64(i)
		prev, taken := placed[e.Name]
		switch {
		case e.Body == "incomplete":
			x.partial[idx] = true
		case e.Body == "ErrChecksum":
			x.verdicts[idx] = protocol.CodeChecksum
		case e.Body == "ErrAborted":
			x.verdicts[idx] = protocol.CodeAborted
		case taken && prev.Kind == "file" && e.Kind == "file" && prev.BLAKE3 == e.BLAKE3:
			x.verdicts[idx] = protocol.CodeUnchanged
		case taken && !(prev.Kind == "dir" && e.Kind == "dir"):
			x.verdicts[idx] = protocol.CodeExists
		default:
			x.verdicts[idx] = protocol.CodeOK
			if !taken {
				placed[e.Name] = e
				x.lands = append(x.lands, e)
			}
			if e.Kind == "file" {
				x.bytes += uint64(e.Size)
			}
		}
	}
	return x
}

// checkReplies compares what the receiver answered with the expectation.
func checkReplies(rep *report, v vectors.Vector, want expectation, readErr error, o outcome) {
	rep.t.Helper()
	if o.accepted != (v.Accept != nil) {
		rep.errorf("accepted: %v, want %v (%v)", o.accepted, v.Accept != nil, o)
	}
	got := make(map[uint64]protocol.Code)
	for _, vd := range o.verdicts {
		if _, dup := got[vd.Index]; dup {
			rep.errorf("two verdicts for entry %d: %v", vd.Index, o)
		}
		got[vd.Index] = vd.Code
		if want.partial[vd.Index] && vd.Code.Success() {
			rep.errorf("entry %d was cut short but got verdict %v", vd.Index, vd.Code)
		} else if w, ok := want.verdicts[vd.Index]; !ok && !want.partial[vd.Index] {
			rep.errorf("verdict %+v for an entry the vector does not read whole", vd)
		} else if ok && vd.Code != w {
			rep.errorf("entry %d (%q): verdict %v %q, want %v", vd.Index, v.Entries[vd.Index].Name, vd.Code, vd.Message, w)
		}
	}
	for idx := range want.verdicts {
		if _, ok := got[idx]; !ok {
			rep.errorf("no verdict for entry %d (%q): %v", idx, v.Entries[idx].Name, o)
		}
	}
	switch {
	case v.Error == "":
		checkSummary(rep, v, want, o)
	case v.Error == "ErrTruncated":
		if o.remote != nil || o.summary != nil || !errors.Is(o.err, protocol.ErrTruncated) {
			rep.errorf("want the connection closed without a word; got %v", o)
		}
	default:
		code, msg := protocol.CodeProtocol, strings.TrimPrefix(readErr.Error(), "protocol: ")
		switch v.Error {
		case "ErrVersion":
			code = protocol.CodeVersion
		case "ErrBadMagic":
			msg = "not an ft sender"
		}
		if o.remote == nil || o.remote.Code != code || !strings.Contains(o.remote.Message, msg) || o.summary != nil {
			rep.errorf("want an error frame %v with %q and no summary; got %v", code, msg, o)
		}
	}
}

func checkSummary(rep *report, v vectors.Vector, want expectation, o outcome) {
	rep.t.Helper()
	var committed uint64
	for _, c := range want.verdicts {
		if c.Success() {
			committed++
		}
	}
	entries := uint64(len(v.Entries))
	s := protocol.Summary{Entries: entries, Committed: committed, Failed: entries - committed, Bytes: want.bytes}
	if o.remote != nil || o.summary == nil || *o.summary != s {
		rep.errorf("want the summary %+v; got %v", s, o)
	}
}

// checkLog looks for the connection's end in the receiver's log: failed
// with the protocol's error for a broken stream, and each refusal's code.
func checkLog(rep *report, log string, want expectation, readErr error) {
	rep.t.Helper()
	if failed := strings.Contains(log, "outcome=failed"); failed != (readErr != nil) {
		rep.errorf("connection logged as failed: %v, want %v; log:\n%s", failed, readErr != nil, log)
	}
	if readErr != nil {
		q := strconv.Quote(strings.TrimPrefix(readErr.Error(), "protocol: "))
		if !strings.Contains(log, q[1:len(q)-1]) {
			rep.errorf("the log does not give the reason %s:\n%s", q, log)
		}
	}
	for _, c := range want.verdicts {
		if !c.Success() && !strings.Contains(log, c.String()) {
			rep.errorf("the log does not name the refusal %q:\n%s", c, log)
		}
	}
}

// checkInbox checks that the inbox holds what it held before, untouched,
// plus exactly the entries that land (and the directories above them).
func checkInbox(t *testing.T, rep *report, dir string, before map[string]string, lands []vectors.Entry) {
	t.Helper()
	after := snapshot(t, dir)
	allowed := make(map[string]bool)
	for _, e := range lands {
		for p := e.Name; p != "."; p = path.Dir(p) {
			allowed[p] = true
		}
	}
	for name, was := range before {
		if after[name] != was {
			rep.errorf("%s was %s, now %q", name, was, after[name])
		}
	}
	for name := range after {
		if _, old := before[name]; !old && !allowed[name] {
			rep.errorf("the inbox gained %q, which the vector does not land", name)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	for _, e := range lands {
		if err := checkEntry(root, e); err != nil {
			rep.errorf("%s %q: %v", e.Kind, e.Name, err)
		}
	}
}

// checkEntry checks that e is in place under root as the vector says.
func checkEntry(root *os.Root, e vectors.Entry) error {
	fi, err := root.Lstat(e.Name)
	if err != nil {
		return err
	}
	kinds := map[string]fs.FileMode{"file": 0, "dir": fs.ModeDir, "symlink": fs.ModeSymlink}
	if fi.Mode().Type() != kinds[e.Kind] {
		return fmt.Errorf("is a %v", fi.Mode().Type())
	}
	if e.Kind == "symlink" {
		if target, err := root.Readlink(e.Name); err != nil || target != e.Target {
			return fmt.Errorf("points to %q (%v), want %q", target, err, e.Target)
		}
		return nil
	}
	if want := fs.FileMode(e.Mode) &^ testUmask; runtime.GOOS != "windows" && fi.Mode().Perm() != want {
		return fmt.Errorf("mode %v, want %v (the entry's, cut by the umask)", fi.Mode().Perm(), want)
	}
	if e.MTime != 0 && !fi.ModTime().Equal(time.Unix(0, e.MTime)) {
		return fmt.Errorf("mtime %v, want %v", fi.ModTime(), time.Unix(0, e.MTime))
	}
	if e.Kind != "file" {
		return nil
	}
	body, err := root.ReadFile(e.Name)
	if errors.Is(err, fs.ErrPermission) { // a mode without read permission
		if err = root.Chmod(e.Name, 0o600); err == nil {
			body, err = root.ReadFile(e.Name)
		}
	}
	if err != nil {
		return err
	}
	if sum := blake3.Sum256(body); hex.EncodeToString(sum[:]) != e.BLAKE3 {
		return fmt.Errorf("holds %d bytes that are not the ones sent", len(body))
	}
	return nil
}
