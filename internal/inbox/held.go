package inbox

import (
	"slices"
	"strings"
)

// What a transfer remembers grows with its entries: the directories it
// made (fresh), the directory attributes it applies at the end (attrs),
// its staging directories, and, in the receiver, the entries waiting for
// their staging directory's publish. All of it is counted here, in bytes
// of names plus a fixed cost per entry, against MaxHeld: once a transfer
// holds that much, the receiver publishes what it has (the staging
// directories, with their verdicts), applies the directory attributes
// held so far, and forgets it all (Checkpoint), so that its memory has a
// fixed bound whatever the stream.

// MaxHeld is how many bytes of bookkeeping one transfer holds at most
// before a checkpoint: about 100,000 entries of 20-byte names.
const MaxHeld = 8 << 20

// heldPerEntry is the fixed cost counted per entry held: a map or slice
// slot and its string header.
const heldPerEntry = 64

// Hold counts what is held for the entry name until the next Checkpoint.
// Any goroutine may call it.
func (t *Transfer) Hold(name string) { t.held.Add(int64(len(name)) + heldPerEntry) }

// Full reports whether the transfer holds MaxHeld or more: time for a
// checkpoint.
func (t *Transfer) Full() bool { return t.held.Load() >= MaxHeld }

// Checkpoint applies the modes and times of the directories held so far
// and forgets what the transfer held, but for the directories above next
// (the entry about to be handled), which the stream is still filling:
// their attributes wait for the next checkpoint or the end. Call it from
// the reading goroutine with nothing on its way: after every staged
// entry is written and published (Publish), while no other goroutine
// uses the transfer. Dirs handles opened before it are reopened on their
// next use (a staging directory has moved). warn is told what failed.
func (t *Transfer) Checkpoint(next string, warn func(op, name string, err error)) {
	var keep, apply []dirAttr
	for _, a := range t.attrs {
		switch {
		case t.stage.merged(a.name) && !t.in.opts.Overwrite:
			// merged into a directory someone else made: not ours
		case strings.HasPrefix(next, a.name+"/"):
			keep = append(keep, a)
		default:
			apply = append(apply, a)
		}
	}
	t.attrs = apply
	t.FinishDirs(warn)
	t.attrs = slices.Clip(keep)
	t.stage.reset()
	t.fresh = make(map[string]bool)
	t.held.Store(0)
	for _, a := range keep {
		t.Hold(a.name)
	}
}
