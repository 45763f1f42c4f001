package send

import (
	"strconv"
	"unicode"
)

// quoteIfOdd returns s as is if it is plain printable text, and quoted with
// escapes otherwise, so that a peer cannot write control sequences to the
// user's terminal.
func quoteIfOdd(s string) string {
	for _, r := range s {
		if !unicode.IsPrint(r) {
			return strconv.Quote(s)
		}
	}
	return s
}
