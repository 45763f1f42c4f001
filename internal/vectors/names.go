package vectors

import (
	"fmt"
	"strings"
)

// badNames are names a reader must refuse with ErrBadName, keyed by the
// vector name.
var badNames = []struct{ vector, name, why string }{
	{"dotdot", "..", `".."`},
	{"dotdot-x", "../x", `a leading ".."`},
	{"a-dotdot-dotdot-x", "a/../../x", `".." climbing out`},
	{"a-dotdot-b", "a/../b", `".." even when it stays inside`},
	{"dot", ".", `"."`},
	{"a-dot-b", "a/./b", `a "." component`},
	{"empty", "", "the empty name"},
	{"double-slash", "a//b", "an empty component"},
	{"trailing-slash", "a/", "a trailing slash (empty last component)"},
	{"absolute", "/etc/x", "an absolute name"},
	{"drive-backslash", `C:\x`, "a Windows drive path"},
	{"drive-relative", "C:x", "a drive-relative Windows path"},
	{"unc", `\\srv\x`, "a UNC path"},
	{"backslash", `a\b`, "a backslash"},
	{"nul", "a\x00b", "a NUL byte"},
	{"newline", "a\nb", "a newline"},
	{"tab", "a\tb", "a tab"},
	{"del", "a\x7fb", "DEL (0x7f)"},
	{"c1-nel", "a\u0085b", "the C1 control U+0085 (NEL)"},
	{"escape-sequence", "\x1b[2J\x1b[31mred", "a terminal escape sequence"},
	{"invalid-utf8", "a\xffb", "invalid UTF-8"},
	{"overlong-utf8-slash", "a\xc0\xafb", "an overlong UTF-8 encoding of '/'"},
	{"replacement-char", "a\ufffdb", "U+FFFD, which is what a decoder makes of invalid UTF-8"},
	{"component-256", strings.Repeat("c", 256), "a component of 256 bytes"},
	{"deep-component-256", "d/" + strings.Repeat("c", 256) + "/f", "a component of 256 bytes inside a path"},
	{"depth-257", strings.Repeat("a/", 256) + "a", "257 components, one more than a name may have"},
}

// goodNames are accepted names close to the rules' edges.
var goodNames = []string{
	"...", "a..b", ".hidden", "a/.b", "-rf", "a b", "ab:c", "a/C:x",
	"héllo/日本語.txt", "emoji-😀", strings.Repeat("c", 255), longName(4096),
	strings.Repeat("a/", 255) + "a",
}

// senderNames returns one failing vector per bad name and per bad symlink
// target, and one vector of accepted edge cases.
func senderNames() []Vector {
	var vs []Vector
	for _, b := range badNames {
		s := newStream().hello1().frame(typeFile, entry(b.name, modeFile, mtime, 0, "")).trailer("").end(1)
		vs = append(vs, fails("name-"+b.vector, "ErrBadName", fmt.Sprintf("a file named %q: %s", b.name, b.why), s))
	}
	s := newStream().hello1()
	var es []Entry
	for _, n := range goodNames {
		s.file(n, "ok")
		es = append(es, fileOK(n, "ok"))
	}
	s.end(uint64(len(es)))
	vs = append(vs, ok("name-edge-cases", "accepted names near the rules' edges, up to a 255-byte component, a 4096-byte name and 256 components", s, es...))
	return append(vs, symlinkVectors()...)
}

// symlinkVectors returns symlinks that a reader must refuse.
func symlinkVectors() []Vector {
	bad := []struct{ vector, name, target, why string }{
		{"escape-parent", "l", "../x", "climbs out of the root"},
		{"escape-deep", "a/b/l", "../../../etc/passwd", "climbs out of the root from two levels down"},
		{"absolute", "l", "/etc/passwd", "points at an absolute path"},
		{"dotdot-after-name", "l", "x/..", `has ".." after a named component (x may itself be a link)`},
		{"empty-target", "l", "", "has an empty target"},
		{"target-newline", "l", "a\nb", "has a newline in its target"},
		{"target-backslash", "l", `..\x`, "has a backslash in its target"},
		{"target-invalid-utf8", "l", "\xff", "has invalid UTF-8 in its target"},
	}
	var vs []Vector
	for _, b := range bad {
		s := newStream().hello1().symlink(b.name, b.target).end(1)
		vs = append(vs, fails("symlink-"+b.vector, "ErrBadName",
			fmt.Sprintf("a symlink %q -> %q that %s", b.name, b.target, b.why), s))
	}
	return vs
}
