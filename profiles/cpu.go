package profiles

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A CPUDescription is what the per-core peaks of a CPU are a function of: the
// architecture, the vendor, the family and model numbers the CPU reports and the
// features that decide which arithmetic it can do. Detect records it in Hardware
// (Hardware.CPU builds it back), so the peaks of a run's machine can be recomputed
// from its run file and tests can feed descriptions of CPUs they do not run on.
type CPUDescription struct {
	// Arch is the architecture in Go's names: amd64, 386, arm64.
	Arch string `json:"arch"`
	// Vendor is "Intel", "AMD", "ARM", "Apple", … (x86: CPUID leaf 0 vendor string
	// through github.com/klauspost/cpuid/v2; arm64: the MIDR implementer as
	// /proc/cpuinfo "CPU implementer" gives it; macOS: "Apple").
	Vendor string `json:"vendor"`
	// Family and Model are the x86 display family and model (CPUID leaf 1, extended
	// fields folded in, e.g. family 25 model 17 for Zen 4 "Genoa"); on arm64 Model is
	// the MIDR primary part number (e.g. 0xd0c for Neoverse N1) and Family is 0.
	Family int `json:"family"`
	Model  int `json:"model"`
	// Features are the CPU features that decide the peaks, in the Linux kernel's
	// spelling (CPUFeatureNames lists them): avx2, fma, avx512f, avx512bw,
	// avx512_vnni, avx_vnni, avx512_bf16, avx512_fp16, amx_int8, amx_bf16, …; asimd,
	// asimdhp, asimddp, i8mm, bf16, sve, sve2, sme on arm64.
	Features []string `json:"features"`
	// Brand is the model name string; used only for Apple silicon, whose cores have
	// no family or model number readable from user space. Never for x86.
	Brand string `json:"brand,omitempty"`
}

// CPUFeatureNames is the vocabulary and order of CPUDescription.Features and
// Hardware.CPUFeatures.
var CPUFeatureNames = []string{
	"ssse3", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni",
	"avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16", "amx_fp16",
	"asimd", "asimdhp", "asimddp", "i8mm", "bf16", "sve", "sve2", "sme",
}

func (d CPUDescription) has(f string) bool { return slices.Contains(d.Features, f) }

// CPU returns the description of hw's CPU that CorePeaksOf takes. Hardware recorded
// before CPUFeatures existed has only CPUSIMD: its names stand in (neon as asimd, amx
// as amx_int8 and amx_bf16), and with no family or model the microarchitecture is
// unknown, so the peaks are the feature flags' upper bounds.
func (hw Hardware) CPU() CPUDescription {
	d := CPUDescription{Arch: hw.Arch, Vendor: hw.CPUVendor, Family: hw.CPUFamily, Model: hw.CPUModelNumber,
		Features: hw.CPUFeatures, Brand: hw.CPUModel}
	if len(d.Features) == 0 {
		for _, f := range hw.CPUSIMD {
			switch f {
			case "neon":
				d.Features = append(d.Features, "asimd")
			case "amx":
				d.Features = append(d.Features, "amx_int8", "amx_bf16")
			default:
				d.Features = append(d.Features, f)
			}
		}
	}
	return d
}

