package protocol_test

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

// hexBlockRE finds the hex dumps of PROTOCOL.md: a marker comment naming a
// test vector, then a fenced block.
var hexBlockRE = regexp.MustCompile("(?s)<!-- hex: ([a-z0-9-]+) -->\\s*```text\\n(.*?)```")

// parseHexDump decodes lines of space-separated hex bytes, each optionally
// followed by a "#" comment.
func parseHexDump(dump string) ([]byte, error) {
	var out []byte
	for i, line := range strings.Split(dump, "\n") {
		if j := strings.IndexByte(line, '#'); j >= 0 {
			line = line[:j]
		}
		for _, tok := range strings.Fields(line) {
			b, err := hex.DecodeString(tok)
			if err != nil || len(b) != 1 {
				return nil, fmt.Errorf("line %d: %q is not one hex byte", i+1, tok)
			}
			out = append(out, b[0])
		}
	}
	return out, nil
}

// TestProtocolDocExample checks that the worked example of PROTOCOL.md is
// byte for byte the example vectors, and reads as the manifest says.
func TestProtocolDocExample(t *testing.T) {
	doc, err := os.ReadFile("../PROTOCOL.md")
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]int{}
	vs := loadManifest(t)
	for i, v := range vs {
		byName[v.Name] = i
	}
	found := map[string]bool{}
	for _, m := range hexBlockRE.FindAllStringSubmatch(string(doc), -1) {
		name, dump := m[1], m[2]
		found[name] = true
		data, err := parseHexDump(dump)
		if err != nil {
			t.Fatalf("PROTOCOL.md, %s: %v", name, err)
		}
		i, ok := byName[name]
		if !ok {
			t.Fatalf("PROTOCOL.md shows %q, which is not a test vector", name)
		}
		v := vs[i]
		if !bytes.Equal(data, v.Data) {
			t.Errorf("PROTOCOL.md, %s: the hex dump differs from the vector\ndoc    %x\nvector %x", name, data, v.Data)
		}
		if !strings.Contains(string(doc), fmt.Sprintf(", %d bytes:\n\n<!-- hex: %s -->", len(data), name)) {
			t.Errorf("PROTOCOL.md, %s: the byte count before the dump is not %d", name, len(data))
		}
		t.Run(name, func(t *testing.T) { checkOutcome(t, v, readVector(v, bytes.NewReader(data))) })
	}
	for _, name := range []string{"example-sender", "example-receiver"} {
		if !found[name] {
			t.Errorf("PROTOCOL.md has no hex dump of %s", name)
		}
	}
}
