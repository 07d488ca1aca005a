package profiles

import (
	"math"
	"strings"
	"testing"
)

// Every row is usable and says where its figures came from (issue 3: "the device
// table has a test that every row has a source").
func TestDeviceTableRows(t *testing.T) {
	ds := Devices()
	if len(ds) < 25 {
		t.Errorf("%d rows, want at least 25", len(ds))
	}
	ids := map[string]bool{}
	kinds := map[string]int{}
	for _, d := range ds {
		if d.ID == "" || strings.ToLower(d.ID) != d.ID || strings.ContainsAny(d.ID, " :/") {
			t.Errorf("row %q: ID must be lower-case without spaces, colons or slashes", d.ID)
		}
		if ids[d.ID] {
			t.Errorf("duplicate ID %q", d.ID)
		}
		ids[d.ID] = true
		kinds[d.Kind]++
		if d.Kind != "gpu" && d.Kind != "cpu" && d.Kind != "soc" {
			t.Errorf("%s: kind %q", d.ID, d.Kind)
		}
		if len(strings.TrimSpace(d.Source)) < 20 {
			t.Errorf("%s: source %q is not a citation", d.ID, d.Source)
		}
		if d.Name == "" {
			t.Errorf("%s: no name", d.ID)
		}
		// 1 GB/s .. 20 TB/s: anything outside is a units mistake.
		if d.MemoryBandwidthBytesPerS < 1e9 || d.MemoryBandwidthBytesPerS > 20e12 {
			t.Errorf("%s: bandwidth %g bytes/s", d.ID, d.MemoryBandwidthBytesPerS)
		}
		if d.PeakFP16FLOPS < 0 || d.PeakFP16FLOPS > 0 && (d.PeakFP16FLOPS < 1e10 || d.PeakFP16FLOPS > 1e16) {
			t.Errorf("%s: peak %g FLOP/s", d.ID, d.PeakFP16FLOPS)
		}
		if d.Kind == "gpu" && d.Vendor == "" {
			t.Errorf("%s: GPU without vendor", d.ID)
		}
		if d.Kind != "gpu" && d.MemoryBytes != 0 {
			t.Errorf("%s: memory size set on a %s row", d.ID, d.Kind)
		}
		// Each pattern finds its own row: no longer pattern of another row shadows it.
		for _, m := range d.Match {
			got, ok := MatchDevice(m)
			if !ok || got.ID != d.ID {
				t.Errorf("%s: MatchDevice(%q) = %q, %v", d.ID, m, got.ID, ok)
			}
		}
	}
	if kinds["gpu"] < 15 || kinds["soc"] < 12 || kinds["cpu"] < 8 {
		t.Errorf("kinds %v: want data-center/workstation GPUs, Apple M1-M4, CPUs and memory systems", kinds)
	}
	// Devices returns a copy.
	ds[0].Match[0] = "changed"
	if Devices()[0].Match[0] == "changed" {
		t.Error("Devices shares its slices with the table")
	}
}

