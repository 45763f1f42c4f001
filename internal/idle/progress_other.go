//go:build !linux

package idle

import "net"

// kernelProgress is not available here: only reads and writes that return
// count as progress.
func kernelProgress(net.Conn) (uint64, bool) { return 0, false }

// kernelAcked is not available here.
func kernelAcked(net.Conn) (uint64, bool) { return 0, false }
