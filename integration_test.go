package main

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	ftinbox "github.com/ft-team/ft/internal/inbox"
)

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// TestSendFiles sends files and trees and checks that the inbox holds
// exactly what was sent, with modes and times.
func TestSendFiles(t *testing.T) {
	cases := []struct {
		name  string
		make  func(t *testing.T, src string) []string // returns paths to send, relative to src
		check func(t *testing.T, src, inbox string)
		code  int // exit code of the send
	}{
		{"one file", func(t *testing.T, src string) []string {
			writeFile(t, filepath.Join(src, "report.pdf"), randomBytes(t, 300_000), 0o644)
			return []string{"report.pdf"}
		}, nil, exitOK},
		{"empty file", func(t *testing.T, src string) []string {
			writeFile(t, filepath.Join(src, "empty"), nil, 0o600)
			return []string{"empty"}
		}, nil, exitOK},
		{"several files", func(t *testing.T, src string) []string {
			// Around the read buffer (1 MiB) and the large-file path (4 MiB, 8 MiB chunks).
			sizes := []int{1, 4095, 4096, 4097, 1 << 20, 1<<20 + 1, 4<<20 - 1, 4 << 20, 17<<20 + 3}
			var names []string
			for i, n := range sizes {
				names = append(names, fmt.Sprintf("f%d", i))
				writeFile(t, filepath.Join(src, names[i]), randomBytes(t, n), 0o644)
			}
			return names
		}, nil, exitOK},
		{"tree with nested and empty dirs and exec bits", func(t *testing.T, src string) []string {
			writeFile(t, filepath.Join(src, "build/bin/tool"), randomBytes(t, 70_000), 0o755)
			writeFile(t, filepath.Join(src, "build/lib/a/b/c/deep.so"), randomBytes(t, 10), 0o750)
			writeFile(t, filepath.Join(src, "build/README"), []byte("hi\n"), 0o444)
			for _, d := range []string{"build/empty", "build/lib/a/empty2"} {
				if err := os.MkdirAll(filepath.Join(src, d), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chmod(filepath.Join(src, "build/lib/a/empty2"), 0o700); err != nil {
				t.Fatal(err)
			}
			return []string{"build/"}
		}, nil, exitOK},
		{"unicode and spaces in names", func(t *testing.T, src string) []string {
			writeFile(t, filepath.Join(src, "dossier été/rapport final (v2).txt"), []byte("ok"), 0o644)
			writeFile(t, filepath.Join(src, "dossier été/日本語 ファイル"), []byte("ja"), 0o644)
			writeFile(t, filepath.Join(src, "emoji 🚀.bin"), randomBytes(t, 100), 0o644)
			return []string{"dossier été", "emoji 🚀.bin"}
		}, nil, exitOK},
		{"directory of 2000 files", func(t *testing.T, src string) []string {
			for i := range 2000 {
				writeFile(t, filepath.Join(src, "many", fmt.Sprintf("d%02d", i%40), fmt.Sprintf("file-%04d.o", i)), randomBytes(t, 1+i%3000), 0o644)
			}
			return []string{"many"}
		}, nil, exitOK},
		{"symlinks inside kept, outside skipped", func(t *testing.T, src string) []string {
			writeFile(t, filepath.Join(src, "app/lib/libx.so.1"), []byte("lib"), 0o644)
			must(t, os.Symlink("libx.so.1", filepath.Join(src, "app/lib/libx.so")))
			must(t, os.Symlink("../lib", filepath.Join(src, "app/bin")))
			must(t, os.Symlink("/etc/passwd", filepath.Join(src, "app/passwd")))
			must(t, os.Symlink("../../outside", filepath.Join(src, "app/lib/escape")))
			return []string{"app"}
		}, func(t *testing.T, src, inbox string) {
			for _, gone := range []string{"app/passwd", "app/lib/escape"} {
				if _, err := os.Lstat(filepath.Join(inbox, gone)); !os.IsNotExist(err) {
					t.Errorf("%s should have been skipped, got err=%v", gone, err)
				}
			}
		}, exitPartial},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			src, inbox := t.TempDir(), t.TempDir()
			paths := tc.make(t, src)
			r := startReceiver(t, inbox)
			res := ftIn(t, src, append([]string{"send", r.addr}, paths...)...)
			if res.code != tc.code {
				t.Fatalf("send exited %d, want %d:\n%s\nreceiver:\n%s", res.code, tc.code, res.stderr, r.stderr)
			}
			if !strings.Contains(res.stderr, "ft: sent ") {
				t.Errorf("no summary line in %q", res.stderr)
			}
			if tc.check != nil {
				tc.check(t, src, inbox)
				return
			}
			assertSameTree(t, src, paths, inbox)
			assertNoTemp(t, inbox)
		})
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// assertSameTree checks that each sent path landed under inbox with the
// same tree, content, modes and modification times.
func assertSameTree(t *testing.T, src string, paths []string, inbox string) {
	t.Helper()
	assertSameTreeUmask(t, src, paths, inbox, testUmask)
}

// assertSameTreeUmask is assertSameTree for a receiver running under
// umask: the modes of the files it received are the sent ones cut by it.
func assertSameTreeUmask(t *testing.T, src string, paths []string, inbox string, umask os.FileMode) {
	t.Helper()
	for _, p := range paths {
		from := filepath.Join(src, p)
		to := filepath.Join(inbox, filepath.Base(filepath.Clean(from)))
		if a, b := listTreeUmask(t, from, umask), listTree(t, to); !slices.Equal(a, b) {
			t.Errorf("tree %s differs:\nsent     %q\nreceived %q", p, a, b)
		}
		err := filepath.Walk(from, func(f string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(from, f)
			got, err := os.Lstat(filepath.Join(to, rel))
			if err != nil {
				t.Errorf("%s: %v", rel, err)
				return nil
			}
			if fi.Mode().IsRegular() {
				a, aerr := os.ReadFile(f)
				b, berr := os.ReadFile(filepath.Join(to, rel))
				if aerr != nil || berr != nil || !bytes.Equal(a, b) {
					t.Errorf("%s: content differs (read errors: %v, %v)", rel, aerr, berr)
				}
			}
			if want := fi.Mode() &^ umask; fi.Mode().IsRegular() && got.Mode() != want {
				t.Errorf("%s: mode %v, want %v", rel, got.Mode(), want)
			}
			if fi.Mode()&os.ModeSymlink == 0 && !got.ModTime().Equal(fi.ModTime()) {
				t.Errorf("%s: mtime %v, want %v", rel, got.ModTime(), fi.ModTime())
			}
			return nil
		})
		if err != nil {
			t.Errorf("walk %s: %v", from, err)
		}
	}
}

// assertNoTemp fails if a temp file is left anywhere in the inbox.
func assertNoTemp(t *testing.T, inbox string) {
	t.Helper()
	filepath.Walk(inbox, func(p string, fi os.FileInfo, err error) error {
		if rel, _ := filepath.Rel(inbox, p); err == nil && strings.HasPrefix(fi.Name(), ".ft-") && !ftinbox.IsReceiverFile(filepath.ToSlash(rel)) {
			t.Errorf("temp file left in inbox: %s", p)
		}
		return nil
	})
}

func TestResend(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "a.bin"), randomBytes(t, 50_000), 0o644)
	writeFile(t, filepath.Join(src, "b.txt"), []byte("bee"), 0o644)
	r := startReceiver(t, inbox)
	send := func() result { return ftIn(t, src, "send", r.addr, "a.bin", "b.txt") }
	if res := send(); res.code != 0 {
		t.Fatalf("first send exited %d: %s", res.code, res.stderr)
	}

	// Identical content: success, reported as unchanged.
	res := send()
	if res.code != 0 || !strings.Contains(res.stderr, "2 unchanged") {
		t.Fatalf("identical resend: exit %d, stderr %q", res.code, res.stderr)
	}

	// Different content for one file: that one is refused, the other passes.
	before, _ := os.ReadFile(filepath.Join(inbox, "a.bin"))
	writeFile(t, filepath.Join(src, "a.bin"), randomBytes(t, 50_000), 0o644)
	res = send()
	if res.code != exitRefused {
		t.Fatalf("different resend: exit %d, want %d; stderr %q", res.code, exitRefused, res.stderr)
	}
	if !strings.Contains(res.stderr, `"a.bin"`) || !strings.Contains(res.stderr, "exists") || strings.Contains(res.stderr, `"b.txt"`) {
		t.Errorf("stderr should name a.bin as existing and not b.txt: %q", res.stderr)
	}
	if !strings.Contains(res.stderr, "ft: hint: ") {
		t.Errorf("no hint about --overwrite: %q", res.stderr)
	}
	after, _ := os.ReadFile(filepath.Join(inbox, "a.bin"))
	if !bytes.Equal(before, after) {
		t.Error("existing file was changed without --overwrite")
	}
	assertNoTemp(t, inbox)
}

