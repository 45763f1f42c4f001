//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/zeebo/blake3"
)

// Network faults between two network namespaces joined by a veth pair:
// connection resets (ss -K, nft reject), a silent blackhole (nft drop) and
// a lossy, rate-limited link (tc tbf plus nft random drop). They need root
// and ip, tc and nft; without them they skip.

const (
	sndIP = "10.77.0.1"
	rcvIP = "10.77.0.2"
)

var netnsSeq atomic.Int64

// netPair is a sender namespace and a receiver namespace, joined by veth.
type netPair struct {
	snd, rcv string // namespace names
	table    string // nft table name, unique to this test process
}

// newNetPair creates the namespaces and removes them when the test ends
// (after the processes in them, whose cleanups run first).
func newNetPair(t *testing.T) *netPair {
	t.Helper()
	if !isRoot() {
		t.Skip("network namespaces need root")
	}
	for _, tool := range []string{"ip", "tc", "nft", "ss"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (CI installs nftables)", tool)
		}
	}
	id := fmt.Sprintf("%d-%d", os.Getpid(), netnsSeq.Add(1))
	n := &netPair{snd: "ft-s-" + id, rcv: "ft-r-" + id, table: fmt.Sprintf("ft_%d", os.Getpid())}
	for _, ns := range []string{n.snd, n.rcv} {
		if out, err := runOut("ip", "netns", "add", ns); err != nil {
			t.Skipf("cannot create a network namespace: %v: %s", err, out)
		}
		t.Cleanup(func() { runOut("ip", "netns", "del", ns) })
	}
	runCmd(t, "ip", "-n", n.snd, "link", "add", "name", "fts0", "type", "veth", "peer", "name", "ftr0", "netns", n.rcv)
	for _, side := range []struct{ ns, dev, ip string }{{n.snd, "fts0", sndIP}, {n.rcv, "ftr0", rcvIP}} {
		runCmd(t, "ip", "-n", side.ns, "addr", "add", side.ip+"/24", "dev", side.dev)
		runCmd(t, "ip", "-n", side.ns, "link", "set", side.dev, "up")
		runCmd(t, "ip", "-n", side.ns, "link", "set", "lo", "up")
	}
	return n
}

// in is the command prefix that runs a program in namespace ns.
func in(ns string) []string { return []string{"ip", "netns", "exec", ns} }

// rate limits the sender's outgoing traffic with a token bucket.
func (n *netPair) rate(t *testing.T, rate string) {
	t.Helper()
	runCmd(t, "ip", "netns", "exec", n.snd, "tc", "qdisc", "add", "dev", "fts0", "root", "tbf",
		"rate", rate, "burst", "32kb", "latency", "100ms")
}

// nft loads an nft script into namespace ns, with TABLE standing for the
// test's table name.
func (n *netPair) nft(t *testing.T, ns, script string) {
	t.Helper()
	cmd := exec.Command("ip", "netns", "exec", ns, "nft", "-f", "-")
	cmd.Stdin = strings.NewReader(strings.ReplaceAll(script, "TABLE", n.table))
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft: %v\n%s\nscript:\n%s", err, out, script)
	}
}

// filter installs a table with input and output chains holding rules.
func (n *netPair) filter(t *testing.T, ns, input, output string) {
	t.Helper()
	n.nft(t, ns, fmt.Sprintf(`table inet TABLE {
	chain in {
		type filter hook input priority 0; policy accept;
		%s
	}
	chain out {
		type filter hook output priority 0; policy accept;
		%s
	}
}
`, input, output))
}

// unfilter removes the table from namespace ns.
func (n *netPair) unfilter(t *testing.T, ns string) {
	t.Helper()
	n.nft(t, ns, "delete table inet TABLE")
}

// netTransfer starts a receiver in the receiver namespace and a sender of
// a size-byte random file in the sender namespace; it returns once the
// receiver is mid-file (or at once, if wait is false).
func netTransfer(t *testing.T, n *netPair, size int, wait bool, rargs, sargs []string) (*receiver, *process, []byte) {
	t.Helper()
	src := t.TempDir()
	content := randomBytes(t, size)
	writeFile(t, filepath.Join(src, "big.bin"), content, 0o644)
	r := startReceiverVia(t, in(n.rcv), t.TempDir(), rcvIP+":0", rargs...)
	args := append(append([]string{"send", "-q"}, sargs...), r.addr, "big.bin")
	s := startFt(t, src, in(n.snd), args...)
	if wait {
		waitFor(t, 30*time.Second, "the receiver to be mid-file", func() bool { return tempBytes(r.dir) >= 1<<20 })
	}
	return r, s, content
}

