package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/ft-team/ft/receive"
	"github.com/ft-team/ft/send"
)

// parseReceive parses "ft receive" flags as the command does and returns
// the options it would pass to receive.Run.
func parseReceive(t *testing.T, args ...string) receive.Options {
	t.Helper()
	var opts receive.Options
	app := &cli.App{Name: "ft", Flags: receiveFlags(), Writer: &strings.Builder{}, ErrWriter: &strings.Builder{},
		Action: func(c *cli.Context) (err error) { opts, err = receiveOptions(c); return err }}
	if err := app.Run(append([]string{"ft"}, args...)); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return opts
}

// TestReceiveDefaults: flags the user does not give leave receive's own
// defaults in charge (an empty Addr is all interfaces on DefaultPort); the
// ones given reach the options.
func TestReceiveDefaults(t *testing.T) {
	cases := []struct {
		args []string
		addr string
	}{
		{nil, ""},
		{[]string{"-p", "9100"}, ":9100"},
		{[]string{"-p", "0"}, ":0"},
		{[]string{"--listen", "127.0.0.1"}, "127.0.0.1"},
		{[]string{"--listen", "127.0.0.1", "-p", "9100"}, "127.0.0.1:9100"},
		{[]string{"--listen", "::1", "-p", "9100"}, "[::1]:9100"},
		{[]string{"--listen", "127.0.0.1:7", "-p", "9100"}, "127.0.0.1:7"},
		{[]string{"--listen", "[::1]:0"}, "[::1]:0"},
	}
	for _, tc := range cases {
		if got := parseReceive(t, tc.args...).Addr; got != tc.addr {
			t.Errorf("%v: Addr %q, want %q", tc.args, got, tc.addr)
		}
	}
	o := parseReceive(t)
	if o.MaxConns != receive.DefaultMaxConns || o.HeaderTimeout != receive.DefaultHeaderTimeout ||
		o.IdleTimeout != receive.DefaultIdleTimeout {
		t.Errorf("defaults: %+v, want receive's", o)
	}
	o = parseReceive(t, "--max-conns", "3", "--header-timeout", "2s", "--idle-timeout", "0")
	if o.MaxConns != 3 || o.HeaderTimeout != 2*time.Second || o.IdleTimeout >= 0 {
		t.Errorf("given flags: %+v, want 3 conns, 2s handshake, idle watch disabled", o)
	}
}

// TestHelpShowsDefaults: the help text prints the defaults from the
// constants of send and receive.
func TestHelpShowsDefaults(t *testing.T) {
	for _, tc := range []struct {
		cmd  string
		want []string
	}{
		{"receive", []string{
			fmt.Sprintf("(default: %d)", receive.DefaultPort),
			fmt.Sprintf("(default: %d)", receive.DefaultMaxConns),
			fmt.Sprintf("(default: %v)", receive.DefaultHeaderTimeout),
			fmt.Sprintf("(default: %v)", receive.DefaultIdleTimeout),
		}},
		{"send", []string{
			fmt.Sprintf("(default: %v)", send.DefaultDialTimeout),
			fmt.Sprintf("(default: %v)", send.DefaultIdleTimeout),
		}},
	} {
		var stdout, stderr strings.Builder
		if code := run(context.Background(), []string{"ft", tc.cmd, "--help"}, &stdout, &stderr); code != exitOK {
			t.Fatalf("ft %s --help: exit %d; stderr %q", tc.cmd, code, stderr.String())
		}
		for _, w := range tc.want {
			if !strings.Contains(stdout.String(), w) {
				t.Errorf("ft %s --help lacks %q:\n%s", tc.cmd, w, stdout.String())
			}
		}
	}
}
