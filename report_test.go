package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"

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
		{"refused files", fmt.Errorf("%w: \"a\": exists", send.ErrRefused), exitRefused, []string{"--overwrite"}},
		{"integrity", send.ErrIntegrity, exitIntegrity, []string{"integrity"}},
		{"receiver integrity", receive.ErrIntegrity, exitIntegrity, nil},
		{"source", send.ErrSource, exitSource, nil},
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
