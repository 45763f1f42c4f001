package vectors

// Codes, spelled out as in PROTOCOL.md.
const (
	codeOK       = 0
	codeExists   = 2
	codeChecksum = 6
	codeAborted  = 9
	codeProtocol = 16
	codeVersion  = 17
	codeBusy     = 18
)

func rv(name, err, desc string, s *stream, accept *Accept, replies ...Reply) Vector {
	return Vector{Name: name, Stream: Receiver, Description: desc, Data: s.b,
		Offered: hello1, Accept: accept, Replies: replies, Error: err}
}

func verdict(i uint64, code uint8, msg string) Reply {
	return Reply{Verdict: &Verdict{Index: i, Code: code, Message: msg}}
}

func summary(entries, committed, failed, bytes uint64) Reply {
	return Reply{Summary: &Summary{entries, committed, failed, bytes}}
}

// receiverVectors returns receiver streams, read with ReadAccept and a
// ReplyReader by a sender that offered version 1 and no capabilities.
func receiverVectors() []Vector {
	s := newStream
	const exists = `"a.txt": a different file exists`
	remote := func(v Vector, code uint8, msg string) Vector {
		v.Remote = &Remote{Code: code, Message: msg}
		return v
	}
	return []Vector{
		rv("reply-ok", "", "verdicts out of order (2, 0, 1), one of them a refusal, then the summary",
			s().accept(1, 0).verdict(2, codeOK, "").verdict(0, codeExists, exists).verdict(1, codeChecksum, "").summary(3, 1, 2, 13),
			accept1, verdict(2, codeOK, ""), verdict(0, codeExists, exists), verdict(1, codeChecksum, ""), summary(3, 1, 2, 13)),
		rv("reply-aborted", "", "a verdict of code 9 (aborted by the sender) for entry 0 and ok for entry 1, then the summary",
			s().accept(1, 0).verdict(0, codeAborted, "aborted by the sender").verdict(1, codeOK, "").summary(2, 1, 1, 4),
			accept1, verdict(0, codeAborted, "aborted by the sender"), verdict(1, codeOK, ""), summary(2, 1, 1, 4)),
		rv("reply-unknown-codes", "", "verdicts of codes 10, 15, 16 and 255, which read fine; a sender counts each as a refusal (section 7)",
			s().accept(1, 0).verdict(0, 10, "").verdict(1, 15, "").verdict(2, 16, "").verdict(3, 255, "").summary(4, 0, 4, 0),
			accept1, verdict(0, 10, ""), verdict(1, 15, ""), verdict(2, 16, ""), verdict(3, 255, ""), summary(4, 0, 4, 0)),
		rv("reply-empty-transfer", "", "the summary of a transfer of no entries",
			s().accept(1, 0).summary(0, 0, 0, 0), accept1, summary(0, 0, 0, 0)),
		remote(rv("reply-busy", "RemoteError", "an error frame (busy) instead of the accept",
			s().errorFrame(codeBusy, "too many connections"), nil), codeBusy, "too many connections"),
		remote(rv("reply-version", "RemoteError", "an error frame (version) instead of the accept",
			s().errorFrame(codeVersion, "peer speaks 2-3, we speak 1-1"), nil), codeVersion, "peer speaks 2-3, we speak 1-1"),
		remote(rv("reply-fatal-midway", "RemoteError", "one verdict, then an error frame (protocol error) and the end",
			s().accept(1, 0).verdict(0, codeOK, "").errorFrame(codeProtocol, "malformed frame"),
			accept1, verdict(0, codeOK, "")), codeProtocol, "malformed frame"),
		rv("reply-no-summary", "ErrTruncated", "one verdict, then the end of the stream",
			s().accept(1, 0).verdict(0, codeOK, ""), accept1, verdict(0, codeOK, "")),
		rv("reply-nothing", "ErrTruncated", "the receiver closes without a byte", s(), nil),
		rv("reply-accept-short", "ErrTruncated", "the magic and 3 of the 10 bytes after it",
			s().raw(magic+"\x00\x01\x00"), nil),
		rv("reply-http", "ErrBadMagic", "an HTTP server's answer", s().raw("HTTP/1.1 400 Bad Request\r\n\r\n"), nil),
		rv("reply-accept-version-2", "ErrVersion", "the receiver picks version 2, which was not offered",
			s().accept(2, 0).summary(0, 0, 0, 0), nil),
		rv("reply-accept-caps", "ErrFrame", "the receiver grants capability bit 0, which was not asked for",
			s().accept(1, 1).summary(0, 0, 0, 0), nil),
		rv("reply-len-ffffffff", "ErrTooLong", "a verdict frame whose payload length is 0xFFFFFFFF",
			s().accept(1, 0).u8(typeVerdict).u32(0xFFFFFFFF), accept1),
		rv("reply-message-ffff", "ErrTooLong", "a verdict whose message length is 0xFFFF",
			s().accept(1, 0).frame(typeVerdict, []byte{0, 0, 0, 0, 0, 0, 0, 0, codeOK, 0xff, 0xff}), accept1),
		rv("reply-message-beyond-frame", "ErrFrame", "a verdict whose message length (5) overruns its frame",
			s().accept(1, 0).frame(typeVerdict, []byte{0, 0, 0, 0, 0, 0, 0, 0, codeOK, 0, 5, 'a'}), accept1),
		rv("reply-verdict-short", "ErrFrame", "a verdict frame of 10 bytes",
			s().accept(1, 0).frame(typeVerdict, make([]byte, 10)), accept1),
		rv("reply-summary-short", "ErrFrame", "a summary frame of 31 bytes",
			s().accept(1, 0).frame(typeSummary, make([]byte, 31)), accept1),
		rv("reply-error-short", "ErrFrame", "an error frame of 2 bytes",
			s().accept(1, 0).frame(typeError, []byte{codeProtocol, 0}), accept1),
		rv("reply-summary-failed-wrong", "ErrFrame", "a summary of 3 entries, 1 committed and 1 failed: failed must be entries - committed",
			s().accept(1, 0).verdict(0, codeOK, "").summary(3, 1, 1, 0), accept1, verdict(0, codeOK, "")),
		rv("reply-summary-committed-over", "ErrFrame", "a summary of 1 entry, 2 committed and 2^64-1 failed (entries - committed wrapped around)",
			s().accept(1, 0).summary(1, 2, 1<<64-1, 0), accept1),
		rv("reply-unknown-type", "ErrFrame", "a frame of type 0x83, not defined in version 1",
			s().accept(1, 0).frame(0x83, nil), accept1),
		rv("reply-sender-type", "ErrFrame", "an end frame (0x0f) from the receiver",
			s().accept(1, 0).end(0), accept1),
	}
}

// exampleVectors are the worked example of PROTOCOL.md, both directions.
// The test checks that the document's hex dump equals them byte for byte.
func exampleVectors() []Vector {
	send := newStream().hello1().dir("d").file("d/hi.txt", "hi\n").end(2)
	reply := newStream().accept(1, 0).verdict(1, codeOK, "").verdict(0, codeOK, "").summary(2, 2, 0, 3)
	return []Vector{
		ok("example-sender", "PROTOCOL.md's worked example, sender to receiver: a dir and a 3-byte file in it",
			send, dirOK("d"), fileOK("d/hi.txt", "hi\n")),
		rv("example-receiver", "", "PROTOCOL.md's worked example, receiver to sender: verdicts for entries 1 and 0, then the summary",
			reply, accept1, verdict(1, codeOK, ""), verdict(0, codeOK, ""), summary(2, 2, 0, 3)),
	}
}
