package main

import (
	"context"
	"errors"
	"fmt"
	"io"
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
	exitInterrupted = 130
)

// usageError marks a mistake on the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

var exitCodes = []struct {
	err  error
	code int
}{
	{send.ErrIntegrity, exitIntegrity},
	{receive.ErrIntegrity, exitIntegrity},
	{send.ErrRefused, exitRefused},
	{receive.ErrRefused, exitRefused},
	{send.ErrSource, exitSource},
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
	var ue usageError
	if errors.As(err, &ue) {
		return exitUsage
	}
	for _, ec := range exitCodes {
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
	case errors.Is(err, syscall.ECONNREFUSED):
		return `is "ft receive" listening on that host and port?`
	case errors.Is(err, idle.ErrTimeout):
		return "the network or the other side stalled; --idle-timeout sets how long to wait"
	case errors.As(err, &remote) && remote.Code == protocol.CodeBusy:
		return "the receiver has too many connections; try again later"
	case errors.Is(err, send.ErrRefused) && strings.Contains(err.Error(), "exists"):
		return "the receiver keeps existing files; run it with --overwrite to replace them"
	case errors.Is(err, syscall.EADDRINUSE):
		return "another program uses that port; pick another with -p"
	}
	return ""
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
