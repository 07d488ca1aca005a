package main

import (
	"github.com/yardstick-dev/yardstick/results"

	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/profiles"
)

// fakeNvidiaSMIOnPath puts an nvidia-smi on PATH that reports one RTX 4090.
func fakeNvidiaSMIOnPath(t *testing.T) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake nvidia-smi is a shell script")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf '%s\\n' '0, GPU-5a9c1f2e, NVIDIA GeForce RTX 4090, 550.54.14, 24564, 1234'\n"
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

// Issue 3: "with a fake nvidia-smi on the PATH it reports that GPU and its table figures".
func TestHWReportsFakeGPUAndTableFigures(t *testing.T) {
	fakeNvidiaSMIOnPath(t)
	o := runCLI(t, nil, "hw")
	if o.code != 0 || o.stderr != "" {
		t.Fatalf("exit %d, stderr %q", o.code, o.stderr)
	}
	for _, want := range []string{
		"gpu 0 NVIDIA GeForce RTX 4090, 24.0 GiB, driver 550.54.14",
		`gpu 0 "NVIDIA GeForce RTX 4090" rtx-4090 1008.0 GB/s 330.3 TFLOP/s`,
		"source: NVIDIA Ada GPU Architecture whitepaper",
		"Profile NVIDIA GeForce RTX 4090 (detected)",
		"bandwidth 1008.0 GB/s device table: rtx-4090",
		"power 450 W device table: rtx-4090 TDP",
	} {
		// Column widths depend on this machine's names: compare with spaces collapsed.
		if !strings.Contains(strings.Join(strings.Fields(o.stdout), " "), want) {
			t.Errorf("output lacks %q:\n%s", want, o.stdout)
		}
	}

	o = runCLI(t, nil, "hw", "--json")
	var rep results.HWReport
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil || o.code != 0 {
		t.Fatalf("exit %d, %v:\n%s", o.code, err, o.stdout)
	}
	if len(rep.Hardware.GPUs) != 1 || rep.Profile.DeviceID != "rtx-4090" || rep.Profile.MemoryBandwidthBytesPerS != 1008e9 || rep.Probe != nil {
		t.Errorf("%+v", rep)
	}
	var gpuMatch *profiles.DeviceMatch
	for i := range rep.Matches {
		if rep.Matches[i].Part == "gpu 0" {
			gpuMatch = &rep.Matches[i]
		}
	}
	if gpuMatch == nil || gpuMatch.Device == nil || gpuMatch.Device.PeakFP16FLOPS != 330.3e12 {
		t.Errorf("matches %+v", rep.Matches)
	}
}

// The probe's figure is this machine's measurement: printed and logged, not compared
// with a constant.
func TestHWProbe(t *testing.T) {
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi: the profile is the CPU's
	o := runCLI(t, nil, "hw", "--probe", "--probe-duration", "200ms", "--json")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	var rep results.HWReport
	if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Probe == nil || rep.Probe.TriadBytesPerS < 1e9 || rep.Probe.CopyBytesPerS < 1e9 {
		t.Fatalf("probe %+v", rep.Probe)
	}
	t.Logf("triad %.1f GB/s, copy %.1f GB/s; profile bandwidth %.1f GB/s from %s",
		rep.Probe.TriadBytesPerS/1e9, rep.Probe.CopyBytesPerS/1e9, rep.Profile.MemoryBandwidthBytesPerS/1e9, rep.Profile.BandwidthSource)
	// A CPU without a table row takes the probe's triad, measured once.
	if rep.Profile.DeviceID == "" && rep.Profile.MemoryBandwidthBytesPerS != rep.Probe.TriadBytesPerS {
		t.Errorf("profile bandwidth %g, probe triad %g", rep.Profile.MemoryBandwidthBytesPerS, rep.Probe.TriadBytesPerS)
	}

	o = runCLI(t, nil, "hw", "--probe", "--probe-duration", "200ms")
	for _, want := range []string{"Bandwidth probe (STREAM triad, ", "  copy   ", "  triad  "} {
		if o.code != 0 || !strings.Contains(o.stdout, want) {
			t.Errorf("exit %d, output lacks %q:\n%s", o.code, want, o.stdout)
		}
	}
}

func TestHWDevicesAndErrors(t *testing.T) {
	o := runCLI(t, nil, "hw", "--devices")
	if o.code != 0 || !strings.Contains(o.stdout, "rtx-4090") || !strings.Contains(o.stdout, "apple-m4-max") || !strings.Contains(o.stdout, "ddr5-4800-12ch") {
		t.Errorf("exit %d:\n%s", o.code, o.stdout)
	}
	o = runCLI(t, nil, "hw", "--devices", "--json")
	var ds []profiles.Device
	if err := json.Unmarshal([]byte(o.stdout), &ds); err != nil || len(ds) != len(profiles.Devices()) {
		t.Errorf("%v, %d rows", err, len(ds))
	}
	// A named profile is shown with its sources; no probe is needed for builtin rows.
	o = runCLI(t, nil, "hw", "--profile", "builtin:mi300x")
	if o.code != 0 || !strings.Contains(o.stdout, "Profile AMD Instinct MI300X (builtin:mi300x)") || !strings.Contains(o.stdout, "5300.0 GB/s") {
		t.Errorf("exit %d stderr %q:\n%s", o.code, o.stderr, o.stdout)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"hw", "extra"}, `hw: unexpected argument "extra"`},
		{[]string{"hw", "--probe-duration", "0s", "--probe"}, "--probe-duration 0s"},
		{[]string{"hw", "--profile", "no-such-profile"}, `profile "no-such-profile" not found`},
	} {
		o := runCLI(t, nil, tc.args...)
		if o.code != 2 || !strings.Contains(o.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q", tc.args, o.code, o.stderr)
		}
	}
}
