//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The generator's seed. The same seed gives the same bytes on every machine
// and every Go version that keeps math/rand/v2's PCG (which the Go 1 promise
// for that package covers), so results from different runs compare.
const seedHi, seedLo = 0x6674_6265_6e63_6801, 0x5eed

// sizes says how much data each workload has.
type sizes struct {
	bigBytes           int64
	treeFiles          int
	treeMin, treeMax   int64
	treeBins           int
	binMin, binMax     int64
	smallFiles         int
	smallSize          int64
	smallFilesPerDirec int
}

func sizesFor(quick bool) sizes {
	if quick {
		return sizes{32 << 20, 300, 1 << 10, 64 << 10, 2, 2 << 20, 4 << 20, 2000, 1 << 10, 1000}
	}
	return sizes{1 << 30, 10000, 1 << 10, 64 << 10, 10, 20 << 20, 100 << 20, 100000, 1 << 10, 1000}
}

// workload is one generated data set. Name is the basename under the source
// directory, and so the name it must have under the destination.
type workload struct {
	Key   string // big, tree or small
	Title string
	Name  string
	Src   string
	IsDir bool
	Man   manifest
	Hash  float64 // seconds one core takes to hash its files (see hashCost)
}

// gen writes deterministic data: random, text-like or zero blocks.
type gen struct {
	rng *rand.Rand
	buf []byte
}

func newGen(stream uint64) *gen {
	return &gen{rng: rand.New(rand.NewPCG(seedHi, seedLo+stream)), buf: make([]byte, 1<<20)}
}

// random fills p with random bytes.
func (g *gen) random(p []byte) {
	i := 0
	for ; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], g.rng.Uint64())
	}
	for ; i < len(p); i++ {
		p[i] = byte(g.rng.Uint32())
	}
}

// words make the compressible, source-like blocks.
var words = strings.Fields(`func return if else for range struct interface map chan go defer
	err nil true false int64 uint32 byte string error context ctx Reader Writer buf
	len cap make append copy delete panic recover import package type var const
	{ } ( ) [ ] := = == != <= >= && || ; . , : main init test bench proto send recv
	0 1 2 8 16 32 64 256 1024 0x00 0xff "ok" "error" // /* */ #include static void`)

// text fills p with words drawn at random: compresses about 3-4x.
func (g *gen) text(p []byte) {
	i := 0
	for i < len(p) {
		w := words[g.rng.IntN(len(words))]
		i += copy(p[i:], w)
		if i < len(p) {
			sep := byte(' ')
			if g.rng.IntN(8) == 0 {
				sep = '\n'
			}
			p[i] = sep
			i++
		}
	}
}

// mixed fills p in 4 KiB blocks: randomPct% random, zeroPct% zeros, the
// rest text. Build artifacts look like that: some of them compress well,
// some not at all.
func (g *gen) mixed(p []byte, randomPct, zeroPct int) {
	for off := 0; off < len(p); off += 4096 {
		b := p[off:min(off+4096, len(p))]
		switch r := g.rng.IntN(100); {
		case r < randomPct:
			g.random(b)
		case r < randomPct+zeroPct:
			clear(b)
		default:
			g.text(b)
		}
	}
}

// writeFile writes size bytes made by fill into name.
func (g *gen) writeFile(name string, size int64, fill func([]byte)) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	for left := size; left > 0; {
		b := g.buf[:min(left, int64(len(g.buf)))]
		fill(b)
		if _, err := f.Write(b); err != nil {
			f.Close()
			return err
		}
		left -= int64(len(b))
	}
	return f.Close()
}

// genBig writes one file of random bytes.
func genBig(dir string, sz sizes) (*workload, error) {
	w := &workload{Key: "big", Name: "big.bin", Title: fmt.Sprintf("%s file", human(sz.bigBytes))}
	w.Src = filepath.Join(dir, w.Name)
	g := newGen(1)
	return w, g.writeFile(w.Src, sz.bigBytes, g.random)
}

// genTree writes a build-artifact tree: many 1-64 KiB files in nested
// directories plus a few large binaries, partly compressible.
func genTree(dir string, sz sizes) (*workload, error) {
	w := &workload{Key: "tree", Name: "tree", Title: "build tree", IsDir: true}
	w.Src = filepath.Join(dir, w.Name)
	g := newGen(2)
	dirs := []string{""}
	for i := 0; len(dirs) < 1+sz.treeFiles/50; i++ {
		parent := dirs[g.rng.IntN(len(dirs))]
		if strings.Count(parent, "/") < 4 {
			dirs = append(dirs, path.Join(parent, fmt.Sprintf("d%03d", i)))
		}
	}
	for _, d := range append(dirs, "bin") {
		if err := os.MkdirAll(filepath.Join(w.Src, d), 0o755); err != nil {
			return nil, err
		}
	}
	exts := []string{".o", ".a", ".h", ".json", ".map", ".txt", ".so", ".d"}
	for i := range sz.treeFiles {
		name := path.Join(dirs[g.rng.IntN(len(dirs))], fmt.Sprintf("f%05d%s", i, exts[g.rng.IntN(len(exts))]))
		size := sz.treeMin + g.rng.Int64N(sz.treeMax-sz.treeMin+1)
		if err := g.writeFile(filepath.Join(w.Src, name), size, func(p []byte) { g.mixed(p, 40, 0) }); err != nil {
			return nil, err
		}
	}
	for i := range sz.treeBins {
		size := sz.binMin + g.rng.Int64N(sz.binMax-sz.binMin+1)
		name := filepath.Join(w.Src, "bin", fmt.Sprintf("app%02d", i))
		if err := g.writeFile(name, size, func(p []byte) { g.mixed(p, 50, 15) }); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// genSmall writes many 1 KiB random files, a thousand per directory.
func genSmall(dir string, sz sizes) (*workload, error) {
	w := &workload{Key: "small", Name: "small", IsDir: true}
	w.Title = fmt.Sprintf("%dk files of %s", sz.smallFiles/1000, human(sz.smallSize))
	w.Src = filepath.Join(dir, w.Name)
	g := newGen(3)
	for i := range sz.smallFiles {
		d := filepath.Join(w.Src, fmt.Sprintf("d%03d", i/sz.smallFilesPerDirec))
		if i%sz.smallFilesPerDirec == 0 {
			if err := os.MkdirAll(d, 0o755); err != nil {
				return nil, err
			}
		}
		name := filepath.Join(d, fmt.Sprintf("f%06d", i))
		if err := g.writeFile(name, sz.smallSize, g.random); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// human formats a byte count the way the report shows sizes.
func human(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return fmt.Sprintf("%d GiB", n>>30)
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}
