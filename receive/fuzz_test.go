package receive

import (
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/inbox"
)

// vectorsDir holds the protocol's test vectors; its sender streams seed
// FuzzConn, next to the corpus in testdata/fuzz/FuzzConn.
const vectorsDir = "../protocol/testdata"

// seedSenderVectors adds every sender stream of the protocol's vectors.
func seedSenderVectors(f *testing.F) {
	b, err := os.ReadFile(filepath.Join(vectorsDir, "vectors.json"))
	if err != nil {
		f.Logf("no protocol vectors to seed from: %v", err)
		return
	}
	var m struct {
		Vectors []struct{ File, Stream string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		f.Fatal(err)
	}
	for _, v := range m.Vectors {
		if v.Stream != "sender" {
			continue
		}
		data, err := os.ReadFile(filepath.Join(vectorsDir, filepath.FromSlash(v.File)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
}

// fuzzServer is a server on a fresh inbox inside its own parent
// directory, so that anything written outside the inbox shows.
func fuzzServer(f testing.TB) (*server, string) {
	parent := f.TempDir()
	dir := filepath.Join(parent, "inbox")
	if err := os.Mkdir(dir, 0o755); err != nil {
		f.Fatal(err)
	}
	in, err := inbox.Open(dir, inbox.Options{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { in.Close() })
	opts := Options{Dir: dir, NoSync: true, Insecure: true, HeaderTimeout: 2 * time.Second, IdleTimeout: 2 * time.Second,
		Logger: slog.New(slog.DiscardHandler)}.withDefaults()
	return newServer(opts, in), parent
}

// FuzzConn feeds arbitrary bytes to a whole receiver connection, over
// net.Pipe, with a real inbox. The connection must end in bounded time,
// leave no temp file, and write nothing outside the inbox.
func FuzzConn(f *testing.F) {
	seedSenderVectors(f)
	s, parent := fuzzServer(f)
	dir := s.opts.Dir
	f.Fuzz(func(t *testing.T, stream []byte) {
		client, srv := net.Pipe()
		done := make(chan struct{})
		go func() { s.serveConn(context.Background(), srv, nil); close(done) }()
		go io.Copy(io.Discard, client) // the replies
		client.SetWriteDeadline(time.Now().Add(10 * time.Second))
		client.Write(stream)
		client.Close()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("the connection did not end")
		}
		checkInbox(t, parent, dir)
	})
}

// checkInbox fails on temp files left in the inbox or anything written
// beside it, then empties the inbox for the next input.
func checkInbox(t *testing.T, parent, dir string) {
	t.Helper()
	if entries, _ := os.ReadDir(parent); len(entries) != 1 {
		t.Fatalf("something was written outside the inbox: %v", entries)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && inbox.IsTempName(d.Name()) {
			t.Errorf("temp file left: %s", p)
		}
		return nil
	})
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if inbox.IsReceiverFile(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				os.Chmod(q, 0o755) // received directories may be read-only
			}
			return nil
		})
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
}
