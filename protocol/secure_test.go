package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"

	"github.com/ft-team/ft/protocol"
)

// fixed is a Random source of one repeated byte: the handshake vectors
// fix the ephemeral keys with it.
type fixed byte

func (f fixed) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(f)
	}
	return len(p), nil
}

func vectorSecret() []byte {
	s := make([]byte, protocol.KeyLen)
	for i := range s {
		s[i] = byte(i)
	}
	return s
}

// pair returns a finished secret-mode handshake's two sides (sender,
// receiver) and the bytes of message 1 and message 2.
func pair(t testing.TB, sendSecret, recvSecret []byte) (snd, rcv *protocol.Handshake, msg1, msg2 []byte, err error) {
	t.Helper()
	hello := protocol.Hello{MinVersion: 2, MaxVersion: 2}
	pro := protocol.SecureHello(hello, protocol.ModeSecret)
	snd, err = protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Initiator: true, Prologue: pro,
		Secret: sendSecret, Random: fixed(0x11)})
	if err != nil {
		t.Fatal(err)
	}
	rcv, err = protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Prologue: pro,
		Secret: recvSecret, Random: fixed(0x22)})
	if err != nil {
		t.Fatal(err)
	}
	var b1, b2 bytes.Buffer
	if err := snd.WriteMessage(&b1); err != nil {
		t.Fatal(err)
	}
	msg1 = bytes.Clone(b1.Bytes())
	if err = rcv.ReadMessage(&b1); err != nil {
		return snd, rcv, msg1, nil, err
	}
	if err := rcv.WriteMessage(&b2); err != nil {
		t.Fatal(err)
	}
	msg2 = bytes.Clone(b2.Bytes())
	err = snd.ReadMessage(&b2)
	return snd, rcv, msg1, msg2, err
}

// TestRecordRoundTrip: what is written through a RecordWriter reads back
// whole through a RecordReader, at every boundary of a record, in both
// directions, also read one byte at a time.
func TestRecordRoundTrip(t *testing.T) {
	snd, rcv, _, _, err := pair(t, vectorSecret(), vectorSecret())
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 1, protocol.MaxRecordPlaintext - 1, protocol.MaxRecordPlaintext,
		protocol.MaxRecordPlaintext + 1, 3*protocol.MaxRecordPlaintext + 7} {
		data := bytes.Repeat([]byte{byte(n), 0x5a}, n)[:n]
		var wire bytes.Buffer
		_, w := snd.Records(nil, &wire)
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if want := n + (n+protocol.MaxRecordPlaintext-1)/protocol.MaxRecordPlaintext*18; wire.Len() != want {
			t.Errorf("%d bytes: %d on the wire, want %d", n, wire.Len(), want)
		}
		r, _ := rcv.Records(iotest.OneByteReader(&wire), nil)
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read %d, %v", n, len(got), err)
		}
		// Each Records call restarts nothing: the nonces go on, so
		// the next round uses fresh nonces on both sides.
	}
	var back bytes.Buffer
	_, w := rcv.Records(nil, &back)
	w.Write([]byte("verdicts"))
	r, _ := snd.Records(&back, nil)
	if got, err := io.ReadAll(r); err != nil || string(got) != "verdicts" {
		t.Fatalf("receiver to sender: %q, %v", got, err)
	}
}

