package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// recordProxy forwards connections to a receiver and lets edit change
// the records the sender sends once the handshake is over: edit gets
// each record (its 2-byte length included) with its index and returns
// what to forward in its place.
type recordProxy struct {
	ln   net.Listener
	edit func(i int, rec []byte) [][]byte
}

func startRecordProxy(t *testing.T, target string, edit func(i int, rec []byte) [][]byte) *recordProxy {
	t.Helper()
	p := &recordProxy{edit: edit}
	p.ln = proxyTo(t, target, func(c, up net.Conn) {
		var answered atomic.Bool // the receiver has sent a byte: message 2
		go p.forwardUp(up, c, &answered)
		go func() {
			// At the receiver's end, the sender reads what it sent
			// last: a half-close, not a reset (see forwardUp).
			defer c.(*net.TCPConn).CloseWrite()
			buf := make([]byte, 32<<10)
			for {
				n, err := up.Read(buf)
				if n > 0 {
					answered.Store(true)
				}
				if _, werr := c.Write(buf[:n]); werr != nil || err != nil {
					return
				}
			}
		}()
	})
	return p
}

// forwardUp forwards what the sender sends: as it comes until the
// receiver has answered (the hello and message 1: the sender sends no
// record before message 2), then record by record through edit.
func (p *recordProxy) forwardUp(dst, src net.Conn, answered *atomic.Bool) {
	defer dst.Close()
	defer func() {
		// Once the receiver is gone, what the sender still sends is
		// drained for a while, so that closing resets nothing it has
		// not read yet.
		src.SetReadDeadline(time.Now().Add(5 * time.Second))
		io.Copy(io.Discard, src)
		src.Close()
	}()
	var pending []byte
	buf := make([]byte, 64<<10)
	for i := 0; ; {
		n, err := src.Read(buf)
		if !answered.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil || err != nil {
				return
			}
			continue
		}
		pending = append(pending, buf[:n]...)
		for len(pending) >= 2 && len(pending) >= 2+int(binary.BigEndian.Uint16(pending)) {
			rec := pending[:2+int(binary.BigEndian.Uint16(pending))]
			for _, out := range p.edit(i, bytes.Clone(rec)) {
				if _, werr := dst.Write(out); werr != nil {
					return
				}
			}
			pending = pending[len(rec):]
			i++
		}
		if err != nil {
			return
		}
	}
}

// TestTrustRecordTampering: a record of the sender's that is flipped,
// dropped, swapped with the next or replayed ends the connection with an
// integrity error at both ends, and the file in flight is not committed.
func TestTrustRecordTampering(t *testing.T) {
	src := t.TempDir()
	body := make([]byte, 2<<20)
	rand.Read(body)
	writeFile(t, filepath.Join(src, "big.bin"), body, 0o644)
	const k = 5 // a record of the body
	var held []byte
	edits := map[string]func(i int, rec []byte) [][]byte{
		"flip": func(i int, rec []byte) [][]byte {
			if i == k {
				rec[len(rec)/2] ^= 0x40
			}
			return [][]byte{rec}
		},
		"drop": func(i int, rec []byte) [][]byte {
			if i == k {
				return nil
			}
			return [][]byte{rec}
		},
		"reorder": func(i int, rec []byte) [][]byte {
			switch i {
			case k:
				held = rec
				return nil
			case k + 1:
				return [][]byte{rec, held}
			}
			return [][]byte{rec}
		},
		"replay": func(i int, rec []byte) [][]byte {
			if i == k {
				return [][]byte{rec, rec}
			}
			return [][]byte{rec}
		},
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			r := startReceiver(t, t.TempDir())
			p := startRecordProxy(t, r.addr, edit)
			res := ftIn(t, src, "send", "-q", p.ln.Addr().String(), "big.bin")
			t.Logf("sender: exit %d: %s", res.code, res.stderr)
			if res.code == 0 || !strings.Contains(res.stderr, "integrity") {
				t.Errorf("sender: exit %d, stderr %q; want a failure naming the integrity check", res.code, res.stderr)
			}
			waitFor(t, 10*time.Second, "the receiver to log the integrity failure", func() bool {
				s := r.stderr.String()
				return strings.Contains(s, "outcome=failed") && strings.Contains(s, "integrity")
			})
			noneWritten(t, r.dir)
		})
	}
}
