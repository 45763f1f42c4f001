package main

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

// TestBuildVersion: a module version wins, then the VCS revision (with
// -dirty for a modified checkout), then "devel".
func TestBuildVersion(t *testing.T) {
	rev := "0123456789abcdef0123"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	cases := []struct {
		bi   *debug.BuildInfo
		want string
	}{
		{nil, "devel"},
		{&debug.BuildInfo{}, "devel"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "devel"},
		{&debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}, Settings: vcs("true")}, "v1.2.3"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("false")}, "devel-0123456789ab"},
		{&debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: vcs("true")}, "devel-0123456789ab-dirty"},
		{&debug.BuildInfo{Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}}, "devel-abc"},
	}
	for _, tc := range cases {
		if got := buildVersion(tc.bi); got != tc.want {
			t.Errorf("buildVersion(%+v) = %q, want %q", tc.bi, got, tc.want)
		}
	}
}

// TestVersionOfBinary: "ft --version" of the built binary names the
// protocol and the version or commit the go command stamped into it
// (none in a git worktree or with -buildvcs=false: then "devel").
func TestVersionOfBinary(t *testing.T) {
	res := ft(t, "--version")
	if res.code != 0 || !strings.HasPrefix(res.stdout, "ft version ") || !strings.Contains(res.stdout, "(protocol 1)") {
		t.Fatalf("ft --version: exit %d, stdout %q", res.code, res.stdout)
	}
	out, err := exec.Command("go", "version", "-m", ftBin).Output()
	if err != nil {
		t.Fatalf("go version -m: %v", err)
	}
	want := "devel"
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 4 && f[0] == "mod" && f[2] != "(devel)":
			want = f[2]
		case len(f) == 2 && f[0] == "build" && strings.HasPrefix(f[1], "vcs.revision=") && want == "devel":
			want = f[1][len("vcs.revision=") : len("vcs.revision=")+12]
		}
	}
	if !strings.Contains(res.stdout, want) {
		t.Errorf("ft --version = %q, want it to name %q (from go version -m)", res.stdout, want)
	}
}
