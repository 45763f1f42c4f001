package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
	"github.com/ft-team/ft/send"
)

func TestReport(t *testing.T) {
	cases := []struct {
		name string
		err  error
		code int
		want []string
	}{
		{"ok", nil, exitOK, nil},
		{"usage", usageError{errors.New("bad flag")}, exitUsage, []string{"ft: error: bad flag", "ft: hint: "}},
		{"refused connection", fmt.Errorf("%w: %w", send.ErrConnect, syscall.ECONNREFUSED), exitNetwork, []string{"listening"}},
		{"lost", fmt.Errorf("%w: reset", send.ErrConnLost), exitNetwork, []string{"connection lost"}},
		{"busy", fmt.Errorf("%w: %w", send.ErrConnLost, &protocol.RemoteError{Code: protocol.CodeBusy}), exitNetwork, []string{"try again later"}},
		{"refused files", filesError(protocol.CodeExists), exitRefused, []string{"send: receiver refused files: 1 of 2 entries failed", "--overwrite"}},
		{"integrity", filesError(protocol.CodeChecksum), exitIntegrity, []string{"integrity"}},
		{"version", fmt.Errorf("%w: %w", send.ErrConnect, &protocol.RemoteError{Code: protocol.CodeVersion}), exitNetwork, []string{"version mismatch"}},
		{"unknown error frame", fmt.Errorf("%w: %w", send.ErrConnLost, &protocol.RemoteError{Code: 99}), exitNetwork, nil},
		{"receiver integrity", receive.ErrIntegrity, exitIntegrity, nil},
		{"source", send.ErrSource, exitSource, nil},
		{"left out", fmt.Errorf("%w: 2 not sent", send.ErrSkipped), exitPartial, []string{"left out"}},
		{"named pipe", fmt.Errorf("%w: %w: \"/dev/stdin\" is a named pipe", send.ErrSource, send.ErrNotFile), exitSource,
			[]string{"named pipe", `ft: hint: `, `"ft send HOST:PORT -"`}},
		{"other", errors.New("boom"), exitError, []string{"ft: error: boom"}},
		{"escapes", errors.New("evil \x1b[2J\nline"), exitError, []string{`evil \x1b[2J\nline`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out strings.Builder
			if code := report(context.Background(), &out, tc.err); code != tc.code {
				t.Errorf("code %d, want %d", code, tc.code)
			}
			for _, w := range tc.want {
				if !strings.Contains(out.String(), w) {
					t.Errorf("output %q lacks %q", out.String(), w)
				}
			}
			if strings.Count(out.String(), "ft: error:") > 1 || strings.ContainsRune(out.String(), 0x1b) {
				t.Errorf("output %q", out.String())
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if code := report(ctx, &strings.Builder{}, errors.New("x")); code != exitInterrupted {
		t.Errorf("interrupted: code %d", code)
	}
}

func TestParseSize(t *testing.T) {
	cases := []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true}, {"0", 0, true}, {"1024", 1024, true}, {"1K", 1024, true}, {"500M", 500 << 20, true},
		{"20G", 20 << 30, true}, {"2t", 2 << 40, true}, {"-1", 0, false}, {"1.5G", 0, false}, {"G", 0, false},
		{"99999999999T", 0, false}, {"12X", 0, false},
	}
	for _, tc := range cases {
		got, err := parseSize(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// filesError is the error of a send where one entry failed with each of
// codes (CodeOK: a local failure) and one other was committed.
func filesError(codes ...protocol.Code) error {
	fe := &send.FilesError{Total: len(codes) + 1}
	for i, c := range codes {
		err := fmt.Errorf("%w: it changed", send.ErrSource)
		if c != protocol.CodeOK {
			err = fmt.Errorf("%v: some reason", c)
		}
		fe.Failed = append(fe.Failed, send.FileError{Name: fmt.Sprintf("f%d", i), Code: c, Err: err})
	}
	return fmt.Errorf("wrapped: %w", fe)
}

// TestCodeExits: every protocol code, as the verdict on a failed entry,
// has the documented exit code (an unknown one is a refusal); the
// --overwrite hint comes with CodeExists and no other code; send's
// sentinels agree with the exit code. An error frame, whatever its code,
// is a lost connection.
func TestCodeExits(t *testing.T) {
	want := map[protocol.Code]int{
		protocol.CodeExists: exitRefused, protocol.CodeBadName: exitRefused, protocol.CodeTooLarge: exitRefused,
		protocol.CodeNoSpace: exitRefused, protocol.CodeChecksum: exitIntegrity, protocol.CodeIO: exitRefused,
		protocol.CodeRefused: exitRefused, protocol.CodeAborted: exitRefused,
	}
	for i := range 256 {
		c := protocol.Code(i)
		for _, wrap := range []error{send.ErrConnect, send.ErrConnLost} {
			if got := exitCode(fmt.Errorf("%w: %w", wrap, &protocol.RemoteError{Code: c})); got != exitNetwork {
				t.Errorf("error frame with code %d (%v): exit %d, want %d", i, c, got, exitNetwork)
			}
		}
		if c.Success() {
			if got, ok := verdictExits[c]; !ok || got != exitOK {
				t.Errorf("verdict %d (%v): exit %d, want %d", i, c, got, exitOK)
			}
			continue
		}
		exit, known := want[c]
		if !known {
			exit = exitRefused
		}
		err := filesError(c)
		var out strings.Builder
		if got := report(context.Background(), &out, err); got != exit {
			t.Errorf("entry refused with code %d (%v): exit %d, want %d", i, c, got, exit)
		}
		if hinted := strings.Contains(out.String(), "--overwrite"); hinted != (c == protocol.CodeExists) {
			t.Errorf("entry refused with code %d (%v): --overwrite hint %v; output %q", i, c, hinted, out.String())
		}
		if errors.Is(err, send.ErrIntegrity) != (exit == exitIntegrity) || errors.Is(err, send.ErrRefused) != (exit == exitRefused) {
			t.Errorf("entry refused with code %d (%v): send's sentinel disagrees with exit %d: %v", i, c, exit, err)
		}
	}
}

// TestWorstExit: a transfer exits with the code of its worst entry:
// integrity over refusal over a local source failure.
func TestWorstExit(t *testing.T) {
	cases := []struct {
		codes []protocol.Code
		want  int
		hint  bool
	}{
		{[]protocol.Code{protocol.CodeOK}, exitSource, false},
		{[]protocol.Code{protocol.CodeAborted}, exitRefused, false},
		{[]protocol.Code{protocol.CodeOK, protocol.CodeExists}, exitRefused, true},
		{[]protocol.Code{protocol.CodeExists, protocol.CodeOK}, exitRefused, true},
		{[]protocol.Code{protocol.CodeExists, protocol.CodeChecksum, protocol.CodeOK}, exitIntegrity, true},
		{[]protocol.Code{protocol.CodeChecksum, protocol.CodeNoSpace}, exitIntegrity, false},
		{[]protocol.Code{protocol.CodeOK, protocol.CodeAborted, 200}, exitRefused, false},
	}
	for _, tc := range cases {
		var out strings.Builder
		if got := report(context.Background(), &out, filesError(tc.codes...)); got != tc.want {
			t.Errorf("failures %v: exit %d, want %d", tc.codes, got, tc.want)
		}
		if hinted := strings.Contains(out.String(), "--overwrite"); hinted != tc.hint {
			t.Errorf("failures %v: --overwrite hint %v, want %v; output %q", tc.codes, hinted, tc.hint, out.String())
		}
	}
}

// TestListFailed: each failed entry is listed once with its quoted name,
// code and message, up to maxListed, then the count of the rest of the
// total (which send only counts beyond send.MaxFailed).
func TestListFailed(t *testing.T) {
	cases := []struct{ listed, total, more int }{
		{maxListed + 5, maxListed + 5, 5},
		{maxListed, 200_000, 200_000 - maxListed},
		{3, 3, 0},
	}
	for _, tc := range cases {
		var failed []send.FileError
		for i := range tc.listed {
			failed = append(failed, send.FileError{Name: fmt.Sprintf("f\n%d", i), Code: protocol.CodeExists, Err: errors.New("exists: file exists")})
		}
		var out strings.Builder
		listFailed(&out, failed, tc.total)
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		n := min(tc.listed, maxListed)
		wantLines, more := n, ""
		if tc.more > 0 {
			wantLines, more = n+1, fmt.Sprintf("ft: failed: ... and %d more", tc.more)
		}
		if len(lines) != wantLines || (more != "" && lines[n] != more) {
			t.Fatalf("%+v: listed %d lines, want %d and %q:\n%s", tc, len(lines), wantLines, more, out.String())
		}
		for i, l := range lines[:n] {
			if want := fmt.Sprintf("ft: failed: %q: exists: file exists", fmt.Sprintf("f\n%d", i)); l != want {
				t.Errorf("line %d = %q, want %q", i, l, want)
			}
		}
	}
}

// TestRefusalsListedOnce runs a send against an in-process receiver that
// refuses five existing files: each is named once, with its code, then
// one error line counts them, and one hint suggests --overwrite.
func TestRefusalsListedOnce(t *testing.T) {
	inbox, src := t.TempDir(), t.TempDir()
	var names []string
	for i := range 5 {
		name := fmt.Sprintf("file%d.txt", i)
		names = append(names, name)
		writeFile(t, filepath.Join(inbox, name), []byte("old"), 0o644)
		writeFile(t, filepath.Join(src, name), []byte("new content"), 0o644)
	}
	writeFile(t, filepath.Join(src, "fresh.txt"), []byte("fresh"), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- receive.Run(ctx, receive.Options{Dir: inbox, Addr: "127.0.0.1:0", Once: true,
			Ready: func(a net.Addr) { ready <- a.String() }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("receiver: %v", err)
	}
	args := []string{"ft", "send", "-q", addr}
	for _, n := range append(names, "fresh.txt") {
		args = append(args, filepath.Join(src, n))
	}
	var stdout, stderr strings.Builder
	if code := run(ctx, args, &stdout, &stderr); code != exitRefused {
		t.Errorf("exit %d, want %d; stderr:\n%s", code, exitRefused, stderr.String())
	}
	<-done
	out := stderr.String()
	for _, n := range names {
		if c := strings.Count(out, n); c != 1 || !strings.Contains(out, fmt.Sprintf("ft: failed: %q: exists", n)) {
			t.Errorf("%s named %d times, want once as refused with \"exists\"; stderr:\n%s", n, c, out)
		}
	}
	if strings.Contains(out, "fresh.txt") || strings.Count(out, "ft: error: ") != 1 ||
		!strings.Contains(out, "ft: error: send: receiver refused files: 5 of 6 entries failed\n") ||
		strings.Count(out, "ft: hint: ") != 1 || !strings.Contains(out, "--overwrite") || stdout.Len() != 0 {
		t.Errorf("want five failed lines, one error line counting them, one --overwrite hint and nothing on stdout; stdout %q, stderr:\n%s", stdout.String(), out)
	}
}
