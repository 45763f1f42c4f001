package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"time"

	"github.com/ft-team/ft/protocol"
	"github.com/ft-team/ft/send"
)

// jsonSchema is the "v" of every JSON line (README, "JSON lines"): fields
// are added, never renamed or removed, without changing it.
const jsonSchema = 1

// progressEvery is the shortest time between two progress events.
const progressEvery = 250 * time.Millisecond

// jsonHead starts every JSON line.
type jsonHead struct {
	V    int    `json:"v"`
	Type string `json:"type"`
	Time string `json:"time"` // RFC 3339, UTC, nanoseconds
}

type startEvent struct {
	jsonHead
	Role     string `json:"role"`
	Peer     string `json:"peer"`
	Version  string `json:"ft_version"`
	Protocol int    `json:"protocol"`
	Auth     string `json:"auth"` // none, secret or key
}

type planEvent struct {
	jsonHead
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

type progressEvent struct {
	jsonHead
	Bytes     int64    `json:"bytes"`
	Total     int64    `json:"total_bytes"` // -1 while the walk still counts
	FilesDone int      `json:"files_done"`
	Files     int      `json:"total_files"` // -1 while the walk still counts
	Rate      float64  `json:"rate_bps"`
	ETA       *float64 `json:"eta_s,omitempty"`
}

type fileEvent struct {
	jsonHead
	Name     string `json:"name"`
	Kind     string `json:"kind"` // file, dir, symlink; "" for an entry left out
	Size     int64  `json:"size"`
	BLAKE3   string `json:"blake3,omitempty"`
	Verdict  string `json:"verdict"` // ok, unchanged, refused, mismatch, failed, left_out
	Code     int    `json:"code"`
	CodeName string `json:"code_name"`
	Message  string `json:"message,omitempty"`
}

type errorEvent struct {
	jsonHead
	Code     string `json:"code"`
	ExitCode int    `json:"exit_code"`
	Message  string `json:"message"`
}

type summaryEvent struct {
	jsonHead
	Entries   int     `json:"entries"`
	Files     int     `json:"files"`
	Committed int     `json:"committed"`
	Unchanged int     `json:"unchanged"`
	Failed    int     `json:"failed"`
	Excluded  int     `json:"excluded"`
	LeftOut   int     `json:"left_out"`
	Bytes     int64   `json:"bytes"`
	Saved     int64   `json:"saved_bytes"`
	Resumed   int     `json:"resumed"`
	Seconds   float64 `json:"duration_s"`
	ExitCode  int     `json:"exit_code"`
}

// jsonEvents writes the JSON lines of "ft send --json", one Write per
// line. As a send.Progress and OnEntry it is called from one goroutine.
type jsonEvents struct {
	enc   *json.Encoder
	start time.Time
	last  time.Time // of the last progress event
	total int64     // -1 until the plan
	files int       // -1 until the plan
	bytes int64
	begun int // files whose bytes were started
}

func newJSONEvents(w io.Writer) *jsonEvents {
	return &jsonEvents{enc: json.NewEncoder(w), start: time.Now(), total: -1, files: -1}
}

func head(typ string) jsonHead {
	return jsonHead{V: jsonSchema, Type: typ, Time: time.Now().UTC().Format(time.RFC3339Nano)}
}

// emit writes one line; a stdout that cannot be written is not the
// transfer's failure.
func (j *jsonEvents) emit(v any) { _ = j.enc.Encode(v) }

// begin writes the start event of a send.
func (j *jsonEvents) begin(opts send.Options) {
	ev := startEvent{jsonHead: head("start"), Role: "send", Peer: opts.Addr, Version: buildVersionNow(),
		Protocol: 2, Auth: "secret"}
	switch {
	case opts.Insecure:
		ev.Protocol, ev.Auth = 1, "none"
	case opts.KeyFile != "" || opts.Peer != "":
		ev.Auth = "key"
	}
	j.emit(ev)
}

// Start implements send.Progress: the plan.
func (j *jsonEvents) Start(total int64, files int) {
	j.total, j.files = total, files
	j.emit(planEvent{jsonHead: head("plan"), Files: files, Bytes: total})
}

// StartFile implements send.Progress.
func (j *jsonEvents) StartFile(string, int64) { j.begun++ }

// Add implements send.Progress: a progress event at most every
// progressEvery.
func (j *jsonEvents) Add(n int64) {
	j.bytes += n
	now := time.Now()
	if now.Sub(j.last) < progressEvery {
		return
	}
	j.last = now
	ev := progressEvent{jsonHead: head("progress"), Bytes: j.bytes, Total: j.total, FilesDone: max(j.begun-1, 0), Files: j.files}
	if secs := now.Sub(j.start).Seconds(); secs > 0 {
		ev.Rate = float64(j.bytes) / secs
	}
	if ev.Rate > 0 && j.total >= j.bytes {
		eta := float64(j.total-j.bytes) / ev.Rate
		ev.ETA = &eta
	}
	j.emit(ev)
}

// entry is send.Options.OnEntry: a file event.
func (j *jsonEvents) entry(o send.Outcome) {
	ev := fileEvent{jsonHead: head("file"), Name: o.Name, Kind: kindName(o.Kind), Size: o.Size,
		Code: int(o.Code), CodeName: o.Code.String(), Verdict: verdictName(o)}
	if o.Sum != [protocol.HashSize]byte{} {
		ev.BLAKE3 = hex.EncodeToString(o.Sum[:])
	}
	if o.Err != nil {
		ev.Message = o.Err.Error()
	}
	j.emit(ev)
}

// end writes what is left once send.Run has returned: the entries left
// out, the error if any, and the summary, always last.
func (j *jsonEvents) end(ctx context.Context, res *send.Result, err error) {
	for _, f := range res.Skipped {
		j.emit(fileEvent{jsonHead: head("file"), Name: f.Name, Verdict: "left_out", CodeName: protocol.CodeOK.String(), Message: f.Err.Error()})
	}
	code := exitFor(ctx, err)
	if err != nil {
		msg := err.Error()
		if code == exitInterrupted {
			msg = "interrupted"
		}
		j.emit(errorEvent{jsonHead: head("error"), Code: errorName(code, err), ExitCode: code, Message: oneLine(msg)})
	}
	j.emit(summaryEvent{jsonHead: head("summary"), Entries: res.Entries, Files: res.Files, Committed: res.Committed,
		Unchanged: res.Unchanged, Failed: res.FailedCount(), Excluded: res.Excluded, LeftOut: res.SkippedCount,
		Bytes: res.Bytes, Saved: res.Saved, Resumed: res.Resumed, Seconds: time.Since(j.start).Seconds(), ExitCode: code})
}

func kindName(k protocol.Kind) string {
	switch k {
	case protocol.KindFile:
		return "file"
	case protocol.KindDir:
		return "dir"
	case protocol.KindSymlink:
		return "symlink"
	}
	return ""
}

func verdictName(o send.Outcome) string {
	switch {
	case o.Err == nil && o.Code == protocol.CodeUnchanged:
		return "unchanged"
	case o.Err == nil:
		return "ok"
	case o.Code == protocol.CodeOK:
		return "failed" // at the sender: could not be read, or changed
	case o.Code == protocol.CodeChecksum:
		return "mismatch"
	}
	return "refused"
}

// errorName is the stable name of an error event's code: what the exit
// code means, with "connect" and "connection_lost" told apart.
func errorName(code int, err error) string {
	switch {
	case code == exitNetwork && errors.Is(err, send.ErrConnect):
		return "connect"
	case code == exitNetwork:
		return "connection_lost"
	}
	names := map[int]string{exitUsage: "usage", exitRefused: "refused", exitIntegrity: "integrity",
		exitSource: "source", exitAuth: "auth", exitPartial: "partial", exitInterrupted: "interrupted"}
	if n, ok := names[code]; ok {
		return n
	}
	return "error"
}