func TestMatchDevice(t *testing.T) {
	tests := []struct {
		name string
		want string // "" = no match
	}{
		// Names as nvidia-smi prints them.
		{"NVIDIA GeForce RTX 4090", "rtx-4090"},
		{"NVIDIA GeForce RTX 4090 D", ""},          // fewer SMs: not a 4090
		{"NVIDIA GeForce RTX 4090 Laptop GPU", ""}, // a different chip and memory
		{"NVIDIA GeForce RTX 3090 Ti", ""},
		{"NVIDIA GeForce RTX 3090", "rtx-3090"},
		{"NVIDIA GeForce RTX 5090", "rtx-5090"},
		{"NVIDIA H100 80GB HBM3", "h100-sxm"},
		{"NVIDIA H100 PCIe", "h100-pcie"},
		{"NVIDIA H100 NVL", "h100-nvl"},
		{"NVIDIA H200", "h200-sxm"},
		{"NVIDIA A100-SXM4-80GB", "a100-sxm4-80gb"},
		{"NVIDIA A100-SXM4-40GB", "a100-sxm4-40gb"},
		{"NVIDIA A100 80GB PCIe", "a100-pcie-80gb"},
		{"NVIDIA A100-PCIE-40GB", "a100-pcie-40gb"}, // 250 W, not the SXM part's 400
		{"NVIDIA L4", "l4"},
		{"NVIDIA L40S", "l40s"},
		{"NVIDIA L40", "l40"},
		{"NVIDIA A10", "a10"},
		{"NVIDIA A10G", ""}, // a different board, not in the table
		{"Tesla T4", "t4"},
		{"Tesla V100-SXM2-16GB", "v100-sxm2"},
		{"NVIDIA RTX 6000 Ada Generation", "rtx-6000-ada"},
		{"Quadro RTX 6000", ""}, // Turing, not Ada
		{"NVIDIA RTX A6000", "rtx-a6000"},
		{"NVIDIA GH200 480GB", ""},
		// AMD: sysfs product_name or the PCI-id name.
		{"AMD Radeon RX 7900 XTX", "rx-7900-xtx"},
		{"AMD Radeon RX 7900 XT", "rx-7900-xt"},
		{"AMD Radeon RX 7900 GRE", ""},
		{"AMD Instinct MI300X", "mi300x"},
		{"AMD Instinct MI300X OAM", "mi300x"},
		{"Instinct MI210", "mi210"},
		// Apple: sysctl brand string and system_profiler with core count.
		{"Apple M1", "apple-m1"},
		{"Apple M1 Pro", "apple-m1-pro"},
		{"Apple M3 Max", "apple-m3-max"},
		{"Apple M3 Max 40-core GPU", "apple-m3-max"},
		{"Apple M3 Max 30-core GPU", "apple-m3-max-30c"},
		{"Apple M3", "apple-m3"},
		{"Apple M4 Max 32-core GPU", "apple-m4-max-32c"},
		{"apple m2 ultra", "apple-m2-ultra"},
		{"Apple M5", ""},
		// CPUs as /proc/cpuinfo names them.
		{"AMD EPYC 9654 96-Core Processor", "epyc-9654"},
		{"AMD EPYC 9654P 96-Core Processor", "epyc-9654"},
		{"AMD EPYC 7763 64-Core Processor", "epyc-7763"},
		{"Intel(R) Xeon(R) Platinum 8480+", "xeon-platinum-8480"},
		{"AMD Ryzen 9 7950X 16-Core Processor", "ryzen-9-7950x"},
		{"AMD Ryzen 9 7950X3D 16-Core Processor", ""},
		{"AMD EPYC", ""},
		{"", ""},
	}
	for _, tc := range tests {
		d, ok := MatchDevice(tc.name)
		if tc.want == "" {
			if ok {
				t.Errorf("MatchDevice(%q) = %s, want no match", tc.name, d.ID)
			}
			continue
		}
		if !ok || d.ID != tc.want {
			t.Errorf("MatchDevice(%q) = %q (%v), want %q", tc.name, d.ID, ok, tc.want)
		}
	}
}

func TestDDR(t *testing.T) {
	// 2 channels × 3200 MT/s × 8 bytes = 51.2 GB/s (JEDEC DDR4-3200 dual channel).
	if got := ddr(2, 3200); got != 51.2e9 {
		t.Errorf("ddr(2, 3200) = %g", got)
	}
	d, _ := DeviceByID("DDR5-4800-12CH")
	if d.MemoryBandwidthBytesPerS != 460.8e9 {
		t.Errorf("12-channel DDR5-4800 = %g, want 460.8e9", d.MemoryBandwidthBytesPerS)
	}
}

// TestDeviceTableFixes holds the rows issue 16 found wrong: the A100 40GB is two parts
// (SXM 400 W, PCIe 250 W; both 1,555 GB/s); the FP16 field is FP16-accumulate on every
// NVIDIA row, so the L40 reads 362.1 (142 SMs × 1,024 FLOP/clock × 2.49 GHz), not its
// datasheet's FP32-accumulate 181.05, and the RTX 3060 28 × 1,024 × 1.777 GHz = 50.95,
// not 51.2. Every NVIDIA and AMD row has an int8 figure; Apple's publish none.
func TestDeviceTableFixes(t *testing.T) {
	for _, tc := range []struct {
		id         string
		watts, bw  float64
		fp16, int8 float64
	}{
		{"a100-sxm4-40gb", 400, 1555e9, 312e12, 624e12},
		{"a100-pcie-40gb", 250, 1555e9, 312e12, 624e12},
		{"a100-40gb", 400, 1555e9, 312e12, 624e12}, // retired id: the SXM row, as before
		{"l40", 300, 864e9, 362.1e12, 362.1e12},
		{"rtx-3060-12gb", 170, 360e9, 50.95e12, 101.9e12},
	} {
		d, ok := DeviceByID(tc.id)
		if !ok || d.TDPWatts != tc.watts || d.MemoryBandwidthBytesPerS != tc.bw || math.Abs(d.PeakFP16FLOPS-tc.fp16) > 1e6 || math.Abs(d.PeakINT8OPS-tc.int8) > 1e6 {
			t.Errorf("%s: %+v", tc.id, d)
		}
	}
	for _, d := range Devices() {
		if d.Kind == "gpu" && d.PeakINT8OPS <= 0 {
			t.Errorf("%s: no int8 peak", d.ID)
		}
	}
}
