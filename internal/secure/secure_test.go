package secure_test

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net"
	"testing"

	"github.com/ft-team/ft/internal/secure"
	"github.com/ft-team/ft/internal/testnet"
	"github.com/ft-team/ft/protocol"
)

// securePair returns both ends of a TCP connection on loopback, secure
// after a secret-mode handshake: the dialer first.
func securePair(t testing.TB) (snd, rcv *secure.Conn) {
	t.Helper()
	d, a := testnet.Pair(t)
	snd, rcv = secure.New(d), secure.New(a)
	t.Cleanup(func() { snd.Close(); rcv.Close() })
	secret := bytes.Repeat([]byte{7}, protocol.KeyLen)
	pro := []byte("test prologue")
	hs := func(initiator bool) *protocol.Handshake {
		h, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Initiator: initiator,
			Prologue: pro, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	hi, hr := hs(true), hs(false)
	errs := make(chan error, 1)
	go func() {
		err := hr.ReadMessage(rcv)
		if err == nil {
			err = hr.WriteMessage(rcv)
		}
		errs <- err
	}()
	if err := hi.WriteMessage(snd); err != nil {
		t.Fatal(err)
	}
	if err := hi.ReadMessage(snd); err != nil {
		t.Fatal(err)
	}
	if err := <-errs; err != nil {
		t.Fatal(err)
	}
	snd.Start(hi)
	rcv.Start(hr)
	if !snd.Secure() || !rcv.Secure() {
		t.Fatal("not secure after Start")
	}
	return snd, rcv
}

// TestRoundTrip: writes of every size, read back whole and in order
// while replies go the other way.
func TestRoundTrip(t *testing.T) {
	snd, rcv := securePair(t)
	data := make([]byte, 9<<20+12345)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(rng.Uint32())
	}
	wrote := make(chan error, 1)
	go func() {
		for p := data; len(p) > 0; {
			n := min(len(p), []int{1, 100, protocol.MaxRecordPlaintext, protocol.WriteBatch + 1, 1 << 20}[rng.IntN(5)])
			if _, err := snd.Write(p[:n]); err != nil {
				wrote <- err
				return
			}
			p = p[n:]
		}
		wrote <- snd.CloseWrite()
	}()
	replied := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(snd)
		replied <- b
	}()
	got, err := io.ReadAll(rcv)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if err := <-wrote; err != nil {
		t.Fatalf("write: %v", err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("read %d bytes, not the %d written", len(got), len(data))
	}
	if _, err := rcv.Write([]byte("reply")); err != nil {
		t.Fatal(err)
	}
	if err := rcv.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	if b := <-replied; string(b) != "reply" {
		t.Fatalf("reply: %q", b)
	}
}

// TestReadAhead: records that arrive with the handshake's last message,
// read ahead in clear, are opened once the connection is secure.
func TestReadAhead(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	secret := bytes.Repeat([]byte{9}, protocol.KeyLen)
	hs := func(initiator bool) *protocol.Handshake {
		h, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Initiator: initiator, Secret: secret})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	served := make(chan error, 1)
	go func() { // a responder that sends message 2 and a record in one write
		raw, err := ln.Accept()
		if err != nil {
			served <- err
			return
		}
		defer raw.Close()
		hr := hs(false)
		if err := hr.ReadMessage(raw); err != nil {
			served <- err
			return
		}
		var out bytes.Buffer
		if err := hr.WriteMessage(&out); err != nil {
			served <- err
			return
		}
		_, w := hr.Records(nil, &out)
		if _, err := w.Write([]byte("read ahead")); err != nil {
			served <- err
			return
		}
		_, err = raw.Write(out.Bytes())
		served <- err
	}()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c := secure.New(raw)
	defer c.Close()
	hi := hs(true)
	if err := hi.WriteMessage(c); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if err := hi.ReadMessage(c); err != nil {
		t.Fatal(err)
	}
	c.Start(hi)
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "read ahead" {
		t.Fatalf("after Start: %q, %v", got, err)
	}
}

// BenchmarkHandshake is a connection on loopback TCP and its secret-mode
// handshake, both ends (the bound: 5 ms).
func BenchmarkHandshake(b *testing.B) {
	for b.Loop() {
		snd, rcv := securePair(b)
		snd.Close()
		rcv.Close()
	}
}
