// Package keys reads and writes ft's credentials: the shared secret file,
// static key pairs, the receiver's allow list, and their one-line text
// form (PROTOCOL.md, section 16.7). It never puts a secret or a private
// key in an error message.
package keys

import (
	"bufio"
	"crypto/ecdh"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Prefixes of the text forms: a secret, a public key, a private key.
const (
	SecretPrefix  = "ftsecret1"
	PublicPrefix  = "ft1"
	PrivatePrefix = "ftpriv1"
)

// Len is the length of a secret and of a key.
const Len = 32

// Sentinel errors; check them with errors.Is.
var (
	ErrMalformed = errors.New("keys: malformed")
	ErrExists    = errors.New("keys: file exists (not overwritten)")
	ErrExposed   = errors.New("keys: readable by other users")
)

var b32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)

// check is the 4-byte check of a text form: it catches typos.
func check(prefix string, key []byte) []byte {
	sum := sha256.Sum256(append([]byte(prefix), key...))
	return sum[:4]
}

// Encode returns the text form of a key or secret: prefix, then the
// lowercase unpadded base32 of the Len bytes followed by their check.
func Encode(prefix string, key []byte) string {
	return prefix + b32.EncodeToString(append(append([]byte{}, key...), check(prefix, key)...))
}

// Decode parses the text form made by Encode with the same prefix.
func Decode(prefix, s string) ([]byte, error) {
	rest, ok := strings.CutPrefix(s, prefix)
	if !ok {
		return nil, fmt.Errorf("%w: does not start with %q", ErrMalformed, prefix)
	}
	raw, err := b32.DecodeString(rest)
	if err != nil || len(raw) != Len+4 {
		return nil, fmt.Errorf("%w: not %s followed by %d base32 characters", ErrMalformed, prefix, b32.EncodedLen(Len+4))
	}
	key := raw[:Len]
	if string(check(prefix, key)) != string(raw[Len:]) || Encode(prefix, key) != s {
		return nil, fmt.Errorf("%w: check digits do not match (a typo?)", ErrMalformed)
	}
	return key, nil
}

// DefaultSecretPath is the one place a secret is looked for when none is
// named: %AppData%\ft\secret on Windows, else $XDG_CONFIG_HOME/ft/secret,
// else ~/.config/ft/secret.
func DefaultSecretPath() (string, error) {
	if runtime.GOOS == "windows" {
		dir := os.Getenv("AppData")
		if dir == "" {
			return "", errors.New("keys: %AppData% is not set")
		}
		return filepath.Join(dir, "ft", "secret"), nil
	}
	if dir := os.Getenv("XDG_CONFIG_HOME"); filepath.IsAbs(dir) {
		return filepath.Join(dir, "ft", "secret"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("keys: no home directory for the default secret: %w", err)
	}
	return filepath.Join(home, ".config", "ft", "secret"), nil
}

// SecretPath is the secret file to use: named, if not empty (from
// --secret or FT_SECRET_FILE), else the default place (then dflt is true).
func SecretPath(named string) (path string, dflt bool, err error) {
	if named != "" {
		return named, false, nil
	}
	path, err = DefaultSecretPath()
	return path, true, err
}

// NewSecret writes a new random secret to path (mode 0600, its directory
// made 0700 if missing) and refuses to replace an existing file
// (ErrExists). Two processes creating it at once end with one secret.
func NewSecret(path string) error {
	secret := make([]byte, Len)
	rand.Read(secret)
	return writeNew(path, Encode(SecretPrefix, secret)+"\n")
}

// LoadSecret reads the secret in path. A file other users can read is
// refused (ErrExposed), like ssh refuses an exposed private key.
func LoadSecret(path string) ([]byte, error) {
	return loadLine(path, SecretPrefix, "secret")
}

// writeNew writes content to a new file at path, mode 0600, without ever
// showing a partial file under path: it writes a temporary file beside it
// and links it into place, which fails if path exists.
func writeNew(path, content string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("%w: %s", ErrExists, path)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".ft-key-*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Chmod(0o600)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("keys: write %s: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%w: %s", ErrExists, path)
		}
		return fmt.Errorf("keys: %w", err)
	}
	return nil
}

// loadLine reads the first line of path that is neither empty nor a
// comment and decodes it with prefix; what names the file in errors.
func loadLine(path, prefix, what string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", what, err)
	}
	defer f.Close()
	if err := checkPrivate(f, path); err != nil {
		return nil, err
	}
	line, err := firstLine(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("keys: %s file %s: %w", what, path, err)
	}
	key, err := Decode(prefix, strings.Fields(line)[0])
	if err != nil {
		return nil, fmt.Errorf("%s file %s: %w", what, path, err)
	}
	return key, nil
}

// firstLine returns the first line of r that is neither empty nor a comment.
func firstLine(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			return line, nil
		}
	}
	if err := sc.Err(); err != nil {
		return "", err
	}
	return "", fmt.Errorf("%w: empty", ErrMalformed)
}

// Pair is a static X25519 key pair.
type Pair struct{ Private, Public []byte }

// Generate writes a new key pair: the private key to path (mode 0600)
// and the public key to path + ".pub". It returns the public key's text
// form. It refuses to replace either file (ErrExists).
func Generate(path string) (string, error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	pub := Encode(PublicPrefix, k.PublicKey().Bytes())
	if _, err := os.Lstat(path + ".pub"); err == nil {
		return "", fmt.Errorf("%w: %s.pub", ErrExists, path)
	}
	if err := writeNew(path, Encode(PrivatePrefix, k.Bytes())+"\n"); err != nil {
		return "", err
	}
	if err := os.WriteFile(path+".pub", []byte(pub+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("keys: %w", err)
	}
	return pub, nil
}

// LoadPair reads the private key in path (refused if other users can
// read it) and derives its public key.
func LoadPair(path string) (Pair, error) {
	priv, err := loadLine(path, PrivatePrefix, "private key")
	if err != nil {
		return Pair{}, err
	}
	k, err := ecdh.X25519().NewPrivateKey(priv)
	if err != nil {
		return Pair{}, fmt.Errorf("%w: private key file %s", ErrMalformed, path)
	}
	return Pair{Private: priv, Public: k.PublicKey().Bytes()}, nil
}
