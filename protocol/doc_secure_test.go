package protocol_test

import (
	"bytes"
	"os"
	"regexp"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// hex2BlockRE finds the version 2 dumps of PROTOCOL.md, section 16.8.
var hex2BlockRE = regexp.MustCompile("(?s)<!-- hex2: ([a-z0-9-]+) -->\\s*```text\\n(.*?)```")

// secureVectors computes what section 16.8 shows: the secure hello, and a
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
	return map[string][]byte{"v2-hello": protocol.SecureHello(hello, protocol.ModeSecret),
		"v2-msg1": msg1, "v2-msg2": msg2, "v2-record1": rec.Bytes()}
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
