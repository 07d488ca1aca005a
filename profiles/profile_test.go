package profiles

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func f64(v float64) *float64 { return &v }

func TestParseProfile(t *testing.T) {
	good := `# comment
name: box
description: a test box
device: rtx-4090
memory_bandwidth_gb_per_s: 900   # overrides the row's 1008
price_per_hour: 0.5
currency: USD
expectations:
  - model: "qwen2.5:0.5b"
    min_server_gen_per_s: 100
    max_ttft_p95: 250ms
  - model: "qwen2.5:*"
    min_decode_efficiency_frac: 0.5
`
	p, err := ParseProfile("box.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "box" || p.DeviceID != "rtx-4090" || p.Currency != "USD" || *p.PricePerHour != 0.5 {
		t.Errorf("%+v", p)
	}
	// The file's bandwidth wins over the device row; FLOP/s and watts come from the row.
	if p.MemoryBandwidthBytesPerS != 900e9 || p.BandwidthSource != "profile file box.yaml" {
		t.Errorf("bandwidth %g from %q", p.MemoryBandwidthBytesPerS, p.BandwidthSource)
	}
	if p.PeakFLOPS != 330.3e12 || !strings.HasPrefix(p.FLOPSSource, "device table: rtx-4090 (") || *p.Watts != 450 {
		t.Errorf("flops %g from %q, watts %v", p.PeakFLOPS, p.FLOPSSource, p.Watts)
	}
	if len(p.Expectations) != 2 || *p.Expectations[0].MaxTTFTP95 != 250*time.Millisecond || p.Expectations[1].MinServerGenPerS != nil {
		t.Errorf("expectations %+v", p.Expectations)
	}

	// The memory gates: a headroom share may be 0 (never below it: the run only must
	// have fit), a predicted error must be a positive fraction.
	p, err = ParseProfile("m.yaml", []byte("expectations:\n  - model: m\n    min_headroom_frac: 0.2\n    max_predicted_error_frac: 0.15\n  - model: n\n    min_headroom_frac: 0\n"))
	if err != nil {
		t.Fatal(err)
	}
	if e := p.Expectations[0]; e.MinHeadroomFrac == nil || *e.MinHeadroomFrac != 0.2 || e.MaxPredictedErrorFrac == nil || *e.MaxPredictedErrorFrac != 0.15 {
		t.Errorf("memory expectation %+v", e)
	}
	if e := p.Expectations[1]; e.MinHeadroomFrac == nil || *e.MinHeadroomFrac != 0 || e.MaxPredictedErrorFrac != nil {
		t.Errorf("headroom-only expectation %+v", e)
	}

	// Minimal: the name defaults to the file stem; figures stay 0 for ResolveProfile.
	p, err = ParseProfile("dir/ci-box.yml", []byte("expectations:\n  - model: m\n    max_ttft_p95: 2s\n"))
	if err != nil || p.Name != "ci-box" || p.MemoryBandwidthBytesPerS != 0 {
		t.Errorf("%+v, %v", p, err)
	}

	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "f.yaml: empty profile file"},
		{"only comment", "# nothing\n", "f.yaml: empty profile file"},
		{"not a mapping", "- a\n- b\n", "f.yaml:1: want a mapping"},
		{"scalar document", "hello\n", "f.yaml:1: want a mapping"},
		{"syntax error", "name: a\n  bad: [\n", "f.yaml:"},
		{"tab indentation", "name: a\n\tdevice: x\n", "f.yaml:2:"},
		{"unknown key", "name: a\nbandwidth: 5\n", `f.yaml:2: unknown key "bandwidth"`},
		{"duplicate key", "name: a\nname: b\n", `f.yaml:2: key "name" given twice (first at line 1)`},
		{"bandwidth zero", "memory_bandwidth_gb_per_s: 0\n", "f.yaml:1: memory_bandwidth_gb_per_s: 0 must be greater than 0"},
		{"bandwidth negative", "\n\nmemory_bandwidth_gb_per_s: -5\n", "f.yaml:3: memory_bandwidth_gb_per_s: -5 must be greater than 0"},
		{"bandwidth in bytes by mistake", "memory_bandwidth_gb_per_s: 1.008e12\n", "implausibly large"},
		{"bandwidth string", "memory_bandwidth_gb_per_s: 1008 GB/s\n", `f.yaml:1: memory_bandwidth_gb_per_s: want a number, got "1008 GB/s"`},
		{"bandwidth NaN", "memory_bandwidth_gb_per_s: .nan\n", "want a finite number"},
		{"flops list", "peak_tflop_per_s: [1]\n", "f.yaml:1: peak_tflop_per_s: want a number, got a list"},
		{"price without currency", "name: a\nprice_per_hour: 1\n", "f.yaml:2: a price needs a currency"},
		{"bad currency", "currency: dollars\n", `f.yaml:1: currency "dollars"`},
		{"negative price", "price_per_hour: -1\ncurrency: USD\n", "f.yaml:1: price_per_hour: -1 must be at least 0"},
		{"watts zero", "watts: 0\n", "f.yaml:1: watts: 0 must be greater than 0"},
		{"unknown device", "name: a\ndevice: rtx-9999\n", `f.yaml:2: device "rtx-9999" is not in the device table`},
		{"empty name", "name: \"\"\n", "f.yaml:1: name: must not be empty"},
		{"null name", "name:\n", "f.yaml:1: name: want a string, got nothing"},
		{"expectations not a list", "expectations: {model: a}\n", "f.yaml:1: expectations: want a list"},
		{"expectation not a mapping", "expectations:\n  - qwen\n", "f.yaml:2: expectations: want a mapping"},
		{"expectation without model", "expectations:\n  - min_server_gen_per_s: 3\n", "f.yaml:2: expectation without model"},
		{"expectation without threshold", "expectations:\n  - model: a\n", `f.yaml:2: expectation for "a" sets no threshold`},
		{"unknown expectation key", "expectations:\n  - model: a\n    min_tps: 3\n", `f.yaml:3: unknown expectation key "min_tps"`},
		{"duration without unit", "expectations:\n  - model: a\n    max_ttft_p95: 500\n", `f.yaml:3: max_ttft_p95: want a duration with a unit such as 500ms or 1.5s, got "500"`},
		{"negative duration", "expectations:\n  - model: a\n    max_ttft_p95: -1s\n", "f.yaml:3: max_ttft_p95: -1s is out of range"},
		{"efficiency above 1", "expectations:\n  - model: a\n    min_decode_efficiency_frac: 60\n", "f.yaml:3: min_decode_efficiency_frac: 60 is implausibly large (at most 1)"},
		{"headroom above 1", "expectations:\n  - model: a\n    min_headroom_frac: 1.5\n", "f.yaml:3: min_headroom_frac: 1.5 is implausibly large (at most 1)"},
		{"negative headroom", "expectations:\n  - model: a\n    min_headroom_frac: -0.1\n", "f.yaml:3: min_headroom_frac: -0.1 must be at least 0"},
		{"zero predicted error", "expectations:\n  - model: a\n    max_predicted_error_frac: 0\n", "f.yaml:3: max_predicted_error_frac: 0 must be greater than 0"},
		{"predicted error in percent", "expectations:\n  - model: a\n    max_predicted_error_frac: 15\n", "f.yaml:3: max_predicted_error_frac: 15 is implausibly large (at most 10)"},
		{"bad glob", "expectations:\n  - model: \"qwen[\"\n    max_ttft_p95: 1s\n", `f.yaml:2: model: "qwen[" is not a valid glob`},
		{"duplicate model", "expectations:\n  - model: a\n    max_ttft_p95: 1s\n  - model: a\n    max_ttft_p95: 2s\n", `f.yaml:4: model "a" has a second expectation (first at line 2)`},
		{"alias", "x: &a 1\n", "f.yaml:1: x: anchors and aliases are not supported"},
		{"two documents", "name: a\n---\nname: b\n", "f.yaml:2: a second YAML document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseProfile("f.yaml", []byte(tc.in))
			if err == nil || !strings.HasPrefix(err.Error(), "f.yaml") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadProfileFile(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "gpu.yaml")
	os.WriteFile(f, []byte("name: g\n\n\npeak_tflop_per_s: nope\n"), 0o644)
	_, err := LoadProfileFile(f)
	if err == nil || err.Error() != f+`:4: peak_tflop_per_s: want a number, got "nope"` {
		t.Errorf("error %v", err)
	}
	if _, err := LoadProfileFile(filepath.Join(dir, "missing.yaml")); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestExampleProfilesParse(t *testing.T) {
	names := ExampleProfiles()
	if len(names) < 3 {
		t.Fatalf("examples %v", names)
	}
	for _, n := range names {
		b, _ := ExampleProfile(n)
		p, err := ParseProfile(n+".yaml", b)
		if err != nil {
			t.Errorf("example %s: %v", n, err)
			continue
		}
		if p.Name != n || p.Description == "" || len(p.Expectations) == 0 {
			t.Errorf("example %s: name %q, description %q, %d expectations", n, p.Name, p.Description, len(p.Expectations))
		}
	}
}

func TestExpectationFor(t *testing.T) {
	p := Profile{Expectations: []Expectation{
		{Model: "qwen2.5:*", MinServerGenPerS: f64(1)},
		{Model: "qwen2.5:7b", MinServerGenPerS: f64(2)},
		{Model: "llama3", MinServerGenPerS: f64(3)},
		{Model: "*", MinServerGenPerS: f64(4)},
	}}
	for model, want := range map[string]float64{
		"qwen2.5:7b":    2, // exact beats an earlier glob
		"qwen2.5:0.5b":  1, // first glob in file order
		"llama3:latest": 3, // no tag = :latest
		"llama3":        3,
		"mistral:7b":    4,
	} {
		e, ok := p.ExpectationFor(model)
		if !ok || *e.MinServerGenPerS != want {
			t.Errorf("%s: got %+v %v, want threshold %v", model, e, ok, want)
		}
	}
	if _, ok := (Profile{Expectations: p.Expectations[:2]}).ExpectationFor("llama3"); ok {
		t.Error("llama3 matched qwen expectations")
	}
}

// fakeProbe is a probe that returns a fixed figure and counts its calls.
func fakeProbe(calls *int) func(context.Context, time.Duration) (ProbeResult, error) {
	return func(context.Context, time.Duration) (ProbeResult, error) {
		*calls++
		return ProbeResult{CopyBytesPerS: 30e9, TriadBytesPerS: 20e9, BufferBytes: 3 << 27, Threads: 2, Repetitions: 9, Duration: time.Second}, nil
	}
}

func cpuOnly(model string) Hardware {
	return Hardware{CPUModel: model, CPUPhysicalCores: 8, CPULogicalCores: 16, CPUMHz: 3000, Arch: "amd64",
		CPUSIMD: []string{"avx", "avx2", "fma"}, GPUs: []GPU{}}
}

func TestResolveDetected(t *testing.T) {
	ctx := context.Background()
	var calls int
	r := Resolver{Probe: fakeProbe(&calls), Dirs: []string{}}

	// An unknown CPU: probe for bandwidth, estimate FLOP/s.
	p, err := r.Resolve(ctx, "", cpuOnly("Some CPU"))
	if err != nil || calls != 1 {
		t.Fatalf("%v, %d probes", err, calls)
	}
	// 8 cores × 3.0 GHz × 32 FLOP/cycle (AVX2+FMA) = 768 GFLOP/s.
	if p.MemoryBandwidthBytesPerS != 20e9 || !strings.HasPrefix(p.BandwidthSource, "probe: STREAM triad") || p.PeakFLOPS != 768e9 || !strings.HasPrefix(p.FLOPSSource, "estimate: 8 physical cores") {
		t.Errorf("%+v", p)
	}

	// A CPU in the table: no probe; its row's figures.
	p, err = r.Resolve(ctx, "detected", cpuOnly("AMD EPYC 9654 96-Core Processor"))
	if err != nil || calls != 1 || p.DeviceID != "epyc-9654" || p.MemoryBandwidthBytesPerS != 460.8e9 {
		t.Errorf("%+v %v, %d probes", p, err, calls)
	}

	// GPUs: the best one in the table wins; one not in the table is a warning; the
	// host's row gives the offload bandwidth.
	hw := cpuOnly("AMD Ryzen 9 7950X 16-Core Processor")
	hw.GPUs = []GPU{{Vendor: "NVIDIA", Name: "NVIDIA GeForce RTX 3090", Index: 0}, {Vendor: "NVIDIA", Name: "NVIDIA GeForce RTX 4090", Index: 1}, {Vendor: "NVIDIA", Name: "Mystery GPU", Index: 2}}
	p, err = r.Resolve(ctx, "", hw)
	if err != nil || p.DeviceID != "rtx-4090" || p.MemoryBandwidthBytesPerS != 1008e9 || p.HostMemoryBandwidthBytesPerS != 83.2e9 || calls != 1 {
		t.Errorf("%+v %v", p, err)
	}
	if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], `gpu 2 "Mystery GPU" is not in the device table`) || !strings.Contains(p.Warnings[1], "3 GPUs") {
		t.Errorf("warnings %q", p.Warnings)
	}

	// Apple: the GPU with its core count picks the binned row.
	mac := Hardware{CPUModel: "Apple M3 Max", CPUPhysicalCores: 14, Arch: "arm64", GPUs: []GPU{{Vendor: "Apple", Name: "Apple M3 Max", Cores: 30}}}
	p, err = r.Resolve(ctx, "", mac)
	if err != nil || p.DeviceID != "apple-m3-max-30c" || p.MemoryBandwidthBytesPerS != 300e9 {
		t.Errorf("%+v %v", p, err)
	}

	// A failing probe names the CPU.
	r.Probe = func(context.Context, time.Duration) (ProbeResult, error) {
		return ProbeResult{}, errors.New("no memory")
	}
	if _, err := r.Resolve(ctx, "", cpuOnly("Some CPU")); err == nil || !strings.Contains(err.Error(), `CPU "Some CPU" is not in the device table and the bandwidth probe failed: no memory`) {
		t.Errorf("error %v", err)
	}
}