// TestModesUnderUmask checks that files land with the sender's permission
// bits cut by the receiver's umask, as tar gives them to a user other than
// root: a sender cannot make world-writable files under umask 077.
func TestModesUnderUmask(t *testing.T) {
	modes := []os.FileMode{0o600, 0o640, 0o644, 0o664, 0o666, 0o700, 0o750, 0o755, 0o775, 0o777, 0o444, 0o400}
	for _, umask := range []os.FileMode{0o000, 0o022, 0o027, 0o077} {
		t.Run(fmt.Sprintf("umask %03o", umask), func(t *testing.T) {
			src, inbox := t.TempDir(), t.TempDir()
			for i, m := range modes {
				writeFile(t, filepath.Join(src, "tree", fmt.Sprintf("f%02d-%o", i, m)), []byte{byte(i)}, m)
			}
			r := startReceiverVia(t, []string{"/bin/sh", "-c", fmt.Sprintf("umask %03o", umask) + ` && exec "$@"`, "sh"}, inbox, "127.0.0.1:0", "--no-sync")
			if res := ftIn(t, src, "send", r.addr, "tree"); res.code != 0 {
				t.Fatalf("send exited %d: %s", res.code, res.stderr)
			}
			assertSameTreeUmask(t, src, []string{"tree"}, inbox, umask)
		})
	}
}