// TestRecordTampered: a flipped bit, a dropped, a replayed or a reordered
// record, a length under the tag, and a stream cut inside a record end
// the reading with ErrRecord or ErrTruncated, never with wrong bytes.
func TestRecordTampered(t *testing.T) {
	snd, rcv, _, _, err := pair(t, vectorSecret(), vectorSecret())
	if err != nil {
		t.Fatal(err)
	}
	var wire bytes.Buffer
	_, w := snd.Records(nil, &wire)
	w.Write([]byte("first record"))
	rec1 := bytes.Clone(wire.Bytes())
	wire.Reset()
	w.Write([]byte("second record"))
	rec2 := bytes.Clone(wire.Bytes())
	flipped := bytes.Clone(rec1)
	flipped[5] ^= 1
	cases := []struct {
		name string
		wire []byte
		want error
	}{
		{"flipped", flipped, protocol.ErrRecord},
		{"dropped", rec2, protocol.ErrRecord},
		{"reordered", append(bytes.Clone(rec2), rec1...), protocol.ErrRecord},
		{"short length", []byte{0, 15, 1, 2}, protocol.ErrRecord},
		{"cut", rec1[:len(rec1)-1], protocol.ErrTruncated},
		{"cut length", rec1[:1], protocol.ErrTruncated},
	}
	for _, c := range cases {
		// Each case gets a fresh pair of keys, the records above are
		// sealed with the first one's: re-derive with the same
		// ephemerals, which gives the same keys.
		_, rcv2, _, _, _ := pair(t, vectorSecret(), vectorSecret())
		r, _ := rcv2.Records(bytes.NewReader(c.wire), nil)
		got, err := io.ReadAll(r)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: read %q, %v; want %v", c.name, got, err, c.want)
		}
	}
	_, rcv3, _, _, _ := pair(t, vectorSecret(), vectorSecret())
	r, _ := rcv3.Records(bytes.NewReader(append(bytes.Clone(rec1), rec1...)), nil)
	if got, err := io.ReadAll(r); !errors.Is(err, protocol.ErrRecord) || string(got) != "first record" {
		t.Errorf("replayed: read %q, %v; want the first record, then ErrRecord", got, err)
	}
	_ = rcv
}

// TestHandshakeWrongSecret: a sender with another secret fails at
// message 1 on the receiver, with ErrAuth.
func TestHandshakeWrongSecret(t *testing.T) {
	other := vectorSecret()
	other[0] ^= 1
	if _, _, _, _, err := pair(t, other, vectorSecret()); !errors.Is(err, protocol.ErrAuth) {
		t.Fatalf("err %v, want ErrAuth", err)
	}
}

// TestHandshakeOversize: a handshake length over MaxHandshakeLen is
// ErrTooLong before anything else is read.
func TestHandshakeOversize(t *testing.T) {
	rcv, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeSecret, Secret: vectorSecret()})
	if err != nil {
		t.Fatal(err)
	}
	if err := rcv.ReadMessage(bytes.NewReader([]byte{0x04, 0x01})); !errors.Is(err, protocol.ErrTooLong) {
		t.Fatalf("err %v, want ErrTooLong", err)
	}
}

// TestHandshakeKeyMode: in key mode the receiver learns the sender's
// static key, and a sender pinning another receiver key fails at
// message 1 on the receiver.
func TestHandshakeKeyMode(t *testing.T) {
	sk, rk, wrong := genKey(t, 1), genKey(t, 2), genKey(t, 3)
	for _, c := range []struct {
		pin  []byte
		fail bool
	}{{rk.Public, false}, {wrong.Public, true}} {
		snd, _ := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeKey, Initiator: true, Static: sk, PeerStatic: c.pin})
		rcv, _ := protocol.NewHandshake(protocol.HandshakeConfig{Mode: protocol.ModeKey, Static: rk})
		var b bytes.Buffer
		if err := snd.WriteMessage(&b); err != nil {
			t.Fatal(err)
		}
		err := rcv.ReadMessage(&b)
		if c.fail {
			if !errors.Is(err, protocol.ErrAuth) {
				t.Fatalf("pinned another key: %v, want ErrAuth", err)
			}
			continue
		}
		if err != nil || !bytes.Equal(rcv.PeerStatic(), sk.Public) {
			t.Fatalf("err %v; peer %x, want %x", err, rcv.PeerStatic(), sk.Public)
		}
		rcv.WriteMessage(&b)
		if err := snd.ReadMessage(&b); err != nil || !snd.Done() || !rcv.Done() {
			t.Fatalf("message 2: %v", err)
		}
	}
}
