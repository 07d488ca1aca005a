package profiles

import (
	"slices"
	"strings"

	"github.com/klauspost/cpuid/v2"
	"github.com/shirou/gopsutil/v4/cpu"
)

// cpuIDInfo is what CPUID (through github.com/klauspost/cpuid/v2) says about this
// machine's CPU: vendor, family, model, features and last-level cache.
type cpuIDInfo struct {
	Vendor        string
	Family, Model int
	Features      []string
	LLCBytes      uint64
}

// cpuidFeatures maps klauspost/cpuid feature ids to CPUFeatureNames.
var cpuidFeatures = []struct {
	id   cpuid.FeatureID
	name string
}{
	{cpuid.SSSE3, "ssse3"}, {cpuid.AVX, "avx"}, {cpuid.AVX2, "avx2"}, {cpuid.FMA3, "fma"}, {cpuid.F16C, "f16c"},
	{cpuid.AVX512F, "avx512f"}, {cpuid.AVX512BW, "avx512bw"}, {cpuid.AVX512VNNI, "avx512_vnni"}, {cpuid.AVXVNNI, "avx_vnni"},
	{cpuid.AVX512BF16, "avx512_bf16"}, {cpuid.AVX512FP16, "avx512_fp16"},
	{cpuid.AMXTILE, "amx_tile"}, {cpuid.AMXINT8, "amx_int8"}, {cpuid.AMXBF16, "amx_bf16"}, {cpuid.AMXFP16, "amx_fp16"},
	{cpuid.ASIMD, "asimd"}, {cpuid.ASIMDHP, "asimdhp"}, {cpuid.ASIMDDP, "asimddp"}, {cpuid.I8MM, "i8mm"},
	{cpuid.BF16, "bf16"}, {cpuid.SVE, "sve"}, {cpuid.SVE2, "sve2"},
}

// liveCPUID reads this machine's CPU with klauspost/cpuid/v2. The L3 size is what
// CPUID leaf 4 (Intel) or 0x8000001D (AMD) reports: on AMD the L3 of one CCX.
func liveCPUID() cpuIDInfo {
	c := cpuid.CPU
	in := cpuIDInfo{Vendor: c.VendorID.String(), Family: c.Family, Model: c.Model}
	if c.VendorID == cpuid.VendorUnknown {
		in.Vendor = c.VendorString
	}
	for _, f := range cpuidFeatures {
		if c.Supports(f.id) {
			in.Features = append(in.Features, f.name)
		}
	}
	switch {
	case c.Cache.L3 > 0:
		in.LLCBytes = uint64(c.Cache.L3)
	case c.Cache.L2 > 0:
		in.LLCBytes = uint64(c.Cache.L2)
	}
	return in
}

// describeCPU fills hw's CPU vendor, family, model, microarchitecture, features and
// last-level cache from CPUID (x86) and the OS's CPU entries (arm64: /proc/cpuinfo
// "CPU implementer" and "CPU part" through gopsutil). On Linux the OS's flags have
// the last word on AMX: the kernel lists amx_* only when it enables the tile state,
// without which the instructions fault.
func describeCPU(hw *Hardware, id cpuIDInfo, infos []cpu.InfoStat, goos string) {
	hw.CPUVendor, hw.CPUFamily, hw.CPUModelNumber = id.Vendor, id.Family, id.Model
	if hw.Arch == "arm64" {
		for _, in := range infos {
			if in.VendorID != "" {
				hw.CPUVendor = in.VendorID
			}
			if n := parseArmPart(in.Model); n > 0 {
				hw.CPUModelNumber, hw.CPUFamily = n, 0
			}
			if hw.CPUVendor != "" && hw.CPUModelNumber > 0 {
				break
			}
		}
		if goos == "darwin" || strings.HasPrefix(hw.CPUModel, "Apple ") {
			hw.CPUVendor = "Apple"
		}
	}
	have := map[string]bool{}
	for _, f := range id.Features {
		have[f] = true
	}
	os := commonFlags(infos, func(f string) (string, bool) { return f, true })
	for f := range os {
		if slices.Contains(CPUFeatureNames, f) {
			have[f] = true
		}
	}
	if goos == "linux" && len(os) > 0 {
		for _, f := range []string{"amx_tile", "amx_int8", "amx_bf16", "amx_fp16"} {
			if !os[f] {
				delete(have, f)
			}
		}
	}
	hw.CPUFeatures = []string{}
	for _, f := range CPUFeatureNames {
		if have[f] {
			hw.CPUFeatures = append(hw.CPUFeatures, f)
		}
	}
	hw.CPULLCBytes = id.LLCBytes
	hw.CPUMicroarch = Microarch(hw.CPU())
}

// commonFlags returns the names every CPU entry with flags reports: each flag,
// lower-cased and trimmed, through name (which drops a flag by returning false); nil
// when no entry has flags.
func commonFlags(infos []cpu.InfoStat, name func(string) (string, bool)) map[string]bool {
	var common map[string]bool
	for _, in := range infos {
		if len(in.Flags) == 0 {
			continue
		}
		have := map[string]bool{}
		for _, f := range in.Flags {
			if n, ok := name(strings.ToLower(strings.TrimSpace(f))); ok {
				have[n] = true
			}
		}
		if common == nil {
			common = have
			continue
		}
		for f := range common {
			if !have[f] {
				delete(common, f)
			}
		}
	}
	return common
}
