package vectors

import (
	"fmt"
	"strings"
)

// senderOK returns sender streams that a correct reader reads to their end.
func senderOK() []Vector {
	many, manyEntries := manyEntries()
	return []Vector{
		ok("empty", "no entries: hello and an end frame counting 0",
			newStream().hello1().end(0)),
		ok("one-file", "one 13-byte file",
			newStream().hello1().file("hello.txt", "hello, world\n").end(1),
			fileOK("hello.txt", "hello, world\n")),
		ok("empty-file", "a file of size 0: no body, only the trailer (BLAKE3 of nothing); mode 0600, mtime 0 (unknown)",
			emptyFile(),
			Entry{Kind: "file", Name: "empty", Mode: 0o600, Body: "ok", BLAKE3: sum("")}),
		ok("dir-file-symlink", "a directory, a file in it and a relative symlink next to the file",
			newStream().hello1().dir("docs").file("docs/readme.md", "# ft\n").
				symlink("docs/latest", "readme.md").end(3),
			dirOK("docs"), fileOK("docs/readme.md", "# ft\n"), symlinkOK("docs/latest", "readme.md")),
		ok("many-entries", "3 directories of 20 small files each: 63 entries, one end frame counting 63",
			many, manyEntries...),
		ok("symlink-up-inside", "symlinks whose leading .. components stay inside the root",
			newStream().hello1().symlink("a/b/l", "../../x/y").symlink("a/l", "../x").
				symlink("a/self", ".").end(3),
			symlinkOK("a/b/l", "../../x/y"), symlinkOK("a/l", "../x"), symlinkOK("a/self", ".")),
		ok("duplicate-name", "the same name twice is legal on the wire; refusing the second is the receiver's policy",
			newStream().hello1().file("a", "1").file("a", "2").end(2),
			fileOK("a", "1"), fileOK("a", "2")),
		ok("hello-wide", "a sender speaking versions 1-9 and asking for every capability: version 1, no capabilities",
			newStream().hello(1, 9, 1<<64-1).end(0)).withHello(Hello{1, 9, 1<<64 - 1}),
		ok("modes-and-times", "modes 0 and 0777, an mtime before 1970 and one of 0 (unknown)",
			modesAndTimes(), modesAndTimesEntries()...),
		wrongHash(),
		aborted(),
	}
}

func (v Vector) withHello(h Hello) Vector {
	v.Hello = &h
	return v
}

func emptyFile() *stream {
	return newStream().hello1().frame(typeFile, entry("empty", 0o600, 0, 0, "")).trailer("").end(1)
}

func manyEntries() (*stream, []Entry) {
	s := newStream().hello1()
	var es []Entry
	for d := range 3 {
		dir := fmt.Sprintf("d%d", d)
		s.dir(dir)
		es = append(es, dirOK(dir))
		for f := range 20 {
			name := fmt.Sprintf("%s/f%02d.txt", dir, f)
			body := strings.Repeat(fmt.Sprintf("%d/%d\n", d, f), f)
			s.file(name, body)
			es = append(es, fileOK(name, body))
		}
	}
	s.end(uint64(len(es)))
	return s, es
}

func modesAndTimes() *stream {
	s := newStream().hello1()
	s.frame(typeFile, entry("m0", 0, -1, 1, "")).raw("x").trailer("x")
	s.frame(typeFile, entry("m777", 0o777, 0, 1, "")).raw("y").trailer("y")
	s.frame(typeDir, entry("d700", 0o700, mtime, 0, ""))
	return s.end(3)
}

func modesAndTimesEntries() []Entry {
	return []Entry{
		{Kind: "file", Name: "m0", Mode: 0, MTime: -1, Size: 1, Body: "ok", BLAKE3: sum("x")},
		{Kind: "file", Name: "m777", Mode: 0o777, MTime: 0, Size: 1, Body: "ok", BLAKE3: sum("y")},
		{Kind: "dir", Name: "d700", Mode: 0o700, MTime: mtime},
	}
}

// wrongHash has a file whose trailer is off by one bit, then a good file:
// the mismatch is reported for the first and the stream goes on.
func wrongHash() Vector {
	s := newStream().hello1().frame(typeFile, entry("bad", modeFile, mtime, 5, "")).raw("hello").trailer("hello")
	s.b[len(s.b)-1] ^= 1
	s.file("good", "world").end(2)
	bad := fileOK("bad", "hello")
	bad.Body = "ErrChecksum"
	return ok("wrong-hash", "the first file's trailer has one bit flipped: ErrChecksum for it, the second reads fine",
		s, bad, fileOK("good", "world"))
}

