package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFlagsFirst: a command's flags move before its positional
// arguments, with their values; "--" and "-" stay positional, and the
// app's own flags and unknown commands are left alone.
func TestFlagsFirst(t *testing.T) {
	app := newApp(io.Discard, io.Discard)
	cases := []struct{ in, want string }{
		{"ft send h:1 dir -q", "ft send -q -- h:1 dir"},
		{"ft send -q h:1 dir", "ft send -q -- h:1 dir"},
		{"ft send h:1 --idle-timeout 5s dir", "ft send --idle-timeout 5s -- h:1 dir"},
		{"ft send h:1 --idle-timeout=5s dir", "ft send --idle-timeout=5s -- h:1 dir"},
		{"ft send h:1 dir -- -q", "ft send -- h:1 dir -q"},
		{"ft send h:1 - -q", "ft send -q -- h:1 -"},
		{"ft send h:1 dir --bogus", "ft send --bogus -- h:1 dir"},
		{"ft send --idle-timeout", "ft send --idle-timeout"},
		{"ft send", "ft send"},
		{"ft receive -d in --once -p 0", "ft receive -d in --once -p 0"},
		{"ft receive extra -d in", "ft receive -d in -- extra"},
		{"ft --version", "ft --version"},
		{"ft sned h:1 -q", "ft sned h:1 -q"},
		{"ft send h:1 -q --generate-bash-completion", "ft send h:1 -q --generate-bash-completion"},
	}
	for _, tc := range cases {
		got := strings.Join(flagsFirst(app, strings.Fields(tc.in)), " ")
		if got != tc.want {
			t.Errorf("flagsFirst(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestFlagsAfterAddress runs the real binary with flags after HOST:PORT
// and after the paths (-q silences the summary), and sends a file named
// "-q" after "--".
func TestFlagsAfterAddress(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "dir/a"), []byte("a"), 0o644)
	writeFile(t, filepath.Join(src, "-q"), []byte("dash"), 0o644)
	r := startReceiver(t, inbox, "--overwrite")
	for _, args := range [][]string{
		{"send", r.addr, "dir", "-q"},
		{"send", r.addr, "-q", "dir"},
		{"send", r.addr, "dir", "--idle-timeout", "30s", "--quiet"},
	} {
		res := ftIn(t, src, args...)
		if res.code != 0 || res.stderr != "" {
			t.Errorf("ft %v: exit %d, stderr %q (want 0 and quiet)", args, res.code, res.stderr)
		}
	}
	res := ftIn(t, src, "send", r.addr, "--", "-q")
	if res.code != 0 || !strings.Contains(res.stderr, "ft: sent 1 file") {
		t.Fatalf(`ft send ADDR -- -q: exit %d, stderr %q`, res.code, res.stderr)
	}
	if got, err := os.ReadFile(filepath.Join(inbox, "-q")); err != nil || string(got) != "dash" {
		t.Errorf(`file "-q" did not land: %q, %v`, got, err)
	}
	if got, err := os.ReadFile(filepath.Join(inbox, "dir/a")); err != nil || string(got) != "a" {
		t.Errorf("dir/a did not land: %q, %v", got, err)
	}
}
