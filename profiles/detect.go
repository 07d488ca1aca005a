// Package profiles describes the hardware a benchmark runs on: detection of the
// CPU, memory, operating system and GPUs of this machine (recorded in every run),
// the built-in device table of spec-sheet figures, profile files and their
// resolution, a host memory bandwidth probe, and the roofline a run is held
// against.
package profiles

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
)

// Hardware is what Detect found out about this machine. Every part is detected
// on its own: a part that cannot be read is left at its zero value and a line
// in Warnings says what and why, so one failure never hides the rest.
type Hardware struct {
	// Hostname of this machine (gopsutil host.Info, else os.Hostname).
	Hostname string `json:"hostname"`
	// OS is the operating system family as Go names it: linux, darwin, windows (gopsutil host.Info).
	OS string `json:"os"`
	// Platform is the distribution or product, e.g. debian, ubuntu, darwin (gopsutil host.Info).
	Platform string `json:"platform"`
	// PlatformVersion is the version of Platform, e.g. 13.1 (gopsutil host.Info).
	PlatformVersion string `json:"platform_version"`
	// KernelVersion is the kernel release, e.g. 6.1.0-18-amd64 (gopsutil host.Info).
	KernelVersion string `json:"kernel_version"`
	// Arch is the architecture of the running binary in Go's names (runtime.GOARCH):
	// amd64, arm64, ...
	Arch string `json:"arch"`

	// CPUModel is the CPU's model name, e.g. "AMD EPYC 7B13" (gopsutil cpu.Info,
	// from /proc/cpuinfo on Linux, sysctl on macOS).
	CPUModel string `json:"cpu_model"`
	// CPUPhysicalCores is the number of physical cores (gopsutil cpu.Counts(false)).
	// 0 when unknown, e.g. in some virtual machines and containers.
	CPUPhysicalCores int `json:"cpu_physical_cores"`
	// CPULogicalCores is the number of logical CPUs (hardware threads) of the
	// machine (gopsutil cpu.Counts(true)); not reduced by CPU affinity or cgroups.
	CPULogicalCores int `json:"cpu_logical_cores"`
	// CPUSIMD lists the SIMD and matrix features that matter for inference, in
	// this fixed order, using these names: avx, avx2, avx512f, avx512_bf16,
	// avx_vnni, amx, fma, f16c, neon, sve. A feature is listed only when every
	// logical CPU reports it. Source: the CPU flags of gopsutil cpu.Info
	// (/proc/cpuinfo "flags"/"Features" on Linux; "asimd" counts as neon; any of
	// amx_tile, amx_bf16, amx_int8 counts as amx). neon is always listed on
	// arm64, where it is part of the architecture.
	CPUSIMD []string `json:"cpu_simd"`
	// CPUMHz is the CPU's clock in MHz as the OS reports it: the maximum frequency
	// (Linux cpufreq cpuinfo_max_freq) where readable, else the nominal clock
	// (/proc/cpuinfo "cpu MHz", macOS hw.cpufrequency) (gopsutil cpu.Info Mhz).
	// 0 when unknown (Apple silicon reports none).
	CPUMHz float64 `json:"cpu_mhz,omitempty"`
	// CPUVendor, CPUFamily and CPUModelNumber identify the core: on x86 the CPUID
	// vendor ("Intel", "AMD"), display family and model (github.com/klauspost/cpuid/v2);
	// on arm64 the implementer ("ARM", "Apple") and MIDR part number (/proc/cpuinfo).
	// Zero when unknown. CPUMicroarch is Microarch of them ("Zen 5", "Sapphire
	// Rapids", "Neoverse V2", or "unknown"); the name string is never used on x86.
	CPUVendor      string `json:"cpu_vendor,omitempty"`
	CPUFamily      int    `json:"cpu_family,omitempty"`
	CPUModelNumber int    `json:"cpu_model_number,omitempty"`
	CPUMicroarch   string `json:"cpu_microarch,omitempty"`
	// CPUFeatures are the features that decide the per-precision peaks, named and
	// ordered as CPUFeatureNames: CPUID's (klauspost/cpuid/v2) and the OS's flags;
	// AMX only where the OS lists it (Linux enables the tile state per process).
	CPUFeatures []string `json:"cpu_features,omitempty"`
	// CPULLCBytes is the last-level cache in bytes as CPUID reports it (L3, else L2;
	// on AMD the L3 of one core complex); 0 when unknown.
	CPULLCBytes uint64 `json:"cpu_llc_bytes,omitempty"`

	// MemoryTotalBytes is the total physical memory in bytes (gopsutil mem.VirtualMemory Total).
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	// MemoryAvailableBytes is the memory in bytes available to start new
	// applications without swapping, at the moment of detection (gopsutil
	// mem.VirtualMemory Available; MemAvailable on Linux).
	MemoryAvailableBytes uint64 `json:"memory_available_bytes"`

	// Virtualization names the virtualization or container system and the
	// machine's role in it as "system/role", e.g. "kvm/guest", "docker/guest"
	// (gopsutil host.Info VirtualizationSystem and VirtualizationRole); empty
	// when none was detected.
	Virtualization string `json:"virtualization,omitempty"`

	// GPUs lists the GPUs found: NVIDIA GPUs through nvidia-smi when it is on PATH;
	// AMD GPUs through Linux sysfs (/sys/class/drm/card*/device with vendor 0x1002);
	// on macOS the GPUs system_profiler reports (Apple silicon GPUs with their core
	// count and the unified memory size). Never nil: an empty list when there is none.
	GPUs []GPU `json:"gpus"`

	// Warnings says, one line each, what could not be detected and why.
	Warnings []string `json:"warnings,omitempty"`
}