// intelModels names Intel family 6 microarchitectures by model number (Intel 64 and
// IA-32 Architectures Software Developer's Manual, Vol. 4, Table 2-1 "CPUID Signature
// Values of DisplayFamily_DisplayModel"; the Linux kernel's
// arch/x86/include/asm/intel-family.h for parts newer than the manual).
var intelModels = map[int]string{
	0x3C: "Haswell", 0x3F: "Haswell", 0x45: "Haswell", 0x46: "Haswell",
	0x3D: "Broadwell", 0x47: "Broadwell", 0x4F: "Broadwell", 0x56: "Broadwell",
	0x4E: "Skylake", 0x5E: "Skylake", 0x8E: "Kaby Lake", 0x9E: "Coffee Lake", 0xA5: "Comet Lake", 0xA6: "Comet Lake",
	0x55: "Skylake-SP", // also Cascade Lake and Cooper Lake (told apart by stepping; same core)
	0x7D: "Ice Lake", 0x7E: "Ice Lake", 0x8C: "Tiger Lake", 0x8D: "Tiger Lake", 0xA7: "Rocket Lake",
	0x6A: "Ice Lake-SP", 0x6C: "Ice Lake-SP",
	0x8F: "Sapphire Rapids", 0xCF: "Emerald Rapids", 0xAD: "Granite Rapids", 0xAE: "Granite Rapids",
	0x97: "Alder Lake", 0x9A: "Alder Lake", 0xB7: "Raptor Lake", 0xBA: "Raptor Lake", 0xBF: "Raptor Lake",
	0xAA: "Meteor Lake", 0xAC: "Meteor Lake", 0xC5: "Arrow Lake", 0xC6: "Arrow Lake", 0xB5: "Arrow Lake", 0xBD: "Lunar Lake",
}

// armParts names Arm Ltd cores (implementer 0x41) by MIDR part number (Arm's
// technical reference manual of each core, "Main ID Register"; the Linux kernel's
// arch/arm64/include/asm/cputype.h).
var armParts = map[int]string{
	0xd0b: "Cortex-A76", 0xd0d: "Cortex-A77", 0xd41: "Cortex-A78", 0xd0c: "Neoverse N1",
	0xd47: "Cortex-A710", 0xd49: "Neoverse N2", 0xd8e: "Neoverse N3",
	0xd40: "Neoverse V1", 0xd4f: "Neoverse V2", 0xd84: "Neoverse V3",
}

// Microarch names the core microarchitecture of d from its vendor, family and model
// (never from the name string on x86): Haswell … Granite Rapids, Alder Lake …
// Lunar Lake, Zen … Zen 5, Neoverse N1/N2/V1/V2/V3, Apple M1–M4; "unknown" when the
// numbers are not in the tables.
//
// AMD families and models: AMD Software Optimization Guide for Family 17h (Zen, Zen+:
// models 0x00–0x2F; Zen 2: 0x30–0xFF), Family 19h (Zen 3: models 0x00–0x0F, 0x20–0x5F;
// Zen 4: 0x10–0x1F, 0x60–0x7F, 0xA0–0xAF) and Family 1Ah (Zen 5); Zen 5 mobile parts
// with 256-bit datapaths (Strix Point 0x20–0x2F, Krackan Point 0x60–0x6F; Chips and
// Cheese, "AMD's Strix Point: Zen 5 Hits Mobile" and "AMD's Ryzen 9950X: Zen 5 on
// Desktop") are named
// "Zen 5 (256-bit)".
func Microarch(d CPUDescription) string {
	v := strings.ToLower(d.Vendor)
	switch {
	case d.Arch == "amd64" || d.Arch == "386":
		switch {
		case strings.Contains(v, "intel") && d.Family == 6:
			if n, ok := intelModels[d.Model]; ok {
				return n
			}
		case strings.Contains(v, "amd") || strings.Contains(v, "hygon"):
			m := d.Model
			switch d.Family {
			case 0x17:
				if m < 0x30 {
					return "Zen"
				}
				return "Zen 2"
			case 0x19:
				if m >= 0x10 && m <= 0x1F || m >= 0x60 && m <= 0x7F || m >= 0xA0 && m <= 0xAF {
					return "Zen 4"
				}
				return "Zen 3"
			case 0x1A:
				if m >= 0x20 && m <= 0x2F || m >= 0x60 && m <= 0x6F {
					return "Zen 5 (256-bit)"
				}
				return "Zen 5"
			}
		}
	case d.Arch == "arm64":
		switch {
		case v == "arm" || v == "0x41":
			if n, ok := armParts[d.Model]; ok {
				return n
			}
		case v == "apple" || v == "0x61" || strings.HasPrefix(d.Brand, "Apple M"):
			for _, g := range []string{"M1", "M2", "M3", "M4"} {
				if strings.HasPrefix(d.Brand, "Apple "+g) {
					return "Apple " + g
				}
			}
			return "Apple"
		}
	}
	return "unknown"
}

