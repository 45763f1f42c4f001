package protocol_test

import (
	"bytes"
	"os"
	"regexp"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
	"github.com/zeebo/blake3"
)

// hex2BlockRE finds the version 2 dumps of PROTOCOL.md, sections 16.7 and 17.8.
var hex2BlockRE = regexp.MustCompile("(?s)<!-- hex2: ([a-z0-9-]+) -->\\s*```text\\n(.*?)```")

// secureVectors computes what sections 16.7 and 17.8 show: the secure hello, and a
// secret-mode handshake with the secret 00 01 .. 1f and ephemeral private
// keys of 32 bytes 0x11 (sender) and 0x22 (receiver), then the sender's
// first record (the hello again).
func secureVectors(t *testing.T) map[string][]byte {
	hello := protocol.Hello{MinVersion: 2, MaxVersion: 2}
	snd, _, msg1, msg2, err := pair(t, vectorSecret(), vectorSecret())
	if err != nil {
		t.Fatal(err)
	}
	var rec bytes.Buffer
	_, w := snd.Records(nil, &rec)
	protocol.WriteHello(w, hello)
	snd2, rcv2 := offerExample(t)
	return map[string][]byte{"v2-hello": protocol.SecureHello(hello, protocol.ModeSecret),
		"v2-msg1": msg1, "v2-msg2": msg2, "v2-record1": rec.Bytes(),
		"v2-example-sender": snd2, "v2-example-receiver": rcv2}
}

// offerExample computes the plaintext streams of section 17.7: a
// directory, a new file whose body is asked for and sent, and a file the
// receiver already holds, whose hash is asked for and found identical.
func offerExample(t *testing.T) (snd, rcv []byte) {
	mtime := time.Unix(0, 1700000000123456789)
	w, sbuf := v2()
	var rbuf bytes.Buffer
	rw := protocol.NewReplyWriter(&rbuf)
	for _, err := range []error{
		w.WriteHeader(&protocol.Header{Kind: protocol.KindDir, Name: "d", Mode: 0o755, ModTime: mtime}),
		w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: "d/hi.txt", Mode: 0o644, ModTime: mtime, Size: 3}),
		w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: "d/ok.txt", Mode: 0o644, ModTime: mtime, Size: 3}),
		rw.WriteAnswer(protocol.Answer{Index: 1}),
		rw.WriteAnswer(protocol.Answer{Index: 2, Hash: true}),
		w.BeginBody(1, 3, 0, nil),
		func() error { _, err := w.Write([]byte("hi\n")); return err }(),
		w.Close(),
		w.WriteHash(2, blake3.Sum256([]byte("ok\n"))),
		w.WriteEnd(),
		rw.WriteVerdict(protocol.Verdict{Index: 2, Code: protocol.CodeUnchanged}),
		rw.WriteVerdict(protocol.Verdict{Index: 1, Code: protocol.CodeOK}),
		rw.WriteVerdict(protocol.Verdict{Index: 0, Code: protocol.CodeOK}),
		rw.WriteSummary(protocol.Summary{Entries: 3, Committed: 3, Bytes: 3}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return sbuf.Bytes(), rbuf.Bytes()
}

// TestProtocolDocSecure checks the version 2 dumps of PROTOCOL.md.
func TestProtocolDocSecure(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	want := secureVectors(t)
	for _, m := range hex2BlockRE.FindAllStringSubmatch(string(doc), -1) {
		data, err := parseHexDump(m[2])
		if err != nil {
			t.Fatalf("%s: %v", m[1], err)
		}
		if !bytes.Equal(data, want[m[1]]) {
			t.Errorf("PROTOCOL.md, %s:\ndoc  %x\nwant %x", m[1], data, want[m[1]])
		}
		delete(want, m[1])
	}
	for name, b := range want {
		t.Errorf("PROTOCOL.md has no dump of %s: % x", name, b)
	}
}
