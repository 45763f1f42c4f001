package send

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/internal/secure"
	"github.com/ft-team/ft/protocol"
	"github.com/zeebo/blake3"
)

// answerer is what a fake version 2 receiver does with a file offer: it
// writes answers or verdicts, and reports the bodies it reads.
type answerer func(rw *protocol.ReplyWriter, index uint64, h *protocol.Header) error

// fakeReceiver2 serves one secret-mode connection: it answers each offer
// with answer, reads the bodies asked for (into bodies, by index, with
// the offset they started at), gives each a verdict 0 if its trailer
// matches, and ends with the summary. It returns its address and the
// secret file to send with.
func fakeReceiver2(t *testing.T, answer answerer, bodies map[uint64][]byte, offsets map[uint64]int64) (string, string) {
	t.Helper()
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := keys.NewSecret(secretFile); err != nil {
		t.Fatal(err)
	}
	secret, err := keys.LoadSecret(secretFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(10 * time.Second))
		done <- serve2(secure.New(conn), secret, answer, bodies, offsets)
	}()
	t.Cleanup(func() {
		select {
		case <-done: // what it met is what the test checks
		case <-time.After(10 * time.Second):
			t.Error("fake receiver did not end")
		}
	})
	return ln.Addr().String(), secretFile
}

func serve2(sc *secure.Conn, secret []byte, answer answerer, bodies map[uint64][]byte, offsets map[uint64]int64) error {
	h, err := protocol.ReadHello(sc)
	if err != nil {
		return err
	}
	mode, err := protocol.ReadMode(sc)
	if err != nil {
		return err
	}
	hs, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: mode, Prologue: protocol.SecureHello(h, mode), Secret: secret})
	if err != nil {
		return err
	}
	if err := hs.ReadMessage(sc); err != nil {
		return err
	}
	if err := hs.WriteMessage(sc); err != nil {
		return err
	}
	sc.Start(hs)
	br, bw := bufio.NewReader(sc), bufio.NewWriter(sc)
	if _, err := protocol.ReadHello(br); err != nil {
		return err
	}
	protocol.WriteAccept(bw, protocol.Accept{Version: protocol.Version2})
	rw := protocol.NewReplyWriter(bw)
	pr := protocol.NewReader(br)
	pr.SetVersion(protocol.Version2)
	sizes := map[uint64]int64{}
	var entries uint64
	for {
		bw.Flush()
		it, err := pr.NextItem()
		switch {
		case err == io.EOF:
			var n uint64
			for i := range offsets {
				n += uint64(sizes[i])
			}
			done := uint64(len(offsets))
			rw.WriteSummary(protocol.Summary{Entries: entries, Committed: done, Failed: entries - done, Bytes: n})
			return bw.Flush()
		case err != nil:
			return err
		case it.Header != nil && it.Header.Kind == protocol.KindFile:
			sizes[entries] = it.Header.Size
			err = answer(rw, entries, it.Header)
			entries++
		case it.Header != nil:
			entries++
		case it.Body != nil:
			err = readBody(pr, rw, it.Body, sizes[it.Body.Index], bodies, offsets)
		}
		if err != nil {
			return err
		}
	}
}

// readBody reads a body from its offset, the prefix being the file's own
// bytes as held in bodies before (the fake's "partial").
func readBody(pr *protocol.Reader, rw *protocol.ReplyWriter, b *protocol.BodyStart, size int64, bodies map[uint64][]byte, offsets map[uint64]int64) error {
	var prefix *blake3.Hasher
	held := bodies[b.Index]
	if b.Offset > 0 {
		prefix = blake3.New()
		prefix.Write(held[:b.Offset])
	}
	if err := pr.StartBody(size, b.Offset, prefix); err != nil {
		return err
	}
	got, err := io.ReadAll(pr)
	if err != nil {
		return err
	}
	offsets[b.Index] = b.Offset
	bodies[b.Index] = append(bytes.Clone(held[:b.Offset]), got...)
	return rw.WriteVerdict(protocol.Verdict{Index: b.Index})
}

// TestResumeAnswers: a receiver answering "send from byte N" with the hash
// of the N bytes it holds gets the rest only if they are the file's own
// first N bytes, else the whole body; the trailer covers the whole file
// either way. Answers that make no sense end the send as a protocol error.
func TestResumeAnswers(t *testing.T) {
	content := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	src := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(src, content, 0o644); err != nil {
		t.Fatal(err)
	}
	const half = 1 << 19
	other := bytes.Clone(content[:half])
	other[100] ^= 1
	for _, tc := range []struct {
		name       string
		held       []byte // what the fake receiver holds of the file
		offset     int64  // the offset it asks for
		wantOffset int64  // the body's offset
		badReplies bool
	}{
		{"prefix matches", content[:half], half, half, false},
		{"prefix differs", other, half, 0, false},
		{"prefix longer than the file", append(bytes.Clone(content), 'x'), int64(len(content)) + 1, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bodies, offsets := map[uint64][]byte{0: tc.held}, map[uint64]int64{}
			addr, secretFile := fakeReceiver2(t, func(rw *protocol.ReplyWriter, i uint64, h *protocol.Header) error {
				return rw.WriteAnswer(protocol.Answer{Index: i, Offset: tc.offset, Prefix: blake3.Sum256(tc.held[:tc.offset])})
			}, bodies, offsets)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			res, err := Run(ctx, Options{Addr: addr, Paths: []string{src}, SecretFile: secretFile})
			if tc.badReplies {
				if !errors.Is(err, errBadReplies) {
					t.Fatalf("err %v, want errBadReplies", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if offsets[0] != tc.wantOffset || !bytes.Equal(bodies[0], content) {
				t.Errorf("body from %d (want %d), %d bytes, identical %v", offsets[0], tc.wantOffset, len(bodies[0]), bytes.Equal(bodies[0], content))
			}
			if wantResumed := min(tc.wantOffset, 1); res.Resumed != int(wantResumed) || res.Saved != tc.wantOffset || res.Bytes != int64(len(content))-tc.wantOffset {
				t.Errorf("result: resumed %d, saved %d, bytes %d", res.Resumed, res.Saved, res.Bytes)
			}
		})
	}
}

// TestEarlyVerdicts: a receiver that commits a file before its body, or
// finds it unchanged before its hash, cannot be trusted.
func TestEarlyVerdicts(t *testing.T) {
	src := filepath.Join(t.TempDir(), "f.txt")
	if err := os.WriteFile(src, []byte("data"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, code := range []protocol.Code{protocol.CodeOK, protocol.CodeUnchanged} {
		addr, secretFile := fakeReceiver2(t, func(rw *protocol.ReplyWriter, i uint64, h *protocol.Header) error {
			return rw.WriteVerdict(protocol.Verdict{Index: i, Code: code})
		}, map[uint64][]byte{}, map[uint64]int64{})
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		_, err := Run(ctx, Options{Addr: addr, Paths: []string{src}, SecretFile: secretFile})
		cancel()
		if !errors.Is(err, errBadReplies) {
			t.Errorf("verdict %d before the body: err %v, want errBadReplies", code, err)
		}
	}
}
