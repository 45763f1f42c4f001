//go:build linux

package main

// The raw Go pair is the floor: what a few dozen lines of io.Copy over one
// TCP connection achieve, with a header per file and, with -hash, a BLAKE3
// trailer computed on both ends (the work ft must do anyway). It trusts its
// peer and checks little; it is a yardstick, not a tool.
//
// Stream: per file a uint16 name length, the slash-separated name, a uint64
// size, a uint32 mode, the bytes, and with -hash the 32-byte BLAKE3 of the
// bytes; a zero name length ends the stream. The receiver answers one byte,
// 'K', after it closed every file, and the sender exits when it reads it.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path"
	"path/filepath"

	"github.com/zeebo/blake3"
)

const rawBufSize = 1 << 20

// rawSendMain is "bench rawsend [-hash] HOST:PORT PATH...".
func rawSendMain(args []string) error {
	fl := flag.NewFlagSet("rawsend", flag.ContinueOnError)
	hash := fl.Bool("hash", false, "append a BLAKE3 of each file")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() < 2 {
		return errors.New("usage: rawsend [-hash] HOST:PORT PATH")
	}
	conn, err := net.Dial("tcp", fl.Arg(0))
	if err != nil {
		return err
	}
	defer conn.Close()
	bw := bufio.NewWriterSize(conn, rawBufSize)
	for _, p := range fl.Args()[1:] {
		if err := rawSendPath(bw, p, *hash); err != nil {
			return err
		}
	}
	if _, err := bw.Write([]byte{0, 0}); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	var ack [1]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		return fmt.Errorf("read ack: %w", err)
	}
	if ack[0] != 'K' {
		return fmt.Errorf("receiver said %q", ack[0])
	}
	return nil
}

// rawSendPath sends a file as its basename, a directory as basename/...
func rawSendPath(bw *bufio.Writer, root string, hash bool) error {
	root = filepath.Clean(root)
	base := filepath.Base(root)
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		return rawSendFile(bw, path.Join(base, filepath.ToSlash(rel)), p, hash)
	})
}

func rawSendFile(bw *bufio.Writer, name, p string, hash bool) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	hdr := make([]byte, 0, 14+len(name))
	hdr = binary.BigEndian.AppendUint16(hdr, uint16(len(name)))
	hdr = append(hdr, name...)
	hdr = binary.BigEndian.AppendUint64(hdr, uint64(fi.Size()))
	hdr = binary.BigEndian.AppendUint32(hdr, uint32(fi.Mode().Perm()))
	if _, err := bw.Write(hdr); err != nil {
		return err
	}
	if !hash {
		// bufio hands the body to the socket's ReadFrom: sendfile(2).
		_, err = io.CopyN(bw, f, fi.Size())
		return err
	}
	h := blake3.New()
	if _, err := io.CopyN(bw, io.TeeReader(f, h), fi.Size()); err != nil {
		return err
	}
	_, err = bw.Write(h.Sum(nil))
	return err
}

// rawRecvMain is "bench rawrecv [-hash] -listen ADDR -d DIR": it prints the
// address it listens on, takes one connection and exits.
func rawRecvMain(args []string) error {
	fl := flag.NewFlagSet("rawrecv", flag.ContinueOnError)
	hash := fl.Bool("hash", false, "check a BLAKE3 after each file")
	listen := fl.String("listen", "127.0.0.1:0", "address to listen on")
	dir := fl.String("d", "", "directory to write into")
	if err := fl.Parse(args); err != nil {
		return err
	}
	root, err := os.OpenRoot(*dir)
	if err != nil {
		return err
	}
	defer root.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Println(ln.Addr())
	conn, err := ln.Accept()
	ln.Close()
	if err != nil {
		return err
	}
	defer conn.Close()
	r := &rawReceiver{root: root, hash: *hash, br: bufio.NewReaderSize(conn, rawBufSize),
		buf: make([]byte, rawBufSize), dirs: map[string]bool{".": true}}
	if err := r.receiveAll(); err != nil {
		return err
	}
	_, err = conn.Write([]byte{'K'})
	return err
}

type rawReceiver struct {
	root *os.Root
	hash bool
	br   *bufio.Reader
	buf  []byte
	dirs map[string]bool
}

func (r *rawReceiver) receiveAll() error {
	for {
		var n [2]byte
		if _, err := io.ReadFull(r.br, n[:]); err != nil {
			return err
		}
		if binary.BigEndian.Uint16(n[:]) == 0 {
			return nil
		}
		hdr := make([]byte, int(binary.BigEndian.Uint16(n[:]))+12)
		if _, err := io.ReadFull(r.br, hdr); err != nil {
			return err
		}
		name := string(hdr[:len(hdr)-12])
		size := int64(binary.BigEndian.Uint64(hdr[len(hdr)-12:]))
		mode := fs.FileMode(binary.BigEndian.Uint32(hdr[len(hdr)-4:])).Perm()
		if err := r.receiveFile(name, size, mode); err != nil {
			return fmt.Errorf("%q: %w", name, err)
		}
	}
}

// writerOnly hides *os.File's ReadFrom so that io.CopyBuffer uses our buffer.
type writerOnly struct{ io.Writer }

func (r *rawReceiver) receiveFile(name string, size int64, mode fs.FileMode) error {
	if !filepath.IsLocal(name) {
		return errors.New("name not local")
	}
	if d := path.Dir(name); !r.dirs[d] {
		if err := r.root.MkdirAll(d, 0o755); err != nil {
			return err
		}
		r.dirs[d] = true
	}
	f, err := r.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	defer f.Close()
	var w io.Writer = f
	h := blake3.New()
	if r.hash {
		w = io.MultiWriter(f, h)
	}
	n, err := io.CopyBuffer(writerOnly{w}, io.LimitReader(r.br, size), r.buf)
	if err != nil {
		return err
	}
	if n != size {
		return io.ErrUnexpectedEOF
	}
	if r.hash {
		var sum [32]byte
		if _, err := io.ReadFull(r.br, sum[:]); err != nil {
			return err
		}
		if !bytes.Equal(sum[:], h.Sum(nil)) {
			return errors.New("checksum mismatch")
		}
	}
	return f.Close()
}
