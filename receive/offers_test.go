package receive_test

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/internal/secure"
	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/receive"
	"github.com/zeebo/blake3"
)

// The version 2 tests: hand-built offers, hashes and bodies over a real
// secret-mode connection, checking PROTOCOL.md section 17's rules.

// startSecure runs a receiver that serves senders holding a new secret,
// which it returns.
func startSecure(t *testing.T, opts receive.Options) (*receiver, []byte) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "secret")
	if err := keys.NewSecret(path); err != nil {
		t.Fatal(err)
	}
	secret, err := keys.LoadSecret(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.SecretFile = path
	return startReceiver(t, opts), secret
}

// outcome2 is what a version 2 hand-built sender heard back.
type outcome2 struct {
	answers []protocol.Answer
	outcome
}

// exchange2 connects with secret, sends what write writes (version 2
// frames after the accept), half-closes and reads the replies.
func exchange2(t *testing.T, addr string, secret []byte, write func(w *protocol.Writer)) outcome2 {
	t.Helper()
	c := dial(t, addr)
	sc := secure.New(c)
	hello := protocol.Hello{MinVersion: protocol.Version2, MaxVersion: protocol.Version2}
	first := protocol.SecureHello(hello, protocol.ModeSecret)
	hs, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Initiator: true, Prologue: first, Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	buf := bytes.NewBuffer(first)
	if err := hs.WriteMessage(buf); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := hs.ReadMessage(c); err != nil {
		t.Fatal(err)
	}
	sc.Start(hs)
	if err := protocol.WriteHello(sc, hello); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(sc)
	if _, err := protocol.ReadAccept(br, hello); err != nil {
		t.Fatal(err)
	}
	go func() {
		bw := bufio.NewWriter(sc)
		w := protocol.NewWriter(bw)
		w.SetVersion(protocol.Version2)
		write(w)
		bw.Flush()
		sc.CloseWrite()
	}()
	var o outcome2
	o.accepted = true
	rr := protocol.NewReplyReader(br)
	rr.SetVersion(protocol.Version2)
	o.collect(rr, func(a protocol.Answer) { o.answers = append(o.answers, a) })
	return o
}

func file(name string, size int64) *protocol.Header {
	return &protocol.Header{Kind: protocol.KindFile, Name: name, Mode: 0o644, Size: size}
}

// body writes the body of offered file index.
func body(w *protocol.Writer, index uint64, content string) {
	w.BeginBody(index, int64(len(content)), 0, nil)
	w.Write([]byte(content))
	w.Close()
}

// TestOffers: a valid version 2 stream, and every way of breaking the
// rules of section 17, each ending in error 16 with nothing published and
// the receiver serving the next sender.
func TestOffers(t *testing.T) {
	r, secret := startSecure(t, quick())
	writeFile := func(name, content string) {
		if err := os.WriteFile(filepath.Join(r.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeFile("same.txt", "abc")
	writeFile("other.txt", "xyz")
	valid := func(w *protocol.Writer) {
		w.WriteHeader(&protocol.Header{Kind: protocol.KindDir, Name: "d", Mode: 0o755})
		w.WriteHeader(file("d/new.txt", 3))
		w.WriteHeader(file("same.txt", 3))
		w.WriteHeader(file("other.txt", 3))
		w.WriteHeader(file("big.txt", 4))
		body(w, 1, "new")
		w.WriteHash(2, blake3.Sum256([]byte("abc")))
		w.WriteHash(3, blake3.Sum256([]byte("abc")))
		body(w, 4, "four")
		w.WriteEnd()
	}
	o := exchange2(t, r.addr, secret, valid)
	want := map[uint64]protocol.Code{0: protocol.CodeOK, 1: protocol.CodeOK, 2: protocol.CodeUnchanged, 3: protocol.CodeExists, 4: protocol.CodeOK}
	if o.summary == nil || !equalCodes(o.byIndex(), want) || len(o.answers) != 4 {
		t.Fatalf("valid stream: %v, answers %+v", o, o.answers)
	}
	for _, a := range o.answers {
		if a.Hash != (a.Index == 2 || a.Index == 3) || a.Offset != 0 {
			t.Errorf("answer %+v: hash asked for the wrong files", a)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, "other.txt")); string(got) != "xyz" {
		t.Errorf("other.txt became %q", got)
	}

	for _, tc := range []struct {
		name  string
		write func(w *protocol.Writer)
	}{
		{"body not offered", func(w *protocol.Writer) { body(w, 0, "abc") }},
		{"body of a dir", func(w *protocol.Writer) {
			w.WriteHeader(&protocol.Header{Kind: protocol.KindDir, Name: "x", Mode: 0o755})
			body(w, 0, "")
		}},
		{"body twice", func(w *protocol.Writer) { w.WriteHeader(file("x1", 1)); body(w, 0, "a"); body(w, 0, "a") }},
		{"body from another offset", func(w *protocol.Writer) {
			w.WriteHeader(file("x2", 3))
			h := blake3.New()
			h.Write([]byte("a"))
			w.BeginBody(0, 3, 1, h)
			w.Write([]byte("bc"))
			w.Close()
		}},
		{"body when a hash was asked for", func(w *protocol.Writer) { w.WriteHeader(file("same.txt", 3)); body(w, 0, "abc") }},
		{"hash not asked for", func(w *protocol.Writer) { w.WriteHeader(file("x3", 3)); w.WriteHash(0, [32]byte{}) }},
		{"hash twice", func(w *protocol.Writer) {
			w.WriteHeader(file("other.txt", 3))
			w.WriteHash(0, [32]byte{})
			w.WriteHash(0, [32]byte{})
		}},
		{"same name while open", func(w *protocol.Writer) { w.WriteHeader(file("x4", 1)); w.WriteHeader(file("x4", 1)) }},
		{"under an open file", func(w *protocol.Writer) { w.WriteHeader(file("x5", 1)); w.WriteHeader(file("x5/y", 1)) }},
		{"above an open file", func(w *protocol.Writer) {
			w.WriteHeader(file("x6/y", 1))
			w.WriteHeader(&protocol.Header{Kind: protocol.KindSymlink, Name: "x6", Mode: 0o777, Linkname: "elsewhere"})
		}},
		{"more than MaxOpen files open", func(w *protocol.Writer) {
			for i := range protocol.MaxOpen + 1 {
				w.WriteHeader(file("many/f"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), 1))
			}
		}},
		{"end with a file open", func(w *protocol.Writer) { w.WriteHeader(file("x7", 1)); w.WriteEnd() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := exchange2(t, r.addr, secret, tc.write)
			if o.remote == nil || o.remote.Code != protocol.CodeProtocol {
				t.Errorf("got %v, want error 16", o)
			}
			for _, name := range []string{"x1", "x2", "x3", "x4", "x5", "x6", "x7", "many"} {
				if _, err := os.Lstat(filepath.Join(r.dir, name)); !errors.Is(err, os.ErrNotExist) && name != "x1" {
					t.Errorf("%s exists after a broken stream: %v", name, err)
				}
			}
			assertNoTemp(t, r.dir)
			if o := exchange2(t, r.addr, secret, func(w *protocol.Writer) { w.WriteEnd() }); o.summary == nil {
				t.Errorf("the receiver no longer serves: %v", o)
			}
		})
	}
}

func equalCodes(got, want map[uint64]protocol.Code) bool {
	if len(got) != len(want) {
		return false
	}
	for i, c := range want {
		if got[i] != c {
			return false
		}
	}
	return true
}
