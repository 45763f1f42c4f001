//go:build linux

package main

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ft-team/ft/protocol"
)

// TestMemoryBounded: the receiver's memory has a fixed bound whatever the
// stream (issue 14 item 1). One connection sends, without waiting for
// replies, a hostile mix: the same 4000-byte directory name over and over
// (with --overwrite, so that each one is a directory attribute to apply),
// zero-byte files into a new directory (each a verdict held back for its
// publish) and aborted files (refusals). The receiver's peak RSS must
// stay under 64 MiB. FT_HOSTILE_ENTRIES sets the number of entries
// (default 50,000; the figure is for 1,000,000).
func TestMemoryBounded(t *testing.T) {
	n := 50_000
	if s := os.Getenv("FT_HOSTILE_ENTRIES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	inbox := t.TempDir()
	timeout := time.Minute + time.Duration(n)*time.Millisecond // about 4 times what it takes here
	r := startReceiverBin(t, plainBinary(t), timeout, inbox, "--insecure", "--overwrite", "-q")
	c, br := handshakeV1(t, r.addr, timeout)
	replies := make(chan [2]uint64, 1)
	go func() { replies <- countReplies(br) }()
	start := time.Now()
	bw := bufio.NewWriterSize(c, 1<<20)
	if err := hostileStream(protocol.NewWriter(bw), n); err != nil {
		t.Fatalf("sending: %v; receiver: %s", err, r.stderr)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	got := <-replies
	hwm := peakRSS(t, r.cmd.Process.Pid)
	t.Logf("%d entries in %v: %d verdicts, summary %d; receiver peak RSS %d MiB",
		n, time.Since(start).Round(time.Millisecond), got[0], got[1], hwm>>20)
	if got[0] != uint64(n) || got[1] != uint64(n) {
		t.Errorf("%d verdicts and a summary of %d entries, want %d", got[0], got[1], n)
	}
	if hwm > 64<<20 {
		t.Errorf("receiver peak RSS %d MiB, want under 64 MiB", hwm>>20)
	}
}

// handshakeV1 connects to the --insecure receiver at addr as a raw
// version 1 sender, with a deadline of timeout for the whole connection.
func handshakeV1(t *testing.T, addr string, timeout time.Duration) (net.Conn, *bufio.Reader) {
	t.Helper()
	c := dialRaw(t, addr)
	c.SetDeadline(time.Now().Add(timeout))
	if err := protocol.WriteHello(c, protocol.DefaultHello()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if _, err := protocol.ReadAccept(br, protocol.DefaultHello()); err != nil {
		t.Fatalf("handshake: %v", err)
	}
	return c, br
}

// plainBinary builds ft without the race detector, whose shadow memory
// (tens of MiB mapped at 0x2000_0000_0000 and up) would be counted in the
// RSS that TestMemoryBounded measures.
func plainBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ft")
	if out, err := exec.Command("go", "build", "-tags="+buildTags, "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build ft: %v\n%s", err, out)
	}
	return bin
}

// hostileStream writes n entries of the mix TestMemoryBounded describes,
// then the end frame.
func hostileStream(w *protocol.Writer, n int) error {
	long := strings.TrimSuffix(strings.Repeat(strings.Repeat("d", 249)+"/", 16), "/") // 3999 bytes
	for i := 0; i < n; i++ {
		var err error
		switch i % 4 {
		case 0, 1:
			err = w.WriteHeader(&protocol.Header{Kind: protocol.KindDir, Name: long, Mode: 0o755})
		case 2:
			name := fmt.Sprintf("flood/%0190d", i)
			if err = w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: name, Mode: 0o644}); err == nil {
				err = w.Close()
			}
		case 3:
			if err = w.WriteHeader(&protocol.Header{Kind: protocol.KindFile, Name: "aborted", Mode: 0o644}); err == nil {
				err = w.Abort()
			}
		}
		if err != nil {
			return err
		}
	}
	return w.WriteEnd()
}

// countReplies reads replies to the end and returns how many verdicts
// came and the summary's count of entries.
func countReplies(br *bufio.Reader) [2]uint64 {
	rr := protocol.NewReplyReader(br)
	var verdicts uint64
	for {
		rep, err := rr.Next()
		if err != nil {
			return [2]uint64{verdicts, 0}
		}
		if rep.Summary != nil {
			return [2]uint64{verdicts, rep.Summary.Entries}
		}
		verdicts++
	}
}

// peakRSS returns the peak resident set size of process pid (VmHWM).
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}
