package inbox

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// fakeSpace makes in read a filesystem with the given free bytes and
// inodes, whatever is written.
func fakeSpace(in *Inbox, bytes, inodes uint64) {
	in.space = &space{stat: func() (fsSpace, bool) { return fsSpace{bytes, inodes}, true }}
}

// TestSpaceReserved: a file's declared size is reserved against the free
// space across transfers until it is committed or dropped, so that two
// senders each declaring 60% are not both admitted (issue 14 item 3).
func TestSpaceReserved(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, _ := open(Options{})
		fakeSpace(in, 1000, 100)
		t1, t2 := in.Begin(), in.Begin()
		d1, d2 := t1.Dirs(), t2.Dirs()
		defer d1.Close()
		defer d2.Close()
		a, err := t1.Create(d1, "a", 600, 0o644, mtime)
		if err != nil {
			t.Fatal(err)
		}
		if adm := t2.Admit(d2, "b", 600); adm.Code != protocol.CodeNoSpace {
			t.Errorf("second 600 of 1000 admitted: %+v", adm)
		}
		if _, err := t2.Create(d2, "b", 600, 0o644, mtime); !errors.Is(err, syscall.ENOSPC) || Code(err) != protocol.CodeNoSpace {
			t.Errorf("second 600 of 1000 created: %v", err)
		}
		if adm := t2.Admit(d2, "c", 400); adm.Code != protocol.CodeOK {
			t.Errorf("400 of the 400 left refused: %+v", adm)
		}
		a.Close(nil)
		a.Drop()
		b, err := t2.Create(d2, "b", 600, 0o644, mtime)
		if err != nil {
			t.Fatalf("after the first was dropped: %v", err)
		}
		b.Close(nil)
		if r := t2.Commit(d2, b, [protocol.HashSize]byte{}); r.Code != protocol.CodeOK {
			t.Fatal(r)
		}
		if in.space.reserved != (fsSpace{}) {
			t.Errorf("left reserved after commit and drop: %+v", in.space.reserved)
		}
	})
}

// TestDirectoriesCount: directories take a block and an inode of the free
// space each; with none left they are refused as no space, as files are.
func TestDirectoriesCount(t *testing.T) {
	each(t, func(t *testing.T, open func(Options) (*Inbox, string)) {
		in, dir := open(Options{})
		// a filesystem of 5 free inodes but for what is in the inbox
		in.space = &space{stat: func() (fsSpace, bool) {
			used := uint64(0)
			filepath.WalkDir(dir, func(p string, de fs.DirEntry, err error) error {
				if err == nil && p != dir && !IsReceiverFile(de.Name()) {
					used++
				}
				return nil
			})
			return fsSpace{1 << 30, 5 - min(used, 5)}, true
		}}
		tr := in.Begin()
		codes := []protocol.Code{}
		for i := range 7 {
			r, _ := tr.Mkdir(fmt.Sprintf("p%d/d", i), 0o755, mtime) // a parent and the dir
			codes = append(codes, r.Code)
		}
		want := []protocol.Code{0, 0, protocol.CodeNoSpace, protocol.CodeNoSpace}
		for i, c := range want {
			if codes[i] != c {
				t.Fatalf("mkdir codes %v, want %v first", codes, want)
			}
		}
		if adm := tr.Admit(tr.Dirs(), "f", 1); adm.Code != protocol.CodeNoSpace {
			t.Errorf("a file with no inode left: %+v", adm)
		}
	})
}
