package protocol_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// allocBudget bounds what decoding n input bytes may allocate: fixed
// buffers plus a small multiple of the input, never a declared length.
func allocBudget(n int) uint64 { return 1<<20 + 8*uint64(n) }

// allocated returns the bytes allocated while f ran.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// isSentinel reports whether err is one of the protocol's sentinel errors.
func isSentinel(err error) bool {
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

func seedVectors(f *testing.F, stream string) {
	for _, v := range loadManifest(f) {
		if v.Stream == stream {
			f.Add(v.Data)
		}
	}
}

// FuzzReader feeds whole sender streams (hello included) to ReadHello,
// Negotiate and a Reader, reading every body to its end.
func FuzzReader(f *testing.F) {
	seedVectors(f, vectors.Sender)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := bytes.NewReader(data)
		var o outcome
		if n := allocated(func() { o = readSender(src) }); n > allocBudget(len(data)) {
			t.Fatalf("allocated %d bytes for %d input bytes", n, len(data))
		}
		if o.Err != nil && !isSentinel(o.Err) {
			t.Fatalf("error %v is not a protocol sentinel", o.Err)
		}
		for _, e := range o.Entries {
			checkEntryInvariants(t, e)
		}
		if o.Err == nil && !hasBadBody(o.Entries) {
			// The reader accepts only canonical encodings: writing what
			// was read gives back the bytes it consumed.
			checkReencode(t, o, data[:len(data)-src.Len()])
		}
	})
}

func checkEntryInvariants(t *testing.T, e vectors.Entry) {
	t.Helper()
	if err := protocol.ValidName(e.Name); err != nil {
		t.Fatalf("entry with an invalid name: %v", err)
	}
	if e.Kind == "symlink" {
		if err := protocol.ValidLinkTarget(e.Name, e.Target); err != nil {
			t.Fatalf("symlink with an invalid target: %v", err)
		}
	} else if e.Target != "" {
		t.Fatalf("%s %q with a target", e.Kind, e.Name)
	}
	if e.Mode&^0o777 != 0 || e.Size < 0 || (e.Kind != "file" && e.Size != 0) {
		t.Fatalf("entry %+v breaks the field rules", e)
	}
	// readBody has checked that a body read to its end has the header's size.
}

func checkReencode(t *testing.T, o outcome, consumed []byte) {
	t.Helper()
	var buf bytes.Buffer
	h := protocol.Hello{MinVersion: o.Hello.MinVersion, MaxVersion: o.Hello.MaxVersion, Caps: o.Hello.Caps}
	if err := protocol.WriteHello(&buf, h); err != nil {
		t.Fatal(err)
	}
	writeEntries(t, protocol.NewWriter(&buf), o.Entries, o.bodies)
	if !bytes.Equal(buf.Bytes(), consumed) {
		t.Fatalf("re-encoding differs\ngot  %x\nread %x", buf.Bytes(), consumed)
	}
}

// FuzzReplyReader feeds whole receiver streams to ReadAccept and a
// ReplyReader.
func FuzzReplyReader(f *testing.F) {
	seedVectors(f, vectors.Receiver)
	f.Fuzz(func(t *testing.T, data []byte) {
		src := bytes.NewReader(data)
		var o outcome
		if n := allocated(func() { o = readReceiver(src, protocol.DefaultHello()) }); n > allocBudget(len(data)) {
			t.Fatalf("allocated %d bytes for %d input bytes", n, len(data))
		}
		var re *protocol.RemoteError
		if o.Err != nil && !isSentinel(o.Err) && !errors.As(o.Err, &re) {
			t.Fatalf("error %v is neither a sentinel nor a *RemoteError", o.Err)
		}
		if o.Err == nil || re != nil {
			checkRepliesReencode(t, o, data[:len(data)-src.Len()])
		}
	})
}

