package inbox

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"sync"
)

// The journal: before the inbox creates a temp file or a staging
// directory, it appends the name to JournalName at the top of the inbox,
// one slash-separated path per line. A receiver that is killed leaves its
// temp names there; the next one on this inbox moves the journal aside
// (SweepName) when it opens the inbox, and Sweep removes what it lists,
// without walking the inbox, crossing a mount point or touching another
// receiver's files. When nothing listed is live any more the journal is
// emptied, so that it stays as small as what is in flight.
const (
	JournalName = ".ft-journal"
	SweepName   = ".ft-journal.old"
	LockName    = ".ft-receiver.lock"
)

// journal is the open journal of an inbox.
type journal struct {
	mu   sync.Mutex
	f    *os.File
	live int // names listed and still there
}

// openJournal moves the journal a killed receiver left aside for Sweep
// (appending it to one an interrupted sweep left) and starts a new one.
func openJournal(root *os.Root) (*journal, error) {
	if err := keepForSweep(root); err != nil {
		return nil, err
	}
	f, err := root.OpenFile(JournalName, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return &journal{f: f}, nil
}

func keepForSweep(root *os.Root) error {
	old, err := root.Open(JournalName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer old.Close()
	if _, err := root.Lstat(SweepName); errors.Is(err, fs.ErrNotExist) {
		return root.Rename(JournalName, SweepName)
	}
	sw, err := root.OpenFile(SweepName, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer sw.Close()
	_, err = io.Copy(sw, old)
	return err
}

// add lists name (a path in the inbox) before it is created.
func (j *journal) add(name string) error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if _, err := j.f.WriteString(name + "\n"); err != nil {
		return err
	}
	j.live++
	return nil
}

// done says a name listed is gone or in place; with none live, the
// journal is emptied.
func (j *journal) done() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.live--; j.live == 0 {
		j.f.Truncate(0) // O_APPEND writes go on at the new end
	}
}

func (j *journal) close() error { return j.f.Close() }

// Sweep removes the temp files and staging directories that the receiver
// that had this inbox before left, as its journal lists them, and returns
// how many it removed. It may run while transfers go on: their temp names
// are new.
func (in *Inbox) Sweep() int {
	f, err := in.root.Open(SweepName)
	if err != nil {
		return 0
	}
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name := sc.Text()
		if !fs.ValidPath(name) || !IsTempName(path.Base(name)) || strings.Contains(name, "\x00") {
			continue // not a line we wrote
		}
		if _, err := in.root.Lstat(name); err == nil && in.root.RemoveAll(name) == nil {
			n++
		}
	}
	f.Close()
	if sc.Err() == nil {
		in.root.Remove(SweepName)
	}
	return n
}
