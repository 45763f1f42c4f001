//go:build linux

package main

import (
	"runtime/debug"
	"slices"
	"strings"
	"testing"
)

// TestToolsFlag checks that ft-portable runs only when -tools names it,
// next to ft, and only with its binary.
func TestToolsFlag(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		want    string // the tools, or the error's text
		wantErr bool
	}{
		{[]string{"-ft", "ft"}, "ft,ft-insecure,raw,raw-b3,nc,socat,rsync,scp", false},
		{[]string{"-ft", "ft", "-ft-portable", "ftp", "-tools", "raw-b3,ft-portable,ft"}, "ft,ft-portable,raw-b3", false},
		{[]string{"-ft-portable", "ftp", "-tools", "ft-portable"}, "ft-portable", false},
		{[]string{"-ft", "ft", "-tools", "ft,ft-portable"}, "-ft-portable is required", true},
		{[]string{"-ft-portable", "ftp", "-tools", "ft,ft-portable"}, "-ft is required", true},
	} {
		cfg, err := parseFlags(tc.args)
		switch {
		case tc.wantErr && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: error %v, want one with %q", tc.args, err, tc.want)
		case !tc.wantErr && err != nil:
			t.Errorf("%v: %v", tc.args, err)
		case !tc.wantErr && strings.Join(cfg.tools, ",") != tc.want:
			t.Errorf("%v: tools %v, want %s", tc.args, cfg.tools, tc.want)
		}
	}
	if slices.Contains(defaultTools, "ft-portable") || len(defaultTools) != len(allTools)-1 {
		t.Errorf("default tools %v", defaultTools)
	}
}

func TestBuildTags(t *testing.T) {
	for _, tc := range []struct {
		settings []debug.BuildSetting
		want     string
	}{
		{nil, "default build (no build tags)"},
		{[]debug.BuildSetting{{Key: "GOARCH", Value: "amd64"}, {Key: "-tags", Value: ""}}, "default build (no build tags)"},
		{[]debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "-tags", Value: "ftportable"}}, "built with -tags ftportable"},
	} {
		if got := buildTags(tc.settings); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.settings, got, tc.want)
		}
	}
	if got := ftBuild("/nonexistent/ft"); got != "build unknown" {
		t.Errorf("missing binary: %q", got)
	}
}
