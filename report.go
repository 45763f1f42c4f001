package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"unicode"

	"github.com/ft-team/ft/internal/idle"
	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
	"github.com/ft-team/ft/send"
)

// Exit codes, documented in the README and in "ft help".
const (
	exitOK          = 0
	exitError       = 1
	exitUsage       = 2
	exitNetwork     = 3
	exitRefused     = 4
	exitIntegrity   = 5
	exitSource      = 6
	exitAuth        = 7
	exitPartial     = 8 // entries left out because they cannot be sent (special files, symlinks leading outside)
	exitInterrupted = 130
)

// usageError marks a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// verdictExits is the one table from protocol codes to exit codes: the
// receiver's verdict on an entry decides the exit code of its failure.
// Any other value as a verdict, including a connection's error code, is a
// refusal (PROTOCOL.md). An error frame, whatever its code, ends the
// connection: send wraps it in ErrConnect or ErrConnLost, exit 3.
var verdictExits = map[protocol.Code]int{
	protocol.CodeOK:        exitOK,
	protocol.CodeUnchanged: exitOK,
	protocol.CodeExists:    exitRefused,
	protocol.CodeBadName:   exitRefused,
	protocol.CodeTooLarge:  exitRefused,
	protocol.CodeNoSpace:   exitRefused,
	protocol.CodeChecksum:  exitIntegrity,
	protocol.CodeIO:        exitRefused,
	protocol.CodeRefused:   exitRefused,
	protocol.CodeAborted:   exitRefused, // the sender gave up on the file: not an integrity failure
}

// unknownVerdictExit is the exit code for a verdict the table lacks.
const unknownVerdictExit = exitRefused

// codeExit returns the exit code for a failed entry with verdict c: the
// verdict's, or exitSource if c is CodeOK (it failed at the sender).
func codeExit(c protocol.Code) int {
	if c == protocol.CodeOK {
		return exitSource
	}
	if code, ok := verdictExits[c]; ok {
		return code
	}
	return unknownVerdictExit
}

// exitRank orders the exit codes of failed entries, worst first: the exit
// code of a transfer is that of its worst entry.
var exitRank = []int{exitIntegrity, exitRefused, exitSource}

// worstExit returns the exit code of the worst of the failed entries,
// counted by the codes of their verdicts.
func worstExit(byCode map[protocol.Code]int) int {
	worst := len(exitRank)
	for c := range byCode {
		if i := slices.Index(exitRank, codeExit(c)); i >= 0 && i < worst {
			worst = i
		}
	}
	if worst == len(exitRank) {
		return exitError
	}
	return exitRank[worst]
}

// sentinelExits maps the errors that carry no verdict.
var sentinelExits = []struct {
	err  error
	code int
}{
	{receive.ErrIntegrity, exitIntegrity},
	{receive.ErrRefused, exitRefused},
	{send.ErrSource, exitSource},
	{send.ErrAuth, exitAuth},
	{receive.ErrCredentials, exitAuth},
	{send.ErrSkipped, exitPartial},
	{send.ErrTo, exitUsage},
	{send.ErrConnect, exitNetwork},
	{send.ErrConnLost, exitNetwork},
	{receive.ErrConnLost, exitNetwork},
}

// report prints err for a person, with a hint where one helps, and
// returns the exit code.
func report(ctx context.Context, stderr io.Writer, err error) int {
	if err == nil {
		return exitOK
	}
	if ctx.Err() != nil {
		fmt.Fprintln(stderr, "ft: error: interrupted")
		return exitInterrupted
	}
	fmt.Fprintf(stderr, "ft: error: %s\n", oneLine(err.Error()))
	if h := hint(err); h != "" {
		fmt.Fprintf(stderr, "ft: hint: %s\n", h)
	}
	return exitCode(err)
}

// exitFor is the exit code that report returns for err.
func exitFor(ctx context.Context, err error) int {
	switch {
	case err == nil:
		return exitOK
	case ctx.Err() != nil:
		return exitInterrupted
	}
	return exitCode(err)
}

// exitCode decides the exit code for err: from the verdicts it carries
// where it carries any, else from its sentinel.
func exitCode(err error) int {
	var files *send.FilesError
	switch {
	case errors.As(err, new(usageError)):
		return exitUsage
	case errors.As(err, &files):
		return worstExit(files.Codes())
	}
	for _, ec := range sentinelExits {
		if errors.Is(err, ec.err) {
			return ec.code
		}
	}
	return exitError
}

func hint(err error) string {
	var remote *protocol.RemoteError
	switch {
	case errors.As(err, new(usageError)):
		return `see "ft help" for usage`
	case errors.Is(err, send.ErrNoSecret):
		return `copy the receiver's secret file (its first start says where it made it) to that place, or name one with --secret FILE`
	case errors.Is(err, send.ErrAuth):
		return "both sides need the same secret file (or in key mode: --peer the receiver's key, this key in its --allow list); --insecure needs both sides"
	case errors.Is(err, receive.ErrCredentials):
		return "make a secret with: ft keygen --secret FILE (mode 0600), or a key pair with: ft keygen FILE"
	case errors.Is(err, syscall.ECONNREFUSED):
		return `is "ft receive" listening on that host and port?`
	case errors.Is(err, idle.ErrTimeout):
		return "the network or the other side stalled; --idle-timeout sets how long to wait"
	case errors.As(err, &remote) && remote.Code == protocol.CodeBusy:
		return "the receiver has too many connections; try again later"
	case refusedWith(err, protocol.CodeExists):
		return "the receiver keeps existing files; run it with --overwrite to replace them"
	case errors.Is(err, send.ErrNotFile):
		return `ft sends regular files and directories; save a stream to a file first (reading stdin will be "ft send HOST:PORT -" once supported)`
	case errors.Is(err, syscall.EADDRINUSE):
		return "another program uses that port; pick another with -p"
	}
	return ""
}

// refusedWith reports whether err lists an entry the receiver refused
// with code.
func refusedWith(err error, code protocol.Code) bool {
	var files *send.FilesError
	if !errors.As(err, &files) {
		return false
	}
	return code != protocol.CodeOK && files.Codes()[code] > 0
}

// maxListed is how many failed files a send lists one by one.
const maxListed = send.MaxFailed

// listFailed prints each listed failed entry once, on its own line: its
// name quoted, then its verdict's code and message or its local reason,
// then how many more of the total failed. The error line that follows
// only counts them.
func listFailed(stderr io.Writer, failed []send.FileError, total int) {
	for i, f := range failed {
		if i == maxListed {
			break
		}
		fmt.Fprintf(stderr, "ft: failed: %s\n", oneLine(f.Error()))
	}
	if n := min(len(failed), maxListed); total > n {
		fmt.Fprintf(stderr, "ft: failed: ... and %d more\n", total-n)
	}
}

// oneLine keeps an error message on one line and escapes anything a
// terminal could take as a control sequence (messages may come from the
// peer).
func oneLine(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsPrint(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r)
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}
