package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The trust tests: the default shared secret, wrong and missing
// credentials, key mode, --allow-from, and men in the middle, all with
// the real binary over loopback.

// freshConfig gives t's top-level test an empty config dir: its first
// receiver makes the secret.
func freshConfig(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	name, _, _ := strings.Cut(t.Name(), "/")
	configDirs.Store(name, dir)
	return dir
}

// noneWritten fails the test if dir holds anything but the receiver's own files.
func noneWritten(t *testing.T, dir string) {
	t.Helper()
	if got := listTree(t, dir); len(got) != 0 || len(tempFiles(dir)) != 0 {
		t.Fatalf("the inbox changed: %v, temp files %v", got, tempFiles(dir))
	}
}

// TestTrustDefaultSecret: on a fresh config dir the receiver makes the
// secret and says where (one line, one hint); the sender finds it there.
func TestTrustDefaultSecret(t *testing.T) {
	cfg := freshConfig(t)
	r := startReceiver(t, t.TempDir())
	secret := filepath.Join(cfg, "ft", "secret")
	said := func() bool {
		return strings.Contains(r.stderr.String(), "ft: created a new shared secret in "+secret+"\nft: hint: ")
	}
	waitFor(t, 10*time.Second, "the receiver to say where the secret is (one line, then a hint)", said)
	if fi, err := os.Stat(secret); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v, %v", fi, err)
	}
	sendOneFile(t, r)
	if !strings.Contains(r.stderr.String(), "sender=secret") {
		t.Errorf("the log does not say the sender proved the secret:\n%s", r.stderr)
	}
}

// TestTrustWrongSecret: a sender with another secret exits with the auth
// code before anything is written, and --once is not used up by it.
func TestTrustWrongSecret(t *testing.T) {
	r := startReceiver(t, t.TempDir(), "--once")
	other := filepath.Join(t.TempDir(), "other")
	if res := ft(t, "keygen", "--secret", other); res.code != 0 {
		t.Fatalf("keygen: %+v", res)
	}
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	res := ftIn(t, src, "send", "--secret", other, r.addr, "x.txt")
	if res.code != exitAuth || !strings.Contains(res.stderr, "authentication failed") || !strings.Contains(res.stderr, "ft: hint: ") {
		t.Fatalf("wrong secret: exit %d, want %d with a reason and a hint; stderr %q", res.code, exitAuth, res.stderr)
	}
	noneWritten(t, r.dir)
	sendOneFile(t, r)
	if code := r.wait(); code != 0 {
		t.Fatalf("--once receiver exit %d; stderr:\n%s", code, r.stderr)
	}
}

// TestTrustNoSecret: a sender with no secret fails with the auth code
// and a hint, and a secret file others can read is refused.
func TestTrustNoSecret(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("x"), 0o644)
	res := ftIn(t, src, "send", "--secret", filepath.Join(t.TempDir(), "none"), dialRawListener(t), "x")
	if res.code != exitAuth || !strings.Contains(res.stderr, "no shared secret") || !strings.Contains(res.stderr, "ft: hint: ") {
		t.Fatalf("no secret: exit %d; stderr %q", res.code, res.stderr)
	}
	exposed := filepath.Join(t.TempDir(), "s")
	ft(t, "keygen", "--secret", exposed)
	os.Chmod(exposed, 0o644)
	res = ft(t, "receive", "--secret", exposed, "-d", t.TempDir(), "--listen", "127.0.0.1:0")
	if res.code != exitAuth || !strings.Contains(res.stderr, "chmod 600") {
		t.Fatalf("exposed secret: exit %d; stderr %q", res.code, res.stderr)
	}
}

