package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const serviceUnit = "contrib/ft-receive.service"

// TestServiceUnitSettings: the unit runs the receive the README documents,
// with flags that ft receive has, under the sandbox it promises.
func TestServiceUnitSettings(t *testing.T) {
	b, err := os.ReadFile(serviceUnit)
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	for _, want := range []string{
		"\nExecStart=/usr/local/bin/ft receive -d /var/lib/ft/inbox -p 9000 --secret %d/secret\n",
		"\nLoadCredential=secret:/etc/ft/secret\n",
		"\nUser=ft\n", "\nStateDirectory=ft ft/inbox\n", "\nReadWritePaths=/var/lib/ft/inbox\n",
		"\nNoNewPrivileges=yes\n", "\nProtectSystem=strict\n", "\nProtectHome=yes\n", "\nPrivateTmp=yes\n",
		"\nPrivateDevices=yes\n", "\nCapabilityBoundingSet=\n", "\nSystemCallFilter=@system-service\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("%s lacks %q", serviceUnit, strings.TrimSpace(want))
		}
	}
	receive := newApp(nil, nil).Command("receive")
	known := valueFlags(receive.Flags)
	for _, line := range strings.Split(unit, "\n") {
		cmd, ok := strings.CutPrefix(strings.TrimLeft(line, "# "), "ExecStart=/usr/local/bin/ft receive ")
		if !ok {
			continue
		}
		for _, arg := range strings.Fields(cmd) {
			if strings.HasPrefix(arg, "-") && !known[strings.TrimLeft(arg, "-")] {
				t.Errorf("%s: ft receive has no flag %s taking a value", serviceUnit, arg)
			}
		}
	}
}

// TestServiceUnitVerifies runs systemd-analyze verify on the unit, with
// ExecStart pointing at the ft just built (verify wants the binary to
// exist). Any message, even a warning it exits 0 with, fails the test.
func TestServiceUnitVerifies(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: the unit is not verified")
	}
	b, err := os.ReadFile(serviceUnit)
	if err != nil {
		t.Fatal(err)
	}
	unit := filepath.Join(t.TempDir(), filepath.Base(serviceUnit))
	writeFile(t, unit, []byte(strings.ReplaceAll(string(b), "/usr/local/bin/ft ", ftBin+" ")), 0o644)
	out, err := exec.Command(analyze, "verify", "--man=no", unit).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", serviceUnit, err, out)
	}
}
