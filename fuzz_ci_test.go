package main

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// fuzzTarget is one fuzz function and the package directory holding it.
type fuzzTarget struct{ dir, name string }

var fuzzFunc = regexp.MustCompile(`^func (Fuzz\w+)\(\w+ \*testing\.F\)`)

// fuzzTargets finds every fuzz function in the repository's test files.
func fuzzTargets(t *testing.T) []fuzzTarget {
	t.Helper()
	var targets []fuzzTarget
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && p != "." && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if m := fuzzFunc.FindStringSubmatch(sc.Text()); m != nil {
				targets = append(targets, fuzzTarget{dir: "./" + filepath.ToSlash(filepath.Dir(p)), name: m[1]})
			}
		}
		return sc.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return targets
}

// TestFuzzBriefly runs every fuzz target of the repository for
// FT_FUZZ_SECONDS seconds each (CI sets 3), one after the other, and fails
// if one finds a failing input (saved by go test under the package's
// testdata/fuzz, where it then runs as a regression test).
func TestFuzzBriefly(t *testing.T) {
	secs := os.Getenv("FT_FUZZ_SECONDS")
	if secs == "" {
		t.Skip("FT_FUZZ_SECONDS is not set (CI sets it to 3): not fuzzing")
	}
	n, err := strconv.Atoi(secs)
	if err != nil || n <= 0 || n > 600 {
		t.Fatalf("FT_FUZZ_SECONDS=%q: want whole seconds, 1 to 600", secs)
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not in PATH: cannot fuzz")
	}
	targets := fuzzTargets(t)
	if len(targets) == 0 {
		t.Fatal("no fuzz targets found")
	}
	for _, tg := range targets {
		t.Run(strings.TrimPrefix(tg.dir, "./")+"/"+tg.name, func(t *testing.T) {
			// Building the fuzzing binary takes longer than fuzzing.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute+time.Duration(n)*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, goBin, "test", "-run=^$", "-fuzz=^"+tg.name+"$", "-fuzztime="+secs+"s", tg.dir)
			cmd.Env = append(os.Environ(), "FT_FUZZ_SECONDS=")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Errorf("go test -fuzz=%s %s failed (a failing input is saved under %s/testdata/fuzz/%s):\n%s",
					tg.name, tg.dir, tg.dir, tg.name, out)
			}
		})
	}
}
