// Package profiles describes the hardware a benchmark runs on: detection of the
// CPU, memory, operating system and GPUs of this machine, recorded in every run.
package profiles

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
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

	// GPUs lists the GPUs found. Only NVIDIA GPUs are detected today, through
	// nvidia-smi when it is on PATH. Never nil: an empty list when there is none.
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

	// Replaceable gopsutil calls, for tests of partial failure; nil means gopsutil.
	cpuInfo   func(context.Context) ([]cpu.InfoStat, error)
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

	return hw
}

func (d *Detector) setDefaults() {
	if d.Run == nil {
		d.Run = execRunner
	}
	if d.Timeout <= 0 {
		d.Timeout = DefaultCommandTimeout
	}
	if d.cpuInfo == nil {
		d.cpuInfo = cpu.InfoWithContext
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
var simdOrder = []string{"avx", "avx2", "avx512f", "avx512_bf16", "avx_vnni", "amx", "fma", "f16c", "neon", "sve"}

// simdAliases maps a lower-cased CPU flag, as Linux or macOS spell it, to a
// name of simdOrder.
var simdAliases = map[string]string{
	"avx": "avx", "avx1.0": "avx",
	"avx2":        "avx2",
	"avx512f":     "avx512f",
	"avx512_bf16": "avx512_bf16", "avx512bf16": "avx512_bf16",
	"avx_vnni": "avx_vnni", "avxvnni": "avx_vnni",
	"amx_tile": "amx", "amx_bf16": "amx", "amx_int8": "amx", "amxtile": "amx", "amxbf16": "amx", "amxint8": "amx",
	"fma":  "fma",
	"f16c": "f16c",
	"neon": "neon", "asimd": "neon",
	"sve": "sve",
}

// simdFeatures returns the features of simdOrder that every CPU entry with
// flags reports.
func simdFeatures(infos []cpu.InfoStat, goarch string) []string {
	var common map[string]bool
	for _, in := range infos {
		if len(in.Flags) == 0 {
			continue
		}
		have := map[string]bool{}
		for _, f := range in.Flags {
			if name, ok := simdAliases[strings.ToLower(strings.TrimSpace(f))]; ok {
				have[name] = true
			}
		}
		if common == nil {
			common = have
			continue
		}
		for name := range common {
			if !have[name] {
				delete(common, name)
			}
		}
	}
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
