package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// progressBar shows a send's progress over the bytes of the whole transfer.
type progressBar struct {
	w     io.Writer
	bar   *progressbar.ProgressBar
	files int
	n     int
}

func newProgressBar(w io.Writer) *progressBar { return &progressBar{w: w} }

// Start implements send.Progress. It may come after the first files (the
// walk of a large tree goes on while they are sent): until then the bar
// shows a spinner.
func (p *progressBar) Start(total int64, files int) {
	p.files = files
	if p.bar != nil {
		p.bar.ChangeMax64(total)
		return
	}
	p.newBar(total)
}

func (p *progressBar) newBar(total int64) {
	p.bar = progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(p.w),
		progressbar.OptionShowBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionShowElapsedTimeOnFinish(),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionFullWidth(),
	)
}

// StartFile implements send.Progress.
func (p *progressBar) StartFile(name string, _ int64) {
	if p.bar == nil {
		p.newBar(-1)
	}
	p.n++
	of := "?"
	if p.files > 0 {
		of = strconv.Itoa(p.files)
	}
	q := strconv.Quote(name)
	p.bar.Describe(fmt.Sprintf("[%d/%s] %s", p.n, of, shorten(q[1:len(q)-1], 32)))
}

// Add implements send.Progress.
func (p *progressBar) Add(n int64) {
	if p.bar == nil {
		p.newBar(-1)
	}
	p.bar.Add64(n)
}

func (p *progressBar) done() {
	if p.bar != nil {
		p.bar.Finish()
	}
}

// shorten keeps the end of s, which holds the file's own name.
func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n+3:]
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// humanBytes formats n with a decimal unit.
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// parseSize parses a byte count with an optional K, M, G or T suffix
// (powers of 1024). The empty string means no limit (0).
func parseSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	mult := int64(1)
	if i := strings.IndexAny(s, "KMGTkmgt"); i == len(s)-1 {
		mult = 1 << (10 * (strings.IndexByte("KMGT", strings.ToUpper(s[i:])[0]) + 1))
		s = s[:i]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<63-1)/mult {
		return 0, fmt.Errorf("%q is not a size like 500M or 20G", s)
	}
	return n * mult, nil
}
