package receive_test

import (
	"bytes"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/internal/vectors"
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
	r := startReceiver(t, quick())
	first, second := string(randomBytes(t, 3000)), string(randomBytes(t, 3000))
	large := string(randomBytes(t, 200<<10)) // over the receiver's small-file size
	s := vectors.NewStream().Hello1()
	var n uint64
	for _, dir := range []string{"", "new/"} {
		if dir != "" {
			s.Dir("new")
			n++
		}
		s.File(dir+"x", first).Symlink(dir+"x", "y").File(dir+"x", second).Dir(dir+"x").File(dir+"x", large)
		n += 5
	}
	s.File("bad", string(randomBytes(t, 100)))
	b := s.Bytes()
	b[len(b)-1] ^= 1 // a trailer that cannot match
	n++
	o := finishStream(t, openStream(t, r.addr, s.Bytes()), n)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeExists, 2: protocol.CodeExists,
		3: protocol.CodeExists, 4: protocol.CodeExists,
		5: protocol.CodeOK, 6: protocol.CodeOK, 7: protocol.CodeExists, 8: protocol.CodeExists, 9: protocol.CodeExists,
		10: protocol.CodeExists, 11: protocol.CodeChecksum}
	if got := o.byIndex(); !maps.Equal(got, want) {
		t.Errorf("verdicts %v, want %v", got, want)
	}
	for _, name := range []string{"x", "new/x"} {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v, want the first file", name, describe(fi, err))
			continue
		}
		if got, _ := os.ReadFile(p); !bytes.Equal(got, []byte(first)) {
			t.Errorf("%s does not hold the first file", name)
		}
	}
	if _, err := os.Lstat(filepath.Join(r.dir, "bad")); !os.IsNotExist(err) {
		t.Errorf("a file that failed its hash exists: %v", err)
	}
	assertNoTemp(t, r.dir)
}

func describe(fi os.FileInfo, err error) string {
	if err != nil {
		return err.Error()
	}
	return fmt.Sprintf("a %v", fi.Mode().Type())
}
