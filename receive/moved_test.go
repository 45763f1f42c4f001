package receive_test

import (
	"bufio"
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/internal/vectors"
	"github.com/ft-team/ft/protocol"
)

// TestDirMovedOut: a directory moved out of the inbox in the middle of a
// transfer receives files no more that count as stored: a file that went
// in after the move is refused, never confirmed (issue 14 item 10).
func TestDirMovedOut(t *testing.T) {
	t.Parallel()
	opts := quick()
	opts.Dir = filepath.Join(t.TempDir(), "inbox")
	outside := t.TempDir()
	if err := os.MkdirAll(filepath.Join(opts.Dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := startReceiver(t, opts)
	body := string(randomBytes(t, 100<<10)) // over the small-file size: through the kept handles
	c := dial(t, r.addr)
	defer c.Close()
	if _, err := c.Write(vectors.NewStream().Hello1().File("sub/a", body).Bytes()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	if _, err := protocol.ReadAccept(br, protocol.DefaultHello()); err != nil {
		t.Fatal(err)
	}
	rr := protocol.NewReplyReader(br)
	if rep, err := rr.Next(); err != nil || rep.Verdict == nil || rep.Verdict.Code != protocol.CodeOK {
		t.Fatalf("sub/a: %+v, %v", rep, err)
	}
	if err := os.Rename(filepath.Join(opts.Dir, "sub"), filepath.Join(outside, "sub")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(vectors.NewStream().File("sub/b", body).End(2).Bytes()); err != nil {
		t.Fatal(err)
	}
	rep, err := rr.Next()
	if err != nil || rep.Verdict == nil {
		t.Fatalf("sub/b: %+v, %v", rep, err)
	}
	if rep.Verdict.Code.Success() {
		t.Errorf("sub/b confirmed (%+v) though it went to %s", rep.Verdict, outside)
	}
	if _, err := os.Lstat(filepath.Join(opts.Dir, "sub", "b")); err == nil {
		t.Error("sub/b is in the inbox after all: the test did not move it")
	}
}
