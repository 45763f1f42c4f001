package ignore

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExcluded checks each pattern form of the package doc against paths
// that it must and must not exclude.
func TestExcluded(t *testing.T) {
	type probe struct {
		rel  string
		dir  bool
		want bool
	}
	cases := []struct {
		name     string
		patterns []string
		probes   []probe
	}{
		{"extension at any depth", []string{"*.o"}, []probe{
			{"a.o", false, true}, {"src/x/a.o", false, true}, {"a.o.txt", false, false},
			{"ao", false, false}, {"dir.o", true, true},
		}},
		{"name at any depth", []string{".git"}, []probe{
			{".git", true, true}, {"sub/.git", true, true}, {"sub/.gitignore", false, false}, {"x.git", true, false},
		}},
		{"anchored path", []string{"build/tmp"}, []probe{
			{"build/tmp", true, true}, {"build/tmp", false, true}, {"x/build/tmp", true, false}, {"build", true, false},
		}},
		{"anchored dir only", []string{"build/tmp/"}, []probe{
			{"build/tmp", true, true}, {"build/tmp", false, false}, {"src/build/tmp", true, false},
		}},
		{"dir only at any depth", []string{"cache/"}, []probe{
			{"cache", true, true}, {"a/b/cache", true, true}, {"cache", false, false},
		}},
		{"leading slash anchors a name", []string{"/dist"}, []probe{
			{"dist", true, true}, {"a/dist", true, false},
		}},
		{"leading double star", []string{"**/.git"}, []probe{
			{".git", true, true}, {"a/.git", true, true}, {"a/b/c/.git", true, true}, {"a/.gitx", true, false},
		}},
		{"inner double star", []string{"a/**/b"}, []probe{
			{"a/b", true, true}, {"a/x/b", false, true}, {"a/x/y/b", false, true}, {"b", false, false}, {"x/a/b", false, false},
		}},
		{"trailing double star", []string{"logs/**"}, []probe{
			{"logs", true, false}, {"logs/x", false, true}, {"logs/x/y", false, true}, {"x/logs/y", false, false},
		}},
		{"repeated double stars collapse", []string{"a/**/**/b"}, []probe{
			{"a/b", false, true}, {"a/x/b", false, true},
		}},
		{"double star alone", []string{"**"}, []probe{
			{"x", false, true}, {"x/y", true, true},
		}},
		{"question mark and class", []string{"f?.[ch]", "[!a]z"}, []probe{
			{"f1.c", false, true}, {"f1.h", false, true}, {"f1.o", false, false}, {"f12.c", false, false},
			{"bz", false, true}, {"az", false, false},
		}},
		{"star stays in one component", []string{"a/*"}, []probe{
			{"a/x", false, true}, {"a/x/y", false, false},
		}},
		{"negation re-includes", []string{"*.log", "!keep.log"}, []probe{
			{"x.log", false, true}, {"keep.log", false, false}, {"d/keep.log", false, false},
		}},
		{"last match decides", []string{"!keep.log", "*.log"}, []probe{
			{"keep.log", false, true},
		}},
		{"comments, blanks, escapes", []string{"# *.c", "", "   ", `\#hash`, `\!bang`, `trail\ `, "sp  "}, []probe{
			{"x.c", false, false}, {"#hash", false, true}, {"!bang", false, true}, {"trail ", false, true},
			{"sp", false, true}, {"sp  ", false, false},
		}},
		{"escaped star", []string{`a\*`}, []probe{
			{"a*", false, true}, {"ab", false, false},
		}},
		{"crlf line", []string{"*.tmp\r"}, []probe{
			{"x.tmp", false, true},
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Parse(tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range tc.probes {
				if got := r.Excluded(p.rel, p.dir); got != p.want {
					t.Errorf("%q: Excluded(%q, dir=%v) = %v, want %v", tc.patterns, p.rel, p.dir, got, p.want)
				}
			}
		})
	}
}

// TestParseErrors: patterns that cannot match anything or are malformed
// are refused with ErrPattern, naming the pattern.
func TestParseErrors(t *testing.T) {
	for _, pat := range []string{"!", "/", "!/", "a/[b", "[", "a//b"} {
		_, err := Parse([]string{pat})
		if !errors.Is(err, ErrPattern) {
			t.Errorf("Parse(%q) = %v, want ErrPattern", pat, err)
		}
	}
}

// TestEmpty: nil and blank rule sets exclude nothing.
func TestEmpty(t *testing.T) {
	var none *Rules
	blank, err := Parse([]string{"", "# only a comment"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []*Rules{none, blank} {
		if !r.Empty() || r.Excluded("x", false) {
			t.Errorf("%v: Empty %v, Excluded %v", r, r.Empty(), r.Excluded("x", false))
		}
	}
}

// TestReadFile reads an exclude file line by line, CRLF included, and
// names a missing one.
func TestReadFile(t *testing.T) {
	name := filepath.Join(t.TempDir(), "excludes")
	if err := os.WriteFile(name, []byte("*.o\r\n# c\n.git/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	lines, err := ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(lines)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Excluded("a/b.o", false) || !r.Excluded(".git", true) || r.Excluded("c", false) {
		t.Errorf("rules from %q: %v", lines, r)
	}
	if _, err := ReadFile(name + ".missing"); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzExcluded: no pattern or path panics, matching stays linear enough to
// finish, and a pattern followed by its negation excludes nothing.
func FuzzExcluded(f *testing.F) {
	for _, s := range [][2]string{{"*.o", "a/b.o"}, {"**/.git", "x/.git"}, {"a/**/b/**/c", "a/x/b/y/c"},
		{"build/tmp/", "build/tmp"}, {"[!a]?", "bz"}, {`\#x`, "#x"}} {
		f.Add(s[0], s[1], true)
	}
	f.Fuzz(func(t *testing.T, pat, rel string, dir bool) {
		r, err := Parse([]string{pat})
		if err != nil {
			return
		}
		r.Excluded(rel, dir)
		if r.Empty() || strings.ContainsAny(pat[:1], `!#\`) {
			return
		}
		both, err := Parse([]string{pat, "!" + pat})
		if err != nil {
			t.Fatalf("%q parses but its negation does not: %v", pat, err)
		}
		if both.Excluded(rel, dir) {
			t.Errorf("%q then its negation excludes %q", pat, rel)
		}
	})
}
