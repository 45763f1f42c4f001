//go:build linux

package main

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Chart geometry, in pixels: two columns of panels, one panel per case,
// one horizontal bar per tool.
const (
	chartColW   = 620
	chartPad    = 12
	chartLabelW = 84
	chartBarMax = 310
	chartLineH  = 17
	chartTop    = 44
)

var (
	colFt    = color.RGBA{0xe0, 0x6c, 0x10, 0xff}
	colFloor = color.RGBA{0x9a, 0x9a, 0x9a, 0xff}
	colPeer  = color.RGBA{0x3f, 0x72, 0xaf, 0xff}
	colFail  = color.RGBA{0xc0, 0x10, 0x10, 0xff}
	colText  = color.RGBA{0x20, 0x20, 0x20, 0xff}
	colGrid  = color.RGBA{0xe4, 0xe4, 0xe4, 0xff}
)

// writeChart draws the median speed of every tool in every case as a PNG.
func writeChart(name string, r *report) error {
	cases := r.h.cases
	panelH := 28 + chartLineH*len(r.h.tools) + 14
	rows := (len(cases) + 1) / 2
	img := image.NewRGBA(image.Rect(0, 0, 2*chartColW, chartTop+rows*panelH))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	title := fmt.Sprintf("ft and its peers, median of %d round(s), %s, ft %s", r.h.cfg.rounds, r.date, r.h.ftRev)
	drawText(img, chartPad, 18, title, colText)
	drawText(img, chartPad, 34, "bar: MB/s (files/s for small files); label: speed and time as a multiple of raw+BLAKE3 (lower is better)", colText)
	for i, c := range cases {
		r.drawPanel(img, c, (i%2)*chartColW+chartPad, chartTop+(i/2)*panelH)
	}
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (r *report) drawPanel(img *image.RGBA, c *runCase, x0, y0 int) {
	what, into, mode := caseTitle(c)
	if c.Net.Name == "veth" {
		into = "veth 1 Gbit/s, " + c.Target
	}
	drawText(img, x0, y0+14, fmt.Sprintf("%s into %s, %s", what, into, mode), colText)
	value := func(s *cellStats) float64 {
		if c.W.Key == "small" {
			return s.FilesPS
		}
		return s.MBps
	}
	var top float64
	for _, t := range r.h.tools {
		if s := r.stats[c.Key()][t.key]; s != nil && s.N > 0 {
			top = max(top, value(s))
		}
	}
	fill(img, image.Rect(x0+chartLabelW, y0+20, x0+chartLabelW+1, y0+24+chartLineH*len(r.h.tools)), colGrid)
	for j, t := range r.h.tools {
		y := y0 + 22 + j*chartLineH
		drawText(img, x0, y+12, t.key, colText)
		s := r.stats[c.Key()][t.key]
		if s == nil || s.N == 0 || top == 0 {
			drawText(img, x0+chartLabelW+6, y+12, "failed", colFail)
			continue
		}
		w := max(1, int(value(s)/top*chartBarMax))
		col := colPeer
		switch t.key {
		case "ft", "ft-insecure", "ft-portable":
			col = colFt
		case "raw", floorTool:
			col = colFloor
		}
		fill(img, image.Rect(x0+chartLabelW, y+2, x0+chartLabelW+w, y+chartLineH-2), col)
		drawText(img, x0+chartLabelW+w+6, y+12, chartValue(c, s), colText)
	}
}

// chartValue is the label after a bar.
func chartValue(c *runCase, s *cellStats) string {
	v := kilo(s.MBps) + " MB/s"
	if c.W.Key == "small" {
		v = kilo(s.FilesPS) + " files/s"
	}
	if c.Net.RateBits > 0 {
		v += fmt.Sprintf(" (%.0f%% of link)", 100*s.MBps*8e6/c.Net.RateBits)
	}
	if s.Ratio > 0 {
		v += fmt.Sprintf("  %.2fx", s.Ratio)
	}
	if s.Fail > 0 {
		v += fmt.Sprintf("  %d failed", s.Fail)
	}
	return v
}

func fill(img *image.RGBA, r image.Rectangle, c color.Color) {
	draw.Draw(img, r, image.NewUniform(c), image.Point{}, draw.Src)
}

func drawText(img *image.RGBA, x, y int, s string, c color.Color) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(c), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}
