// Command ft sends files and directories over TCP to an ft receiver, which
// verifies every file's BLAKE3 hash before it appears under its final name.
//
//	ft receive -d ./inbox -p 9000
//	ft send host:9000 report.pdf build/
//
// See README.md for usage and PROTOCOL.md for the wire format.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ft-team/ft/receive"
	"github.com/ft-team/ft/send"
)

func main() {
	// SIGHUP (a closed terminal, or kill -HUP) stops cleanly like SIGTERM
	// instead of killing ft with temp files left: nothing is reloaded
	// (README, "Running a receiver as a service").
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := run(ctx, os.Args, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run executes the command line and returns the process exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	app := newApp(stdout, stderr)
	err := app.RunContext(ctx, flagsFirst(app, args))
	return report(ctx, stderr, err)
}

func newApp(stdout, stderr io.Writer) *cli.App {
	return &cli.App{
		Name:            "ft",
		Usage:           "send files and directories over TCP, verified end to end",
		Version:         version(),
		Description:     appDescription,
		Writer:          stdout,
		ErrWriter:       stderr,
		HideHelpCommand: false,
		ExitErrHandler:  func(*cli.Context, error) {}, // report() decides the exit code
		// A pattern or a file name may hold a comma: repeat the flag instead.
		DisableSliceFlagSeparator: true,
		OnUsageError:              onUsageError,
		Commands:                  []*cli.Command{sendCommand(stdout, stderr), receiveCommand(stdout, stderr), keygenCommand(stdout), completionCommand(stdout)},
	}
}

const appDescription = `ft moves files and whole directories between machines over one TCP
connection. The receiver writes each file to a hidden temp file, checks its
size and BLAKE3 hash, and only then moves it into place.

Examples:
   ft receive -d ./inbox -p 9000        # on the receiving machine
   ft send buildhost:9000 app.tar.gz    # one file
   ft send [fd00::2]:9000 dist/ notes.txt

Exit codes: 0 ok, 1 other error, 2 usage, 3 cannot connect or connection
lost, 4 a file was refused by the receiver, 5 integrity failure, 6 a source
file could not be read, 7 authentication failed (wrong or missing secret,
key not allowed, receiver key mismatch), 8 entries left out (special files,
symlinks leading outside), 130 interrupted.`

func onUsageError(_ *cli.Context, err error, _ bool) error { return usageError{err} }

func sendCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "send",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		Usage:           "send files and directories to an ft receiver",
		ArgsUsage:       "HOST:PORT PATH...",
		Description: `Sends every PATH over one connection. A file lands as <inbox>/<its name>,
a directory as <inbox>/<its name>/... with its whole tree. Exits 0 only when
the receiver has confirmed every file. Flags may come anywhere; after "--"
everything is a PATH (ft send HOST:PORT -- -odd-name).

Examples:
   ft send localhost:9000 report.pdf
   ft send -q 10.0.0.5:9000 build/ CHANGELOG.md`,
		Flags: append([]cli.Flag{
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing but errors"},
			&cli.BoolFlag{Name: "json", Usage: "write JSON lines on stdout (README, \"JSON lines\"); no progress bar"},
			&cli.DurationFlag{Name: "idle-timeout", Value: send.DefaultIdleTimeout, Usage: "give up when nothing moves for this long"},
			&cli.DurationFlag{Name: "dial-timeout", Value: send.DefaultDialTimeout, Usage: "give up connecting after this long"},
		}, append(selectFlags(), trustFlags(false)...)...),
		Action: func(c *cli.Context) error {
			if c.NArg() < 2 {
				return usageError{fmt.Errorf("send needs HOST:PORT and at least one PATH")}
			}
			opts := send.Options{
				Addr:        c.Args().First(),
				Paths:       c.Args().Tail(),
				DialTimeout: c.Duration("dial-timeout"),
				IdleTimeout: nonZero(c.Duration("idle-timeout")),
			}
			sendTrust(c, &opts)
			if err := sendSelect(c, &opts); err != nil {
				return err
			}
			var ev *jsonEvents
			if c.Bool("json") {
				ev = newJSONEvents(stdout)
			}
			return runSend(c.Context, opts, c.Bool("quiet"), stderr, ev)
		},
	}
}

// runSend runs a send with its output for a person on stderr and, if ev
// is not nil, its JSON lines.
func runSend(ctx context.Context, opts send.Options, quiet bool, stderr io.Writer, ev *jsonEvents) error {
	if _, _, err := net.SplitHostPort(opts.Addr); err != nil {
		return usageError{fmt.Errorf("%q is not HOST:PORT (IPv6: [addr]:port)", opts.Addr)}
	}
	opts.Warn = func(msg string) { fmt.Fprintln(stderr, "ft: warning:", msg) }
	var bar *progressBar
	if ev != nil {
		ev.begin(opts)
		opts.Progress, opts.OnEntry = ev, ev.entry
	} else if !quiet && isTerminal(stderr) {
		bar = newProgressBar(stderr)
		opts.Progress = bar
	}
	res, err := send.Run(ctx, opts)
	if bar != nil {
		bar.done()
	}
	if ev != nil {
		ev.end(ctx, res, err)
	}
	listFailed(stderr, res.Failed, res.FailedCount())
	if !quiet && (err == nil || errors.Is(err, send.ErrSkipped)) {
		fmt.Fprintln(stderr, "ft:", summary(res))
	}
	return err
}