func TestResolveNamed(t *testing.T) {
	ctx := context.Background()
	var calls int
	dir1, dir2 := t.TempDir(), t.TempDir()
	os.WriteFile(filepath.Join(dir2, "mine.yml"), []byte("name: mine\nmemory_bandwidth_gb_per_s: 50\n"), 0o644)
	os.WriteFile(filepath.Join(dir1, "bad.yaml"), []byte("memory_bandwidth_gb_per_s: x\n"), 0o644)
	r := Resolver{Probe: fakeProbe(&calls), Dirs: []string{dir1, dir2}}
	hw := cpuOnly("Some CPU")

	// Bare name found in the second directory; FLOP/s filled by detection without a
	// probe, since the file gives the bandwidth.
	p, err := r.Resolve(ctx, "mine", hw)
	if err != nil || p.MemoryBandwidthBytesPerS != 50e9 || p.PeakFLOPS != 768e9 || !strings.HasPrefix(p.FLOPSSource, "detected: estimate") || calls != 0 {
		t.Errorf("%+v %v, %d probes", p, err, calls)
	}
	if p.Source != filepath.Join(dir2, "mine.yml") {
		t.Errorf("source %q", p.Source)
	}
	// A bad file found by name reports its own path and line.
	if _, err := r.Resolve(ctx, "bad", hw); err == nil || !strings.HasPrefix(err.Error(), filepath.Join(dir1, "bad.yaml")+":1: ") {
		t.Errorf("error %v", err)
	}
	// A built-in example by stem; a file with only expectations takes detection's figures.
	p, err = r.Resolve(ctx, "ci-cpu-twin", hw)
	if err != nil || p.Source != "example:ci-cpu-twin" || p.MemoryBandwidthBytesPerS != 20e9 || calls != 1 {
		t.Errorf("%+v %v", p, err)
	}
	// builtin:<id>.
	p, err = r.Resolve(ctx, "builtin:h100-sxm", hw)
	if err != nil || p.Source != "builtin:h100-sxm" || p.MemoryBandwidthBytesPerS != 3350e9 || p.PeakFLOPS != 989.5e12 {
		t.Errorf("%+v %v", p, err)
	}
	// builtin memory system: bandwidth from the row, FLOP/s estimated.
	p, err = r.Resolve(ctx, "builtin:ddr5-5600-2ch", hw)
	if err != nil || p.MemoryBandwidthBytesPerS != 89.6e9 || p.PeakFLOPS != 768e9 {
		t.Errorf("%+v %v", p, err)
	}
	// A path.
	path := filepath.Join(dir2, "mine.yml")
	if p, err := r.Resolve(ctx, path, hw); err != nil || p.Name != "mine" {
		t.Errorf("%+v %v", p, err)
	}
	// Not found: every place tried is named.
	_, err = r.Resolve(ctx, "nope", hw)
	for _, want := range []string{`profile "nope" not found`, filepath.Join(dir1, "nope.yaml"), filepath.Join(dir2, "nope.yml"), "built-in examples (", "rtx4090-workstation"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v lacks %q", err, want)
		}
	}
	if _, err := r.Resolve(ctx, "builtin:nope", hw); err == nil || !strings.Contains(err.Error(), `no device "nope"`) {
		t.Errorf("error %v", err)
	}
	if _, err := r.Load(""); err == nil {
		t.Error("Load of the detected profile")
	}
}