// GPU is one GPU as its vendor's tool reports it.
type GPU struct {
	// Vendor is the GPU maker, e.g. "NVIDIA".
	Vendor string `json:"vendor"`
	// Name is the product name, e.g. "NVIDIA GeForce RTX 4090".
	Name string `json:"name"`
	// Driver is the driver version, e.g. "550.54.14"; empty when unknown.
	Driver string `json:"driver"`
	// MemoryTotalBytes is the GPU's total memory in bytes; 0 when unknown
	// (e.g. "[N/A]" on GPUs with unified memory).
	MemoryTotalBytes uint64 `json:"memory_total_bytes"`
	// MemoryUsedBytes is the GPU memory in use, in bytes, at the moment of
	// detection; 0 when unknown.
	MemoryUsedBytes uint64 `json:"memory_used_bytes"`
	// Index is the vendor tool's index of the GPU (nvidia-smi's index).
	Index int `json:"index"`
	// UUID is the GPU's unique id, e.g. "GPU-5a9c...", empty when unknown.
	UUID string `json:"uuid"`
	// Cores is the GPU core count where the vendor tool reports it (Apple
	// system_profiler sppci_cores); 0 when unknown.
	Cores int `json:"cores,omitempty"`
}

// CommandRunner runs the program name with args and returns what it wrote to
// standard output. It must stop the program when ctx is done.
type CommandRunner func(ctx context.Context, name string, args ...string) (stdout []byte, err error)

// DefaultCommandTimeout bounds each external command Detect runs (nvidia-smi).
const DefaultCommandTimeout = 5 * time.Second

// NvidiaSMIArgs are the arguments Detect passes to nvidia-smi; ParseNvidiaSMI
// reads the output they produce.
var NvidiaSMIArgs = []string{
	"--query-gpu=index,uuid,name,driver_version,memory.total,memory.used",
	"--format=csv,noheader,nounits",
}

