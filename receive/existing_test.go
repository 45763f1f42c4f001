package receive_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// TestExistingLeftAlone: dir entries for an existing directory, or for a
// name held by a hard link to a file outside the inbox, change no mode or
// mtime; with --overwrite an existing directory takes the entry's (and
// the file still does not).
func TestExistingLeftAlone(t *testing.T) {
	t.Parallel()
	old := time.Unix(1500000000, 0)
	const entryMtime = 1600000000000000000
	for _, overwrite := range []bool{false, true} {
		opts := quick()
		opts.Overwrite = overwrite
		opts.Dir = filepath.Join(t.TempDir(), "inbox")
		outside := filepath.Join(filepath.Dir(opts.Dir), "outside")
		for _, err := range []error{os.Mkdir(opts.Dir, 0o755), os.Mkdir(filepath.Join(opts.Dir, "ex"), 0o755),
			os.WriteFile(outside, []byte("secret"), 0o640), os.Link(outside, filepath.Join(opts.Dir, "hl")),
			os.Chtimes(filepath.Join(opts.Dir, "ex"), old, old)} {
			if err != nil {
				t.Fatal(err)
			}
		}
		r := startReceiver(t, opts)
		s := vectors.NewStream().Hello1().DirMode("ex", 0o700, entryMtime).DirMode("hl", 0o777, entryMtime).
			DirMode("hl", 0, entryMtime)
		got := finishStream(t, openStream(t, r.addr, s.Bytes()), 3).byIndex()
		if got[0] != protocol.CodeOK || got[1] != protocol.CodeExists || got[2] != protocol.CodeExists {
			t.Errorf("overwrite %v: verdicts %v, want ok, exists, exists", overwrite, got)
		}
		fi, err := os.Stat(filepath.Join(r.dir, "ex"))
		changed := err == nil && fi.Mode().Perm() == 0o700 && fi.ModTime().Equal(time.Unix(0, entryMtime))
		kept := err == nil && fi.Mode().Perm() == 0o755 && fi.ModTime().Equal(old)
		if overwrite && !changed || !overwrite && !kept {
			t.Errorf("overwrite %v: the existing directory has mode %v mtime %v (%v)", overwrite, fi.Mode(), fi.ModTime(), err)
		}
		if fi, err := os.Stat(outside); err != nil || fi.Mode().Perm() != 0o640 || fi.Mode().Type() != 0 {
			t.Errorf("overwrite %v: the file outside is now %v (%v)", overwrite, describe(fi, err), fs.FileMode(0o640))
		}
	}
}
