package protocol

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidName reports whether name is an acceptable entry name: a relative,
// slash-separated path of at most MaxNameLen bytes in valid UTF-8, of at
// most MaxDepth components, which are non-empty, at most MaxComponentLen bytes, not "." or "..",
// and free of control characters, backslashes and a leading drive letter.
// The error wraps ErrBadName and quotes the name.
func ValidName(name string) error {
	if err := checkName(name); err != nil {
		return fmt.Errorf("%w %q: %s", ErrBadName, name, err)
	}
	return nil
}

type nameError string

func (e nameError) Error() string { return string(e) }

func checkName(name string) error {
	switch {
	case name == "":
		return nameError("empty")
	case len(name) > MaxNameLen:
		return nameError(fmt.Sprintf("longer than %d bytes", MaxNameLen))
	case !utf8.ValidString(name):
		return nameError("not valid UTF-8")
	case name[0] == '/':
		return nameError("absolute")
	case strings.Count(name, "/") >= MaxDepth:
		return nameError(fmt.Sprintf("more than %d components", MaxDepth))
	}
	for i, c := range strings.Split(name, "/") {
		if err := checkComponent(c); err != nil {
			return err
		}
		if i == 0 && len(c) >= 2 && c[1] == ':' && isASCIILetter(c[0]) {
			return nameError("starts with a drive letter")
		}
	}
	return nil
}

func checkComponent(c string) error {
	switch {
	case c == "":
		return nameError("empty component")
	case c == "." || c == "..":
		return nameError(fmt.Sprintf("component %q", c))
	case len(c) > MaxComponentLen:
		return nameError(fmt.Sprintf("component longer than %d bytes", MaxComponentLen))
	}
	for _, r := range c {
		if r == '\\' {
			return nameError("contains a backslash")
		}
		if unicode.IsControl(r) || r == utf8.RuneError {
			return nameError("contains a control character")
		}
	}
	return nil
}

func isASCIILetter(b byte) bool { return (b|0x20) >= 'a' && (b|0x20) <= 'z' }

// ValidLinkTarget reports whether a symlink named name may point at target:
// target must be relative, follow the same character rules as names, and,
// resolved lexically from the directory of name, stay inside the transfer
// root. ".." components may only lead the target ("../../a/b", not
// "a/../b"): after a named component, ".." would climb out of whatever that
// component resolves to, which may itself be a symlink, and a lexical check
// could not follow it.
func ValidLinkTarget(name, target string) error {
	bad := func(why string) error {
		return fmt.Errorf("%w: symlink %q -> %q: %s", ErrBadName, name, target, why)
	}
	switch {
	case target == "":
		return bad("empty target")
	case len(target) > MaxTargetLen:
		return bad(fmt.Sprintf("target longer than %d bytes", MaxTargetLen))
	case !utf8.ValidString(target):
		return bad("target not valid UTF-8")
	case target[0] == '/':
		return bad("absolute target")
	}
	depth := strings.Count(name, "/") // directories above the link inside the root
	descended := false
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
			continue
		case "..":
			if descended {
				return bad(`target has ".." after a named component`)
			}
			depth--
			if depth < 0 {
				return bad("target leaves the root")
			}
			continue
		}
		if err := checkComponent(c); err != nil {
			return bad("target " + err.Error())
		}
		descended = true
	}
	return nil
}
