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

	"github.com/ft-team/ft/internal/ignore"
	"github.com/ft-team/ft/protocol"
)

// Sentinel errors; Run's error wraps one of them. Check with errors.Is.
// When entries failed, Run's error is also a *FilesError listing them.
var (
	ErrSource    = errors.New("send: cannot read source")
	ErrConnect   = errors.New("send: cannot connect")
	ErrConnLost  = errors.New("send: connection lost")
	ErrRefused   = errors.New("send: receiver refused files")
	ErrIntegrity = errors.New("send: integrity check failed")
	// ErrSkipped: the transfer went through, but the walk left out
	// entries it cannot send (Result.Skipped), such as a pipe, a device,
	// a socket or a symlink leading outside its directory.
	ErrSkipped = errors.New("send: entries left out")
	// ErrNotFile: a path named to Run is neither a regular file nor a
	// directory (a pipe such as /dev/stdin, a device, a socket). It comes
	// wrapped with ErrSource, before anything is sent.
	ErrNotFile = errors.New("not a regular file or directory")
	// ErrTo: Options.To is not a name the protocol allows.
	ErrTo = errors.New("send: bad destination directory")
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
	// Exclude, if not nil, leaves out the entries of sent directories whose
	// path relative to that directory it excludes (an excluded directory
	// is not walked); they count in Result.Excluded, not as left out.
	// Paths named in Paths are always sent.
	Exclude *ignore.Rules
	// To, if not empty, is a directory of the inbox under which everything
	// lands ("releases/1.2"): a name by protocol.ValidName's rules, one
	// trailing slash allowed; the receiver makes it as needed.
	To string
	// OnEntry, if not nil, is told the outcome of each entry, from the
	// goroutine that calls Progress: at once for one that could not be
	// read, and when the receiver's summary is in for those sent, in the
	// order sent. Not told on a transfer cut before its summary.
	OnEntry func(Outcome)
	// Progress, if not nil, is told about the transfer as it goes.
	Progress Progress
	// Warn, if not nil, receives warnings such as skipped symlinks.
	Warn func(msg string)

	// Trust (README, "Trust"; trust.go). The zero value proves the
	// secret in SecretFile.
	Insecure   bool   // speak the unauthenticated protocol (version 1)
	SecretFile string // the shared secret (default keys.DefaultSecretPath)
	KeyFile    string // key mode: this sender's private key (with Peer)
	Peer       string // key mode: the receiver's public key, or a file holding it
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
	Bytes     int64         // file bytes sent (version 2: body bytes that crossed the wire)
	Saved     int64         // file bytes not sent because the receiver had them: unchanged files, resumed prefixes (version 2)
	Resumed   int           // files sent from where an earlier transfer was cut
	Duration  time.Duration // from dial to summary
	// Failed lists the first MaxFailed entries that did not make it;
	// FailedByCode counts all of them, by the code of their verdict
	// (protocol.CodeOK for a local failure).
	Failed       []FileError
	FailedByCode map[protocol.Code]int
	// Skipped lists the first MaxFailed entries the walk left out because
	// they cannot be sent (Name is the local path), SkippedCount all of
	// them; they were not sent, and make Run's error ErrSkipped if
	// nothing failed.
	Skipped      []FileError
	SkippedCount int
	// Excluded counts the entries that Options.Exclude left out (an
	// excluded directory counts once, whatever it holds).
	Excluded int
}

// MaxFailed is how many failed entries a Result and a FilesError list one
// by one, with their messages: the rest are only counted, so that a
// receiver refusing every entry of a large transfer with long messages
// cannot make the sender hold them all.
const MaxFailed = 20

// FailedCount returns how many entries did not make it.
func (r *Result) FailedCount() int { return count(r.FailedByCode) }

// fail records the failure of an entry: listed if there is room, counted
// in any case.
func (r *Result) fail(f FileError) {
	if len(r.Failed) < MaxFailed {
		r.Failed = append(r.Failed, f)
	}
	if r.FailedByCode == nil {
		r.FailedByCode = make(map[protocol.Code]int)
	}
	r.FailedByCode[f.Code]++
}

func count(byCode map[protocol.Code]int) int {
	n := 0
	for _, c := range byCode {
		n += c
	}
	return n
}