// CorePeaks are the peak operations one core completes per cycle, per precision. A
// fused multiply-add counts 2 operations (FLOP for floating point, "ops" for int8),
// so every figure compares with 2 × parameters per token. Each Why says how the
// figure was counted and its source.
type CorePeaks struct {
	Microarch string `json:"microarch"`
	// FP32FLOPPerCycle: FP32 fused multiply-adds.
	FP32FLOPPerCycle int    `json:"fp32_flop_per_cycle"`
	FP32Why          string `json:"fp32_why"`
	// FP16FLOPPerCycle: the faster of native FP16 FMAs, BF16 dot products and AMX-BF16
	// tiles, and never below FP32 (a core without FP16 arithmetic converts to FP32).
	FP16FLOPPerCycle int    `json:"fp16_flop_per_cycle"`
	FP16Why          string `json:"fp16_why"`
	// INT8OpPerCycle: 8-bit integer dot products (VNNI, vpmaddubsw, sdot, smmla, AMX).
	INT8OpPerCycle int    `json:"int8_op_per_cycle"`
	INT8Why        string `json:"int8_why"`
}

// CorePeaksOf returns the per-core, per-cycle peaks of the CPU d describes. It is a
// pure function of d. Where a source leaves the count of execution ports in doubt the
// higher count is taken, and the Why says so: a ceiling a real kernel beats is no
// ceiling.
//
// Counting (per core per cycle; MAC = multiply-accumulate = 2 ops):
//
//   - FP32: FMA units × lanes × 2. Intel 64 and IA-32 Architectures Optimization
//     Reference Manual (two 256-bit FMA ports from Haswell; two 512-bit on Xeon
//     Skylake-SP and later); AMD Software Optimization Guides for Family 17h/19h/1Ah
//     (Zen 1: two 128-bit FMA pipes; Zen 2–4: two 256-bit, Zen 4 running 512-bit
//     instructions over both; Zen 5 desktop/server: two 512-bit); Arm Neoverse N1/N2
//     (two 128-bit) and V1/V2 (four 128-bit) Software Optimization Guides; Apple
//     P-cores four 128-bit FMA pipes (Apple Silicon CPU Optimization Guide).
//   - INT8: AVX512-VNNI vpdpbusd zmm = 64 MACs, AVX-VNNI ymm = 32 MACs, AVX2
//     vpmaddubsw ymm = 32 MACs (counted alone: the vpmaddwd that widens its sums
//     shares its ports, so real kernels reach at most half), NEON sdot = 16 MACs
//     per 128-bit instruction, i8mm smmla = 32 MACs, AMX-INT8 = 1024 MACs per cycle
//     ("2048 INT8 operations per cycle per core", Intel Optimization Reference
//     Manual, Intel AMX chapter). Throughputs from uops.info and Agner Fog's
//     instruction tables.
//   - AMX is counted only when the OS exposes it (amx_int8, amx_bf16 in the
//     features): Linux hides the flags when it does not enable the tile state.
func CorePeaksOf(d CPUDescription) CorePeaks {
	arch := Microarch(d)
	p := CorePeaks{Microarch: arch}
	set := func(fp32 int, w32 string, fp16 int, w16 string, i8 int, w8 string) {
		p.FP32FLOPPerCycle, p.FP32Why = fp32, w32
		p.FP16FLOPPerCycle, p.FP16Why = fp16, w16
		p.INT8OpPerCycle, p.INT8Why = i8, w8
	}
	const (
		fma256x2   = "2 × 256-bit FMA × 8 FP32 lanes × 2"
		fma512x2   = "2 × 512-bit FMA × 16 FP32 lanes × 2"
		convFP32   = "no FP16 arithmetic: F16C converts to FP32, so the FP32 rate"
		maddubs1   = "vpmaddubsw ymm (32 int8 MACs) 1/cycle on port 0 (Agner Fog, instruction tables) × 2 ops"
		maddubs2   = "vpmaddubsw ymm (32 int8 MACs) 2/cycle on ports 0 and 1 (uops.info) × 2 ops"
		vnniYmm2   = "AVX-VNNI vpdpbusd ymm (32 int8 MACs) 2/cycle on ports 0 and 1 (uops.info) × 2 ops"
		vnniZmm2   = "AVX512-VNNI vpdpbusd zmm (64 int8 MACs) × 2/cycle × 2 ops (upper bound: counts both 512-bit ports)"
		bw512x2    = "AVX512BW vpmaddubsw zmm (64 int8 MACs) × 2/cycle × 2 ops (upper bound: counts both 512-bit ports)"
		fp16Zmm2   = "AVX512-FP16 vfmadd zmm: 2 × 32 FP16 lanes × 2"
		sdot2      = "NEON sdot (16 int8 MACs per 128-bit) × 2 pipes × 2 ops (Arm Neoverse N1 Software Optimization Guide)"
		sdot4      = "NEON sdot (16 int8 MACs per 128-bit) × 4 pipes × 2 ops"
		smmla2     = "i8mm smmla (32 int8 MACs per 128-bit) × 2 pipes × 2 ops (Arm Neoverse N2 Software Optimization Guide)"
		smmla4     = "i8mm smmla (32 int8 MACs per 128-bit) × 4 pipes × 2 ops (upper bound: every 128-bit pipe)"
		neonFMA2   = "2 × 128-bit NEON FMA × 4 FP32 lanes × 2"
		neonFMA4   = "4 × 128-bit NEON FMA × 4 FP32 lanes × 2"
		neonFP16x2 = "2 × 128-bit NEON FP16 FMA × 8 lanes × 2"
		neonFP16x4 = "4 × 128-bit NEON FP16 FMA × 8 lanes × 2"
	)
	switch arch {
	case "Haswell", "Broadwell":
		set(32, fma256x2+" (Intel Optimization Reference Manual, Haswell)", 32, convFP32, 64, maddubs1)
	case "Skylake", "Kaby Lake", "Coffee Lake", "Comet Lake":
		set(32, fma256x2+" (Intel Optimization Reference Manual, Skylake client)", 32, convFP32, 128, maddubs2)
	case "Ice Lake", "Tiger Lake", "Rocket Lake":
		set(32, "1 × 512-bit FMA (ports 0+1 fused) × 16 FP32 lanes × 2 (Intel Optimization Reference Manual, Ice Lake client)", 32, convFP32,
			128, "AVX512-VNNI vpdpbusd zmm (64 int8 MACs) 1/cycle on fused ports 0+1 × 2 ops (uops.info)")
	case "Skylake-SP", "Ice Lake-SP":
		set(64, fma512x2+" (Intel Optimization Reference Manual, Xeon Scalable: parts with two FMA units; one-unit parts reach half)", 64, convFP32, 256, bw512x2+", or AVX512-VNNI vpdpbusd zmm on Cascade Lake and later")
	case "Sapphire Rapids", "Emerald Rapids", "Granite Rapids":
		set(64, fma512x2+" (Intel Optimization Reference Manual, Sapphire Rapids)", 128, fp16Zmm2, 256, vnniZmm2)
	case "Alder Lake", "Raptor Lake", "Meteor Lake", "Arrow Lake", "Lunar Lake":
		set(32, fma256x2+" (P-core, Golden Cove and later; AVX-512 disabled; E-cores reach less, so an upper bound)", 32, convFP32, 128, vnniYmm2)
	case "Zen":
		set(16, "2 × 128-bit FMA pipes × 4 FP32 lanes × 2 (AMD Software Optimization Guide for Family 17h)", 16, convFP32,
			64, "vpmaddubsw (16 int8 MACs per 128-bit) × 2 pipes × 2 ops (upper bound)")
	case "Zen 2":
		set(32, fma256x2+" (AMD Software Optimization Guide for Family 17h Models 30h+)", 32, convFP32,
			128, "vpmaddubsw ymm (32 int8 MACs) × 2 pipes × 2 ops (upper bound; Agner Fog lists pipe 0 only, which would halve it)")
	case "Zen 3":
		set(32, fma256x2+" (AMD Software Optimization Guide for Family 19h)", 32, convFP32,
			128, "vpmaddubsw ymm (32 int8 MACs) × 2 pipes × 2 ops (upper bound)")
	case "Zen 4":
		set(32, "512-bit FMA over two 256-bit pipes: 1/cycle × 16 FP32 lanes × 2 (AMD Software Optimization Guide for Family 19h, Zen 4)",
			64, "AVX512-BF16 vdpbf16ps zmm (32 BF16 MACs) 1/cycle × 2",
			256, zen4VNNI)
	case "Zen 5":
		set(64, fma512x2+" (AMD Software Optimization Guide for Family 1Ah; full 512-bit datapath on desktop and server parts: Chips and Cheese, \"AMD's Ryzen 9950X: Zen 5 on Desktop\"; numberworld.org, \"Zen5's AVX512 Teardown\")",
			128, "AVX512-BF16 vdpbf16ps zmm (32 BF16 MACs) × 2/cycle × 2",
			256, "AVX512-VNNI vpdpbusd zmm (64 int8 MACs) × 2/cycle × 2 ops (full 512-bit datapath)")
	case "Zen 5 (256-bit)":
		set(32, "2 × 256-bit FMA × 8 FP32 lanes × 2 (mobile Zen 5 runs 512-bit instructions over 256-bit pipes; Chips and Cheese, \"AMD's Strix Point: Zen 5 Hits Mobile\")",
			64, "AVX512-BF16 vdpbf16ps zmm 1/cycle (32 BF16 MACs) × 2",
			256, zen4VNNI+" (Strix Point runs 512-bit instructions at Zen 4's rate)")
	case "Cortex-A76", "Cortex-A77", "Cortex-A78", "Neoverse N1":
		set(16, neonFMA2+" (Arm Neoverse N1 Software Optimization Guide)", 32, neonFP16x2, 64, sdot2)
	case "Cortex-A710", "Neoverse N2", "Neoverse N3":
		set(16, neonFMA2+" (Arm Neoverse N2 Software Optimization Guide)", 32, neonFP16x2, 128, smmla2)
	case "Neoverse V1", "Neoverse V2", "Neoverse V3":
		set(32, neonFMA4+" (Arm Neoverse V1/V2 Software Optimization Guides; SVE on V1 is 2 × 256-bit, the same)", 64, neonFP16x4, 256, smmla4)
	case "Apple M1":
		set(32, neonFMA4+" (P-core; Apple Silicon CPU Optimization Guide)", 64, neonFP16x4, 128, sdot4+" (M1 has no i8mm)")
	case "Apple M2", "Apple M3", "Apple M4", "Apple":
		set(32, neonFMA4+" (P-core; Apple Silicon CPU Optimization Guide)", 64, neonFP16x4, 256, smmla4+"; SME (M4) not counted: ggml's CPU kernels in Ollama do not use it")
	default:
		p.genericByFeatures(d)
	}
	p.extensions(d)
	return p
}

