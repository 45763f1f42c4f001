package keys

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestEncodeDecode: the text form reads back, and one changed character
// anywhere, a wrong prefix or a wrong length is ErrMalformed.
func TestEncodeDecode(t *testing.T) {
	key := bytes.Repeat([]byte{0xa5}, Len)
	for _, prefix := range []string{SecretPrefix, PublicPrefix, PrivatePrefix} {
		s := Encode(prefix, key)
		if got, err := Decode(prefix, s); err != nil || !bytes.Equal(got, key) {
			t.Fatalf("%s: %x, %v", prefix, got, err)
		}
		for i := len(prefix); i < len(s); i++ {
			typo := []byte(s)
			typo[i] = map[bool]byte{true: 'b', false: 'a'}[typo[i] == 'a']
			if _, err := Decode(prefix, string(typo)); !errors.Is(err, ErrMalformed) {
				t.Fatalf("%s: a typo at %d went through", prefix, i)
			}
		}
		for _, bad := range []string{"", prefix, s[:len(s)-1], s + "a", "x" + s, strings.ToUpper(s)} {
			if _, err := Decode(prefix, bad); !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: %q accepted", prefix, bad)
			}
		}
	}
}

// TestSecretFile: NewSecret writes a 0600 file once, LoadSecret reads
// it, and refuses it once others may read it.
func TestSecretFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ft", "secret")
	if err := NewSecret(path); err != nil {
		t.Fatal(err)
	}
	if err := NewSecret(path); !errors.Is(err, ErrExists) {
		t.Fatalf("second NewSecret: %v, want ErrExists", err)
	}
	s, err := LoadSecret(path)
	if err != nil || len(s) != Len {
		t.Fatalf("LoadSecret: %d bytes, %v", len(s), err)
	}
	raw, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(raw), SecretPrefix) || strings.Count(string(raw), "\n") != 1 {
		t.Fatalf("file %q is not one line of the secret form", raw)
	}
	if runtime.GOOS == "windows" {
		return
	}
	os.Chmod(path, 0o640)
	if _, err := LoadSecret(path); !errors.Is(err, ErrExposed) || strings.Contains(err.Error(), string(raw[len(SecretPrefix):20])) {
		t.Fatalf("exposed secret: %v", err)
	}
}

// TestKeyPair: Generate writes a pair whose public key LoadPair derives
// and LoadPeer reads, from the text or from the .pub file.
func TestKeyPair(t *testing.T) {
	path := filepath.Join(t.TempDir(), "id")
	pub, err := Generate(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(path); !errors.Is(err, ErrExists) {
		t.Fatalf("second Generate: %v", err)
	}
	p, err := LoadPair(path)
	if err != nil || Encode(PublicPrefix, p.Public) != pub {
		t.Fatalf("LoadPair: %v", err)
	}
	for _, arg := range []string{pub, path + ".pub"} {
		if got, err := LoadPeer(arg); err != nil || !bytes.Equal(got, p.Public) {
			t.Fatalf("LoadPeer(%q): %v", arg, err)
		}
	}
	last := map[bool]string{true: "b", false: "a"}[pub[len(pub)-1] == 'a']
	if _, err := LoadPeer(pub[:len(pub)-1] + last); err == nil {
		t.Fatal("a mistyped peer key was accepted")
	}
}

// TestParseAllow: keys with and without names, comments and blank
// lines; a bad line is refused with its number.
func TestParseAllow(t *testing.T) {
	k1, k2 := bytes.Repeat([]byte{1}, Len), bytes.Repeat([]byte{2}, Len)
	text := "# lab\n\n" + Encode(PublicPrefix, k1) + " build host 1\n\t" + Encode(PublicPrefix, k2) + "\n"
	a, err := ParseAllow(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := a.Name(k1); !ok || n != "build host 1" {
		t.Errorf("k1: %q %v", n, ok)
	}
	if n, ok := a.Name(k2); !ok || n != Encode(PublicPrefix, k2) {
		t.Errorf("k2: %q %v", n, ok)
	}
	if _, ok := a.Name(bytes.Repeat([]byte{3}, Len)); ok {
		t.Error("an unlisted key is allowed")
	}
	if _, err := ParseAllow(strings.NewReader("# x\nft1nope\n")); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes back to
// the same text.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(PublicPrefix, make([]byte, Len)))
	f.Add("ft1")
	f.Fuzz(func(t *testing.T, s string) {
		if k, err := Decode(PublicPrefix, s); err == nil && Encode(PublicPrefix, k) != s {
			t.Fatalf("%q decodes but encodes as %q", s, Encode(PublicPrefix, k))
		}
	})
}

// FuzzParseAllow: ParseAllow never panics on any text.
func FuzzParseAllow(f *testing.F) {
	f.Add("# c\n" + Encode(PublicPrefix, make([]byte, Len)) + " name\n")
	f.Fuzz(func(t *testing.T, s string) { ParseAllow(strings.NewReader(s)) })
}
