// Package send implements the sending side of ft: it walks the paths,
// dials the receiver, streams every entry without waiting between them,
// and collects the receiver's verdict on each.
package send

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ft-team/ft/protocol"
)

// Sentinel errors; Run's error wraps one of them. Check with errors.Is.
var (
	ErrSource    = errors.New("send: cannot read source")
	ErrConnect   = errors.New("send: cannot connect")
	ErrConnLost  = errors.New("send: connection lost")
	ErrRefused   = errors.New("send: receiver refused files")
	ErrIntegrity = errors.New("send: integrity check failed")
)

// Defaults for the zero values of Options.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultIdleTimeout = 60 * time.Second
)

// Options configure Run. The zero value is usable once Addr and Paths are set.
type Options struct {
	Addr  string   // receiver address, host:port ([v6addr]:port for IPv6)
	Paths []string // files and directories to send

	// DialTimeout bounds connecting and the handshake (default DefaultDialTimeout).
	DialTimeout time.Duration
	// IdleTimeout aborts the transfer when no byte moves for that long
	// (default DefaultIdleTimeout; negative disables).
	IdleTimeout time.Duration
	// Progress, if not nil, is told about the transfer as it goes.
	Progress Progress
	// Warn, if not nil, receives warnings such as skipped symlinks.
	Warn func(msg string)
}

// Progress receives progress reports, all from one goroutine.
type Progress interface {
	Start(totalBytes int64, files int)
	StartFile(name string, size int64)
	Add(n int64)
}

// Result is what happened to a transfer.
type Result struct {
	Entries   int           // entries sent
	Files     int           // regular files among them
	Committed int           // entries the receiver committed (including unchanged)
	Unchanged int           // entries already present with identical content
	Bytes     int64         // file bytes sent
	Duration  time.Duration // from dial to summary
	Failed    []FileError   // entries that did not make it
}

// FileError is the failure of one entry.
type FileError struct {
	Name string        // name on the wire
	Code protocol.Code // receiver's verdict, or CodeOK for a local failure
	Err  error         // description
}

func (e FileError) Error() string { return fmt.Sprintf("%q: %v", e.Name, e.Err) }

// Run sends opts.Paths to opts.Addr. It returns a nil error only if the
// receiver confirmed every entry. The Result is filled as far as the
// transfer got, also on error.
func Run(ctx context.Context, opts Options) (*Result, error) {
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if len(opts.Paths) == 0 {
		return &Result{}, fmt.Errorf("%w: no paths to send", ErrSource)
	}
	roots, err := prepare(opts.Paths)
	if err != nil {
		return &Result{}, err
	}
	start := time.Now()
	res, err := transfer(ctx, opts, roots, warn)
	res.Duration = time.Since(start)
	if err != nil {
		return res, err
	}
	return res, failures(res.Failed)
}

// failures turns the failed entries into one error that wraps the worst
// sentinel: integrity over refusal over a local source problem.
func failures(failed []FileError) error {
	if len(failed) == 0 {
		return nil
	}
	kind := ErrSource
	for _, f := range failed {
		switch {
		case f.Code == protocol.CodeChecksum:
			kind = ErrIntegrity
		case f.Code != protocol.CodeOK && kind != ErrIntegrity:
			kind = ErrRefused
		}
	}
	msgs := make([]string, 0, 3)
	for _, f := range failed[:min(len(failed), 3)] {
		msgs = append(msgs, f.Error())
	}
	more := ""
	if len(failed) > 3 {
		more = fmt.Sprintf(" (and %d more)", len(failed)-3)
	}
	return fmt.Errorf("%w: %d failed: %s%s", kind, len(failed), strings.Join(msgs, "; "), more)
}
