//go:build linux || darwin

package receive_test

import (
	"strings"
	"syscall"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// TestSizeBeyondFreeSpace: a declared size beyond the inbox's free space
// (or the protocol's largest) is refused at header time, nothing written;
// the receiver notices the sender leave and serves the next one.
func TestSizeBeyondFreeSpace(t *testing.T) {
	t.Parallel()
	r := startReceiver(t, quick())
	var st syscall.Statfs_t
	if err := syscall.Statfs(r.dir, &st); err != nil {
		t.Fatal(err)
	}
	free := st.Bavail * uint64(st.Bsize)
	for _, size := range []uint64{free + 1<<30, protocol.MaxSize} {
		logAt := len(r.log.String())
		v := headerVerdict(t, r.addr, size)
		if v.Code != protocol.CodeNoSpace || !strings.Contains(v.Message, "free") {
			t.Errorf("size %d: verdict %+v, want no space", size, v)
		}
		if got := snapshot(t, r.dir); len(got) != 0 {
			t.Errorf("size %d: inbox holds %q", size, got)
		}
		waitLog(t, r, logAt, "outcome=failed") // the receiver noticed the sender left
		sendValid(t, r)
	}
	waitLog(t, r, 0, `code="no space"`)
}