// Detector holds the pieces of detection that can be replaced, for tests or
// unusual setups. The zero value detects this machine as Detect does.
type Detector struct {
	// NvidiaSMI is the path of the nvidia-smi program. Empty: look it up on
	// PATH with exec.LookPath; not found means no NVIDIA GPU, and no warning.
	NvidiaSMI string
	// Run runs external commands; nil runs them with os/exec.
	Run CommandRunner
	// Timeout bounds each external command; 0 means DefaultCommandTimeout.
	Timeout time.Duration
	// SysfsRoot is where Linux sysfs is mounted, for AMD GPUs; "" means "/sys".
	SysfsRoot string
	// GOOS selects the OS-specific detection (AMD sysfs on linux, sysctl and
	// system_profiler on darwin); "" means runtime.GOOS.
	GOOS string

	// Replaceable gopsutil calls, for tests of partial failure; nil means gopsutil.
	cpuInfo   func(context.Context) ([]cpu.InfoStat, error)
	cpuID     func() cpuIDInfo
	cpuCounts func(ctx context.Context, logical bool) (int, error)
	virtMem   func(context.Context) (*mem.VirtualMemoryStat, error)
	hostInfo  func(context.Context) (*host.InfoStat, error)
}

// Detect detects the hardware of this machine. It never fails as a whole:
// whatever cannot be read is reported in Hardware.Warnings.
func Detect(ctx context.Context) Hardware {
	return DetectWith(ctx, Detector{})
}

// DetectWith detects the hardware of this machine using the pieces in d.
func DetectWith(ctx context.Context, d Detector) Hardware {
	d.setDefaults()
	hw := Hardware{Arch: runtime.GOARCH, GPUs: []GPU{}}
	warn := func(format string, args ...any) {
		hw.Warnings = append(hw.Warnings, fmt.Sprintf(format, args...))
	}

	// Operating system and virtualization.
	hi, err := d.hostInfo(ctx)
	if hi != nil {
		hw.Hostname = hi.Hostname
		hw.OS = hi.OS
		hw.Platform = hi.Platform
		hw.PlatformVersion = hi.PlatformVersion
		hw.KernelVersion = hi.KernelVersion
		hw.Virtualization = virtualization(hi.VirtualizationSystem, hi.VirtualizationRole)
	}
	if err != nil {
		warn("host info: %v", err)
	}
	if hw.OS == "" {
		hw.OS = runtime.GOOS
	}
	if hw.Hostname == "" {
		if name, err := os.Hostname(); err == nil {
			hw.Hostname = name
		}
	}

	// CPU model and SIMD features.
	infos, err := d.cpuInfo(ctx)
	if err != nil {
		warn("cpu info: %v", err)
	}
	for _, in := range infos {
		if m := strings.TrimSpace(in.ModelName); m != "" {
			hw.CPUModel = m
			break
		}
	}
	if hw.CPUModel == "" && err == nil {
		warn("cpu info: no model name reported")
	}
	hw.CPUSIMD = simdFeatures(infos, runtime.GOARCH)
	describeCPU(&hw, d.cpuID(), infos, d.GOOS)
	for _, in := range infos {
		if in.Mhz > 0 {
			hw.CPUMHz = in.Mhz
			break
		}
	}

	// Core counts.
	if n, err := d.cpuCounts(ctx, false); err != nil {
		warn("cpu physical cores: %v", err)
	} else if n <= 0 {
		warn("cpu physical cores: not reported")
	} else {
		hw.CPUPhysicalCores = n
	}
	if n, err := d.cpuCounts(ctx, true); err != nil || n <= 0 {
		hw.CPULogicalCores = runtime.NumCPU()
		if err == nil {
			err = errors.New("not reported")
		}
		warn("cpu logical cores: %v (using runtime.NumCPU = %d, which counts only the CPUs this process may use)", err, hw.CPULogicalCores)
	} else {
		hw.CPULogicalCores = n
	}

	// Memory.
	vm, err := d.virtMem(ctx)
	if vm != nil {
		hw.MemoryTotalBytes = vm.Total
		hw.MemoryAvailableBytes = vm.Available
	}
	if err != nil {
		warn("memory: %v", err)
	} else if hw.MemoryTotalBytes == 0 {
		warn("memory: total not reported")
	}

	// GPUs.
	gpus, err := d.nvidiaGPUs(ctx)
	if err != nil {
		warn("nvidia gpus: %v", err)
	}
	hw.GPUs = append(hw.GPUs, gpus...)
	switch d.GOOS {
	case "linux":
		gpus, err := AMDGPUs(filepath.Join(d.SysfsRoot, "class", "drm"))
		if err != nil {
			warn("amd gpus: %v", err)
		}
		hw.GPUs = append(hw.GPUs, gpus...)
	case "darwin":
		d.apple(ctx, &hw, warn)
	}

	return hw
}

