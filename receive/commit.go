package receive

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"sync"
	"time"

	"github.com/ft-team/ft/internal/inbox"
	"github.com/ft-team/ft/protocol"
)

// Batching: the committer takes what has arrived, up to these bounds (the
// reader waits beyond them) or once batchWindow has passed, syncs it to
// disk once, and commits it.
const (
	batchWindow = 50 * time.Millisecond
	batchItems  = 8192
	batchBytes  = 256 << 20 // of bodies, to sync
	batchNames  = 4 << 20   // of names and items, in memory
)

// itemSize is what an item costs in memory beyond its name.
const itemSize = 256

// item is one entry on its way to the committer.
type item struct {
	index   uint64
	hdr     *protocol.Header
	tmp     *inbox.Temp // a verified body, written (nil if none)
	sum     [protocol.HashSize]byte
	start   time.Time     // when its header arrived
	took    time.Duration // from header to verified body
	decided bool
	staged  bool // written inside a staging directory: its verdict waits for publish
	onWay   bool // counted in session.onWay until the committer is done with it
	verdict protocol.Verdict
}

func (it *item) decide(code protocol.Code, msg string) {
	it.decided = true
	it.verdict = protocol.Verdict{Index: it.index, Code: code, Message: msg}
}

// committer moves verified temp files into place in batches: one sync of
// the filesystem makes a whole batch durable before any of it is renamed,
// and a second one makes the renames durable before the sender is told.
// The reading goroutine adds items without waking the committer for each.
type committer struct {
	commitDeps
	dirs *inbox.Dirs // the committer's own directory handles
	done chan struct{}
	wake chan struct{} // a token: items are pending
	kick chan struct{} // a token: the batch is full or the stream ended

	mu           sync.Mutex
	room         *sync.Cond // signalled when pending is taken
	pending      []*item
	pendingBytes int64
	pendingMem   int // bytes of names and items pending
	closed       bool
	ckpt         chan struct{} // a checkpoint waits for the next take (see checkpoint)

	sum    protocol.Summary // written by the committer, read after finish
	worst  protocol.Code
	staged []staged // entries waiting for their staging directory's publish
}

// commitDeps is what a committer works with.
type commitDeps struct {
	t       *inbox.Transfer
	replies *replies
	log     *slog.Logger
	touch   func()    // counts as connection progress (a sync may take long)
	onWay   *inflight // told when an item handed over is done
	noSync  bool
}

