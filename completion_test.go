package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestCompletionScripts: "ft completion SHELL" prints a script naming every
// command for each shell; bash accepts the bash one (bash -n); a missing
// or unknown shell is a usage error.
func TestCompletionScripts(t *testing.T) {
	cases := []struct {
		shell string
		flags []string // how the script spells two flags
	}{
		{"bash", []string{"--exclude", "--max-size"}},
		{"zsh", []string{"--exclude", "--max-size"}},
		{"fish", []string{"-l exclude", "-l max-size"}},
	}
	for _, tc := range cases {
		shell := tc.shell
		t.Run(shell, func(t *testing.T) {
			res := ft(t, "completion", shell)
			if res.code != exitOK || res.stderr != "" {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			for _, w := range append([]string{"send", "receive", "keygen", "completion"}, tc.flags...) {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("script lacks %q:\n%s", w, res.stdout)
				}
			}
			if shell != "bash" {
				return
			}
			bash, err := exec.LookPath("bash")
			if err != nil {
				t.Skip("no bash: the script is not parsed")
			}
			if out, err := exec.Command(bash, "-n", "-c", res.stdout).CombinedOutput(); err != nil {
				t.Errorf("bash -n: %v\n%s", err, out)
			}
		})
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if res := ft(t, args...); res.code != exitUsage || res.stdout != "" {
			t.Errorf("ft %q: exit %d, stdout %q; want %d and nothing", args, res.code, res.stdout, exitUsage)
		}
	}
}

// TestBashCompletion loads the bash script and asks it what completes a
// few command lines, as bash would on TAB.
func TestBashCompletion(t *testing.T) {
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(t.TempDir(), "ft.bash")
	writeFile(t, script, []byte(ft(t, "completion", "bash").stdout), 0o644)
	cases := []struct {
		line string // the words typed, the last one being completed
		want string // COMPREPLY, space-separated
	}{
		{"ft se", "send"},
		{"ft ", "send receive keygen completion help --help -h --version -v"},
		{"ft send --exc", "--exclude --exclude-from"},
		{"ft send host:9000 dist --t", "--to"},
		{"ft receive --max-", "--max-size --max-conns"},
		{"ft completion f", "fish"},
		{"ft help rec", "receive"},
		{"ft send host:9000 di", ""}, // a path: left to bash's file names
	}
	for _, tc := range cases {
		words := strings.Split(tc.line, " ")
		prog := `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ft; echo "${COMPREPLY[*]}"`
		out, err := exec.Command(bash, append([]string{"-c", prog, "bash", script}, words...)...).CombinedOutput()
		if got := strings.TrimSpace(string(out)); err != nil || got != tc.want {
			t.Errorf("%q: completes to %q (%v), want %q", tc.line, got, err, tc.want)
		}
	}
}