func TestOverwrite(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(inbox, "a.bin"), []byte("old content"), 0o644)
	want := randomBytes(t, 70_000)
	writeFile(t, filepath.Join(src, "a.bin"), want, 0o755)
	r := startReceiver(t, inbox, "--overwrite")
	if res := ftIn(t, src, "send", r.addr, "a.bin"); res.code != 0 {
		t.Fatalf("send exited %d: %s", res.code, res.stderr)
	}
	got, _ := os.ReadFile(filepath.Join(inbox, "a.bin"))
	if !bytes.Equal(got, want) {
		t.Error("file was not replaced")
	}
	if fi, _ := os.Stat(filepath.Join(inbox, "a.bin")); fi.Mode().Perm() != 0o755 {
		t.Errorf("mode %v, want 0755", fi.Mode().Perm())
	}
	assertNoTemp(t, inbox)
}

func TestOnceExitStatus(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("new"), 0o644)
	writeFile(t, filepath.Join(inbox, "x"), []byte("old"), 0o644)
	r := startReceiver(t, inbox, "--once")
	if res := ftIn(t, src, "send", r.addr, "x"); res.code != exitRefused {
		t.Errorf("send exited %d, want %d", res.code, exitRefused)
	}
	if code := r.wait(); code != exitRefused {
		t.Errorf("receive --once exited %d, want %d; stderr:\n%s", code, exitRefused, r.stderr)
	}
}

