package protocol_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// nameOfLen returns a valid name of n bytes whose components are at most
// 200 bytes long.
func nameOfLen(n int) string {
	var parts []string
	for n > 0 {
		c := min(n, 200)
		if n-c == 1 { // avoid leaving room for a slash only
			c--
		}
		parts = append(parts, strings.Repeat("n", c))
		n -= c + 1
	}
	return strings.Join(parts, "/")
}

// nameTests are ValidName cases: ok tells whether the name is accepted.
var nameTests = []struct {
	name string
	ok   bool
}{
	{"a", true},
	{"a/b/c.txt", true},
	{"...", true},
	{"a..b", true},
	{".hidden/.x", true},
	{"-rf", true},
	{"a b", true},
	{"ab:c", true},
	{"a/C:x", true},
	{"héllo/日本語.txt", true},
	{"emoji-😀", true},
	{"\u200b", true}, // zero-width space: a format character, not a control
	{strings.Repeat("c", 254), true},
	{strings.Repeat("c", 255), true},
	{strings.Repeat("c", 256), false},
	{"d/" + strings.Repeat("c", 255) + "/f", true},
	{"d/" + strings.Repeat("c", 256) + "/f", false},
	{nameOfLen(4095), true},
	{nameOfLen(4096), true},
	{nameOfLen(4097), false},
	{strings.Repeat("a/", protocol.MaxDepth-1) + "a", true},
	{strings.Repeat("a/", protocol.MaxDepth) + "a", false},
	{"", false},
	{".", false},
	{"..", false},
	{"../x", false},
	{"a/..", false},
	{"a/../b", false},
	{"a/../../x", false},
	{"./a", false},
	{"a/./b", false},
	{"a//b", false},
	{"a/", false},
	{"/", false},
	{"/etc/x", false},
	{`C:\x`, false},
	{"C:x", false},
	{"c:", false},
	{"z:/x", false},
	{`\\srv\x`, false},
	{`a\b`, false},
	{"a\x00b", false},
	{"a\nb", false},
	{"a\rb", false},
	{"a\tb", false},
	{"\x1b[31mred", false},
	{"a\x7fb", false},
	{"a\u0085b", false},
	{"a\u009bb", false}, // C1 CSI
	{"a\xffb", false},
	{"a\xc0\xafb", false},     // overlong '/'
	{"a\xed\xa0\x80b", false}, // UTF-8 encoded surrogate
	{"a\ufffdb", false},
}

func TestValidName(t *testing.T) {
	for _, n := range []int{4095, 4096, 4097} {
		if got := len(nameOfLen(n)); got != n {
			t.Fatalf("nameOfLen(%d) has %d bytes", n, got)
		}
	}
	for _, tt := range nameTests {
		err := protocol.ValidName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("ValidName(%.40q) = %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err != nil && !errors.Is(err, protocol.ErrBadName) {
			t.Errorf("ValidName(%.40q) = %v, not ErrBadName", tt.name, err)
		}
	}
}

func TestValidNameQuotesName(t *testing.T) {
	err := protocol.ValidName("a\x1b[2Jb/..")
	if err == nil || strings.ContainsRune(err.Error(), '\x1b') {
		t.Fatalf("error %q must quote the name", err)
	}
}

func TestValidLinkTarget(t *testing.T) {
	tests := []struct {
		name, target string
		ok           bool
	}{
		{"l", "x", true},
		{"l", "a/b/c", true},
		{"l", ".", true},
		{"l", "./x", true},
		{"l", "x/", true},
		{"l", "a//b", true},
		{"d/l", "..", true},
		{"d/l", "../x", true},
		{"a/b/l", "../../x/y", true},
		{"a/b/l", "./../.././x", true},
		{"a/b/l", strings.Repeat("c", 255), true},
		{"l", nameOfLen(4096), true},
		{"l", "", false},
		{"l", "..", false},
		{"l", "../x", false},
		{"a/b/l", "../../../x", false},
		{"l", "/etc/passwd", false},
		{"l", "/", false},
		{"l", "x/..", false},
		{"d/l", "x/../y", false},
		{"d/l", "./x/../..", false},
		{"l", `..\x`, false},
		{"l", "a\nb", false},
		{"l", "a\x00b", false},
		{"l", "\xff", false},
		{"l", "a\ufffd", false},
		{"l", strings.Repeat("c", 256), false},
		{"l", nameOfLen(4097), false},
	}
	for _, tt := range tests {
		err := protocol.ValidLinkTarget(tt.name, tt.target)
		if (err == nil) != tt.ok {
			t.Errorf("ValidLinkTarget(%q, %.40q) = %v, want ok=%v", tt.name, tt.target, err, tt.ok)
		}
		if err != nil && !errors.Is(err, protocol.ErrBadName) {
			t.Errorf("ValidLinkTarget(%q, %.40q) = %v, not ErrBadName", tt.name, tt.target, err)
		}
	}
}
