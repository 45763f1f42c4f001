package inbox

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"

	"github.com/ft-team/ft/protocol"
)

// Result is what became of an entry: a verdict code and, for a refusal,
// why. The zero value is success.
type Result struct {
	Code protocol.Code
	Msg  string
}

func ok() Result { return Result{} }

// failed is the Result for a local error err.
func failed(err error) Result { return Result{Code(err), Describe(err)} }

// Code classifies a local filesystem error as a verdict code.
func Code(err error) protocol.Code {
	switch {
	case isNoSpace(err):
		return protocol.CodeNoSpace
	case errors.Is(err, fs.ErrExist):
		return protocol.CodeExists
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, errSymlinkParent), errors.Is(err, ErrLeftInbox):
		return protocol.CodeRefused
	}
	return protocol.CodeIO
}

// Describe says what went wrong without the inbox's path, for the sender.
func Describe(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return strings.TrimSpace(pe.Op + ": " + pe.Err.Error())
	}
	return err.Error()
}

// ErrLeftInbox is why an entry placed in a directory that was moved out of
// the inbox meanwhile (see Dirs.Moved) is not in the inbox.
var ErrLeftInbox = errors.New("its directory was moved out of the inbox")

// errSymlinkParent refuses a symlink entry below a symlink.
var errSymlinkParent = errors.New("a parent directory is a symlink")