// genericByFeatures sets upper bounds from the feature flags alone, for a
// microarchitecture not in the tables.
func (p *CorePeaks) genericByFeatures(d CPUDescription) {
	up := " (microarchitecture unknown: upper bound from the feature flags)"
	switch d.Arch {
	case "amd64", "386":
		switch {
		case d.has("avx512f"):
			p.FP32FLOPPerCycle, p.FP32Why = 64, "2 × 512-bit FMA × 16 FP32 lanes × 2"+up
		case d.has("avx2") && d.has("fma"):
			p.FP32FLOPPerCycle, p.FP32Why = 32, "2 × 256-bit FMA × 8 FP32 lanes × 2"+up
		case d.has("avx"):
			p.FP32FLOPPerCycle, p.FP32Why = 16, "1 × 256-bit add + 1 × 256-bit multiply × 8 FP32 lanes"+up
		default:
			p.FP32FLOPPerCycle, p.FP32Why = 8, "SSE2: 1 × 128-bit add + 1 × multiply × 4 FP32 lanes"+up
		}
		switch {
		case d.has("avx512_vnni") || d.has("avx512bw"):
			p.INT8OpPerCycle, p.INT8Why = 256, "64 int8 MACs per zmm instruction × 2/cycle × 2 ops"+up
		case d.has("avx_vnni") || d.has("avx2"):
			p.INT8OpPerCycle, p.INT8Why = 128, "32 int8 MACs per ymm instruction × 2/cycle × 2 ops"+up
		case d.has("ssse3"):
			p.INT8OpPerCycle, p.INT8Why = 64, "pmaddubsw xmm (16 int8 MACs) × 2/cycle × 2 ops"+up
		default:
			p.INT8OpPerCycle, p.INT8Why = p.FP32FLOPPerCycle, "no int8 dot product: the FP32 rate"+up
		}
	case "arm64":
		p.FP32FLOPPerCycle, p.FP32Why = 32, neonFMA4Generic+up
		p.FP16FLOPPerCycle, p.FP16Why = 64, "4 × 128-bit NEON FP16 FMA × 8 lanes × 2"+up
		switch {
		case d.has("i8mm"):
			p.INT8OpPerCycle, p.INT8Why = 256, "i8mm smmla (32 int8 MACs) × 4 pipes × 2 ops"+up
		case d.has("asimddp"):
			p.INT8OpPerCycle, p.INT8Why = 128, "NEON sdot (16 int8 MACs) × 4 pipes × 2 ops"+up
		default:
			p.INT8OpPerCycle, p.INT8Why = 64, "NEON smlal (8 int8 MACs) × 4 pipes × 2 ops"+up
		}
		return
	default:
		p.FP32FLOPPerCycle, p.FP32Why = 2, "scalar: 1 FMA × 2 FLOP"
		p.INT8OpPerCycle, p.INT8Why = 2, "scalar: 1 multiply-add × 2 ops"
	}
	p.FP16FLOPPerCycle, p.FP16Why = p.FP32FLOPPerCycle, "no FP16 arithmetic known: the FP32 rate"
}

