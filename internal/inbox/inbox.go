// Package inbox is the receiver's filesystem: the directory files land in,
// confined through an os.Root. It owns temp names and temp files, the
// handles on directories, staging directories and their publishing, the
// start-up sweep, free space, and the platform fast path (fast_linux.go)
// beside the portable implementation (portable.go) that is compiled
// everywhere.
//
// Every entry reaches its name by one rule (publish.go): with Overwrite it
// replaces what is there (never a directory by a file or the reverse);
// otherwise it is placed only if the name is free, and a taken name counts
// as unchanged when what holds it is identical, as exists when it is not.
//
// An Inbox is shared by the connections of a receiver; each connection
// works through its own Transfer, and each goroutine of a Transfer through
// its own Dirs.
package inbox

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// ErrUnusable is returned by Open for an inbox that cannot be used.
var ErrUnusable = errors.New("unusable inbox")

// Options configure an Inbox. Files and directories get the mode their
// entry asks for, permission bits only, cut by the receiver's umask (as
// tar does for a user other than root). The zero value refuses to replace existing
// files, syncs every file to disk before it counts as placed, and takes
// any size that fits in the free space.
type Options struct {
	Overwrite bool  // an entry may replace an existing file or symlink
	NoSync    bool  // do not wait for the disk
	MaxSize   int64 // largest accepted file in bytes (0: no limit but free space)
	Portable  bool  // use the portable implementation even where a fast path exists
}

// Inbox is an open inbox directory.
type Inbox struct {
	root  *os.Root
	dir   string
	fast  fastDir // the root's fast-path handle, nil where there is none
	opts  Options
	umask fs.FileMode // the receiver's, which cuts every mode an entry asks for
	space *space      // shared by all transfers
	lock  *os.File    // held while the inbox is open
	jnl   *journal
}

// ErrLocked is why Open fails on an inbox another receiver has open.
var ErrLocked = errors.New("in use by another ft receive (it holds " + LockName + ")")

// Open creates the directory dir if needed, checks that it is a writable
// directory, and opens it as an inbox: it takes the inbox's lock (an inbox
// another receiver has open fails with ErrLocked) and sets the journal of
// the receiver before aside for Sweep.
func Open(dir string, opts Options) (*Inbox, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrUnusable, err)
	}
	in := &Inbox{root: root, dir: dir, opts: opts, umask: readUmask(), space: &space{stat: statSpace(root, dir)}}
	fi, err := root.Stat(".")
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err == nil {
		err = in.probeWritable()
	}
	if err == nil {
		in.lock, err = lockInbox(root)
	}
	if err == nil && !opts.Portable {
		in.fast, err = openFast(root)
	}
	if err == nil {
		in.jnl, err = openJournal(root)
	}
	if err != nil {
		in.Close()
		return nil, fmt.Errorf("%w: %q: %w", ErrUnusable, dir, err)
	}
	return in, nil
}

// Close releases the inbox, its journal and its lock.
func (in *Inbox) Close() error {
	if in.fast != nil {
		in.fast.close()
	}
	if in.jnl != nil {
		in.jnl.close()
	}
	if in.lock != nil {
		in.lock.Close() // which releases the lock
	}
	return in.root.Close()
}

// probeWritable creates and removes a temp file.
func (in *Inbox) probeWritable() error {
	name := tempName()
	f, err := in.root.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("not writable: %w", err)
	}
	f.Close()
	return in.root.Remove(name)
}

// Sync makes everything written to the inbox's filesystem durable, where
// the platform can do that at once (see FileSync).
func (in *Inbox) Sync() error {
	if in.fast == nil {
		return nil
	}
	return in.fast.syncFS()
}

// fileSync reports whether each file must be synced on its own before it
// counts as written: where there is no Sync of a whole filesystem.
func (in *Inbox) fileSync() bool { return in.fast == nil && !in.opts.NoSync }