func (d *Detector) setDefaults() {
	if d.Run == nil {
		d.Run = execRunner
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultCommandTimeout
	}
	if d.SysfsRoot == "" {
		d.SysfsRoot = "/sys"
	}
	if d.GOOS == "" {
		d.GOOS = runtime.GOOS
	}
	if d.cpuInfo == nil {
		d.cpuInfo = cpu.InfoWithContext
	}
	if d.cpuID == nil {
		d.cpuID = liveCPUID
	}
	if d.cpuCounts == nil {
		d.cpuCounts = cpu.CountsWithContext
	}
	if d.virtMem == nil {
		d.virtMem = mem.VirtualMemoryWithContext
	}
	if d.hostInfo == nil {
		d.hostInfo = host.InfoWithContext
	}
}

// nvidiaGPUs runs nvidia-smi when there is one. No nvidia-smi on PATH is not
// an error: the machine has no NVIDIA driver.
func (d *Detector) nvidiaGPUs(ctx context.Context) ([]GPU, error) {
	path := d.NvidiaSMI
	if path == "" {
		p, err := exec.LookPath("nvidia-smi")
		if err != nil {
			return nil, nil
		}
		path = p
	}
	cctx, cancel := context.WithTimeout(ctx, d.Timeout)
	defer cancel()
	out, err := d.Run(cctx, path, NvidiaSMIArgs...)
	if err != nil {
		if cctx.Err() != nil && ctx.Err() == nil {
			return nil, fmt.Errorf("%s: no answer within %v", path, d.Timeout)
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	gpus, err := ParseNvidiaSMI(out)
	if err != nil {
		return nil, fmt.Errorf("%s output: %w", path, err)
	}
	return gpus, nil
}

// execRunner runs a program with os/exec; a failure carries the start of its
// standard error.
func execRunner(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	cmd.Stderr = &stderr
	// Do not wait for pipes held open by grandchildren once the program is killed.
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if msg := firstLine(stderr.String(), stdout.String()); msg != "" {
			return nil, fmt.Errorf("%w: %s", err, msg)
		}
		return nil, err
	}
	return stdout.Bytes(), nil
}

// firstLine returns the first non-empty line of the first non-empty text, cut to 200 bytes.
func firstLine(texts ...string) string {
	for _, t := range texts {
		for _, line := range strings.Split(t, "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if len(line) > 200 {
				line = line[:200] + "..."
			}
			return line
		}
	}
	return ""
}

func virtualization(system, role string) string {
	system, role = strings.TrimSpace(system), strings.TrimSpace(role)
	switch {
	case system == "":
		return ""
	case role == "":
		return system
	default:
		return system + "/" + role
	}
}

