package receive_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ft-team/ft/internal/vectors"
)

// TestRefusalLogsBounded: a stream of 10,000 refused entries costs a
// bounded number of log lines: the first refusals, then one line for the
// connection that counts the rest; at warning level (ft receive -q) only
// that one line.
func TestRefusalLogsBounded(t *testing.T) {
	t.Parallel()
	const n = 10000
	cases := []struct {
		name  string
		entry func(s *vectors.Stream) // one refused entry
	}{
		{"dir over a file", func(s *vectors.Stream) { s.Dir("taken") }},
		{"file over a different file", func(s *vectors.Stream) { s.File("taken", "not what is there") }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := startReceiver(t, quick())
			if err := os.WriteFile(filepath.Join(r.dir, "taken"), []byte("already here"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := vectors.NewStream().Hello1()
			for range n {
				tc.entry(s)
			}
			from := len(r.log.String())
			o := exchange(t, r.addr, s.End(n).Bytes())
			if o.summary == nil || o.summary.Failed != n {
				t.Fatalf("want %d refusals and a summary: %v", n, o)
			}
			waitLog(t, r, from, "msg=connection")
			lines := strings.Split(strings.TrimSpace(r.log.String()[from:]), "\n")
			var warnings []string
			for _, l := range lines {
				if strings.Contains(l, "level=WARN") || strings.Contains(l, "level=ERROR") {
					warnings = append(warnings, l)
				}
			}
			if len(lines) > 12 {
				t.Errorf("%d refusals logged %d lines, want at most 12; the last: %s", n, len(lines), lines[len(lines)-1])
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "msg=connection") || !strings.Contains(warnings[0], "failed=10000") {
				t.Errorf("at warning level (-q): %d lines, want the connection's line alone, counting the refusals: %q", len(warnings), warnings)
			}
		})
	}
}