func checkRepliesReencode(t *testing.T, o outcome, consumed []byte) {
	t.Helper()
	var buf bytes.Buffer
	if o.Accept != nil {
		protocol.WriteAccept(&buf, protocol.Accept{Version: o.Accept.Version, Caps: o.Accept.Caps})
	}
	rw := protocol.NewReplyWriter(&buf)
	for _, r := range o.Replies {
		if v := r.Verdict; v != nil {
			if len(v.Message) > protocol.MaxMessageLen {
				t.Fatalf("message of %d bytes", len(v.Message))
			}
			rw.WriteVerdict(protocol.Verdict{Index: v.Index, Code: protocol.Code(v.Code), Message: v.Message})
		} else {
			rw.WriteSummary(protocol.Summary(*r.Summary))
		}
	}
	if o.Remote != nil {
		rw.WriteError(protocol.Code(o.Remote.Code), o.Remote.Message)
	}
	if !bytes.Equal(buf.Bytes(), consumed) {
		t.Fatalf("re-encoding differs\ngot  %x\nread %x", buf.Bytes(), consumed)
	}
}

// FuzzValidName checks what an accepted name or symlink target guarantees.
func FuzzValidName(f *testing.F) {
	for _, v := range loadManifest(f) {
		if name, target, ok := firstEntry(v.Data); ok {
			f.Add(name, target)
		}
	}
	for _, tt := range nameTests {
		f.Add(tt.name, "../x")
	}
	f.Fuzz(func(t *testing.T, name, target string) {
		err := protocol.ValidName(name)
		if err != nil {
			if !errors.Is(err, protocol.ErrBadName) {
				t.Fatalf("ValidName error %v is not ErrBadName", err)
			}
			return
		}
		checkNameInvariants(t, name)
		err = protocol.ValidLinkTarget(name, target)
		if err != nil {
			if !errors.Is(err, protocol.ErrBadName) {
				t.Fatalf("ValidLinkTarget error %v is not ErrBadName", err)
			}
			return
		}
		checkTargetInvariants(t, name, target)
	})
}

func checkNameInvariants(t *testing.T, name string) {
	t.Helper()
	if len(name) > protocol.MaxNameLen || !utf8.ValidString(name) || path.Clean(name) != name ||
		!filepath.IsLocal(name) || strings.ContainsAny(name, "\\\ufffd") {
		t.Fatalf("accepted name %q", name)
	}
	for i, c := range strings.Split(name, "/") {
		if c == "" || c == "." || c == ".." || len(c) > protocol.MaxComponentLen ||
			strings.IndexFunc(c, unicode.IsControl) >= 0 || (i == 0 && len(c) >= 2 && c[1] == ':' && unicode.IsLetter(rune(c[0])) && c[0] < utf8.RuneSelf) {
			t.Fatalf("accepted name %q with component %q", name, c)
		}
	}
}

func checkTargetInvariants(t *testing.T, name, target string) {
	t.Helper()
	resolved := path.Join(path.Dir(name), target)
	if len(target) > protocol.MaxTargetLen || !utf8.ValidString(target) || path.IsAbs(target) ||
		resolved == ".." || strings.HasPrefix(resolved, "../") ||
		strings.IndexFunc(target, unicode.IsControl) >= 0 || strings.ContainsAny(target, "\\\ufffd") {
		t.Fatalf("accepted symlink %q -> %q (resolves to %q)", name, target, resolved)
	}
	named := false
	for _, c := range strings.Split(target, "/") {
		switch {
		case c == ".." && named:
			t.Fatalf("accepted symlink %q -> %q: .. after a named component", name, target)
		case c != "" && c != "." && c != "..":
			named = true
		}
	}
}

// firstEntry returns the name and target of the first entry frame of a
// sender stream, if there is one.
func firstEntry(data []byte) (name, target string, ok bool) {
	const at = 20 + 5 // hello, frame header
	if len(data) < at+24 || data[20] < 1 || data[20] > 3 {
		return "", "", false
	}
	p := data[at:]
	n := int(binary.BigEndian.Uint16(p))
	if len(p) < 24+n {
		return "", "", false
	}
	name, q := string(p[2:2+n]), p[2+n:]
	m := int(binary.BigEndian.Uint16(q[20:]))
	if len(q) < 22+m {
		return name, "", true
	}
	return name, string(q[22 : 22+m]), true
}