// simdOrder is the fixed order and vocabulary of Hardware.CPUSIMD.
var simdOrder = []string{"avx", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx512_fp16", "avx_vnni", "amx", "fma", "f16c", "neon", "dotprod", "i8mm", "sve"}

// simdAliases maps a lower-cased CPU flag, as Linux or macOS spell it, to a
// name of simdOrder.
var simdAliases = map[string]string{
	"avx": "avx", "avx1.0": "avx",
	"avx2":        "avx2",
	"avx512f":     "avx512f",
	"avx512_vnni": "avx512_vnni", "avx512vnni": "avx512_vnni",
	"avx512_bf16": "avx512_bf16", "avx512bf16": "avx512_bf16",
	"avx512_fp16": "avx512_fp16", "avx512fp16": "avx512_fp16",
	"avx_vnni": "avx_vnni", "avxvnni": "avx_vnni",
	"amx_tile": "amx", "amx_bf16": "amx", "amx_int8": "amx", "amxtile": "amx", "amxbf16": "amx", "amxint8": "amx",
	"fma":  "fma",
	"f16c": "f16c",
	"neon": "neon", "asimd": "neon",
	"asimddp": "dotprod", "dotprod": "dotprod",
	"i8mm": "i8mm",
	"sve":  "sve",
}

// simdFeatures returns the features of simdOrder that every CPU entry with
// flags reports.
func simdFeatures(infos []cpu.InfoStat, goarch string) []string {
	common := commonFlags(infos, func(f string) (string, bool) { n, ok := simdAliases[f]; return n, ok })
	if goarch == "arm64" {
		if common == nil {
			common = map[string]bool{}
		}
		common["neon"] = true // Advanced SIMD is mandatory in AArch64.
	}
	out := []string{}
	for _, name := range simdOrder {
		if common[name] {
			out = append(out, name)
		}
	}
	return out
}

// mib is the size of one mebibyte: nvidia-smi reports memory in MiB.
const mib = 1 << 20

// ParseNvidiaSMI parses the output of
//
//	nvidia-smi --query-gpu=index,uuid,name,driver_version,memory.total,memory.used --format=csv,noheader,nounits
//
// one GPU per line, six comma-separated fields. Memory is given in MiB and
// returned in bytes. A field nvidia-smi cannot fill ("[N/A]", "[Not
// Supported]", any value in square brackets) is left at its zero value, except
// the index, which is required. Blank lines are skipped; empty output yields
// no GPUs. A malformed line is an error naming its line number (1-based).
func ParseNvidiaSMI(csv []byte) ([]GPU, error) {
	gpus := []GPU{}
	for i, line := range strings.Split(string(csv), "\n") {
		n := i + 1
		line = strings.TrimSpace(strings.TrimSuffix(line, "\r"))
		if line == "" {
			continue
		}
		fields := strings.Split(line, ",")
		if len(fields) != 6 {
			return nil, fmt.Errorf("line %d: %d fields, want 6 (index, uuid, name, driver_version, memory.total, memory.used): %q", n, len(fields), clip(line))
		}
		for j := range fields {
			fields[j] = strings.TrimSpace(fields[j])
			if isNA(fields[j]) {
				fields[j] = ""
			}
		}
		if fields[0] == "" {
			return nil, fmt.Errorf("line %d: index missing", n)
		}
		index, err := strconv.Atoi(fields[0])
		if err != nil || index < 0 {
			return nil, fmt.Errorf("line %d: index %q is not a non-negative integer", n, clip(fields[0]))
		}
		total, err := parseMiB(fields[4])
		if err != nil {
			return nil, fmt.Errorf("line %d: memory.total: %w", n, err)
		}
		used, err := parseMiB(fields[5])
		if err != nil {
			return nil, fmt.Errorf("line %d: memory.used: %w", n, err)
		}
		gpus = append(gpus, GPU{
			Vendor:           "NVIDIA",
			Name:             fields[2],
			Driver:           fields[3],
			MemoryTotalBytes: total,
			MemoryUsedBytes:  used,
			Index:            index,
			UUID:             fields[1],
		})
	}
	return gpus, nil
}

// isNA reports whether an nvidia-smi field is one of its "no value" markers,
// which are written in square brackets: [N/A], [Not Supported], [Unknown Error].
func isNA(field string) bool {
	return strings.HasPrefix(field, "[") && strings.HasSuffix(field, "]")
}

// parseMiB parses a whole number of MiB (an optional " MiB" unit is allowed)
// and returns bytes; "" means unknown and gives 0.
func parseMiB(s string) (uint64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "MiB"))
	if s == "" {
		return 0, nil
	}
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%q is not a whole number of MiB", clip(s))
	}
	if v > ^uint64(0)/mib {
		return 0, fmt.Errorf("%d MiB overflows a byte count", v)
	}
	return v * mib, nil
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// amdVendorID is AMD's PCI vendor id as sysfs writes it.
const amdVendorID = "0x1002"