func TestProfileSearchDirs(t *testing.T) {
	env := map[string]string{"HOME": "/home/u"}
	got := ProfileSearchDirs(func(k string) string { return env[k] })
	if len(got) != 2 || got[0] != "profiles" || got[1] != filepath.Join("/home/u", ".config", "yardstick", "profiles") {
		t.Errorf("%q", got)
	}
	env["XDG_CONFIG_HOME"] = "/cfg"
	if got := ProfileSearchDirs(func(k string) string { return env[k] }); got[1] != filepath.Join("/cfg", "yardstick", "profiles") {
		t.Errorf("%q", got)
	}
}

func TestEstimateCPUFLOPS(t *testing.T) {
	tests := []struct {
		hw   Hardware
		want float64
	}{
		// A run file recorded before CPUFeatures: only CPUSIMD and the name, so the
		// microarchitecture is unknown and AVX-512 counts two 512-bit FMA units (the
		// upper bound): 2 × 2.6 GHz × 64 = 332.8 GFLOP/s.
		{Hardware{CPUModel: "AMD EPYC", CPUPhysicalCores: 2, CPUMHz: 2600, Arch: "amd64", CPUSIMD: []string{"avx", "avx2", "avx512f", "fma"}}, 332.8e9},
		// The same CPU described by CPUID as Zen 4 (family 0x19, model 0x11): 512-bit
		// FMAs over two 256-bit pipes, 32 FLOP/cycle: 166.4 GFLOP/s.
		{Hardware{CPUModel: "AMD EPYC", CPUVendor: "AMD", CPUFamily: 0x19, CPUModelNumber: 0x11, CPUPhysicalCores: 2, CPUMHz: 2600, Arch: "amd64", CPUFeatures: []string{"avx2", "fma", "avx512f"}}, 166.4e9},
		// 56 × 2.0 GHz × 64 (two 512-bit FMA units) = 7168 GFLOP/s.
		{Hardware{CPUModel: "Intel(R) Xeon(R) Platinum 8480+", CPUPhysicalCores: 56, CPUMHz: 2000, Arch: "amd64", CPUSIMD: []string{"avx512f", "fma"}}, 7168e9},
		// Logical cores when physical are unknown; SSE2 only: 8 FLOP/cycle.
		{Hardware{CPULogicalCores: 4, CPUMHz: 1000, Arch: "amd64"}, 32e9},
		// arm64, core unknown: four 128-bit FMA pipes (the upper bound; N1-class
		// cores have two), 32 FLOP/cycle.
		{Hardware{CPUPhysicalCores: 4, CPUMHz: 2000, Arch: "arm64", CPUSIMD: []string{"neon"}}, 256e9},
		// Neoverse N1 by its part number: two pipes, 16 FLOP/cycle.
		{Hardware{CPUPhysicalCores: 4, CPUMHz: 2000, Arch: "arm64", CPUVendor: "ARM", CPUModelNumber: 0xd0c, CPUFeatures: []string{"asimd", "asimddp"}}, 128e9},
	}
	for _, tc := range tests {
		got, how, ok := EstimateCPUFLOPS(tc.hw)
		if !ok || got != tc.want {
			t.Errorf("%+v: %g (%s), want %g", tc.hw, got, how, tc.want)
		}
	}
	if _, how, ok := EstimateCPUFLOPS(Hardware{CPUPhysicalCores: 4}); ok || how != "CPU clock unknown" {
		t.Errorf("no clock: %v %q", ok, how)
	}
	// The 8480+ row is 56 cores × 3.8 GHz max turbo × 64 FP32 FLOP/cycle.
	d, _ := DeviceByID("xeon-platinum-8480")
	if want := 56 * 3.8e9 * 64; math.Abs(d.PeakFP32FLOPS-want) > 1 {
		t.Errorf("8480+ row FP32 %g, want %g", d.PeakFP32FLOPS, want)
	}
}

