package receive

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sync"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Batching: the committer takes what has arrived, up to these bounds or
// until batchWindow has passed, syncs it to disk once, and commits it.
const (
	batchWindow = 50 * time.Millisecond
	batchItems  = 4096
	batchBytes  = 256 << 20
	queueLen    = 1024
)

// item is one entry on its way to the committer.
type item struct {
	index   uint64
	hdr     *protocol.Header
	tmp     string // temp file holding a verified body ("" if none)
	sum     [protocol.HashSize]byte
	start   time.Time
	decided bool
	verdict protocol.Verdict
}

func (it *item) decide(code protocol.Code, msg string) {
	it.decided = true
	it.verdict = protocol.Verdict{Index: it.index, Code: code, Message: msg}
}

// committer moves verified temp files into place in batches: one sync of
// the filesystem makes a whole batch durable before any of it is renamed,
// and a second one makes the renames durable before the sender is told.
type committer struct {
	ss    *session
	queue chan *item
	done  chan struct{}
	dirs  []*protocol.Header // applied at the end: modes and times of directories
	sum   protocol.Summary
	worst protocol.Code
	mu    sync.Mutex
}

func newCommitter(ss *session) *committer {
	c := &committer{ss: ss, queue: make(chan *item, queueLen), done: make(chan struct{})}
	go c.run()
	return c
}

// add queues an item; it blocks while the queue is full.
func (c *committer) add(it *item) { c.queue <- it }

// finish commits what is queued, applies directory attributes and returns
// the summary.
func (c *committer) finish() protocol.Summary {
	close(c.queue)
	<-c.done
	c.finishDirs()
	return c.sum
}

func (c *committer) run() {
	defer close(c.done)
	for it := range c.queue {
		c.commitBatch(c.gather(it))
	}
}

// gather collects a batch that starts with first.
func (c *committer) gather(first *item) []*item {
	batch := []*item{first}
	bytes := first.hdr.Size
	timer := time.NewTimer(batchWindow)
	defer timer.Stop()
	for len(batch) < batchItems && bytes < batchBytes {
		select {
		case it, ok := <-c.queue:
			if !ok {
				return batch
			}
			batch = append(batch, it)
			bytes += it.hdr.Size
		case <-timer.C:
			return batch
		}
	}
	return batch
}

func (c *committer) commitBatch(batch []*item) {
	sync := !c.ss.s.opts.NoSync
	if sync {
		c.syncDisk()
	}
	verdicts := make([]protocol.Verdict, 0, len(batch))
	for _, it := range batch {
		if !it.decided {
			c.commitItem(it)
		}
		verdicts = append(verdicts, it.verdict)
	}
	if sync {
		c.syncDisk()
	}
	for _, it := range batch {
		c.record(it)
	}
	c.ss.replies.verdicts(verdicts) // a broken connection is noticed by the reader
}

// syncDisk flushes the inbox's filesystem, counting as connection progress.
func (c *committer) syncDisk() {
	c.ss.conn.Touch()
	if err := syncFS(c.ss.s.root); err != nil {
		c.ss.log.Warn("sync", "err", err)
	}
	c.ss.conn.Touch()
}

// record logs an item's verdict and counts it in the summary.
func (c *committer) record(it *item) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sum.Entries++
	v := it.verdict
	if v.Code.Success() {
		c.sum.Committed++
		if it.hdr.Kind == protocol.KindFile && v.Code == protocol.CodeOK {
			c.sum.Bytes += uint64(it.hdr.Size)
			secs := time.Since(it.start).Seconds()
			c.ss.log.Info("received", "name", it.hdr.Name, "size", it.hdr.Size, "MB/s", mbps(it.hdr.Size, secs))
		}
		return
	}
	c.sum.Failed++
	c.worst = worse(c.worst, v.Code)
	c.ss.log.Warn("refused", "name", it.hdr.Name, "kind", it.hdr.Kind.String(), "code", v.Code.String(), "reason", v.Message)
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

// commitItem puts one verified entry in place and decides its verdict.
func (c *committer) commitItem(it *item) {
	root := c.ss.s.root
	name := it.hdr.Name
	if dir := path.Dir(name); dir != "." {
		if err := root.MkdirAll(dir, 0o755); err != nil {
			c.fail(it, protocol.CodeRefused, err)
			return
		}
	}
	switch it.hdr.Kind {
	case protocol.KindDir:
		c.commitDir(it)
	case protocol.KindSymlink:
		c.commitSymlink(it)
	default:
		c.commitFile(it)
	}
}

func (c *committer) fail(it *item, code protocol.Code, err error) {
	if it.tmp != "" {
		c.ss.s.root.Remove(it.tmp)
	}
	if errors.Is(err, fs.ErrExist) {
		code = protocol.CodeExists
	} else if isNoSpace(err) {
		code = protocol.CodeNoSpace
	}
	it.decide(code, cleanErr(err))
}
