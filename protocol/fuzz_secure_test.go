package protocol_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// FuzzRecordReader feeds arbitrary bytes to a RecordReader: it must end
// with io.EOF, ErrRecord or ErrTruncated, within its one record buffer.
func FuzzRecordReader(f *testing.F) {
	snd, _, _, _, err := pair(f, vectorSecret(), vectorSecret())
	if err != nil {
		f.Fatal(err)
	}
	var wire bytes.Buffer
	_, w := snd.Records(nil, &wire)
	w.Write([]byte("a record"))
	f.Add(wire.Bytes())
	f.Add([]byte{0xff, 0xff, 1})
	f.Add([]byte{0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, rcv, _, _, _ := pair(t, vectorSecret(), vectorSecret())
		r, _ := rcv.Records(bytes.NewReader(data), nil)
		_, err := io.ReadAll(r)
		if err != nil && !errors.Is(err, protocol.ErrRecord) && !errors.Is(err, protocol.ErrTruncated) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}

// FuzzHandshake feeds arbitrary bytes to a receiver's handshake: after
// the hello's mode byte, message 1 is read and checked, in both modes.
func FuzzHandshake(f *testing.F) {
	_, _, msg1, _, _ := pair(f, vectorSecret(), vectorSecret())
	f.Add(append([]byte{1}, msg1...))
	f.Add([]byte{2, 0, 96})
	f.Add([]byte{3})
	rk := genKey(f, 2)
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		mode, err := protocol.ReadMode(r)
		if err != nil {
			if !errors.Is(err, protocol.ErrFrame) && !errors.Is(err, protocol.ErrTruncated) {
				t.Fatalf("ReadMode: %v", err)
			}
			return
		}
		hs, err := protocol.NewHandshake(protocol.HandshakeConfig{Mode: mode, Secret: vectorSecret(), Static: rk,
			Prologue: protocol.SecureHello(protocol.Hello{MinVersion: 2, MaxVersion: 2}, mode)})
		if err != nil {
			t.Fatal(err)
		}
		err = hs.ReadMessage(r)
		if err == nil && !bytes.HasPrefix(data[1:], msg1) && mode == protocol.ModeSecret {
			t.Fatalf("a message 1 other than the sender's was accepted: %x", data)
		}
		if err != nil && !errors.Is(err, protocol.ErrAuth) && !errors.Is(err, protocol.ErrTruncated) &&
			!errors.Is(err, protocol.ErrTooLong) && !errors.Is(err, protocol.ErrFrame) {
			t.Fatalf("unexpected error %v", err)
		}
	})
}