// amdDeviceNames names AMD GPUs whose driver exposes no product_name, by PCI device
// id and revision ("0x744c/0xc8"), or by device id alone ("0x74a1"). Ids from the
// PCI ID Repository (pci-ids.ucw.cz, vendor 1002).
var amdDeviceNames = map[string]string{
	"0x744c/0xc8": "AMD Radeon RX 7900 XTX",
	"0x744c/0xcc": "AMD Radeon RX 7900 XT",
	"0x74a1":      "AMD Instinct MI300X",
	"0x740f":      "AMD Instinct MI210",
}

// AMDGPUs lists the AMD GPUs under drmDir (Linux: /sys/class/drm): every cardN
// whose device/vendor is 0x1002. Name: device/product_name when the driver fills it
// (Instinct and PRO cards), else a name by PCI id (amdDeviceNames), else "AMD GPU
// <device id> rev <revision>". Memory: device/mem_info_vram_total and
// mem_info_vram_used (bytes, amdgpu driver). Index: N of cardN. UUID: device/unique_id
// when present. A missing drmDir means no GPUs and no error; an unreadable vendor file
// of a card is skipped.
func AMDGPUs(drmDir string) ([]GPU, error) {
	cards, err := filepath.Glob(filepath.Join(drmDir, "card*"))
	if err != nil {
		return nil, err
	}
	gpus := []GPU{}
	for _, card := range cards {
		base := filepath.Base(card)
		idx, err := strconv.Atoi(strings.TrimPrefix(base, "card"))
		if err != nil { // card0-DP-1 and other connectors
			continue
		}
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(card, "device", name))
			return strings.TrimSpace(string(b))
		}
		if !strings.EqualFold(read("vendor"), amdVendorID) {
			continue
		}
		dev, rev := strings.ToLower(read("device")), strings.ToLower(read("revision"))
		name := read("product_name")
		if name == "" {
			name = amdDeviceNames[dev+"/"+rev]
		}
		if name == "" {
			name = amdDeviceNames[dev]
		}
		if name == "" {
			name = strings.TrimSpace(fmt.Sprintf("AMD GPU %s rev %s", dev, rev))
		}
		g := GPU{Vendor: "AMD", Name: name, Driver: "amdgpu", Index: idx, UUID: read("unique_id")}
		g.MemoryTotalBytes, _ = strconv.ParseUint(read("mem_info_vram_total"), 10, 64)
		g.MemoryUsedBytes, _ = strconv.ParseUint(read("mem_info_vram_used"), 10, 64)
		gpus = append(gpus, g)
	}
	slices.SortFunc(gpus, func(a, b GPU) int { return a.Index - b.Index })
	return gpus, nil
}

// SysctlArgs and SystemProfilerArgs are the macOS commands Detect runs on darwin.
var (
	SysctlArgs         = []string{"-n", "machdep.cpu.brand_string", "hw.memsize"}
	SystemProfilerArgs = []string{"SPDisplaysDataType", "-json"}
)

