//go:build unix

package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Helpers of the fault tests (faults, disk, netns), which need the ft
// binary and a POSIX system: waiting for processes and logs, the bytes in
// temp files. The proxy lives in faultproxy_test.go, what every binary
// test needs in harness_test.go.

// wait waits up to timeout for the process to exit and returns its result.
func (p *process) wait(t *testing.T, timeout time.Duration) result {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("%v did not exit within %v; stderr:\n%s", p.cmd.Args, timeout, p.stderr)
	}
	code := -1
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		code = ee.ExitCode()
	} else if p.err == nil {
		code = 0
	}
	return result{code: code, stdout: p.stdout.String(), stderr: p.stderr.String()}
}

// tempBytes is the total size of the ft temp files under dir.
func tempBytes(dir string) int64 {
	var n int64
	for _, name := range tempFiles(dir) {
		if fi, err := os.Stat(filepath.Join(dir, name)); err == nil {
			n += fi.Size()
		}
	}
	return n
}

// containsAny reports whether s contains one of subs.
func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// waitLog waits until the receiver's log, from offset from on, contains sub.
func waitLog(t *testing.T, r *receiver, from int, sub string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !strings.Contains(r.stderr.String()[from:], sub) {
		if time.Now().After(deadline) {
			t.Fatalf("the receiver did not log %q within 15s; its log:\n%s", sub, r.stderr)
		}
		time.Sleep(5 * time.Millisecond) // polling interval
	}
}
