package vectors

import "strings"

// senderFraming returns streams broken at the frame level: truncations,
// impossible lengths, unknown types, a wrong end frame.
func senderFraming() []Vector {
	s := newStream
	one := fileOK("a", "abc")
	return []Vector{
		fails("missing-end", "ErrTruncated", "a complete file, then the end of the stream instead of an end frame",
			s().hello1().file("a", "abc"), one),
		fails("end-count-high", "ErrFrame", "the end frame counts 5 entries, 1 was sent",
			s().hello1().file("a", "abc").end(5), one),
		fails("end-count-low", "ErrFrame", "the end frame counts 1 entry, 2 were sent",
			s().hello1().file("a", "abc").dir("d").end(1), one, dirOK("d")),
		fails("end-frame-short", "ErrFrame", "an end frame with a 4-byte payload",
			s().hello1().frame(typeEnd, []byte{0, 0, 0, 0})),
		truncatedBody(),
		fails("no-trailer", "ErrTruncated", "a whole body, then the end of the stream before the trailer",
			s().hello1().frame(typeFile, entry("a", modeFile, mtime, 3, "")).raw("abc"), incomplete(one)),
		fails("truncated-trailer", "ErrTruncated", "a whole body and 10 of the 32 trailer bytes",
			s().hello1().frame(typeFile, entry("a", modeFile, mtime, 3, "")).raw("abc").raw(string(sumBytes("abc")[:10])),
			incomplete(one)),
		fails("truncated-frame-header", "ErrTruncated", "3 of the 5 bytes of a frame header",
			s().hello1().raw("\x01\x00\x00")),
		fails("truncated-frame-payload", "ErrTruncated", "a frame header announcing 28 bytes, then 10 of them",
			s().hello1().u8(typeFile).u32(28).raw(string(entry("abcd", modeFile, mtime, 0, "")[:10]))),
		fails("frame-len-ffffffff", "ErrTooLong", "a file frame whose payload length is 0xFFFFFFFF (nothing is allocated)",
			s().hello1().u8(typeFile).u32(0xFFFFFFFF)),
		fails("frame-len-16385", "ErrTooLong", "a frame payload length of 16385, one over the limit",
			s().hello1().u8(typeFile).u32(16385)),
		fails("frame-len-16384-zeros", "ErrFrame", "a file frame of exactly 16384 zero bytes: read, then refused as an entry that does not add up",
			s().hello1().frame(typeFile, make([]byte, 16384))),
		fails("unknown-frame-type", "ErrFrame", "frame type 0x04, not defined in version 1",
			s().hello1().frame(0x04, nil).end(0)),
		fails("frame-type-0", "ErrFrame", "frame type 0x00",
			s().hello1().frame(0x00, []byte{0}).end(0)),
		fails("reply-type-from-sender", "ErrFrame", "a verdict frame (0x81) in a sender stream",
			s().hello1().verdict(0, 0, "").end(0)),
		longerBody(),
	}
}

func sumBytes(body string) []byte {
	var s stream
	return s.trailer(body).b
}

func incomplete(e Entry) Entry {
	e.Body, e.BLAKE3 = "incomplete", ""
	return e
}

func truncatedBody() Vector {
	body := strings.Repeat("x", 40)
	s := newStream().hello1().frame(typeFile, entry("big", modeFile, mtime, 100, "")).raw(body)
	e := fileOK("big", body)
	e.Size = 100
	return fails("truncated-body", "ErrTruncated",
		"a file of size 100 with 40 body bytes, then the end of the stream (what a killed sender looks like)",
		s, incomplete(e))
}

// longerBody: the sender sends 12 body bytes for a declared size of 4,
// then the hash of the 12 bytes and an end frame. The reader takes 4 bytes
// as the body and the next 32 as the trailer (mismatch), then reads the
// last 8 bytes of the hash as a frame header: type 0x5e, length
// 0xc924490f, over the limit.
func longerBody() Vector {
	s := newStream().hello1().frame(typeFile, entry("a", modeFile, mtime, 4, "")).
		raw("abcdefghijkl").trailer("abcdefghijkl").end(1)
	e := fileOK("a", "abcd")
	e.Body = "ErrChecksum"
	return fails("body-longer-than-size", "ErrTooLong",
		"12 body bytes for a size of 4: ErrChecksum for the file, then hash bytes misread as a frame header",
		s, e)
}

