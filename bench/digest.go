//go:build linux

package main

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/zeebo/blake3"
)

// manifest sums up a file or a tree: the number of regular files, their
// bytes, and a BLAKE3 digest over every file's relative name, size and
// content, in lexical order. Two trees with the same manifest hold the same
// files with the same bytes; directories only count through the names.
type manifest struct {
	Files  int
	Bytes  int64
	Digest string
}

// String is how the report and the errors show a manifest.
func (m manifest) String() string {
	return fmt.Sprintf("%d files, %d bytes, blake3 %.16s", m.Files, m.Bytes, m.Digest)
}

type digestEntry struct {
	rel, path string
	size      int64
	sum       [32]byte
	err       error
}

// digestPath computes the manifest of a regular file or a directory tree.
// Anything but regular files and directories is an error.
func digestPath(root string) (manifest, error) {
	entries, err := listFiles(root)
	if err != nil {
		return manifest{}, err
	}
	hashAll(entries)
	h := blake3.New()
	var m manifest
	var num [8]byte
	for i := range entries {
		e := &entries[i]
		if e.err != nil {
			return manifest{}, e.err
		}
		h.WriteString(e.rel)
		h.Write([]byte{0})
		binary.BigEndian.PutUint64(num[:], uint64(e.size))
		h.Write(num[:])
		h.Write(e.sum[:])
		m.Files++
		m.Bytes += e.size
	}
	m.Digest = hex.EncodeToString(h.Sum(nil))
	return m, nil
}

func listFiles(root string) ([]digestEntry, error) {
	fi, err := os.Lstat(root)
	if err != nil {
		return nil, err
	}
	if fi.Mode().IsRegular() {
		return []digestEntry{{rel: "", path: root, size: fi.Size()}}, nil
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s: not a regular file or directory", root)
	}
	var entries []digestEntry
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		entries = append(entries, digestEntry{rel: filepath.ToSlash(rel), path: p, size: info.Size()})
		return nil
	})
	return entries, err
}

// hashAll hashes the entries' contents on all cores.
func hashAll(entries []digestEntry) {
	var wg sync.WaitGroup
	next := make(chan int, 256)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			for i := range next {
				e := &entries[i]
				e.sum, e.err = hashFile(e.path, e.size, buf)
			}
		})
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
}

func hashFile(name string, size int64, buf []byte) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(name)
	if err != nil {
		return sum, err
	}
	defer f.Close()
	h := blake3.New()
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf) // no WriteTo: use buf
	if err != nil {
		return sum, err
	}
	if n != size {
		return sum, fmt.Errorf("%s: size changed while hashing", name)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