func TestSendErrors(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("x"), 0o644)
	closed := closedPort(t)
	cases := []struct {
		name  string
		args  []string
		code  int
		wants []string
	}{
		{"closed port", []string{"send", closed, "x"}, exitNetwork, []string{"ft: error: ", "connection refused", "ft: hint: "}},
		{"missing source", []string{"send", closed, "x", "nope.txt"}, exitSource, []string{"ft: error: ", "nope.txt"}},
		{"no paths", []string{"send", closed}, exitUsage, []string{"ft: error: ", "PATH"}},
		{"bad address", []string{"send", "nohostport", "x"}, exitUsage, []string{"ft: error: ", "HOST:PORT"}},
		{"unknown flag", []string{"send", "--bogus", closed, "x"}, exitUsage, []string{"ft: error: "}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := ftIn(t, src, tc.args...)
			if res.code != tc.code {
				t.Errorf("exit %d, want %d; stderr %q", res.code, tc.code, res.stderr)
			}
			for _, w := range tc.wants {
				if !strings.Contains(res.stderr, w) {
					t.Errorf("stderr %q lacks %q", res.stderr, w)
				}
			}
			if strings.Contains(res.stderr, "goroutine ") || res.stdout != "" {
				t.Errorf("unexpected output: stdout %q stderr %q", res.stdout, res.stderr)
			}
		})
	}
}

// closedPort returns a loopback address nobody listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	c := dialRawListener(t)
	return c
}

func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"help"}, {"help", "send"}, {"help", "receive"}} {
		res := ft(t, args...)
		if res.code != 0 || len(res.stdout) < 10 {
			t.Errorf("ft %v: exit %d, stdout %q", args, res.code, res.stdout)
		}
	}
	if res := ft(t, "help", "send"); !strings.Contains(res.stdout, "Examples") {
		t.Errorf("help send has no examples: %q", res.stdout)
	}
}

// TestAddressForms sends to a host name, an IPv4 and a bracketed IPv6
// address, and checks that --quiet prints nothing on success.
func TestAddressForms(t *testing.T) {
	cases := []struct{ listen, host string }{
		{"127.0.0.1:0", "127.0.0.1"},
		{"127.0.0.1:0", "localhost"},
		{"[::1]:0", "[::1]"},
	}
	for _, tc := range cases {
		t.Run(tc.host, func(t *testing.T) {
			if strings.HasPrefix(tc.listen, "[") && !hasIPv6Loopback() {
				t.Skip("no IPv6 loopback here")
			}
			src, inbox := t.TempDir(), t.TempDir()
			writeFile(t, filepath.Join(src, "f.txt"), []byte(tc.host), 0o644)
			r := startReceiver(t, inbox, "--listen", tc.listen)
			port := r.addr[strings.LastIndex(r.addr, ":")+1:]
			res := ftIn(t, src, "send", "-q", tc.host+":"+port, "f.txt")
			if res.code != 0 || res.stderr != "" || res.stdout != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q (want silence)", res.code, res.stdout, res.stderr)
			}
			if got, _ := os.ReadFile(filepath.Join(inbox, "f.txt")); string(got) != tc.host {
				t.Errorf("received %q", got)
			}
		})
	}
}

func hasIPv6Loopback() bool {
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

// TestConcurrentSenders runs several senders at once into one receiver.
func TestConcurrentSenders(t *testing.T) {
	inbox := t.TempDir()
	r := startReceiver(t, inbox)
	const n = 6
	srcs := make([]string, n)
	for i := range srcs {
		srcs[i] = t.TempDir()
		for j := range 50 {
			writeFile(t, filepath.Join(srcs[i], fmt.Sprintf("s%d", i), fmt.Sprintf("f%02d", j)), randomBytes(t, 1000*j), 0o644)
		}
	}
	errs := make(chan string, n)
	for i := range srcs {
		go func() {
			res := ftIn(t, srcs[i], "send", "-q", r.addr, fmt.Sprintf("s%d", i))
			if res.code != 0 {
				errs <- fmt.Sprintf("sender %d exited %d: %s", i, res.code, res.stderr)
				return
			}
			errs <- ""
		}()
	}
	for range srcs {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
	for i, src := range srcs {
		assertSameTree(t, src, []string{fmt.Sprintf("s%d", i)}, inbox)
	}
	assertNoTemp(t, inbox)
}
