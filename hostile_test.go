package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// hostileCase is one hand-built stream of DESIGN.md section 4 and what the
// receiver must answer.
type hostileCase struct {
	name   string
	stream []byte
	remote protocol.Code   // error frame expected (0: none)
	msg    string          // in the error frame's message
	codes  []protocol.Code // verdicts expected, in order
	silent bool            // the receiver just closes: the sender is gone
	lands  []string        // files that may be committed (complete and verified)
	log    string          // in the receiver's log
}

// badNames are names a receiver must refuse (DESIGN.md section 4, names).
var badNames = []string{
	"..", "../x", "a/../../x", ".", "a/./b", "", "a//b", "a/", "/etc/x", "//srv/x",
	`C:\x`, "C:x", `\\srv\x`, `a\b`, "a\x00b", "a\nb", "a\rb", "a\tb", "a\x7fb",
	"\x1b[2J\x1b[31mred", "\u009b31mred", "\x9b31m", "\xff\xfe", "\xc0\xaf", "a\xed\xa0\x80",
	strings.Repeat("a", 256), "d/" + strings.Repeat("b", 256),
}

func nameCases() []hostileCase {
	var cs []hostileCase
	for _, n := range badNames {
		cs = append(cs, hostileCase{
			name:   "name " + strconv.Quote(n),
			stream: append(append(helloBytes(), rawFileFrame(n, []byte("pwned"))...), endFrame(1)...),
			remote: protocol.CodeProtocol, msg: "invalid name " + strconv.Quote(n),
			log: "invalid name",
		})
	}
	long := strings.Repeat(strings.Repeat("n", 200)+"/", 30)[:protocol.MaxNameLen+1]
	cs = append(cs,
		hostileCase{name: "name over 4096 bytes", stream: append(helloBytes(), rawFileFrame(long, []byte("x"))...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "name of 4097 bytes"},
		hostileCase{name: "name length 0xffff", stream: append(helloBytes(), nameLenFrame(0xffff, "x")...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "name of 65535 bytes"},
		hostileCase{name: "name length beyond frame", stream: append(helloBytes(), nameLenFrame(100, "x")...),
			remote: protocol.CodeProtocol, msg: "malformed frame", log: "beyond frame"},
		hostileCase{name: "symlink to /etc/passwd", stream: append(helloBytes(), symlinkFrame("l", "/etc/passwd")...),
			remote: protocol.CodeProtocol, msg: "absolute target", log: "absolute target"},
		hostileCase{name: "symlink leaving the inbox", stream: append(helloBytes(), symlinkFrame("d/l", "../../x")...),
			remote: protocol.CodeProtocol, msg: "leaves the root", log: "leaves the root"},
	)
	return cs
}

// nameLenFrame is a file entry whose name length field is claimed but
// whose frame holds only name.
func nameLenFrame(claimed uint16, name string) []byte {
	e := rawEntry(name, 0)
	binary.BigEndian.PutUint16(e[5:], claimed)
	return e
}

// symlinkFrame is a symlink entry frame, unchecked.
func symlinkFrame(name, target string) []byte {
	p := binary.BigEndian.AppendUint16(nil, uint16(len(name)))
	p = append(p, name...)
	p = append(p, 0, 0, 0o1, 0o777&0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
	p = binary.BigEndian.AppendUint16(p, uint16(len(target)))
	p = append(p, target...)
	return rawFrame(0x03, uint32(len(p)), p)
}

// withSize is a file entry of the given size followed by body.
func withSize(size uint64, body []byte) []byte {
	return append(rawEntry("sized.bin", size), body...)
}

func lengthCases() []hostileCase {
	return []hostileCase{
		{name: "frame length 0xffffffff", stream: append(helloBytes(), rawFrame(0x01, 0xffffffff, nil)...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "frame of 4294967295 bytes"},
		{name: "frame length 16385", stream: append(helloBytes(), rawFrame(0x01, protocol.MaxFrameLen+1, make([]byte, 64))...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "frame of 16385 bytes"},
		{name: "size 2^63", stream: append(helloBytes(), withSize(1<<63, nil)...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "size 9223372036854775808"},
		{name: "size 2^64-1", stream: append(helloBytes(), withSize(1<<64-1, nil)...),
			remote: protocol.CodeProtocol, msg: "length over limit", log: "size 18446744073709551615"},
	}
}

func streamCases() []hostileCase {
	body := bytes.Repeat([]byte("0123456789"), 10)
	wrong := append(rawEntry("bad.bin", 100), body...)
	wrong = append(wrong, bytes.Repeat([]byte{0xee}, 32)...)
	longer := append(rawEntry("long.bin", 10), body[:20]...)
	longer = append(append(longer, trailer(body[:10])...), endFrame(1)...)
	hello := helloBytes
	return []hostileCase{
		{name: "short body then EOF", stream: append(hello(), withSize(100, body[:50])...),
			silent: true, log: "50 bytes of the body missing"},
		{name: "EOF before the hash", stream: append(hello(), withSize(100, body)...),
			silent: true, log: "stream ended early: in trailer"},
		{name: "half a hash", stream: append(append(hello(), withSize(100, body)...), trailer(body)[:16]...),
			silent: true, log: "stream ended early: in trailer"},
		{name: "more bytes than declared", stream: append(hello(), longer...),
			codes: []protocol.Code{protocol.CodeChecksum}, remote: protocol.CodeProtocol, log: "checksum mismatch"},
		{name: "wrong hash", stream: append(append(hello(), wrong...), endFrame(1)...),
			codes: []protocol.Code{protocol.CodeChecksum}, log: "checksum mismatch"},
		{name: "wrong hash then a good file", stream: append(append(append(hello(), wrong...), rawFileFrame("good.bin", body)...), endFrame(2)...),
			codes: []protocol.Code{protocol.CodeChecksum, protocol.CodeOK}, lands: []string{"good.bin"}, log: "good.bin"},
		{name: "missing end frame", stream: append(hello(), rawFileFrame("noend.bin", body)...),
			silent: true, codes: []protocol.Code{protocol.CodeOK}, lands: []string{"noend.bin"}, log: "no end frame"},
		{name: "bytes after the end frame", stream: append(validStream("extra.bin", body), "trailing junk"...),
			codes: []protocol.Code{protocol.CodeOK}, lands: []string{"extra.bin"}, log: "extra.bin"},
		{name: "end frame counts wrong", stream: append(hello(), endFrame(5)...),
			remote: protocol.CodeProtocol, msg: "end frame counts 5 entries", log: "end frame counts 5"},
		{name: "unknown frame type", stream: append(hello(), rawFrame(0x42, 1, []byte{0})...),
			remote: protocol.CodeProtocol, msg: "unexpected frame type", log: "unexpected frame type"},
		{name: "receiver frame from a sender", stream: append(hello(), rawFrame(0x81, 0, nil)...),
			remote: protocol.CodeProtocol, msg: "unexpected frame type", log: "unexpected frame type"},
		{name: "directory with a size", stream: append(hello(), dirWithSize()...),
			remote: protocol.CodeProtocol, msg: "malformed frame", log: "dir with size"},
		{name: "setuid mode", stream: append(hello(), setuidFrame()...),
			remote: protocol.CodeProtocol, msg: "malformed frame", log: "bits beyond 0777"},
	}
}

func dirWithSize() []byte {
	e := rawEntry("d", 7)
	e[0] = 0x02
	return e
}

func setuidFrame() []byte {
	e := rawEntry("suid", 0)
	binary.BigEndian.PutUint32(e[5+2+4:], 0o4755)
	return e
}

func peerCases() []hostileCase {
	tls := []byte{0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	wrongLast := append([]byte(protocol.Magic[:7]), 'X', 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
	return []hostileCase{
		{name: "HTTP request", stream: []byte("GET / HTTP/1.1\r\nHost: ft\r\n\r\n"),
			remote: protocol.CodeProtocol, msg: "not an ft sender", log: "bad magic"},
		{name: "SSH banner", stream: []byte("SSH-2.0-OpenSSH_9.6\r\n"),
			remote: protocol.CodeProtocol, msg: "not an ft sender", log: "bad magic"},
		{name: "TLS client hello", stream: tls, remote: protocol.CodeProtocol, msg: "not an ft sender", log: "bad magic"},
		{name: "zeros", stream: make([]byte, 64), remote: protocol.CodeProtocol, msg: "not an ft sender", log: "bad magic"},
		{name: "magic with a wrong last byte", stream: wrongLast, remote: protocol.CodeProtocol, msg: "not an ft sender", log: "bad magic"},
		{name: "magic then EOF", stream: []byte(protocol.Magic), silent: true, log: "stream ended early"},
		{name: "future version only", stream: append([]byte(protocol.Magic), 0, 2, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0),
			remote: protocol.CodeVersion, msg: "no common protocol version", log: "no common protocol version"},
		{name: "inverted version range", stream: append([]byte(protocol.Magic), 0, 3, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0),
			remote: protocol.CodeProtocol, msg: "version range", log: "version range 3-1"},
	}
}

// TestHostileStreams sends every hostile stream of DESIGN.md section 4 with
// a hand-built client: each gets a clear error, leaves the inbox as it was,
// and the receiver then serves a valid transfer.
func TestHostileStreams(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, t.TempDir(), "--header-timeout", "5s", "--idle-timeout", "5s")
	cases := slices.Concat(nameCases(), lengthCases(), streamCases(), peerCases())
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := listTree(t, r.dir)
			logAt := len(r.stderr.String())
			o := sendRaw(t, r.addr, tc.stream)
			checkOutcome(t, tc, o)
			waitLog(t, r, logAt, tc.log)
			waitFor(t, 10*time.Second, "no temp file", func() bool { return len(tempFiles(r.dir)) == 0 })
			checkLanded(t, r.dir, tc.lands, before)
			sendOneFile(t, r)
		})
	}
	assertLogClean(t, r.stderr.String())
}

// checkOutcome compares what the hand-built client heard with tc.
func checkOutcome(t *testing.T, tc hostileCase, o rawOutcome) {
	t.Helper()
	if !slices.Equal(o.codes(), tc.codes) {
		t.Errorf("verdicts %v, want %v (%v)", o.codes(), tc.codes, o)
	}
	switch {
	case tc.remote != 0:
		if o.remote == nil || o.remote.Code != tc.remote || !strings.Contains(o.remote.Message, tc.msg) {
			t.Errorf("want error frame %v with %q; got %v", tc.remote, tc.msg, o)
		}
	case tc.silent:
		if o.remote != nil || o.summary != nil || !errors.Is(o.err, protocol.ErrTruncated) {
			t.Errorf("want the connection closed without a word; got %v", o)
		}
	default:
		if o.summary == nil || o.summary.Entries != uint64(len(tc.codes)) {
			t.Errorf("want a summary of %d entries; got %v", len(tc.codes), o)
		}
	}
}

// checkLanded checks that the inbox holds what it held before plus the
// expected files, then removes those so that the next case starts clean.
func checkLanded(t *testing.T, dir string, lands, before []string) {
	t.Helper()
	after := listTree(t, dir)
	var extra []string
	for _, line := range after {
		if !slices.Contains(before, line) {
			extra = append(extra, strings.Fields(line)[0])
		}
	}
	if !slices.Equal(extra, lands) {
		t.Errorf("inbox gained %q, want %q", extra, lands)
	}
	for _, name := range lands {
		removeAll(t, dir, name)
	}
}

// TestPlantedSymlinks: symlinks planted in the inbox, to a file and to
// directories outside it (one of them /), never let anything be written
// outside the inbox, with or without --overwrite.
func TestPlantedSymlinks(t *testing.T) {
	t.Parallel()
	for _, overwrite := range []bool{false, true} {
		t.Run(fmt.Sprintf("overwrite=%v", overwrite), func(t *testing.T) {
			t.Parallel()
			outside, inbox, src := t.TempDir(), t.TempDir(), t.TempDir()
			victim := filepath.Join(outside, "victim")
			writeFile(t, victim, []byte("precious"), 0o644)
			must(t, os.Symlink(victim, filepath.Join(inbox, "report.pdf")))
			must(t, os.Symlink(outside, filepath.Join(inbox, "sub")))
			must(t, os.Symlink("/", filepath.Join(inbox, "root")))
			canary := fmt.Sprintf("ft-canary-%d-%v", os.Getpid(), overwrite)
			writeFile(t, filepath.Join(src, "report.pdf"), []byte("overwritten"), 0o644)
			writeFile(t, filepath.Join(src, "sub", "victim"), []byte("overwritten"), 0o644)
			writeFile(t, filepath.Join(src, "root", "tmp", canary), []byte("escaped"), 0o644)
			var args []string
			if overwrite {
				args = append(args, "--overwrite")
			}
			r := startReceiver(t, inbox, args...)
			res := ftIn(t, src, "send", r.addr, "report.pdf", "sub", "root")
			if res.code != exitRefused {
				t.Errorf("exit %d, want %d; stderr %q", res.code, exitRefused, res.stderr)
			}
			if got, _ := os.ReadFile(victim); string(got) != "precious" {
				t.Errorf("the victim outside the inbox was written: %q", got)
			}
			if _, err := os.Lstat(filepath.Join("/tmp", canary)); err == nil {
				os.Remove(filepath.Join("/tmp", canary))
				t.Errorf("a file escaped through the symlink to /")
			}
			if got := listTree(t, outside); !slices.Equal(got, []string{"victim 8 -rw-r--r--"}) {
				t.Errorf("outside the inbox: %q", got)
			}
			for _, l := range []string{"sub", "root"} {
				if fi, err := os.Lstat(filepath.Join(inbox, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("%s is no longer the planted symlink: %v", l, err)
				}
			}
			fi, err := os.Lstat(filepath.Join(inbox, "report.pdf"))
			if replaced := err == nil && fi.Mode().IsRegular(); replaced != overwrite {
				t.Errorf("report.pdf replaced by a regular file: %v, want %v", replaced, overwrite)
			}
			assertNoPartialTemps(t, inbox)
			sendOneFile(t, r)
		})
	}
}

// assertNoPartialTemps fails if temp files remain anywhere in the inbox.
func assertNoPartialTemps(t *testing.T, inbox string) {
	t.Helper()
	if left := tempFiles(inbox); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
}

// TestTempLikeNames: names of the receiver's temp-file form are reserved:
// a file or symlink so named would be swept at the next start.
func TestTempLikeNames(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, ".ft-0123456789abcdef.part"), []byte("mine"), 0o644)
	writeFile(t, filepath.Join(src, "d", ".ft-fedcba9876543210.part"), []byte("mine too"), 0o644)
	must(t, os.Symlink("x", filepath.Join(src, "d", ".ft-00000000ffffffff.part")))
	writeFile(t, filepath.Join(src, "d", ".ft-00000000aaaaaaaa.part", "in"), []byte("in a reserved dir"), 0o644)
	writeFile(t, filepath.Join(src, "d", "x"), []byte("x"), 0o644)
	r := startReceiver(t, t.TempDir())
	res := ftIn(t, src, "send", r.addr, ".ft-0123456789abcdef.part", "d")
	if res.code != exitRefused {
		t.Errorf("exit %d, want %d; stderr %q", res.code, exitRefused, res.stderr)
	}
	for _, name := range []string{".ft-0123456789abcdef.part", "d/.ft-fedcba9876543210.part", "d/.ft-00000000ffffffff.part",
		"d/.ft-00000000aaaaaaaa.part", "d/.ft-00000000aaaaaaaa.part/in"} {
		if !strings.Contains(res.stderr, fmt.Sprintf("ft: failed: %q: bad name: name %q is reserved for the receiver's temp files", name, name)) {
			t.Errorf("%q not refused as reserved; stderr %q", name, res.stderr)
		}
	}
	if got := listTree(t, r.dir); !slices.Equal(got, []string{"d/ -rwxr-xr-x", "d/x 1 -rw-r--r--"}) {
		t.Errorf("inbox holds %q, want only d/x", got)
	}
}