// summary is the one-line report of a finished transfer.
func summary(res *send.Result) string {
	secs := res.Duration.Seconds()
	rate := 0.0
	if secs > 0 {
		rate = float64(res.Bytes) / secs / 1e6
	}
	s := fmt.Sprintf("sent %s, %s in %.2f s, %.1f MB/s", plural(res.Files, "file"), humanBytes(res.Bytes), secs, rate)
	var notes []string
	if res.Unchanged > 0 {
		notes = append(notes, fmt.Sprintf("%d unchanged", res.Unchanged))
	}
	if res.Resumed > 0 {
		notes = append(notes, fmt.Sprintf("%d resumed", res.Resumed))
	}
	if res.Saved > 0 {
		notes = append(notes, humanBytes(res.Saved)+" not resent")
	}
	if len(notes) > 0 {
		s += " (" + strings.Join(notes, ", ") + ")"
	}
	if res.Excluded > 0 {
		s += fmt.Sprintf(", %d excluded", res.Excluded)
	}
	return s
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

func receiveCommand(stdout, stderr io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "receive",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		Usage:           "listen and write incoming files into a directory",
		ArgsUsage:       " ",
		Description: `Listens for ft senders and writes what they send under DIR, serving many
senders at once until interrupted. Prints the address it listens on to stdout
and one log line per file and per connection to stderr (a connection's
refusals: the first 10, then a count in its last line).

Examples:
   ft receive -d ./inbox -p 9000
   ft receive --once --listen 127.0.0.1:0 -d /tmp/in`,
		Flags: receiveFlags(),
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageError{fmt.Errorf("receive takes no arguments (did you mean -d %s?)", c.Args().First())}
			}
			opts, err := receiveOptions(c)
			if err != nil {
				return err
			}
			if err := receiveTrust(c, &opts, stderr); err != nil {
				return err
			}
			level := slog.LevelInfo
			if c.Bool("quiet") {
				level = slog.LevelWarn
			}
			opts.Logger = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
			opts.Ready = func(addr net.Addr) { fmt.Fprintln(stdout, addr.String()) }
			return receive.Run(c.Context, opts)
		},
	}
}

func receiveFlags() []cli.Flag {
	return append([]cli.Flag{
		&cli.StringFlag{Name: "dir", Aliases: []string{"d"}, Value: ".", Usage: "write incoming files under `DIR` (created if missing)"},
		&cli.IntFlag{Name: "port", Aliases: []string{"p"}, Value: receive.DefaultPort, Usage: "listen on this port on all interfaces (or on --listen's host)"},
		&cli.StringFlag{Name: "listen", Usage: "listen on this `ADDR` (host or host:port) instead"},
		&cli.BoolFlag{Name: "once", Usage: "exit after the first transfer (a connection that completed the handshake: probes do not count), with its status"},
		&cli.BoolFlag{Name: "overwrite", Usage: "let incoming files replace existing ones (atomically)"},
		&cli.BoolFlag{Name: "no-sync", Usage: "confirm files without waiting for the disk (faster, not crash-safe)"},
		&cli.StringFlag{Name: "max-size", Usage: "refuse files larger than `SIZE` (e.g. 500M, 20G)"},
		&cli.IntFlag{Name: "max-conns", Value: receive.DefaultMaxConns, Usage: "serve at most this many connections at once"},
		&cli.DurationFlag{Name: "header-timeout", Value: receive.DefaultHeaderTimeout, Usage: "drop senders that do not complete the handshake in time"},
		&cli.DurationFlag{Name: "idle-timeout", Value: receive.DefaultIdleTimeout, Usage: "abort transfers that make no progress for this long"},
		&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "log one line per connection that failed or refused files, and warnings"},
	}, trustFlags(true)...)
}

func receiveOptions(c *cli.Context) (receive.Options, error) {
	maxSize, err := parseSize(c.String("max-size"))
	if err != nil {
		return receive.Options{}, usageError{fmt.Errorf("--max-size: %w", err)}
	}
	return receive.Options{
		Dir:           c.String("dir"),
		Addr:          listenAddr(c.String("listen"), c.Int("port"), c.IsSet("port")),
		Once:          c.Bool("once"),
		Overwrite:     c.Bool("overwrite"),
		NoSync:        c.Bool("no-sync"),
		MaxSize:       maxSize,
		MaxConns:      c.Int("max-conns"),
		HeaderTimeout: c.Duration("header-timeout"),
		IdleTimeout:   nonZero(c.Duration("idle-timeout")),
	}, nil
}

// listenAddr is the receive.Options.Addr for --listen and --port: what the
// user gave, and nothing where they gave nothing, so that receive supplies
// its defaults (all interfaces, DefaultPort). An explicit port fills in a
// --listen without one.
func listenAddr(listen string, port int, portSet bool) string {
	if !portSet {
		return listen
	}
	p := strconv.Itoa(port)
	if listen == "" {
		return ":" + p
	}
	if _, _, err := net.SplitHostPort(listen); err == nil {
		return listen
	}
	return net.JoinHostPort(listen, p)
}

// nonZero maps a user's 0 ("no timeout") to the options' "disabled".
func nonZero(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}