func FuzzParseProfile(f *testing.F) {
	for _, n := range ExampleProfiles() {
		b, _ := ExampleProfile(n)
		f.Add(b)
	}
	f.Add([]byte("name: a\nexpectations:\n  - model: \"*\"\n    max_ttft_p95: 1s\n"))
	f.Add([]byte("memory_bandwidth_gb_per_s: 1e3\npeak_tflop_per_s: 0x10\n"))
	f.Add([]byte("expectations:\n  - model: m\n    min_headroom_frac: 0.1\n    max_predicted_error_frac: 0.2\n"))
	f.Add([]byte("x: &a [1]\ny: *a\n"))
	f.Add([]byte("expectations:\n  - model: m\n    thresholds: [\"ttft_p95<=1s\", \"server_gen>=2\"]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParseProfile("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		if p.MemoryBandwidthBytesPerS < 0 || p.PeakFLOPS < 0 || p.Name == "" {
			t.Fatalf("invalid profile accepted: %+v", p)
		}
		for _, e := range p.Expectations {
			if e.Model == "" || e.MinServerGenPerS == nil && e.MaxTTFTP95 == nil && e.MinDecodeEfficiencyFrac == nil && e.MinHeadroomFrac == nil && e.MaxPredictedErrorFrac == nil {
				t.Fatalf("invalid expectation accepted: %+v", e)
			}
			if e.MinDecodeEfficiencyFrac != nil && (*e.MinDecodeEfficiencyFrac <= 0 || *e.MinDecodeEfficiencyFrac > 1) {
				t.Fatalf("efficiency %v accepted", *e.MinDecodeEfficiencyFrac)
			}
			if e.MinHeadroomFrac != nil && (*e.MinHeadroomFrac < 0 || *e.MinHeadroomFrac > 1) {
				t.Fatalf("headroom %v accepted", *e.MinHeadroomFrac)
			}
			if e.MaxPredictedErrorFrac != nil && (*e.MaxPredictedErrorFrac <= 0 || *e.MaxPredictedErrorFrac > 10) {
				t.Fatalf("predicted error %v accepted", *e.MaxPredictedErrorFrac)
			}
		}
		if (p.PricePerHour != nil || p.EnergyPricePerKWh != nil) && p.Currency == "" {
			t.Fatal("price without currency accepted")
		}
	})
}

