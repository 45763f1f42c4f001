// Package secure is the connection of protocol version 2: a net.Conn that
// passes bytes through in clear for the handshake and, once Start is
// called with the handshake's keys, carries every byte in both directions
// in Noise transport records (protocol.RecordReader, RecordWriter).
package secure

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net"
	"sync"
	"syscall"

	"github.com/ft-team/ft/protocol"
)

// Conn is a connection that switches from clear to records. Reads come
// from one goroutine at a time; writes may come from several (they are
// serialised, and so is the switch).
type Conn struct {
	net.Conn
	br *bufio.Reader          // over the socket, while in clear
	r  *protocol.RecordReader // nil while in clear
	mu sync.Mutex
	w  *protocol.RecordWriter // nil while in clear
}

// New returns c in clear.
func New(c net.Conn) *Conn { return &Conn{Conn: c, br: bufio.NewReaderSize(c, readBuf)} }

// readBuf is the socket read buffer: records are read from it.
const readBuf = 256 << 10

// Start switches the connection to the records of the finished handshake
// h: what is read and written from now on is sealed.
func (c *Conn) Start(h *protocol.Handshake) {
	c.mu.Lock()
	defer c.mu.Unlock()
	// What the handshake left read ahead comes first; then records are
	// read from the socket in the RecordReader's own large reads.
	// (br is read no more: what Peek returns stays as it is.)
	ahead, _ := c.br.Peek(c.br.Buffered())
	c.r, c.w = h.Records(io.MultiReader(bytes.NewReader(ahead), c.Conn), c.Conn)
	c.br = nil
}

// Secure reports whether the connection has switched to records.
func (c *Conn) Secure() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w != nil
}

// Read reads plaintext (or, before Start, the bytes as they come).
func (c *Conn) Read(p []byte) (int, error) {
	if c.r == nil {
		return c.br.Read(p)
	}
	return c.r.Read(p)
}

// Write writes p, sealed once the connection is secure.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.w == nil {
		return c.Conn.Write(p)
	}
	return c.w.Write(p)
}

// CloseWrite half-closes the connection, if the underlying one can.
func (c *Conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}

// SyscallConn gives the underlying socket, for the kernel's counters
// (see internal/idle).
func (c *Conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errNoSocket
}

var errNoSocket = errors.New("secure: not a socket")