// TestTrustInsecureMismatch: --insecure on one side only fails, with the
// auth code, and writes nothing.
func TestTrustInsecureMismatch(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	secure := startReceiver(t, t.TempDir())
	insecure := startReceiver(t, t.TempDir(), "--insecure")
	for _, c := range []struct {
		r    *receiver
		args []string
	}{{secure, []string{"--insecure"}}, {insecure, nil}} {
		args := append(append([]string{"send"}, c.args...), c.r.addr, "x.txt")
		if res := ftIn(t, src, args...); res.code != exitAuth {
			t.Errorf("%v: exit %d, want %d; stderr %q", args, res.code, exitAuth, res.stderr)
		}
		noneWritten(t, c.r.dir)
	}
	if res := ftIn(t, src, "send", "-q", "--insecure", insecure.addr, "x.txt"); res.code != 0 {
		t.Fatalf("both --insecure: exit %d; %s", res.code, res.stderr)
	}
}

// TestTrustKeyMode: an allowed key is served and named in the log; a key
// not allowed and a pinned receiver key that does not match fail with
// the auth code, nothing written.
func TestTrustKeyMode(t *testing.T) {
	dir := t.TempDir()
	key := func(name string) string {
		res := ft(t, "keygen", filepath.Join(dir, name))
		if res.code != 0 || !strings.HasPrefix(res.stdout, "ft1") {
			t.Fatalf("keygen %s: %+v", name, res)
		}
		return strings.TrimSpace(res.stdout)
	}
	recvPub := key("recv")
	senderPub, otherPub := key("lab1"), key("other")
	allow := filepath.Join(dir, "allow")
	writeFile(t, allow, []byte("# lab machines\n"+senderPub+" lab1\n"), 0o644)
	r := startReceiver(t, t.TempDir(), "--key", filepath.Join(dir, "recv"), "--allow", allow)
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	send := func(key, peer string) result {
		return ftIn(t, src, "send", "-q", "--key", filepath.Join(dir, key), "--peer", peer, r.addr, "x.txt")
	}
	if res := send("other", filepath.Join(dir, "recv.pub")); res.code != exitAuth {
		t.Errorf("key not allowed: exit %d; stderr %q", res.code, res.stderr)
	}
	if res := send("lab1", otherPub); res.code != exitAuth {
		t.Errorf("--peer mismatch: exit %d; stderr %q", res.code, res.stderr)
	}
	noneWritten(t, r.dir)
	if !strings.Contains(r.stderr.String(), "public key is "+recvPub) || !strings.Contains(r.stderr.String(), "--peer "+recvPub) {
		t.Errorf("the receiver does not say its public key %s and how to pin it:\n%s", recvPub, r.stderr)
	}
	if res := send("lab1", filepath.Join(dir, "recv.pub")); res.code != 0 {
		t.Fatalf("allowed key: exit %d; stderr %q", res.code, res.stderr)
	}
	if res := send("lab1", recvPub); res.code != 0 {
		t.Fatalf("the key the receiver printed, as --peer: exit %d; stderr %q", res.code, res.stderr)
	}
	if !strings.Contains(r.stderr.String(), "sender=lab1") {
		t.Errorf("the log does not name the sender:\n%s", r.stderr)
	}
}

// TestTrustAllowFrom: an address outside --allow-from is closed before
// the handshake, and logged.
func TestTrustAllowFrom(t *testing.T) {
	r := startReceiver(t, t.TempDir(), "--allow-from", "192.0.2.0/24")
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	if res := ftIn(t, src, "send", r.addr, "x.txt"); res.code != exitNetwork {
		t.Errorf("exit %d, want %d; stderr %q", res.code, exitNetwork, res.stderr)
	}
	waitFor(t, 10*time.Second, "the refusal in the log", func() bool {
		return strings.Contains(r.stderr.String(), "address not in --allow-from")
	})
	noneWritten(t, r.dir)
}

// TestTrustInsecureWarns: an --insecure receiver on all interfaces says
// once that anyone can write into its inbox.
func TestTrustInsecureWarns(t *testing.T) {
	dir := t.TempDir()
	r := startReceiverVia(t, nil, dir, "0.0.0.0:0", "--insecure")
	if n := strings.Count(r.stderr.String(), "ft: warning: --insecure: anyone who can reach port"); n != 1 {
		t.Fatalf("%d warnings; stderr:\n%s", n, r.stderr)
	}
}

// mitm is a loopback proxy that records both directions and may change
// the sender's bytes on the way.
type mitm struct {
	ln     net.Listener
	mu     sync.Mutex
	up     bytes.Buffer // sender to receiver, as forwarded
	down   bytes.Buffer // receiver to sender
	change func(off int, b byte) byte
}

