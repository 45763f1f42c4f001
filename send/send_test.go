package send

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// TestFailures: a transfer with failed entries returns a *FilesError that
// wraps the worst sentinel and counts the failures without naming them
// (the caller lists Failed once).
func TestFailures(t *testing.T) {
	local := fmt.Errorf("%w: %w (modified)", ErrSource, errChanged)
	cases := []struct {
		codes []protocol.Code // CodeOK: a local failure
		want  error
	}{
		{[]protocol.Code{protocol.CodeOK}, ErrSource},
		{[]protocol.Code{protocol.CodeOK, protocol.CodeExists}, ErrRefused},
		{[]protocol.Code{protocol.CodeAborted}, ErrRefused},
		{[]protocol.Code{200}, ErrRefused},
		{[]protocol.Code{protocol.CodeExists, protocol.CodeChecksum, protocol.CodeOK}, ErrIntegrity},
	}
	for _, tc := range cases {
		res := &Result{Committed: 2}
		for i, c := range tc.codes {
			f := FileError{Name: fmt.Sprintf("name%d", i), Code: c, Err: local}
			if c != protocol.CodeOK {
				f.Err = verdictError(&protocol.Verdict{Code: c, Message: "why"})
			}
			res.fail(f)
		}
		err := failures(res)
		var fe *FilesError
		if !errors.As(err, &fe) || len(fe.Failed) != len(tc.codes) || !errors.Is(err, tc.want) {
			t.Errorf("codes %v: %v, want a *FilesError wrapping %v", tc.codes, err, tc.want)
			continue
		}
		for _, other := range []error{ErrSource, ErrRefused, ErrIntegrity} {
			if other != tc.want && errors.Is(err, other) {
				t.Errorf("codes %v: %v also wraps %v", tc.codes, err, other)
			}
		}
		want := fmt.Sprintf("%v: %d of %d entries failed", tc.want, len(tc.codes), len(tc.codes)+2)
		if err.Error() != want || strings.Contains(err.Error(), "name") {
			t.Errorf("codes %v: message %q, want %q", tc.codes, err, want)
		}
	}
	if err := failures(&Result{Committed: 3}); err != nil {
		t.Errorf("no failures: %v", err)
	}
}

// TestDestination: Options.To becomes the prefix of every name on the
// wire when protocol.ValidName accepts it (one trailing slash allowed),
// and ErrTo otherwise.
func TestDestination(t *testing.T) {
	cases := []struct {
		to, want string
		bad      bool
	}{
		{"", "", false},
		{"releases", "releases/", false},
		{"releases/1.2/", "releases/1.2/", false},
		{"../up", "", true},
		{"/abs", "", true},
		{"a//b", "", true},
		{"a//", "", true},
		{"./a", "", true},
		{"a/..", "", true},
		{`a\b`, "", true},
		{"C:x", "", true},
		{"bad\x1b[31m", "", true},
		{strings.Repeat("a", protocol.MaxComponentLen+1), "", true},
	}
	for _, tc := range cases {
		got, err := destination(tc.to)
		if tc.bad != (err != nil) || tc.bad && !errors.Is(err, ErrTo) || got != tc.want {
			t.Errorf("destination(%q) = %q, %v; want %q, bad %v", tc.to, got, err, tc.want, tc.bad)
		}
	}
}
