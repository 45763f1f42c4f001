package main

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zeebo/blake3"

	"github.com/ft-team/ft/protocol"
)

// jsonLine is the union of the fields of ft send --json's lines.
type jsonLine struct {
	V         int     `json:"v"`
	Type      string  `json:"type"`
	Time      string  `json:"time"`
	Role      string  `json:"role"`
	Protocol  int     `json:"protocol"`
	Auth      string  `json:"auth"`
	Name      string  `json:"name"`
	Kind      string  `json:"kind"`
	Size      int64   `json:"size"`
	BLAKE3    string  `json:"blake3"`
	Verdict   string  `json:"verdict"`
	CodeName  string  `json:"code_name"`
	Code      any     `json:"code"`
	ExitCode  int     `json:"exit_code"`
	Entries   int     `json:"entries"`
	Committed int     `json:"committed"`
	Failed    int     `json:"failed"`
	LeftOut   int     `json:"left_out"`
	Excluded  int     `json:"excluded"`
	Files     int     `json:"files"`
	Bytes     int64   `json:"bytes"`
	Seconds   float64 `json:"duration_s"`
}

// parseJSONLines checks the stream's shape (every line an object with
// v, type and time; start first; summary last, once, with the exit code
// the process had; as many ok file events as it counts committed, and as
// many others as failed) and returns the lines.
func parseJSONLines(t *testing.T, stdout string, exit int) []jsonLine {
	t.Helper()
	var lines []jsonLine
	for _, raw := range strings.Split(strings.TrimSuffix(stdout, "\n"), "\n") {
		var l jsonLine
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&l); err != nil || dec.More() {
			t.Fatalf("not one JSON object: %q (%v)", raw, err)
		}
		if _, err := time.Parse(time.RFC3339Nano, l.Time); err != nil || l.V != 1 || l.Type == "" {
			t.Errorf("line without v 1, a type and an RFC 3339 time: %q", raw)
		}
		lines = append(lines, l)
	}
	if len(lines) < 2 || lines[0].Type != "start" || lines[0].Role != "send" {
		t.Fatalf("stream does not begin with a start event:\n%s", stdout)
	}
	sum := lines[len(lines)-1]
	if sum.Type != "summary" || sum.ExitCode != exit {
		t.Fatalf("last line %+v, want the summary with exit code %d", sum, exit)
	}
	sent, ok := 0, 0
	for _, l := range lines[:len(lines)-1] {
		switch {
		case l.Type == "summary":
			t.Errorf("a summary before the last line:\n%s", stdout)
		case l.Type == "file" && l.Verdict != "left_out":
			sent++
			if l.Verdict == "ok" || l.Verdict == "unchanged" {
				ok++
			}
		case l.Type == "error" && l.ExitCode != exit:
			t.Errorf("error event with exit code %d, the process exited %d", l.ExitCode, exit)
		}
	}
	if ok != sum.Committed || sent-ok != sum.Failed || sent < sum.Entries {
		t.Errorf("file events: %d, %d of them ok; summary: %+v", sent, ok, sum)
	}
	return lines
}

func byType(lines []jsonLine, typ string) []jsonLine {
	var out []jsonLine
	for _, l := range lines {
		if l.Type == typ {
			out = append(out, l)
		}
	}
	return out
}

// TestSendJSON: ft send --json writes only JSON lines on stdout for a
// tree (each file's BLAKE3 that of its source), a refusal, an entry left
// out and a failed connect, each ending in a summary with the exit code.
func TestSendJSON(t *testing.T) {
	src, inbox := t.TempDir(), t.TempDir()
	files := map[string][]byte{"tree/a.bin": randomBytes(t, 70_000), "tree/sub/b.txt": []byte("b"), "tree/empty": nil}
	for name, b := range files {
		writeFile(t, filepath.Join(src, name), b, 0o644)
	}
	r := startReceiver(t, inbox)

	res := ftIn(t, src, "send", "--json", r.addr, "tree")
	lines := parseJSONLines(t, res.stdout, exitOK)
	if res.code != exitOK || lines[0].Protocol != 2 || lines[0].Auth != "secret" || len(byType(lines, "plan")) != 1 {
		t.Errorf("tree: exit %d, start %+v, plan %v:\n%s", res.code, lines[0], byType(lines, "plan"), res.stdout)
	}
	seen := 0
	for _, l := range byType(lines, "file") {
		if b, ok := files[l.Name]; ok {
			seen++
			sum := blake3.Sum256(b)
			if l.Kind != "file" || l.Verdict != "ok" || l.BLAKE3 != hex.EncodeToString(sum[:]) || l.Size != int64(len(b)) {
				t.Errorf("file event %+v, want ok with BLAKE3 %x", l, sum)
			}
		}
	}
	if seen != len(files) {
		t.Errorf("%d file events for the %d files:\n%s", seen, len(files), res.stdout)
	}

	writeFile(t, filepath.Join(src, "clash"), []byte("new"), 0o644)
	writeFile(t, filepath.Join(inbox, "clash"), []byte("old"), 0o644)
	res = ftIn(t, src, "send", "--json", r.addr, "clash")
	lines = parseJSONLines(t, res.stdout, exitRefused)
	if f := byType(lines, "file"); res.code != exitRefused || len(f) != 1 || f[0].Verdict != "refused" || f[0].CodeName != protocol.CodeExists.String() {
		t.Errorf("refusal: exit %d, file events %+v", res.code, f)
	}
	if e := byType(lines, "error"); len(e) != 1 || e[0].Code != "refused" {
		t.Errorf("refusal: error events %+v", e)
	}

	must(t, os.Symlink("/etc/passwd", filepath.Join(src, "tree/out")))
	res = ftIn(t, src, "send", "--json", r.addr, "--to", "again", "tree")
	lines = parseJSONLines(t, res.stdout, exitPartial)
	if s := lines[len(lines)-1]; res.code != exitPartial || s.LeftOut != 1 || !strings.Contains(res.stderr, "ft: warning: skipping") {
		t.Errorf("left out: exit %d, summary %+v, stderr:\n%s", res.code, s, res.stderr)
	}

	res = ftIn(t, src, "send", "--json", dialRawListener(t), "tree")
	lines = parseJSONLines(t, res.stdout, exitNetwork)
	if e := byType(lines, "error"); res.code != exitNetwork || len(e) != 1 || e[0].Code != "connect" {
		t.Errorf("no receiver: exit %d, error events %+v", res.code, e)
	}
}