func newCommitter(d commitDeps) *committer {
	c := &committer{commitDeps: d, dirs: d.t.Dirs(), done: make(chan struct{}),
		wake: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
	c.room = sync.NewCond(&c.mu)
	go c.run()
	return c
}

func token(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// full reports whether the pending batch is at its bounds; mu is held.
func (c *committer) full() bool {
	return len(c.pending) >= batchItems || c.pendingBytes >= batchBytes || c.pendingMem >= batchNames
}

// add queues an item; it waits while the pending batch is full.
func (c *committer) add(it *item) {
	it.took = time.Since(it.start)
	c.mu.Lock()
	for c.full() {
		token(c.wake)
		token(c.kick)
		c.room.Wait()
	}
	c.pending = append(c.pending, it)
	c.pendingBytes += it.hdr.Size
	c.pendingMem += len(it.hdr.Name) + len(it.hdr.Linkname) + itemSize
	first, full := len(c.pending) == 1, c.full()
	c.mu.Unlock()
	if first {
		token(c.wake)
	}
	if full {
		token(c.kick)
	}
}

// now has the committer take what is pending at once.
func (c *committer) now() {
	token(c.wake)
	token(c.kick)
}

// finish commits what is queued and returns the summary.
func (c *committer) finish() protocol.Summary {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	token(c.wake)
	token(c.kick)
	<-c.done
	return c.sum
}

func (c *committer) run() {
	defer close(c.done)
	defer c.dirs.Close()
	timer := time.NewTimer(batchWindow)
	timer.Stop()
	for {
		<-c.wake
		c.mu.Lock()
		ready := c.closed || c.full()
		c.mu.Unlock()
		if !ready { // let the batch grow for a moment
			timer.Reset(batchWindow)
			select {
			case <-c.kick:
			case <-timer.C:
			}
			timer.Stop()
		}
		batch, closed, ckpt := c.take()
		if len(batch) > 0 {
			c.commitBatch(batch)
		}
		if ckpt != nil {
			c.publish()
			close(ckpt)
		}
		if closed {
			c.publish()
			return
		}
	}
}

// take removes the pending batch, and a checkpoint's request, which
// arrived after everything it waits for was added.
func (c *committer) take() ([]*item, bool, chan struct{}) {
	c.mu.Lock()
	defer c.mu.Unlock()
	batch, ckpt := c.pending, c.ckpt
	c.pending, c.pendingBytes, c.pendingMem, c.ckpt = nil, 0, 0, nil
	c.room.Broadcast()
	return batch, c.closed, ckpt
}

// checkpoint commits everything added so far, publishes the staging
// directories with the verdicts held back for their entries, and returns
// when that is done. Call it from the reading goroutine once the lanes
// are idle (writer.sync), so that nothing else is on its way.
func (c *committer) checkpoint() {
	done := make(chan struct{})
	c.mu.Lock()
	c.ckpt = done
	c.mu.Unlock()
	c.now()
	<-done
}

func (c *committer) commitBatch(batch []*item) {
	sync := !c.noSync
	if sync {
		c.syncDisk()
	}
	verdicts := make([]protocol.Verdict, 0, len(batch))
	placed := false // something was put in place that must be durable before its verdict
	for _, it := range batch {
		if !it.decided {
			c.commitItem(it)
		}
	}
	c.failMoved(batch)
	for _, it := range batch {
		if it.staged && it.verdict.Code.Success() {
			c.staged = append(c.staged, stagedOf(it))
			c.t.Hold(it.hdr.Name)
			c.logReceived(it.hdr.Kind, it.hdr.Name, it.hdr.Size, it.took)
			continue
		}
		placed = placed || it.verdict.Code.Success()
		verdicts = append(verdicts, it.verdict)
	}
	// The first sync also writes out staged files as the transfer goes;
	// the second one is for the renames and directories of this batch.
	if sync && placed {
		c.syncDisk()
	}
	for _, it := range batch {
		if it.onWay {
			c.onWay.done(it.hdr.Name)
		}
		if !it.staged || !it.verdict.Code.Success() {
			if it.verdict.Code == protocol.CodeOK {
				c.logReceived(it.hdr.Kind, it.hdr.Name, it.hdr.Size, it.took)
			}
			c.count(it.hdr.Kind, it.hdr.Name, it.hdr.Size, it.verdict)
		}
	}
	c.replies.verdicts(verdicts) // a broken connection is noticed by the reader
}

// failMoved fails the files of the batch committed into a directory that
// was moved out of the inbox meanwhile: they are not in the inbox.
func (c *committer) failMoved(batch []*item) {
	moved := c.dirs.Moved()
	if len(moved) == 0 {
		return
	}
	for _, it := range batch {
		if it.tmp != nil && !it.staged && it.verdict.Code.Success() && moved[path.Dir(it.hdr.Name)] {
			it.decide(inbox.Code(inbox.ErrLeftInbox), inbox.ErrLeftInbox.Error())
		}
	}
}

// syncDisk flushes the inbox's filesystem, counting as connection progress.
func (c *committer) syncDisk() {
	c.touch()
	if err := c.t.Sync(); err != nil {
		c.log.Warn("sync", "err", err)
	}
	c.touch()
}

// logReceived logs a file that is verified and (or, in a staging
// directory, will be at the end) in place; took is how long its body took.
func (c *committer) logReceived(kind protocol.Kind, name string, size int64, took time.Duration) {
	// Checked first: the arguments cost a formatting per file even when
	// the line is dropped (ft receive --quiet).
	if kind == protocol.KindFile && c.log.Enabled(context.Background(), slog.LevelInfo) {
		c.log.Info("received", "name", name, "size", size, "MB/s", mbps(size, took.Seconds()))
	}
}

// count counts an entry's verdict in the summary, and logs a refusal: the
// first refusalLines of the connection, the rest are only counted (see
// logEnd).
func (c *committer) count(kind protocol.Kind, name string, size int64, v protocol.Verdict) {
	c.sum.Entries++
	if v.Code.Success() {
		c.sum.Committed++
		if kind == protocol.KindFile && v.Code == protocol.CodeOK {
			c.sum.Bytes += uint64(size)
		}
		return
	}
	c.sum.Failed++
	c.worst = worse(c.worst, v.Code)
	if c.sum.Failed <= refusalLines {
		c.log.Info("refused", "name", name, "kind", kind.String(), "code", v.Code.String(), "reason", v.Message)
	}
}

func mbps(n int64, secs float64) string {
	if secs <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f", float64(n)/secs/1e6)
}

// worse keeps an integrity failure over any other refusal.
func worse(a, b protocol.Code) protocol.Code {
	if a == protocol.CodeChecksum || b == protocol.CodeOK {
		return a
	}
	return b
}

// outcome names the connection's result for the log.
func (c *committer) outcome() string {
	if c.sum.Failed == 0 {
		return "ok"
	}
	return "partial"
}

// err is the connection's outcome as an error, nil if every entry made it.
func (c *committer) err() error {
	switch {
	case c.sum.Failed == 0:
		return nil
	case c.worst == protocol.CodeChecksum:
		return fmt.Errorf("%w: %d of %d entries failed", ErrIntegrity, c.sum.Failed, c.sum.Entries)
	}
	return fmt.Errorf("%w: %d of %d entries failed", ErrRefused, c.sum.Failed, c.sum.Entries)
}

// commitItem puts one verified file or symlink in place and decides its
// verdict. (Directories are made by the reading goroutine.)
func (c *committer) commitItem(it *item) {
	var r inbox.Result
	if it.hdr.Kind == protocol.KindSymlink {
		r, it.staged = c.t.Symlink(it.hdr.Name, it.hdr.Linkname)
	} else {
		r, it.staged = c.t.Commit(c.dirs, it.tmp, it.sum), it.tmp.Staged()
	}
	it.decide(r.Code, r.Msg)
}

// staged is an entry inside a staging directory, verified and written,
// waiting for its directory to be published. It is kept small: a tree may
// hold hundreds of thousands.
type staged struct {
	inbox.Staged
	index uint64
	size  int64
}

func stagedOf(it *item) staged {
	return staged{Staged: inbox.Staged{Name: it.hdr.Name, Kind: it.hdr.Kind}, index: it.index, size: it.hdr.Size}
}

// publish moves every staging directory into place and sends the verdicts
// held back for their contents. It runs in the committer at the end of the
// connection, whatever the end: what was verified is kept.
func (c *committer) publish() {
	if len(c.staged) == 0 {
		return
	}
	sync := !c.noSync
	if sync {
		c.syncDisk()
	}
	entries := make([]inbox.Staged, len(c.staged))
	for i, e := range c.staged {
		entries[i] = e.Staged
	}
	results := c.t.Publish(c.dirs, entries, warner(c.log))
	if sync {
		c.syncDisk()
	}
	verdicts := make([]protocol.Verdict, len(c.staged))
	for i, e := range c.staged {
		verdicts[i] = protocol.Verdict{Index: e.index, Code: results[i].Code, Message: results[i].Msg}
		c.count(e.Kind, e.Name, e.size, verdicts[i])
	}
	c.replies.verdicts(verdicts)
	c.staged = nil
}
