package protocol_test

import (
	"crypto/ecdh"
	"testing"

	"github.com/ft-team/ft/protocol"
)

// genKey returns the X25519 key pair whose private key is 32 bytes of b.
func genKey(t testing.TB, b byte) protocol.DHKey {
	t.Helper()
	priv := make([]byte, 32)
	for i := range priv {
		priv[i] = b
	}
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return protocol.DHKey{Private: priv, Public: k.PublicKey().Bytes()}
}
