package protocol_test

import (
	"bytes"
	"io"
	"testing"

	"github.com/ft-team/ft/protocol"
)

const (
	benchBody  = 64 << 20 // one 64 MiB file
	benchChunk = 1 << 20  // written and read 1 MiB at a time
)

func BenchmarkWriter(b *testing.B) {
	chunk := body(benchChunk, 1)
	h := fileHeader("big.bin", benchBody)
	b.SetBytes(benchBody)
	for b.Loop() {
		w := protocol.NewWriter(io.Discard)
		if err := w.WriteHeader(h); err != nil {
			b.Fatal(err)
		}
		for range benchBody / benchChunk {
			if _, err := w.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	var stream bytes.Buffer
	stream.Grow(benchBody + 1024)
	encode(b, &stream, []testEntry{fileEntry("big.bin", body(benchBody, 1))})
	data := stream.Bytes()
	buf := make([]byte, benchChunk)
	b.SetBytes(benchBody)
	for b.Loop() {
		rd := protocol.NewReader(bytes.NewReader(data))
		if _, err := rd.Next(); err != nil {
			b.Fatal(err)
		}
		for {
			_, err := rd.Read(buf)
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
	}
}