// zen4VNNI is the int8 figure of 512-bit VNNI over four 256-bit pipes: one zmm
// instruction per cycle if only two pipes multiply, but a published measurement on a
// Ryzen 9 7950X (vpdpwssd zmm, about 1.5 per cycle per core) beats that, so the
// ceiling takes two per cycle.
const zen4VNNI = "AVX512-VNNI vpdpbusd zmm (64 int8 MACs) × 2/cycle over four 256-bit pipes × 2 ops (upper bound: one per cycle if only two pipes multiply, but measurements report about 1.5)"

const neonFMA4Generic = "4 × 128-bit NEON FMA × 4 FP32 lanes × 2"

// extensions raises the figures for features that beat the microarchitecture's
// base figures where present: AVX512-FP16 and AVX512-BF16, and AMX tiles when the
// OS exposes them.
func (p *CorePeaks) extensions(d CPUDescription) {
	raise := func(v *int, why *string, n int, w string) {
		if n > *v {
			*v, *why = n, w
		}
	}
	if d.Arch == "amd64" || d.Arch == "386" {
		if d.has("avx512_fp16") {
			raise(&p.FP16FLOPPerCycle, &p.FP16Why, 128, "AVX512-FP16 vfmadd zmm: 2 × 32 FP16 lanes × 2")
		}
		if d.has("avx512_bf16") && d.has("avx512f") && p.FP32FLOPPerCycle >= 64 {
			raise(&p.FP16FLOPPerCycle, &p.FP16Why, 128, "AVX512-BF16 vdpbf16ps zmm (32 BF16 MACs) × 2/cycle × 2 (upper bound)")
		}
		if d.has("amx_bf16") {
			raise(&p.FP16FLOPPerCycle, &p.FP16Why, 1024, "AMX-BF16 tdpbf16ps: 1024 BF16 ops per cycle (Intel Optimization Reference Manual, Intel AMX)")
		}
		if d.has("amx_int8") {
			raise(&p.INT8OpPerCycle, &p.INT8Why, 2048, "AMX-INT8 tdpbusd: 2048 int8 ops per cycle (Intel Optimization Reference Manual, Intel AMX; ggml's AMX kernels in ml/backend/ggml/ggml/src/ggml-cpu/amx)")
		}
	}
	if d.Arch == "arm64" {
		if d.has("i8mm") {
			raise(&p.INT8OpPerCycle, &p.INT8Why, 4*p.FP32FLOPPerCycle, "i8mm smmla (32 int8 MACs per 128-bit) on every FMA pipe × 2 ops (upper bound)")
		}
		if d.has("bf16") {
			raise(&p.FP16FLOPPerCycle, &p.FP16Why, 4*p.FP32FLOPPerCycle, "BF16 bfmmla (16 MACs per 128-bit) on every FMA pipe × 2 (upper bound)")
		}
	}
	raise(&p.FP16FLOPPerCycle, &p.FP16Why, p.FP32FLOPPerCycle, "the FP32 rate")
	raise(&p.INT8OpPerCycle, &p.INT8Why, p.FP32FLOPPerCycle, "the FP32 rate")
}