// TestResolveLLC: the detected CPU profile carries the host's last-level cache; a
// profile whose device is a GPU does not, whatever the host's cache.
func TestResolveLLC(t *testing.T) {
	hw := Hardware{CPUModel: "Some CPU", CPUPhysicalCores: 2, CPUMHz: 2000, Arch: "amd64", CPUFeatures: []string{"avx2", "fma"}, CPULLCBytes: 32 << 20, GPUs: []GPU{}}
	calls := 0
	r := Resolver{Probe: fakeProbe(&calls), Dirs: []string{}}
	p, err := r.Resolve(t.Context(), "", hw)
	if err != nil || p.LLCBytes != 32<<20 {
		t.Errorf("detected: llc %d, %v", p.LLCBytes, err)
	}
	if p.PeakINT8OPS <= p.PeakFLOPS || !strings.HasPrefix(p.INT8OPSSource, "estimate: ") {
		t.Errorf("detected: int8 %g (%s) not above FP32 %g", p.PeakINT8OPS, p.INT8OPSSource, p.PeakFLOPS)
	}
	g, err := r.Resolve(t.Context(), "builtin:rtx-4090", hw)
	if err != nil || g.LLCBytes != 0 || g.PeakINT8OPS != 660.6e12 {
		t.Errorf("rtx-4090: llc %d int8 %g, %v", g.LLCBytes, g.PeakINT8OPS, err)
	}
}

