//go:build !linux

package send

import "os"

// openSource opens a file to send.
func openSource(name string) (*os.File, error) { return os.Open(name) }
