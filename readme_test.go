package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestReadmeMainJob runs the README's main-job line, as it is written
// there, on a fresh HOME with no config: the receiver makes the shared
// secret, the sender finds it, and the file arrives encrypted. Only the
// build is the test's binary, and the fixed port is 0 (tests take no
// fixed port); the line is checked to still hold both.
func TestReadmeMainJob(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the line is for sh")
	}
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, _ := strings.Cut(string(readme), "Run the main job on this machine")
	_, block, _ := strings.Cut(after, "```sh\n")
	line, _, _ := strings.Cut(block, "\n")
	const build, port = "go build -o ft . && ", "-p 9000"
	if !strings.HasPrefix(line, build) || !strings.Contains(line, port) {
		t.Fatalf("the README's main-job line changed shape: %q", line)
	}
	line = strings.Replace(strings.TrimPrefix(line, build), port, "-p 0", 1)
	work, home := t.TempDir(), t.TempDir()
	if err := os.Symlink(ftBin, filepath.Join(work, "ft")); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(work, "README.md"), readme, 0o644)
	cmd := exec.Command("sh", "-c", line)
	cmd.Dir = work
	cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the main-job line did not end; stderr:\n%s", stderr.String())
	}
	if err != nil {
		t.Fatalf("the main-job line: %v; stdout %q, stderr:\n%s", err, stdout.String(), stderr.String())
	}
	if got, _ := os.ReadFile(filepath.Join(work, "inbox", "README.md")); !bytes.Equal(got, readme) {
		t.Errorf("inbox/README.md is not the README")
	}
	secret := filepath.Join(home, ".config", "ft", "secret")
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the shared secret at %s: %v, %v", secret, fi, err)
	}
	if !strings.Contains(stderr.String(), "ft: created a new shared secret in "+secret) {
		t.Errorf("the receiver did not say where it made the secret; stderr:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "README.md") {
		t.Errorf("ls -l inbox does not list README.md: %q", stdout.String())
	}
}
