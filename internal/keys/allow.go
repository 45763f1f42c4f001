package keys

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
)

// Allow is a receiver's list of the senders' public keys it serves, with
// the name each is logged under.
type Allow map[[Len]byte]string

// Name returns the name of an allowed key (its text form if the list gives
// none) and whether the key is allowed.
func (a Allow) Name(pub []byte) (string, bool) {
	if len(pub) != Len {
		return "", false
	}
	name, ok := a[[Len]byte(pub)]
	if ok && name == "" {
		name = Encode(PublicPrefix, pub)
	}
	return name, ok
}

// ParseAllow reads an allow list: one public key per line in its text
// form, optionally followed by white space and a name; empty lines and
// lines starting with # are ignored. Any other line is an error naming
// its number.
func ParseAllow(r io.Reader) (Allow, error) {
	a := Allow{}
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, name := line, ""
		if i := strings.IndexAny(line, " \t"); i >= 0 {
			key, name = line[:i], line[i:]
		}
		pub, err := Decode(PublicPrefix, key)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		a[[Len]byte(pub)] = strings.TrimSpace(name)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("keys: allow list: %w", err)
	}
	return a, nil
}

// LoadAllow reads the allow list in path.
func LoadAllow(path string) (Allow, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("keys: allow list: %w", err)
	}
	defer f.Close()
	a, err := ParseAllow(io.LimitReader(f, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("allow list %s: %w", path, err)
	}
	return a, nil
}

// LoadPeer returns the public key given as its text form, or, if arg is
// not one, read from the file arg names (its first line that is neither
// empty nor a comment, e.g. a key's .pub file).
func LoadPeer(arg string) ([]byte, error) {
	if strings.HasPrefix(arg, PublicPrefix) {
		if pub, err := Decode(PublicPrefix, arg); err == nil {
			return pub, nil
		} else if _, serr := os.Stat(arg); serr != nil {
			return nil, fmt.Errorf("peer key: %w", err)
		}
	}
	f, err := os.Open(arg)
	if err != nil {
		return nil, fmt.Errorf("keys: peer key: %w", err)
	}
	defer f.Close()
	line, err := firstLine(io.LimitReader(f, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("keys: peer key file %s: %w", arg, err)
	}
	pub, err := Decode(PublicPrefix, strings.Fields(line)[0])
	if err != nil {
		return nil, fmt.Errorf("peer key file %s: %w", arg, err)
	}
	return pub, nil
}