// parseArmPart reads a MIDR part number as /proc/cpuinfo writes it ("0xd0c").
func parseArmPart(s string) int {
	n, err := strconv.ParseInt(strings.TrimSpace(s), 0, 32)
	if err != nil {
		return 0
	}
	return int(n)
}

// CPUPeaks are a CPU's peaks per second: cores × clock × CorePeaks.
type CPUPeaks struct {
	Core                          CorePeaks
	FP32FLOPS, FP16FLOPS, INT8OPS float64
	FP32How, FP16How, INT8How     string
}

// EstimateCPUPeaks estimates hw's peaks per second per precision: physical cores ×
// clock × CorePeaksOf(hw.CPU()) (logical cores when physical are unknown;
// Hardware.CPUMHz, the maximum frequency where the OS reports one, else the nominal
// clock). Each How gives the formula with its numbers. False with the reason when
// cores or clock are unknown.
func EstimateCPUPeaks(hw Hardware) (CPUPeaks, string, bool) {
	cores, kind := hw.CPUPhysicalCores, "physical"
	if cores <= 0 {
		cores, kind = hw.CPULogicalCores, "logical"
	}
	if cores <= 0 {
		return CPUPeaks{}, "CPU core count unknown", false
	}
	if hw.CPUMHz <= 0 {
		return CPUPeaks{}, "CPU clock unknown", false
	}
	c := CorePeaksOf(hw.CPU())
	hz := hw.CPUMHz * 1e6
	how := func(per int, unit, why string) string {
		return fmt.Sprintf("%d %s cores × %.2f GHz × %d %s/cycle (%s: %s)", cores, kind, hw.CPUMHz/1000, per, unit, c.Microarch, why)
	}
	return CPUPeaks{
		Core:      c,
		FP32FLOPS: float64(cores) * hz * float64(c.FP32FLOPPerCycle),
		FP16FLOPS: float64(cores) * hz * float64(c.FP16FLOPPerCycle),
		INT8OPS:   float64(cores) * hz * float64(c.INT8OpPerCycle),
		FP32How:   how(c.FP32FLOPPerCycle, "FP32 FLOP", c.FP32Why),
		FP16How:   how(c.FP16FLOPPerCycle, "FP16/BF16 FLOP", c.FP16Why),
		INT8How:   how(c.INT8OpPerCycle, "int8 op", c.INT8Why),
	}, "", true
}