// aborted is what Writer.Abort produces: the body padded with zeros and
// the bitwise complement of its hash, padding included.
func aborted() Vector {
	body := "abcd\x00\x00\x00\x00\x00\x00"
	s := newStream().hello1().frame(typeFile, entry("partial", modeFile, mtime, 10, "")).raw(body).abortTrailer(body)
	s.file("next", "fine").end(2)
	e := fileOK("partial", body)
	e.Body = "ErrAborted"
	return ok("aborted", "an aborted file (4 bytes, then zero padding to its size of 10, then the complemented hash), then a good one",
		s, e, fileOK("next", "fine"))
}

// abortVectors pin down what an abort is: the complement of the hash of
// every body byte sent, padding included, whatever the size.
func abortVectors() []Vector {
	s := newStream
	whole := fileOK("whole", "all of it")
	whole.Body = "ErrAborted"
	empty := fileOK("empty", "")
	empty.Body = "ErrAborted"
	prefix := fileOK("partial", "abcd\x00\x00\x00\x00\x00\x00")
	prefix.Body = "ErrChecksum"
	return []Vector{
		ok("aborted-whole-body", "a file aborted after its whole body was sent (the source changed after it was read)",
			s().hello1().file("a", "1").frame(typeFile, entry("whole", modeFile, mtime, 9, "")).
				raw("all of it").abortTrailer("all of it").end(2), fileOK("a", "1"), whole),
		ok("aborted-empty", "a file of size 0 aborted: the complement of the BLAKE3 of nothing",
			s().hello1().frame(typeFile, entry("empty", modeFile, mtime, 0, "")).abortTrailer("").end(1), empty),
		ok("aborted-prefix-hash", "4 bytes, zero padding to 10, and the complement of the hash of the 4 bytes only: not an abort (the padding is hashed), a checksum mismatch",
			s().hello1().frame(typeFile, entry("partial", modeFile, mtime, 10, "")).
				raw("abcd\x00\x00\x00\x00\x00\x00").abortTrailer("abcd").end(1), prefix),
	}
}

// senderHello returns streams that fail in or right after the hello.
func senderHello() []Vector {
	h := func(name, err, desc string, s *stream, hello *Hello) Vector {
		return Vector{Name: name, Stream: Sender, Description: desc, Data: s.b, Hello: hello, Error: err}
	}
	raw := func(s string) *stream { return newStream().raw(s) }
	return []Vector{
		h("nothing", "ErrTruncated", "the peer closes without sending a byte", raw(""), nil),
		h("garbage", "ErrBadMagic", "random bytes instead of the magic",
			raw("\x3f\xa1\x07\x00\xde\xad\xbe\xef garbage garbage garbage"), nil),
		h("http-get", "ErrBadMagic", "an HTTP client",
			raw("GET / HTTP/1.1\r\nHost: localhost:9000\r\nUser-Agent: curl/8.5.0\r\n\r\n"), nil),
		h("tls-client-hello", "ErrBadMagic", "the start of a TLS ClientHello",
			raw("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"), nil),
		h("ssh-banner", "ErrBadMagic", "an SSH client", raw("SSH-2.0-OpenSSH_9.6\r\n"), nil),
		h("magic-lf-only", "ErrBadMagic", "the magic after a text-mode CR LF -> LF conversion",
			raw("\x89FTX\n\x1a\n\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"), nil),
		h("magic-last-byte", "ErrBadMagic", "the magic with its last byte wrong",
			raw("\x89FTX\r\n\x1a\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00"), nil),
		h("magic-prefix-eof", "ErrTruncated", "the first 3 bytes of the magic, then the end of the stream",
			raw("\x89FT"), nil),
		h("hello-short", "ErrTruncated", "the magic and 3 of the 12 bytes that follow it",
			raw(magic+"\x00\x01\x00"), nil),
		h("hello-inverted", "ErrFrame", "min_version 2 above max_version 1",
			newStream().hello(2, 1, 0).end(0), nil),
		h("hello-future", "ErrVersion", "a sender speaking only versions 2-3 (ReadHello succeeds, Negotiate fails)",
			newStream().hello(2, 3, 0), &Hello{2, 3, 0}),
		h("hello-version-0", "ErrVersion", "a sender speaking only version 0",
			newStream().hello(0, 0, 0), &Hello{0, 0, 0}),
	}
}
