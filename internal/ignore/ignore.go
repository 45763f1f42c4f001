// Package ignore matches slash-separated relative paths against
// gitignore-style patterns, as "ft send --exclude" uses them:
//
//   - a pattern without a slash matches a name at any depth ("*.o", ".git");
//   - a pattern with a slash is anchored to the top ("build/tmp", and a
//     leading slash anchors a name: "/dist");
//   - a trailing slash matches directories only ("cache/");
//   - "**" as a whole component matches any number of components, none
//     included ("**/.git", "a/**/b"); a trailing "/**" matches everything
//     inside;
//   - "*", "?" and "[...]" match within one component (path.Match; "[!x]"
//     is "[^x]"), and a backslash escapes;
//   - "!" negates: the last pattern that matches a path decides;
//   - blank lines and lines starting with "#" are ignored ("\#", "\!"
//     escape a leading "#" or "!").
//
// The caller prunes: a directory that is excluded is not walked, so
// nothing inside it can be re-included, as in git.
package ignore

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path"
	"strings"
)

// ErrPattern is the error for a pattern that cannot be parsed.
var ErrPattern = errors.New("ignore: bad pattern")

// Rules is a parsed list of patterns. A nil *Rules excludes nothing.
type Rules struct{ pats []pattern }

type pattern struct {
	segs    []string // components; "**" matches any number of them
	negate  bool
	dirOnly bool
}

// Parse parses patterns, one per string, in order.
func Parse(lines []string) (*Rules, error) {
	r := &Rules{}
	for _, line := range lines {
		p, ok, err := parse(line)
		if err != nil {
			return nil, err
		}
		if ok {
			r.pats = append(r.pats, p)
		}
	}
	return r, nil
}

// parse parses one pattern; ok is false for a blank line or a comment.
func parse(line string) (p pattern, ok bool, err error) {
	s := trimTrailingSpace(strings.TrimSuffix(line, "\r"))
	if s == "" || s[0] == '#' {
		return p, false, nil
	}
	if s[0] == '!' {
		p.negate, s = true, s[1:]
	} else if strings.HasPrefix(s, `\!`) || strings.HasPrefix(s, `\#`) {
		s = s[1:]
	}
	if strings.HasSuffix(s, "/") {
		p.dirOnly, s = true, strings.TrimRight(s, "/")
	}
	anchored := strings.Contains(s, "/")
	s = strings.TrimLeft(s, "/")
	if s == "" {
		return p, false, fmt.Errorf("%w: %q matches nothing", ErrPattern, line)
	}
	if !anchored {
		p.segs = []string{"**"}
	}
	for _, seg := range strings.Split(s, "/") {
		if seg == "**" && len(p.segs) > 0 && p.segs[len(p.segs)-1] == "**" {
			continue
		}
		seg = strings.ReplaceAll(seg, "[!", "[^")
		if _, err := path.Match(seg, ""); err != nil || seg == "" {
			return p, false, fmt.Errorf("%w: %q", ErrPattern, line)
		}
		p.segs = append(p.segs, seg)
	}
	return p, true, nil
}

// trimTrailingSpace removes trailing spaces that are not escaped with a
// backslash.
func trimTrailingSpace(s string) string {
	for strings.HasSuffix(s, " ") && !strings.HasSuffix(s, `\ `) {
		s = s[:len(s)-1]
	}
	return s
}

// Excluded reports whether rel, a slash-separated path relative to the
// top of a walk, is excluded; dir says whether it is a directory.
func (r *Rules) Excluded(rel string, dir bool) bool {
	if r == nil {
		return false
	}
	parts := strings.Split(rel, "/")
	excluded := false
	for i := range r.pats {
		p := &r.pats[i]
		if (dir || !p.dirOnly) && excluded == p.negate && match(p.segs, parts) {
			excluded = !p.negate
		}
	}
	return excluded
}

// Empty reports whether r has no patterns.
func (r *Rules) Empty() bool { return r == nil || len(r.pats) == 0 }

// match reports whether the components parts match segs, in time
// proportional to len(segs)*len(parts) however many "**" there are:
// reach[j] says whether the segments so far can match parts[:j].
func match(segs, parts []string) bool {
	reach := make([]bool, len(parts)+1)
	next := make([]bool, len(parts)+1)
	reach[0] = true
	for i, seg := range segs {
		clear(next)
		if seg == "**" {
			least := 0 // components it must take: a trailing "/**" one at least
			if i == len(segs)-1 {
				least = 1
			}
			any := false
			for j := range next {
				any = any || (j >= least && reach[j-least])
				next[j] = any
			}
		} else {
			for j := 1; j < len(next); j++ {
				if reach[j-1] {
					next[j], _ = path.Match(seg, parts[j-1])
				}
			}
		}
		reach, next = next, reach
	}
	return reach[len(parts)]
}

// ReadFile returns the lines of an exclude file (such as a .gitignore),
// for Parse.
func ReadFile(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("exclude file: %w", err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("exclude file %q: %w", name, err)
	}
	return lines, nil
}
