//go:build unix

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestNothingSilentlyLeftOut: an entry of a tree that cannot be sent (a
// pipe, a symlink leading outside) is named on stderr and makes the exit
// code exitPartial while the rest lands; a named path that is a pipe
// (/dev/stdin fed by a pipe) fails before anything is sent, with a hint;
// an unreadable file is named and exits exitSource.
func TestNothingSilentlyLeftOut(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "tree/ok.txt"), []byte("ok"), 0o644)
	must(t, syscall.Mkfifo(filepath.Join(src, "tree/fifo"), 0o600))
	must(t, os.Symlink("/etc/passwd", filepath.Join(src, "tree/passwd")))
	r := startReceiver(t, inbox)

	res := ftIn(t, src, "send", r.addr, "tree")
	if res.code != exitPartial {
		t.Errorf("tree with a pipe and an outside symlink: exit %d, want %d; stderr:\n%s", res.code, exitPartial, res.stderr)
	}
	for _, w := range []string{`tree/fifo": a named pipe`, `tree/passwd": symlink target "/etc/passwd"`, "ft: error: ", "2 not sent", "ft: sent 1 file"} {
		if !strings.Contains(res.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, res.stderr)
		}
	}
	if b, err := os.ReadFile(filepath.Join(inbox, "tree/ok.txt")); err != nil || string(b) != "ok" {
		t.Errorf("the sendable file did not land: %q, %v", b, err)
	}

	cmd := exec.Command(ftBin, "send", r.addr, "/dev/stdin")
	cmd.Stdin = strings.NewReader("data") // a pipe
	out, err := cmd.CombinedOutput()
	if code := exitCodeOf(t, err); code != exitSource || !strings.Contains(string(out), `"/dev/stdin" is a named pipe`) ||
		!strings.Contains(string(out), "ft: hint: ") || strings.Contains(string(out), "ft: sent") {
		t.Errorf("ft send ADDR /dev/stdin from a pipe: exit %d, want %d with the reason and a hint:\n%s", code, exitSource, out)
	}

	if os.Geteuid() == 0 {
		t.Log("running as root: every file is readable, the unreadable case is not checked")
		return
	}
	writeFile(t, filepath.Join(src, "locked/secret"), []byte("s"), 0o000)
	res = ftIn(t, src, "send", r.addr, "locked")
	if res.code != exitSource || !strings.Contains(res.stderr, `ft: failed: "locked/secret"`) {
		t.Errorf("unreadable file: exit %d, want %d naming it:\n%s", res.code, exitSource, res.stderr)
	}
}
