package inbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/ft-team/ft/protocol"
)

// Temp files and staging directories are named TempPrefix + 16 hex digits
// + TempSuffix. Such names are the receiver's own: entries may not use
// them, and the sweep removes them.
const (
	TempPrefix = ".ft-"
	TempSuffix = ".part"
)

// tempName returns a new random temp name.
func tempName() string {
	var rnd [8]byte
	rand.Read(rnd[:])
	return TempPrefix + hex.EncodeToString(rnd[:]) + TempSuffix
}

// IsTempName reports whether the name component has the form of a temp
// file or staging directory.
func IsTempName(name string) bool {
	hex, ok := strings.CutPrefix(name, TempPrefix)
	hex, ok2 := strings.CutSuffix(hex, TempSuffix)
	return ok && ok2 && len(hex) == 16 && strings.Trim(hex, "0123456789abcdef") == ""
}

// IsReceiverFile reports whether the slash-separated name is one of the
// receiver's own files at the top of the inbox (its lock and journal).
func IsReceiverFile(name string) bool {
	return name == JournalName || name == SweepName || name == LockName
}

// hasTempName reports whether any component of the slash-separated name
// has the form of a temp name, or the name is one of the receiver's files
// at the top of the inbox.
func hasTempName(name string) bool {
	if IsReceiverFile(name) {
		return true
	}
	for name != "" {
		var elem string
		elem, name, _ = strings.Cut(name, "/")
		if IsTempName(elem) {
			return true
		}
	}
	return false
}

// checkName refuses names this system cannot hold as a local path and
// names of the temp form.
func checkName(name string) Result {
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return Result{protocol.CodeBadName, fmt.Sprintf("name %q is not a local path on the receiver", name)}
	}
	if hasTempName(name) {
		return Result{protocol.CodeBadName, fmt.Sprintf("name %q is reserved for the receiver's temp files", name)}
	}
	return Result{}
}
