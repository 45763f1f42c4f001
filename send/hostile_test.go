package send

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// emptyFiles makes n empty files in a new directory and returns it.
func emptyFiles(t *testing.T, n int) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "d")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%06d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// heapInuse returns the heap in use after a collection.
func heapInuse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// TestRefusalsBounded: a receiver refusing every entry with a message of
// the longest length the protocol allows does not make the sender keep a
// message, or an entry, per refusal: the result lists the first 20 of
// them in wire order and counts the rest.
func TestRefusalsBounded(t *testing.T) {
	const n = 10_000 // entries: the directory and n-1 files
	const listed = 20
	msg := strings.Repeat("m", protocol.MaxMessageLen)
	addr := fakeReceiver(t, func(rw *protocol.ReplyWriter) {
		for i := n - 1; i >= 0; i-- { // last first: the lowest indices come in last
			rw.WriteVerdict(protocol.Verdict{Index: uint64(i), Code: protocol.CodeExists, Message: msg})
		}
		rw.WriteSummary(protocol.Summary{Entries: n, Failed: n})
	})
	dir := emptyFiles(t, n-1)
	before := heapInuse()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := Run(ctx, Options{Addr: addr, Paths: []string{dir}, Insecure: true}) // the fake receiver speaks version 1
	grown := int64(heapInuse()) - int64(before)
	var fe *FilesError
	if !errors.As(err, &fe) || !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), fmt.Sprintf("%d of %d", n, n)) {
		t.Fatalf("err %v, want a *FilesError of %d refusals", err, n)
	}
	if len(res.Failed) != listed || len(fe.Failed) != listed {
		t.Errorf("%d failures listed (%d in the error), want %d", len(res.Failed), len(fe.Failed), listed)
	}
	for i, f := range res.Failed {
		want := "d"
		if i > 0 {
			want = fmt.Sprintf("d/f%06d", i-1)
		}
		if f.Name != want || !strings.Contains(f.Error(), msg) {
			t.Errorf("failure %d: %.60v, want %q with its message", i, f, want)
		}
	}
	const bound = 4 << 20 // the messages alone would be 10 MB
	if grown > bound {
		t.Errorf("heap grew by %d bytes over the send, want at most %d", grown, bound)
	}
	t.Logf("heap grew by %d bytes for %d refusals of %d bytes", grown, n, len(msg))
	runtime.KeepAlive(res)
}

// stallReceiver accepts one sender, reads its whole stream, then does
// what stall does with the connection, until the sender hangs up.
func stallReceiver(t *testing.T, stall func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan struct{})
	t.Cleanup(func() { <-done })
	go func() {
		defer close(done)
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(30 * time.Second))
		serveReplies(conn, func(*protocol.ReplyWriter) { stall(conn) })
	}()
	return ln.Addr().String()
}

// TestStalledReceiver: a receiver that has everything and sends no whole
// reply, silent or trickling an error frame a byte at a time (which keeps
// the connection from being idle), is given up on at the idle timeout.
func TestStalledReceiver(t *testing.T) {
	const idle = 300 * time.Millisecond
	frame := vectors.NewStream().ErrorFrame(uint8(protocol.CodeIO), strings.Repeat("x", protocol.MaxMessageLen)).Bytes()
	cases := []struct {
		name  string
		stall func(c net.Conn)
	}{
		{"silent", func(c net.Conn) { c.Read(make([]byte, 1)) }},
		{"trickling", func(c net.Conn) {
			tick := time.NewTicker(idle / 10)
			defer tick.Stop()
			for _, b := range frame {
				<-tick.C
				if _, err := c.Write([]byte{b}); err != nil {
					return
				}
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := stallReceiver(t, tc.stall)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			start := time.Now()
			_, err := Run(ctx, Options{Addr: addr, Paths: twoFiles(t), IdleTimeout: idle, Insecure: true})
			took := time.Since(start)
			want := fmt.Sprintf("receiver sent no reply for %v", idle)
			if !errors.Is(err, ErrConnLost) || !strings.Contains(fmt.Sprint(err), want) {
				t.Errorf("err %v, want ErrConnLost with %q", err, want)
			}
			if took > idle+2*time.Second {
				t.Errorf("gave up after %v, want within %v and slack", took, idle)
			}
			t.Logf("after %v: %v", took, err)
		})
	}
}
