//go:build linux

package idle

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// kernelProgress returns a counter that grows whenever the kernel moves
// bytes on c: acknowledged by the peer or received from it. It lets a long
// write on a slow link count as progress before the write returns.
func kernelProgress(c net.Conn) (uint64, bool) {
	info, ok := tcpInfo(c)
	if !ok {
		return 0, false
	}
	return info.Bytes_acked + info.Bytes_received, true
}

// kernelAcked returns how many bytes written on c the peer acknowledged.
func kernelAcked(c net.Conn) (uint64, bool) {
	info, ok := tcpInfo(c)
	if !ok {
		return 0, false
	}
	return info.Bytes_acked, true
}

// tcpInfo returns the kernel's TCP_INFO of c.
func tcpInfo(c net.Conn) (*unix.TCPInfo, bool) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return nil, false
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, false
	}
	var info *unix.TCPInfo
	ierr := rc.Control(func(fd uintptr) {
		info, err = unix.GetsockoptTCPInfo(int(fd), unix.IPPROTO_TCP, unix.TCP_INFO)
	})
	if ierr != nil || err != nil {
		return nil, false
	}
	return info, true
}
