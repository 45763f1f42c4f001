//go:build unix

package inbox

import (
	"os"
	"syscall"
	"testing"
)

func TestMain(m *testing.M) {
	syscall.Umask(0o022) // the modes the tests expect
	os.Exit(m.Run())
}