// Outcome is what became of one entry (Options.OnEntry).
type Outcome struct {
	Name string        // name on the wire
	Kind protocol.Kind // file, directory or symlink
	Size int64         // file size
	// Sum is the BLAKE3 hash of a file sent whole; zero otherwise.
	Sum  [protocol.HashSize]byte
	Code protocol.Code // the receiver's verdict; CodeOK also for a local failure (Err says)
	Err  error         // nil if the receiver committed it
}

// FileError is the failure of one entry.
type FileError struct {
	Name string        // name on the wire
	Code protocol.Code // receiver's verdict, or CodeOK for a local failure
	Err  error         // description
}

func (e FileError) Error() string { return fmt.Sprintf("%q: %v", e.Name, e.Err) }

// Local reports whether the entry failed at the sender (its source could
// not be read, or changed while it was sent) rather than at the receiver.
func (e FileError) Local() bool { return e.Code == protocol.CodeOK }

// kind is the sentinel for the entry's failure: a local failure is
// ErrSource, a checksum mismatch ErrIntegrity, and any other verdict,
// known or not, ErrRefused.
func (e FileError) kind() error {
	switch {
	case e.Local():
		return ErrSource
	case e.Code == protocol.CodeChecksum:
		return ErrIntegrity
	}
	return ErrRefused
}

// FilesError is Run's error when the transfer ran to its end but some
// entries did not make it. It wraps the sentinel of the worst failure:
// ErrIntegrity over ErrRefused over ErrSource. Its message counts the
// failures without naming them: Failed does.
type FilesError struct {
	Failed []FileError           // the first MaxFailed entries that did not make it (as in Result.Failed)
	ByCode map[protocol.Code]int // all of them by code, as Result.FailedByCode; nil: those in Failed
	Total  int                   // entries in the transfer, committed or not
}

func (e *FilesError) Error() string {
	return fmt.Sprintf("%v: %d of %d entries failed", e.Unwrap(), count(e.Codes()), e.Total)
}

// Codes counts the failed entries by the code of their verdict
// (protocol.CodeOK for a local failure): ByCode, or if it is nil, the
// entries in Failed.
func (e *FilesError) Codes() map[protocol.Code]int {
	if e.ByCode != nil {
		return e.ByCode
	}
	m := make(map[protocol.Code]int)
	for _, f := range e.Failed {
		m[f.Code]++
	}
	return m
}

// Unwrap returns the sentinel of the worst failure.
func (e *FilesError) Unwrap() error {
	worst := ErrSource
	for c := range e.Codes() {
		switch k := (FileError{Code: c}).kind(); {
		case k == ErrIntegrity:
			return ErrIntegrity
		case k == ErrRefused:
			worst = ErrRefused
		}
	}
	return worst
}

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
	to, err := destination(opts.To)
	if err != nil {
		return &Result{}, err
	}
	roots, err := prepare(opts.Paths)
	if err != nil {
		return &Result{}, err
	}
	for i := range roots {
		roots[i].base = to + roots[i].base
	}
	start := time.Now()
	res, err := transfer(ctx, opts, roots, warn)
	res.Duration = time.Since(start)
	if err != nil {
		return res, err
	}
	return res, failures(res)
}

// destination returns the prefix of every name on the wire for
// Options.To: "" or the directory followed by a slash.
func destination(to string) (string, error) {
	if to == "" {
		return "", nil
	}
	dir := strings.TrimSuffix(to, "/")
	if err := protocol.ValidName(dir); err != nil {
		return "", fmt.Errorf("%w: %w", ErrTo, err)
	}
	return dir + "/", nil
}

// failures is the error for a transfer that ran to its end: nil if every
// entry made it and none was left out, a *FilesError if some failed, else
// ErrSkipped.
func failures(res *Result) error {
	n := res.FailedCount()
	if n == 0 && res.SkippedCount > 0 {
		return fmt.Errorf("%w: %d not sent (a special file or a symlink leading outside)", ErrSkipped, res.SkippedCount)
	}
	if n == 0 {
		return nil
	}
	return &FilesError{Failed: res.Failed, ByCode: res.FailedByCode, Total: res.Committed + n}
}
