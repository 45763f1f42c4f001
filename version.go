package main

import (
	"fmt"
	"runtime/debug"

	"github.com/ft-team/ft/protocol"
)

// version is what "ft --version" prints after "ft version": the build's
// version and the protocol versions it speaks.
func version() string {
	return fmt.Sprintf("%s (protocol %s)", buildVersionNow(), protocolVersions())
}

// buildVersionNow is buildVersion of the running binary.
func buildVersionNow() string {
	bi, _ := debug.ReadBuildInfo()
	return buildVersion(bi)
}

// buildVersion names the build: the module version when ft was built as a
// dependency or installed with "go install ...@version", else the VCS
// revision it was built from with "-dirty" if the checkout was modified,
// else "devel".
func buildVersion(bi *debug.BuildInfo) string {
	if bi == nil {
		return "devel"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch {
		case s.Key == "vcs.revision":
			rev = s.Value
		case s.Key == "vcs.modified" && s.Value == "true":
			dirty = "-dirty"
		}
	}
	if rev == "" {
		return "devel"
	}
	return "devel-" + rev[:min(len(rev), 12)] + dirty
}

func protocolVersions() string {
	if protocol.MinVersion == protocol.MaxVersion {
		return fmt.Sprint(protocol.MaxVersion)
	}
	return fmt.Sprintf("%d-%d", protocol.MinVersion, protocol.MaxVersion)
}
