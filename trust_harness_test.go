package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/ft-team/ft/internal/keys"
)

// configDirs holds each top-level test's config dir (XDG_CONFIG_HOME of
// the ft processes it runs): its senders and receivers share the secret
// made there, so that the default, encrypted mode is what tests exercise.
var configDirs sync.Map // top-level test name -> dir

// configDir returns the config dir of t's top-level test, with a secret
// in it, made at the first call.
func configDir(t *testing.T) string {
	t.Helper()
	name, _, _ := strings.Cut(t.Name(), "/")
	if d, ok := configDirs.Load(name); ok {
		return d.(string)
	}
	dir, err := os.MkdirTemp("", "ft-config-")
	if err != nil {
		t.Fatal(err)
	}
	if err := keys.NewSecret(filepath.Join(dir, "ft", "secret")); err != nil {
		t.Fatal(err)
	}
	if d, loaded := configDirs.LoadOrStore(name, dir); loaded {
		os.RemoveAll(dir)
		return d.(string)
	}
	return dir
}

// ftEnv is the environment of an ft process run by t: its top-level
// test's config dir, and no FT_SECRET_FILE from outside.
func ftEnv(t *testing.T) []string {
	t.Helper()
	env := []string{"XDG_CONFIG_HOME=" + configDir(t)}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") && !strings.HasPrefix(kv, "FT_SECRET_FILE=") {
			env = append(env, kv)
		}
	}
	return env
}

// isolateConfig points the tests' own process (in-process runs) at a
// fresh config dir, away from the user's; it returns a cleanup.
func isolateConfig() func() {
	dir, err := os.MkdirTemp("", "ft-config-main-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", dir)
	os.Unsetenv("FT_SECRET_FILE")
	return func() {
		os.RemoveAll(dir)
		configDirs.Range(func(_, d any) bool { os.RemoveAll(d.(string)); return true })
	}
}