// apple fills in the CPU name and memory from sysctl when gopsutil left them empty,
// and lists the GPUs system_profiler reports.
func (d *Detector) apple(ctx context.Context, hw *Hardware, warn func(string, ...any)) {
	run := func(name string, args []string) ([]byte, error) {
		cctx, cancel := context.WithTimeout(ctx, d.Timeout)
		defer cancel()
		return d.Run(cctx, name, args...)
	}
	if out, err := run("sysctl", SysctlArgs); err != nil {
		warn("sysctl: %v", err)
	} else {
		brand, mem, err := ParseSysctl(out)
		if err != nil {
			warn("sysctl: %v", err)
		}
		if hw.CPUModel == "" {
			hw.CPUModel = brand
		}
		if hw.MemoryTotalBytes == 0 {
			hw.MemoryTotalBytes = mem
		}
	}
	out, err := run("system_profiler", SystemProfilerArgs)
	if err != nil {
		warn("system_profiler: %v", err)
		return
	}
	gpus, err := ParseSystemProfilerDisplays(out, hw.MemoryTotalBytes)
	if err != nil {
		warn("system_profiler: %v", err)
	}
	hw.GPUs = append(hw.GPUs, gpus...)
}

// ParseSysctl parses the output of `sysctl -n machdep.cpu.brand_string hw.memsize`:
// the CPU brand ("Apple M3 Max") and the memory size in bytes, one per line.
func ParseSysctl(out []byte) (brand string, memBytes uint64, err error) {
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != 2 {
		return "", 0, fmt.Errorf("%d lines, want 2 (brand string, memory size)", len(lines))
	}
	brand = strings.TrimSpace(lines[0])
	memBytes, err = strconv.ParseUint(strings.TrimSpace(lines[1]), 10, 64)
	if err != nil {
		return brand, 0, fmt.Errorf("hw.memsize %q is not a byte count", clip(lines[1]))
	}
	return brand, memBytes, nil
}

// ParseSystemProfilerDisplays parses `system_profiler SPDisplaysDataType -json`.
// Each entry is a GPU: its name from sppci_model (else _name), vendor from
// sppci_vendor ("sppci_vendor_Apple" → "Apple"), core count from sppci_cores, memory
// from spdisplays_vram ("8 GB") or, for Apple GPUs, which share the machine's memory,
// unifiedBytes. Index is the position in the list.
func ParseSystemProfilerDisplays(out []byte, unifiedBytes uint64) ([]GPU, error) {
	var doc struct {
		Displays []struct {
			Name   string `json:"_name"`
			Model  string `json:"sppci_model"`
			Vendor string `json:"sppci_vendor"`
			Cores  string `json:"sppci_cores"`
			VRAM   string `json:"spdisplays_vram"`
		} `json:"SPDisplaysDataType"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		return []GPU{}, fmt.Errorf("not the JSON of SPDisplaysDataType: %w", err)
	}
	gpus := []GPU{}
	for i, e := range doc.Displays {
		g := GPU{Name: strings.TrimSpace(e.Model), Index: i}
		if g.Name == "" {
			g.Name = strings.TrimSpace(e.Name)
		}
		v := strings.TrimPrefix(e.Vendor, "sppci_vendor_")
		switch {
		case strings.EqualFold(v, "apple") || v == "" && strings.HasPrefix(g.Name, "Apple "):
			g.Vendor = "Apple"
			g.MemoryTotalBytes = unifiedBytes
		case strings.EqualFold(v, "amd") || strings.EqualFold(v, "ati"):
			g.Vendor = "AMD"
		case v != "":
			g.Vendor = v
		}
		g.Cores, _ = strconv.Atoi(strings.TrimSpace(e.Cores))
		if f := strings.Fields(e.VRAM); len(f) == 2 && g.MemoryTotalBytes == 0 {
			n, err := strconv.ParseUint(f[0], 10, 64)
			if err == nil {
				switch strings.ToUpper(f[1]) {
				case "GB":
					g.MemoryTotalBytes = n << 30
				case "MB":
					g.MemoryTotalBytes = n << 20
				}
			}
		}
		gpus = append(gpus, g)
	}
	return gpus, nil
}
