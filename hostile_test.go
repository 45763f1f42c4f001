package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Hostile inputs that need the real sender: symlinks planted in the inbox
// and names of the receiver's temp-file form. The hand-built hostile
// streams are replayed in-process by receive's TestSenderVectors and
// TestHostileStreams.

// TestPlantedSymlinks: symlinks planted in the inbox, to a file and to
// directories outside it (one of them /), never let anything be written
// outside the inbox, with or without --overwrite.
func TestPlantedSymlinks(t *testing.T) {
	t.Parallel()
	for _, overwrite := range []bool{false, true} {
		t.Run(fmt.Sprintf("overwrite=%v", overwrite), func(t *testing.T) {
			t.Parallel()
			outside, inbox, src := t.TempDir(), t.TempDir(), t.TempDir()
			victim := filepath.Join(outside, "victim")
			writeFile(t, victim, []byte("precious"), 0o644)
			must(t, os.Symlink(victim, filepath.Join(inbox, "report.pdf")))
			must(t, os.Symlink(outside, filepath.Join(inbox, "sub")))
			must(t, os.Symlink("/", filepath.Join(inbox, "root")))
			canary := fmt.Sprintf("ft-canary-%d-%v", os.Getpid(), overwrite)
			writeFile(t, filepath.Join(src, "report.pdf"), []byte("overwritten"), 0o644)
			writeFile(t, filepath.Join(src, "sub", "victim"), []byte("overwritten"), 0o644)
			writeFile(t, filepath.Join(src, "root", "tmp", canary), []byte("escaped"), 0o644)
			var args []string
			if overwrite {
				args = append(args, "--overwrite")
			}
			r := startReceiver(t, inbox, args...)
			res := ftIn(t, src, "send", r.addr, "report.pdf", "sub", "root")
			if res.code != exitRefused {
				t.Errorf("exit %d, want %d; stderr %q", res.code, exitRefused, res.stderr)
			}
			if got, _ := os.ReadFile(victim); string(got) != "precious" {
				t.Errorf("the victim outside the inbox was written: %q", got)
			}
			if _, err := os.Lstat(filepath.Join("/tmp", canary)); err == nil {
				os.Remove(filepath.Join("/tmp", canary))
				t.Errorf("a file escaped through the symlink to /")
			}
			if got := listTree(t, outside); !slices.Equal(got, []string{"victim 8 -rw-r--r--"}) {
				t.Errorf("outside the inbox: %q", got)
			}
			for _, l := range []string{"sub", "root"} {
				if fi, err := os.Lstat(filepath.Join(inbox, l)); err != nil || fi.Mode()&os.ModeSymlink == 0 {
					t.Errorf("%s is no longer the planted symlink: %v", l, err)
				}
			}
			fi, err := os.Lstat(filepath.Join(inbox, "report.pdf"))
			if replaced := err == nil && fi.Mode().IsRegular(); replaced != overwrite {
				t.Errorf("report.pdf replaced by a regular file: %v, want %v", replaced, overwrite)
			}
			assertNoPartialTemps(t, inbox)
			sendOneFile(t, r)
		})
	}
}

// assertNoPartialTemps fails if temp files remain anywhere in the inbox.
func assertNoPartialTemps(t *testing.T, inbox string) {
	t.Helper()
	if left := tempFiles(inbox); len(left) != 0 {
		t.Errorf("temp files left: %q", left)
	}
}

// TestTempLikeNames: names of the receiver's temp-file form are reserved:
// a file or symlink so named would be swept at the next start.
func TestTempLikeNames(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, ".ft-0123456789abcdef.part"), []byte("mine"), 0o644)
	writeFile(t, filepath.Join(src, "d", ".ft-fedcba9876543210.part"), []byte("mine too"), 0o644)
	must(t, os.Symlink("x", filepath.Join(src, "d", ".ft-00000000ffffffff.part")))
	writeFile(t, filepath.Join(src, "d", ".ft-00000000aaaaaaaa.part", "in"), []byte("in a reserved dir"), 0o644)
	writeFile(t, filepath.Join(src, "d", "x"), []byte("x"), 0o644)
	r := startReceiver(t, t.TempDir())
	res := ftIn(t, src, "send", r.addr, ".ft-0123456789abcdef.part", "d")
	if res.code != exitRefused {
		t.Errorf("exit %d, want %d; stderr %q", res.code, exitRefused, res.stderr)
	}
	for _, name := range []string{".ft-0123456789abcdef.part", "d/.ft-fedcba9876543210.part", "d/.ft-00000000ffffffff.part",
		"d/.ft-00000000aaaaaaaa.part", "d/.ft-00000000aaaaaaaa.part/in"} {
		if !strings.Contains(res.stderr, fmt.Sprintf("ft: failed: %q: bad name: name %q is reserved for the receiver's temp files", name, name)) {
			t.Errorf("%q not refused as reserved; stderr %q", name, res.stderr)
		}
	}
	if got := listTree(t, r.dir); !slices.Equal(got, []string{"d/ -rwxr-xr-x", "d/x 1 -rw-r--r--"}) {
		t.Errorf("inbox holds %q, want only d/x", got)
	}
}