// TestParsePerPrecisionPeaks: the per-precision keys are TFLOP/s and TOP/s (1e12), and
// a file's own figures win over its device row's.
func TestParsePerPrecisionPeaks(t *testing.T) {
	p, err := ParseProfile("box.yaml", []byte("device: rtx-4090\npeak_fp16_tflop_per_s: 300\npeak_int8_top_per_s: 600\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.PeakFP16FLOPS != 300e12 || p.FP16FLOPSSource != "profile file box.yaml" || p.PeakINT8OPS != 600e12 || p.INT8OPSSource != "profile file box.yaml" {
		t.Errorf("%+v", p)
	}
	// The row fills what the file leaves out: the 4090's int8 660.6 TOP/s.
	p, err = ParseProfile("box.yaml", []byte("device: rtx-4090\npeak_fp16_tflop_per_s: 300\n"))
	if err != nil || p.PeakINT8OPS != 660.6e12 {
		t.Errorf("%+v %v", p, err)
	}
	if _, err := ParseProfile("box.yaml", []byte("peak_int8_top_per_s: 0\n")); err == nil || !strings.Contains(err.Error(), "box.yaml:1: peak_int8_top_per_s: 0 must be greater than 0") {
		t.Errorf("zero int8 peak: %v", err)
	}
}
