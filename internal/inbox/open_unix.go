//go:build unix

package inbox

import "syscall"

// openNoBlock opens a name without blocking on a FIFO.
const openNoBlock = syscall.O_NONBLOCK
