package main

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// TestSameNameInStreamOrder: entries of one name in one stream are placed
// in stream order, whatever part of the receiver handles each (files go
// through temp files or staging directories, symlinks through the
// committer, small files through writing lanes): the first file lands; a
// symlink, a second file, a directory and a large file of that name are
// refused as existing, in the inbox and in a new (staged) directory; a
// file that fails its hash is not there at all.
func TestSameNameInStreamOrder(t *testing.T) {
	t.Parallel()
	inbox := t.TempDir()
	r := startReceiver(t, inbox, "--no-sync")
	first, second := randomBytes(t, 3000), randomBytes(t, 3000)
	large := randomBytes(t, 200<<10) // over the receiver's small-file size
	bad := rawFileFrame("bad", randomBytes(t, 100))
	bad[len(bad)-1] ^= 1 // a trailer that cannot match
	var frames [][]byte
	for _, dir := range []string{"", "new/"} {
		if dir != "" {
			frames = append(frames, dirFrame("new"))
		}
		frames = append(frames, rawFileFrame(dir+"x", first), symlinkFrame(dir+"x", "y"), rawFileFrame(dir+"x", second),
			dirFrame(dir+"x"), rawFileFrame(dir+"x", large))
	}
	frames = append(frames, bad)
	c := openStream(t, r.addr, frames...)
	o := finishStream(t, c, uint64(len(frames)))
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeExists, 2: protocol.CodeExists,
		3: protocol.CodeExists, 4: protocol.CodeExists,
		5: protocol.CodeOK, 6: protocol.CodeOK, 7: protocol.CodeExists, 8: protocol.CodeExists, 9: protocol.CodeExists,
		10: protocol.CodeExists, 11: protocol.CodeChecksum}
	if got := byIndex(o); !maps.Equal(got, want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	for _, name := range []string{"x", "new/x"} {
		fi, err := os.Lstat(filepath.Join(inbox, name))
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, want the first file", name, describe(fi, err))
			continue
		}
		if got, _ := os.ReadFile(filepath.Join(inbox, name)); !bytes.Equal(got, first) {
			t.Errorf("%s does not hold the first file", name)
		}
	}
	if _, err := os.Lstat(filepath.Join(inbox, "bad")); !os.IsNotExist(err) {
		t.Errorf("a file that failed its hash exists: %v", err)
	}
	assertNoTemp(t, inbox)
}

func describe(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("a %v", fi.Mode().Type())
}