func startMitm(t *testing.T, target string, change func(off int, b byte) byte) *mitm {
	t.Helper()
	m := &mitm{change: change}
	m.ln = proxyTo(t, target, func(c, up net.Conn) {
		go m.pipe(up, c, &m.up, m.change)
		go m.pipe(c, up, &m.down, nil)
	})
	return m
}

// proxyTo listens on loopback and, for each connection it accepts, dials
// target and hands both to serve (which must not block). The listener
// closes at the end of the test.
func proxyTo(t *testing.T, target string, serve func(client, upstream net.Conn)) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			up, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			serve(c, up)
		}
	}()
	return ln
}

func (m *mitm) pipe(dst, src net.Conn, rec *bytes.Buffer, change func(int, byte) byte) {
	defer dst.Close()
	defer src.Close()
	buf := make([]byte, 32<<10)
	for off := 0; ; {
		n, err := src.Read(buf)
		for i := range n {
			if change != nil {
				buf[i] = change(off+i, buf[i])
			}
		}
		m.mu.Lock()
		rec.Write(buf[:n])
		m.mu.Unlock()
		off += n
		if _, werr := dst.Write(buf[:n]); werr != nil || err != nil {
			return
		}
	}
}

func (m *mitm) recorded() (up, down []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return bytes.Clone(m.up.Bytes()), bytes.Clone(m.down.Bytes())
}

// TestTrustMitm: a man in the middle who changes the hello (the mode
// byte, or a caps bit, which only the prologue binds) makes both ends
// fail; nothing is written.
func TestTrustMitm(t *testing.T) {
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x.txt"), []byte("x"), 0o644)
	for _, off := range []int{20, 19} {
		r := startReceiver(t, t.TempDir())
		m := startMitm(t, r.addr, func(o int, b byte) byte {
			if o == off {
				return b ^ 0x03 // mode 1 (secret) becomes 2 (key); caps bit 0 and 1
			}
			return b
		})
		res := ftIn(t, src, "send", m.ln.Addr().String(), "x.txt")
		if res.code != exitAuth {
			t.Errorf("byte %d flipped: sender exit %d, want %d; stderr %q", off, res.code, exitAuth, res.stderr)
		}
		waitFor(t, 10*time.Second, "the receiver to log the failure", func() bool {
			return strings.Contains(r.stderr.String(), "outcome=failed")
		})
		noneWritten(t, r.dir)
	}
}

// TestTrustReplayAndCapture: the recorded bytes of a real transfer
// replayed to a --once receiver with the same secret write nothing and
// do not use up --once; the recording holds neither the file's content
// nor its name.
func TestTrustReplayAndCapture(t *testing.T) {
	marker := make([]byte, 16)
	rand.Read(marker)
	name := "secret-" + hex.EncodeToString(marker[:4]) + ".txt"
	content := []byte(strings.Repeat(hex.EncodeToString(marker), 100))
	src := t.TempDir()
	writeFile(t, filepath.Join(src, name), content, 0o644)
	r := startReceiver(t, t.TempDir())
	m := startMitm(t, r.addr, nil)
	if res := ftIn(t, src, "send", "-q", m.ln.Addr().String(), name); res.code != 0 {
		t.Fatalf("send through the proxy: exit %d; %s", res.code, res.stderr)
	}
	up, down := m.recorded()
	for _, rec := range [][]byte{up, down} {
		if bytes.Contains(rec, []byte(hex.EncodeToString(marker))) || bytes.Contains(rec, []byte(name)) {
			t.Fatal("the capture shows the file's content or name")
		}
	}
	once := startReceiver(t, t.TempDir(), "--once")
	c, err := net.Dial("tcp", once.addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(up)
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	io.Copy(io.Discard, c)
	c.Close()
	noneWritten(t, once.dir)
	sendOneFile(t, once)
	if code := once.wait(); code != 0 {
		t.Fatalf("--once receiver exit %d; stderr:\n%s", code, once.stderr)
	}
}
