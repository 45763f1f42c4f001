package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// makeBuildTree writes a tree with what --exclude is for: a .git at the
// top and below, object files, a nested build/tmp, and a file to keep.
func makeBuildTree(t *testing.T, src string) {
	t.Helper()
	for _, f := range []string{"proj/main.c", "proj/main.o", "proj/.git/HEAD", "proj/.git/objects/ab/cd",
		"proj/lib/util.c", "proj/lib/util.o", "proj/lib/keep.o", "proj/vendor/x/.git/config",
		"proj/build/tmp/scratch", "proj/build/out.bin", "proj/src/build/tmp/kept"} {
		writeFile(t, filepath.Join(src, f), []byte(f), 0o644)
	}
}

// names lists the files and directories under dir, receiver files left
// out, as slash paths with a trailing slash for a directory.
func names(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for _, line := range listTree(t, dir) {
		name, _, _ := strings.Cut(line, " ")
		out = append(out, filepath.ToSlash(name))
	}
	return out
}

// TestSendExclude: what --exclude and --exclude-from match inside a sent
// directory does not arrive, everything else does, the send exits 0 and
// its summary counts the excluded entries.
func TestSendExclude(t *testing.T) {
	cases := []struct {
		name     string
		args     func(src string) []string
		want     []string
		excluded string // in the summary
	}{
		{"patterns on the command line, flags after the paths", func(string) []string {
			return []string{"proj", "--exclude", "*.o", "--exclude", "**/.git", "--exclude", "build/tmp/", "--exclude", "!keep.o"}
		}, []string{"proj/", "proj/build/", "proj/build/out.bin", "proj/lib/", "proj/lib/keep.o", "proj/lib/util.c",
			"proj/main.c", "proj/src/", "proj/src/build/", "proj/src/build/tmp/", "proj/src/build/tmp/kept",
			"proj/vendor/", "proj/vendor/x/"}, "5 excluded"},
		{"an exclude file with comments, then a flag", func(src string) []string {
			f := filepath.Join(src, "excludes")
			writeFile(t, f, []byte("# build leftovers\n*.o\n\n/vendor\n"), 0o644)
			return []string{"--exclude-from", f, "--exclude=.git/", "proj"}
		}, []string{"proj/", "proj/build/", "proj/build/out.bin", "proj/build/tmp/", "proj/build/tmp/scratch",
			"proj/lib/", "proj/lib/util.c", "proj/main.c", "proj/src/", "proj/src/build/", "proj/src/build/tmp/",
			"proj/src/build/tmp/kept"}, "5 excluded"},
		{"a named file is sent whatever the patterns", func(string) []string {
			return []string{"--exclude", "*.o", "proj/main.o"}
		}, []string{"main.o"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, inbox := t.TempDir(), t.TempDir()
			makeBuildTree(t, src)
			r := startReceiver(t, inbox)
			res := ftIn(t, src, append([]string{"send", r.addr}, tc.args(src)...)...)
			if res.code != exitOK {
				t.Fatalf("send exited %d, want 0:\n%s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
			}
			if got := names(t, inbox); !slices.Equal(got, tc.want) {
				t.Errorf("inbox holds\n%q\nwant\n%q", got, tc.want)
			}
			if tc.excluded != "" && !strings.Contains(res.stderr, tc.excluded) || tc.excluded == "" && strings.Contains(res.stderr, "excluded") {
				t.Errorf("summary should say %q:\n%s", tc.excluded, res.stderr)
			}
		})
	}
}

// TestSendExcludeUsage: a bad pattern or a missing exclude file is a usage
// error before anything is sent; a comma is part of a pattern.
func TestSendExcludeUsage(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "d/a,b"), []byte("x"), 0o644)
	writeFile(t, filepath.Join(src, "d/a"), []byte("x"), 0o644)
	r := startReceiver(t, inbox)
	for _, args := range [][]string{{"--exclude", "[oops"}, {"--exclude", "!"}, {"--exclude-from", filepath.Join(src, "none")}} {
		res := ftIn(t, src, append([]string{"send", r.addr, "d"}, args...)...)
		if res.code != exitUsage || !strings.Contains(res.stderr, "--exclude") {
			t.Errorf("%q: exit %d, want %d naming the flag:\n%s", args, res.code, exitUsage, res.stderr)
		}
	}
	if got := names(t, inbox); len(got) != 0 {
		t.Errorf("bad excludes sent %q", got)
	}
	res := ftIn(t, src, "send", r.addr, "d", "--exclude", "a,b")
	if got, want := names(t, inbox), []string{"d/", "d/a"}; res.code != exitOK || !slices.Equal(got, want) {
		t.Errorf("--exclude a,b: exit %d, inbox %q, want %q:\n%s", res.code, got, want, res.stderr)
	}
}

// TestSendTo: --to lands files and trees under a subdirectory of the
// inbox, made as needed and next to what is there; a --to that is not a
// clean relative name is a usage error and sends nothing.
func TestSendTo(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "dist/app"), []byte("app"), 0o755)
	writeFile(t, filepath.Join(src, "dist/lib/x.so"), []byte("so"), 0o644)
	writeFile(t, filepath.Join(src, "NOTES"), []byte("n"), 0o644)
	must(t, os.Symlink("lib/x.so", filepath.Join(src, "dist/link")))
	writeFile(t, filepath.Join(inbox, "releases/old"), []byte("o"), 0o644)
	r := startReceiver(t, inbox)

	res := ftIn(t, src, "send", r.addr, "--to", "releases/1.2/", "dist", "NOTES")
	if res.code != exitOK {
		t.Fatalf("send --to exited %d:\n%s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
	}
	want := []string{"releases/", "releases/1.2/", "releases/1.2/NOTES", "releases/1.2/dist/", "releases/1.2/dist/app",
		"releases/1.2/dist/lib/", "releases/1.2/dist/lib/x.so", "releases/1.2/dist/link", "releases/old"}
	if got := names(t, inbox); !slices.Equal(got, want) {
		t.Errorf("inbox holds\n%q\nwant\n%q", got, want)
	}
	if target, err := os.Readlink(filepath.Join(inbox, "releases/1.2/dist/link")); err != nil || target != "lib/x.so" {
		t.Errorf("symlink under --to: %q, %v", target, err)
	}
	assertNoTemp(t, inbox)

	for _, bad := range []string{"../up", "/abs", "a//b", "a/./b", ".", "a\\b", "x/..", "new\nline"} {
		res := ftIn(t, src, "send", r.addr, "--to", bad, "NOTES")
		if res.code != exitUsage || !strings.Contains(res.stderr, "destination") {
			t.Errorf("--to %q: exit %d, want %d:\n%s", bad, res.code, exitUsage, res.stderr)
		}
	}
	if got := names(t, inbox); !slices.Equal(got, want) {
		t.Errorf("after bad --to, inbox holds\n%q\nwant\n%q", got, want)
	}
}