// senderEntries returns streams whose frames are whole but whose entry
// fields break the rules.
func senderEntries() []Vector {
	s := newStream
	f := func(name string, mode uint32, size uint64, target string) []byte {
		return entry(name, mode, mtime, size, target)
	}
	return []Vector{
		fails("name-len-ffff", "ErrTooLong", "an entry whose name length is 0xFFFF in a 24-byte payload",
			s().hello1().frame(typeFile, append([]byte{0xff, 0xff}, make([]byte, 22)...))),
		fails("name-len-4097", "ErrTooLong", "a name of 4097 bytes (17 components)",
			s().hello1().frame(typeFile, f(longName(4097), modeFile, 0, ""))),
		fails("name-len-beyond-frame", "ErrFrame", "a name length of 100 in a 30-byte payload",
			s().hello1().frame(typeFile, append([]byte{0, 100}, make([]byte, 28)...))),
		fails("entry-short", "ErrFrame", "a file frame with a 10-byte payload",
			s().hello1().frame(typeFile, make([]byte, 10))),
		fails("entry-extra-byte", "ErrFrame", "a valid dir entry followed by one more byte in its frame",
			s().hello1().frame(typeDir, append(f("d", modeDir, 0, ""), 0)).end(1)),
		fails("target-len-ffff", "ErrTooLong", "a symlink whose target length is 0xFFFF",
			s().hello1().frame(typeSymlink, append(f("l", modeLink, 0, "")[:23], 0xff, 0xff))),
		sizeMax(),
		fails("size-2p63", "ErrTooLong", "a file of size 2^63", s().hello1().frame(typeFile, f("a", modeFile, 1<<63, ""))),
		fails("size-2p64-1", "ErrTooLong", "a file of size 2^64-1", s().hello1().frame(typeFile, f("a", modeFile, 1<<64-1, ""))),
		fails("dir-with-size", "ErrFrame", "a dir of size 5", s().hello1().frame(typeDir, f("d", modeDir, 5, ""))),
		fails("symlink-with-size", "ErrFrame", "a symlink of size 1", s().hello1().frame(typeSymlink, f("l", modeLink, 1, "x"))),
		fails("dir-with-target", "ErrFrame", "a dir with a link target", s().hello1().frame(typeDir, f("d", modeDir, 0, "x"))),
		fails("file-with-target", "ErrFrame", "a file with a link target", s().hello1().frame(typeFile, f("a", modeFile, 0, "x"))),
		fails("mode-setuid", "ErrFrame", "mode 04755 (setuid)", s().hello1().frame(typeFile, f("a", 0o4755, 0, ""))),
		fails("mode-sticky", "ErrFrame", "a dir with mode 01777 (sticky)", s().hello1().frame(typeDir, f("d", 0o1777, 0, ""))),
		fails("mode-st-mode", "ErrFrame", "mode 0100644: a raw st_mode with its file-type bits",
			s().hello1().frame(typeFile, f("a", 0o100644, 0, ""))),
	}
}

// sizeMax declares the largest legal size and sends no body: the header is
// accepted (refusing it for lack of space is the receiver's business), and
// the body is found truncated.
func sizeMax() Vector {
	e := incomplete(fileOK("huge", ""))
	e.Size = 1<<63 - 1
	return fails("size-max-no-body", "ErrTruncated", "a file of size 2^63-1 (legal) and no body",
		newStream().hello1().frame(typeFile, entry("huge", modeFile, mtime, 1<<63-1, "")), e)
}

// longName returns a name of n bytes (n > 0): components of 240 bytes
// after a first one of 1 to 241 bytes.
func longName(n int) string {
	k := (n-1)/241 + 1
	name := strings.Repeat("n", n-241*(k-1))
	return name + strings.Repeat("/"+strings.Repeat("n", 240), k-1)
}