// sendAcross runs a real sender in the sender namespace and fails unless
// the file lands.
func sendAcross(t *testing.T, n *netPair, r *receiver) {
	t.Helper()
	src := t.TempDir()
	writeFile(t, filepath.Join(src, "after.txt"), []byte("after the fault"), 0o644)
	res := startFt(t, src, in(n.snd), "send", "-q", r.addr, "after.txt").wait(t, time.Minute)
	if res.code != 0 {
		t.Fatalf("the next transfer failed: exit %d: %s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
	}
}

// TestNetnsReset resets a transfer mid-file: with ss -K on the receiver's
// socket (both ends hear it), and with an nft rule answering the sender's
// packets with TCP resets (the receiver hears nothing and relies on its
// idle timeout).
func TestNetnsReset(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault func(t *testing.T, n *netPair, port string)
		log   string
	}{
		{"ss -K", func(t *testing.T, n *netPair, _ string) {
			runCmd(t, "ip", "netns", "exec", n.rcv, "ss", "-K", "dst", sndIP)
		}, "outcome=failed"},
		{"nft reject with tcp reset", func(t *testing.T, n *netPair, port string) {
			n.filter(t, n.rcv, fmt.Sprintf("ip saddr %s tcp dport %s reject with tcp reset", sndIP, port), "")
		}, "timed out"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			n := newNetPair(t)
			n.rate(t, "40mbit")
			idle := []string{"--idle-timeout", "2s"}
			r, s, _ := netTransfer(t, n, bigSize, true, idle, idle)
			port := r.addr[strings.LastIndexByte(r.addr, ':')+1:]
			tc.fault(t, n, port)
			res := s.wait(t, 20*time.Second)
			if res.code != exitNetwork || !containsAny(res.stderr, "connection reset by peer", "broken pipe") {
				t.Errorf("sender: exit %d, want %d with a reset; stderr %q", res.code, exitNetwork, res.stderr)
			}
			assertNoPartial(t, r)
			waitLog(t, r, 0, tc.log)
			if tc.name != "ss -K" {
				n.unfilter(t, n.rcv)
			}
			sendAcross(t, n, r)
		})
	}
}

// TestNetnsBlackhole drops every packet mid-transfer: both ends give up
// within their idle timeouts, the partial file is discarded; a sender
// dialing into the blackhole gives up within its dial timeout.
func TestNetnsBlackhole(t *testing.T) {
	t.Parallel()
	n := newNetPair(t)
	n.rate(t, "40mbit")
	idle := []string{"--idle-timeout", "2s"}
	r, s, _ := netTransfer(t, n, bigSize, true, idle, idle)
	start := time.Now()
	n.filter(t, n.rcv, "meta l4proto tcp drop", "meta l4proto tcp drop")
	res := s.wait(t, 30*time.Second)
	if res.code != exitNetwork || !strings.Contains(res.stderr, "timed out") || !strings.Contains(res.stderr, "ft: hint: ") {
		t.Errorf("sender: exit %d, want %d with \"timed out\" and a hint; stderr %q", res.code, exitNetwork, res.stderr)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the sender took %v to give up, with --idle-timeout 2s", took)
	}
	assertNoPartial(t, r)
	waitLog(t, r, 0, "timed out")

	src := t.TempDir()
	writeFile(t, filepath.Join(src, "x"), []byte("x"), 0o644)
	dial := startFt(t, src, in(n.snd), "send", "--dial-timeout", "1s", r.addr, "x")
	if res := dial.wait(t, 20*time.Second); res.code != exitNetwork || dial.took > 8*time.Second {
		t.Errorf("dialing into a blackhole: exit %d after %v, want %d quickly; stderr %q", res.code, dial.took, exitNetwork, res.stderr)
	}
	n.unfilter(t, n.rcv)
	sendAcross(t, n, r)
}

// TestNetnsLossyLink sends a file over a rate-limited link that drops a
// share of the packets both ways: the transfer completes and verifies.
// 100 MiB at 100 Mbit/s takes about 10 s; FT_LOSSY_MIB changes the size.
func TestNetnsLossyLink(t *testing.T) {
	t.Parallel()
	mib := 100
	if v := os.Getenv("FT_LOSSY_MIB"); v != "" {
		fmt.Sscan(v, &mib)
	}
	n := newNetPair(t)
	n.rate(t, "100mbit")
	n.filter(t, n.rcv, "meta l4proto tcp numgen random mod 100 < 1 drop", "")
	n.filter(t, n.snd, "meta l4proto tcp numgen random mod 100 < 1 drop", "")
	start := time.Now()
	r, s, content := netTransfer(t, n, mib<<20, false, []string{"--idle-timeout", "20s"}, []string{"--idle-timeout", "20s"})
	res := s.wait(t, 3*time.Minute)
	took := time.Since(start)
	if res.code != 0 {
		t.Fatalf("transfer over the lossy link failed: exit %d: %s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
	}
	got, err := os.ReadFile(filepath.Join(r.dir, "big.bin"))
	if err != nil || blake3.Sum256(got) != blake3.Sum256(content) || !bytes.Equal(got, content) {
		t.Fatalf("the received file differs (err %v)", err)
	}
	t.Logf("%d MiB over 100 Mbit/s with 1%% loss each way: %.1f s, %.1f MB/s", mib, took.Seconds(), float64(mib<<20)/took.Seconds()/1e6)
}

// TestNetnsSlowLinkNotIdle: a link slow enough that one socket write of
// the sender's buffer takes longer than the idle timeout still makes
// progress, so the transfer must not time out.
func TestNetnsSlowLinkNotIdle(t *testing.T) {
	t.Parallel()
	n := newNetPair(t)
	n.rate(t, "2mbit") // 250 kB/s: a 1 MiB write takes about 4 s
	idle := []string{"--idle-timeout", "2s"}
	r, s, content := netTransfer(t, n, 3<<20, false, idle, idle)
	res := s.wait(t, time.Minute)
	if res.code != 0 {
		t.Fatalf("slow transfer failed: exit %d: %s\nreceiver:\n%s", res.code, res.stderr, r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(r.dir, "big.bin")); !bytes.Equal(got, content) {
		t.Fatal("the received file differs")
	}
}

// runCmd runs a setup command (ip, tc, nft, mount) and fails on error.
func runCmd(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
