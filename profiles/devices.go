package profiles

import (
	"fmt"
	"slices"
	"strings"
)

// A Device is one row of the built-in device table: the figures a spec sheet gives
// for a GPU, an Apple system on a chip, a server or desktop CPU, or a typical memory
// system, each with where it came from.
//
// Units: bytes, bytes per second and FLOP per second as plain numbers (1 GB/s = 1e9
// bytes/s, 1 TFLOP/s = 1e12 FLOP/s, as spec sheets count them); memory sizes in bytes
// (a spec sheet's "24 GB" of GPU memory is 24 GiB).
type Device struct {
	// ID is the stable name of the row, lower-case with hyphens, e.g. "rtx-4090";
	// "builtin:<ID>" names it as a profile.
	ID string `json:"id"`
	// Name is the product's name, e.g. "NVIDIA GeForce RTX 4090".
	Name string `json:"name"`
	// Kind is "gpu", "cpu" (a CPU or a host memory system) or "soc" (CPU and GPU
	// sharing one memory, e.g. Apple M-series).
	Kind string `json:"kind"`
	// Vendor is the maker, e.g. "NVIDIA", "AMD", "Apple", "Intel"; "" for a generic
	// memory system.
	Vendor string `json:"vendor"`
	// Match lists the names this row stands for, compared with a detected GPU or CPU
	// name by MatchDevice (case-insensitive, word by word). Empty: the row is never
	// matched by name, only named as "builtin:<ID>" (generic memory systems).
	Match []string `json:"match,omitempty"`
	// MemoryBandwidthBytesPerS is the peak memory bandwidth from the spec sheet, in
	// bytes per second. For a memory system: channels × transfers/s × 8 bytes (a
	// 64-bit DDR channel; a DDR5 DIMM's two 32-bit subchannels count as one channel).
	MemoryBandwidthBytesPerS float64 `json:"memory_bandwidth_bytes_per_s"`
	// PeakFP16FLOPS is the dense (no sparsity) FP16 peak in FLOP per second. One
	// convention for every NVIDIA row: the tensor-core figure with FP16 accumulate,
	// because that is what llama.cpp's cuBLAS GEMMs run at (ggml-cuda.cu in Ollama
	// v0.24.0, ml/backend/ggml/ggml/src/ggml-cuda: cublasGemmEx with
	// CUBLAS_COMPUTE_16F on every NVIDIA GPU; CUBLAS_COMPUTE_32F only on AMD CDNA
	// and RDNA4). Data-center parts run FP16 and FP32 accumulate at the same rate;
	// GeForce parts and the L40 run FP32 accumulate at half. AMD rows: the peak FP16
	// (matrix) figure; Apple GPUs: the FP32 rate (their FP16 rate is the same). CPU
	// rows: the faster of FP16 FMAs, BF16 dot products and AMX-BF16 (CorePeaksOf),
	// never below FP32. 0 when unknown.
	PeakFP16FLOPS float64 `json:"peak_fp16_flop_per_s"`
	// PeakFP32FLOPS is the FP32 FMA peak of CPU rows, FLOP per second (cores × clock
	// × CorePeaksOf's FP32 FLOP per cycle); 0 for GPU rows, whose general figure is
	// PeakFP16FLOPS.
	PeakFP32FLOPS float64 `json:"peak_fp32_flop_per_s,omitempty"`
	// PeakINT8OPS is the dense int8 peak in operations per second (a multiply-add
	// counts 2): NVIDIA int8 tensor cores (Turing and later), dp4a on Volta (4 × the
	// FP32 rate); AMD int8 matrix/WMMA figures; CPU rows: CorePeaksOf's int8 figure.
	// 0 when unknown: the prefill ceiling of a quantized model then falls back to
	// the FP16 peak and says so.
	PeakINT8OPS float64 `json:"peak_int8_op_per_s,omitempty"`
	// MemoryBytes is the device memory in bytes; 0 for CPUs and Apple chips, whose
	// memory size varies by machine.
	MemoryBytes uint64 `json:"memory_bytes"`
	// TDPWatts is the board power (GPUs) or package power (CPUs: the maker's default
	// TDP) in watts, for cost estimates; 0 when the maker publishes none (Apple).
	TDPWatts float64 `json:"tdp_w"`
	// Source is the spec sheet or document and the figures taken from it.
	Source string `json:"source"`
}

const (
	gbps   = 1e9  // 1 GB/s in bytes per second, as spec sheets count it
	tflops = 1e12 // 1 TFLOP/s in FLOP per second
	gib    = 1 << 30
)

// ddr returns the peak bandwidth in bytes/s of channels 64-bit DDR channels at mts
// megatransfers per second: channels × mts × 1e6 × 8 bytes (JEDEC: one transfer
// moves the channel's 64 bits).
func ddr(channels int, mts float64) float64 { return float64(channels) * mts * 1e6 * 8 }

// memorySystem is a built-in row for a typical CPU memory system of the given DDR
// generation (4 or 5), channel count and transfer rate in MT/s: its bandwidth is
// ddr(channels, mts) and its source the JEDEC standard of the generation (JESD79-4,
// JESD79-5), per socket. Its FLOP/s are unknown (0).
func memorySystem(id, name string, generation, channels int, mts float64) Device {
	bw := ddr(channels, mts)
	return Device{ID: id, Name: name, Kind: "cpu", MemoryBandwidthBytesPerS: bw,
		Source: fmt.Sprintf("JEDEC JESD79-%d DDR%d-%g: %d channels × %g MT/s × 8 bytes = %g GB/s per socket",
			generation, generation, mts, channels, mts, bw/1e9)}
}

// cpuRow fills a CPU row's peaks from its core count, max boost clock in GHz and
// the description of its cores (CorePeaksOf), and appends the formula to its source.
func cpuRow(d Device, cores int, ghz float64, cpu CPUDescription) Device {
	c := CorePeaksOf(cpu)
	hz := float64(cores) * ghz * 1e9
	d.PeakFP32FLOPS = hz * float64(c.FP32FLOPPerCycle)
	d.PeakFP16FLOPS = hz * float64(c.FP16FLOPPerCycle)
	d.PeakINT8OPS = hz * float64(c.INT8OpPerCycle)
	d.Source += fmt.Sprintf("; peaks = %d cores × %g GHz × (%s) %d FP32 FLOP, %d FP16/BF16 FLOP, %d int8 ops per cycle",
		cores, ghz, c.Microarch, c.FP32FLOPPerCycle, c.FP16FLOPPerCycle, c.INT8OpPerCycle)
	return d
}

// retiredIDs maps device IDs the table no longer has to the row that replaced them,
// so profile files naming them still load: a100-40gb was one row for the SXM and PCIe
// parts, which differ in power (400 W and 250 W); its figures were the SXM part's.
var retiredIDs = map[string]string{"a100-40gb": "a100-sxm4-40gb"}

// devices is the built-in table. Keep IDs unique and every row sourced; the tests
// check both.
var devices = []Device{
	// NVIDIA data center. Figures from the product datasheets; FP16 is the tensor-core
	// figure without sparsity (datasheets print the sparse one with an asterisk, twice
	// as high).
	{ID: "a100-sxm4-40gb", Name: "NVIDIA A100 40GB SXM", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"A100-SXM4-40GB", "A100 SXM4 40GB"},
		MemoryBandwidthBytesPerS: 1555 * gbps, PeakFP16FLOPS: 312 * tflops, PeakINT8OPS: 624 * tflops, MemoryBytes: 40 * gib, TDPWatts: 400,
		Source: "NVIDIA A100 Tensor Core GPU datasheet (2021): 40GB HBM2 SXM 1,555 GB/s; FP16 Tensor Core 312 TFLOPS, INT8 Tensor Core 624 TOPS dense; max TDP 400 W"},
	{ID: "a100-pcie-40gb", Name: "NVIDIA A100 40GB PCIe", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"A100-PCIE-40GB", "A100 PCIe 40GB"},
		MemoryBandwidthBytesPerS: 1555 * gbps, PeakFP16FLOPS: 312 * tflops, PeakINT8OPS: 624 * tflops, MemoryBytes: 40 * gib, TDPWatts: 250,
		Source: "NVIDIA A100 PCIe product brief (PB-10137) and A100 datasheet (2021): 40GB HBM2 PCIe 1,555 GB/s; FP16 Tensor Core 312 TFLOPS, INT8 Tensor Core 624 TOPS dense; max TDP 250 W"},
	{ID: "a100-sxm4-80gb", Name: "NVIDIA A100 80GB SXM", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"A100-SXM4-80GB", "A100 SXM4 80GB"},
		MemoryBandwidthBytesPerS: 2039 * gbps, PeakFP16FLOPS: 312 * tflops, PeakINT8OPS: 624 * tflops, MemoryBytes: 80 * gib, TDPWatts: 400,
		Source: "NVIDIA A100 Tensor Core GPU datasheet (2021): 80GB HBM2e SXM 2,039 GB/s; FP16 Tensor Core 312 TFLOPS dense; max TDP 400 W; INT8 Tensor Core 624 TOPS dense"},
	{ID: "a100-pcie-80gb", Name: "NVIDIA A100 80GB PCIe", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"A100 80GB PCIe", "A100-PCIE-80GB"},
		MemoryBandwidthBytesPerS: 1935 * gbps, PeakFP16FLOPS: 312 * tflops, PeakINT8OPS: 624 * tflops, MemoryBytes: 80 * gib, TDPWatts: 300,
		Source: "NVIDIA A100 Tensor Core GPU datasheet (2021): 80GB HBM2e PCIe 1,935 GB/s; FP16 Tensor Core 312 TFLOPS dense; max TDP 300 W; INT8 Tensor Core 624 TOPS dense"},
	{ID: "h100-sxm", Name: "NVIDIA H100 SXM5 80GB", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"H100 80GB HBM3", "H100 SXM", "H100-SXM5-80GB"},
		MemoryBandwidthBytesPerS: 3350 * gbps, PeakFP16FLOPS: 989.5 * tflops, PeakINT8OPS: 1979 * tflops, MemoryBytes: 80 * gib, TDPWatts: 700,
		Source: "NVIDIA H100 Tensor Core GPU datasheet: H100 SXM 3.35 TB/s; FP16 Tensor Core 1,979 TFLOPS with sparsity = 989.5 dense; max TDP 700 W; INT8 Tensor Core 3,958 TOPS with sparsity = 1,979 dense"},
	{ID: "h100-pcie", Name: "NVIDIA H100 PCIe 80GB", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"H100 PCIe"},
		MemoryBandwidthBytesPerS: 2000 * gbps, PeakFP16FLOPS: 756 * tflops, PeakINT8OPS: 1513 * tflops, MemoryBytes: 80 * gib, TDPWatts: 350,
		Source: "NVIDIA H100 Tensor Core GPU datasheet: H100 PCIe 2 TB/s; FP16 Tensor Core 1,513 TFLOPS with sparsity = 756 dense; max TDP 350 W; INT8 Tensor Core 3,026 TOPS with sparsity = 1,513 dense"},
	{ID: "h100-nvl", Name: "NVIDIA H100 NVL 94GB", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"H100 NVL"},
		MemoryBandwidthBytesPerS: 3900 * gbps, PeakFP16FLOPS: 835.5 * tflops, PeakINT8OPS: 1670.5 * tflops, MemoryBytes: 94 * gib, TDPWatts: 400,
		Source: "NVIDIA H100 Tensor Core GPU datasheet (2023): H100 NVL 3.9 TB/s, 94 GB; FP16 Tensor Core 1,671 TFLOPS with sparsity = 835.5 dense; 350-400 W; INT8 Tensor Core 3,341 TOPS with sparsity = 1,670.5 dense"},
	{ID: "h200-sxm", Name: "NVIDIA H200 SXM 141GB", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"H200"},
		MemoryBandwidthBytesPerS: 4800 * gbps, PeakFP16FLOPS: 989.5 * tflops, PeakINT8OPS: 1979 * tflops, MemoryBytes: 141 * gib, TDPWatts: 700,
		Source: "NVIDIA H200 Tensor Core GPU datasheet: H200 SXM 141 GB HBM3e 4.8 TB/s; FP16 Tensor Core 1,979 TFLOPS with sparsity = 989.5 dense; up to 700 W; INT8 Tensor Core 3,958 TOPS with sparsity = 1,979 dense"},
	{ID: "b200", Name: "NVIDIA B200", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"B200"},
		MemoryBandwidthBytesPerS: 8000 * gbps, PeakFP16FLOPS: 2250 * tflops, PeakINT8OPS: 4500 * tflops, MemoryBytes: 180 * gib, TDPWatts: 1000,
		Source: "NVIDIA DGX B200 / HGX B200 datasheet: per GPU 180 GB HBM3e, 8 TB/s; FP16/BF16 Tensor Core 4.5 PFLOPS with sparsity = 2.25 dense; 1,000 W; INT8 Tensor Core 9 POPS with sparsity = 4.5 dense"},
	{ID: "v100-sxm2", Name: "NVIDIA Tesla V100 SXM2", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"V100-SXM2", "V100 SXM2"},
		MemoryBandwidthBytesPerS: 900 * gbps, PeakFP16FLOPS: 125 * tflops, PeakINT8OPS: 62.8 * tflops, MemoryBytes: 0, TDPWatts: 300,
		Source: "NVIDIA Tesla V100 datasheet: SXM2 900 GB/s HBM2 (16 or 32 GB, so memory left 0); Tensor Performance 125 TFLOPS; 300 W; no int8 tensor cores: dp4a at 4 int8 MACs per FP32 FMA slot = 4 × FP32 15.7 TFLOPS = 62.8 TOPS (CUDA C++ Programming Guide, arithmetic instruction throughput, compute capability 7.0)"},
	{ID: "l4", Name: "NVIDIA L4", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"NVIDIA L4"},
		MemoryBandwidthBytesPerS: 300 * gbps, PeakFP16FLOPS: 121 * tflops, PeakINT8OPS: 242.5 * tflops, MemoryBytes: 24 * gib, TDPWatts: 72,
		Source: "NVIDIA L4 Tensor Core GPU datasheet: 24 GB GDDR6 300 GB/s; FP16 Tensor Core 242 TFLOPS with sparsity = 121 dense; 72 W; INT8 Tensor Core 485 TOPS with sparsity = 242.5 dense"},
	{ID: "l40s", Name: "NVIDIA L40S", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"L40S"},
		MemoryBandwidthBytesPerS: 864 * gbps, PeakFP16FLOPS: 362.05 * tflops, PeakINT8OPS: 733 * tflops, MemoryBytes: 48 * gib, TDPWatts: 350,
		Source: "NVIDIA L40S datasheet: 48 GB GDDR6 864 GB/s; FP16 Tensor Core 362.05 TFLOPS dense (733 sparse); 350 W; INT8 Tensor Core 733 TOPS dense (1,466 sparse)"},
	{ID: "l40", Name: "NVIDIA L40", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"NVIDIA L40"},
		MemoryBandwidthBytesPerS: 864 * gbps, PeakFP16FLOPS: 362.1 * tflops, PeakINT8OPS: 362.1 * tflops, MemoryBytes: 48 * gib, TDPWatts: 300,
		Source: "NVIDIA L40 datasheet: 48 GB GDDR6 864 GB/s; 300 W; INT8 Tensor Core 362.1 TOPS dense (724 sparse); the datasheet's FP16 Tensor Core 181.05 TFLOPS dense is the FP32-accumulate rate: FP16 accumulate runs at twice it, 142 SMs × 1,024 FLOP/clock × 2.49 GHz = 362.1 TFLOPS (the AD102 per-SM rate of the Ada GPU Architecture whitepaper v2.1; the L40S datasheet's 362.05 for the same chip)"},
	{ID: "a10", Name: "NVIDIA A10", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"NVIDIA A10"},
		MemoryBandwidthBytesPerS: 600 * gbps, PeakFP16FLOPS: 125 * tflops, PeakINT8OPS: 250 * tflops, MemoryBytes: 24 * gib, TDPWatts: 150,
		Source: "NVIDIA A10 Tensor Core GPU datasheet: 24 GB GDDR6 600 GB/s; FP16 Tensor Core 125 TFLOPS dense (250 sparse); 150 W; INT8 Tensor Core 250 TOPS dense (500 sparse)"},
	{ID: "t4", Name: "NVIDIA T4", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"Tesla T4", "NVIDIA T4"},
		MemoryBandwidthBytesPerS: 320 * gbps, PeakFP16FLOPS: 65 * tflops, PeakINT8OPS: 130 * tflops, MemoryBytes: 16 * gib, TDPWatts: 70,
		Source: "NVIDIA T4 Tensor Core GPU datasheet: 16 GB GDDR6 320+ GB/s; mixed precision (FP16/FP32) 65 TFLOPS; 70 W; INT8 130 TOPS"},
	// NVIDIA workstation.
	{ID: "rtx-6000-ada", Name: "NVIDIA RTX 6000 Ada Generation", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 6000 Ada Generation", "RTX 6000 Ada"},
		MemoryBandwidthBytesPerS: 960 * gbps, PeakFP16FLOPS: 364.2 * tflops, PeakINT8OPS: 728.5 * tflops, MemoryBytes: 48 * gib, TDPWatts: 300,
		Source: "NVIDIA Ada GPU Architecture whitepaper v2.1, Appendix: RTX 6000 Ada 960 GB/s, FP16 Tensor TFLOPS with FP16 accumulate 364.2 dense; 300 W; Peak INT8 Tensor TOPS 728.5 dense"},
	{ID: "rtx-a6000", Name: "NVIDIA RTX A6000", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX A6000"},
		MemoryBandwidthBytesPerS: 768 * gbps, PeakFP16FLOPS: 154.8 * tflops, PeakINT8OPS: 309.7 * tflops, MemoryBytes: 48 * gib, TDPWatts: 300,
		Source: "NVIDIA RTX A6000 datasheet: 48 GB GDDR6 768 GB/s; Tensor Performance 309.7 TFLOPS with sparsity = 154.8 dense; 300 W; INT8 Tensor 619.4 TOPS with sparsity = 309.7 dense (GA102 full-rate)"},
	// NVIDIA GeForce. Whitepaper figures "Peak FP16 Tensor TFLOPS with FP16 Accumulate"
	// (twice the FP32-accumulate figure on these cards; the field's convention, see
	// Device.PeakFP16FLOPS) and "Peak INT8 Tensor TOPS", dense.
	{ID: "rtx-3060-12gb", Name: "NVIDIA GeForce RTX 3060 12GB", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 3060"},
		MemoryBandwidthBytesPerS: 360 * gbps, PeakFP16FLOPS: 50.95 * tflops, PeakINT8OPS: 101.9 * tflops, MemoryBytes: 12 * gib, TDPWatts: 170,
		Source: "NVIDIA GeForce RTX 3060 specifications: 12 GB GDDR6 192-bit 15 Gbps = 360 GB/s, 170 W; FP16 tensor (FP16 accumulate) 28 SMs × 512 FMA/clock × 2 × 1.777 GHz = 50.95 TFLOPS dense (usually printed 50.9), INT8 tensor twice it, 101.9 TOPS (Ampere GA102 whitepaper per-SM rates)"},
	{ID: "rtx-3090", Name: "NVIDIA GeForce RTX 3090", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 3090"},
		MemoryBandwidthBytesPerS: 936 * gbps, PeakFP16FLOPS: 142 * tflops, PeakINT8OPS: 284 * tflops, MemoryBytes: 24 * gib, TDPWatts: 350,
		Source: "NVIDIA Ampere GA102 GPU Architecture whitepaper, Table 9: RTX 3090 936 GB/s; Peak FP16 Tensor TFLOPS with FP16 Accumulate 142 dense; 350 W; Peak INT8 Tensor TOPS 284 dense"},
	{ID: "rtx-4080", Name: "NVIDIA GeForce RTX 4080", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 4080"},
		MemoryBandwidthBytesPerS: 716.8 * gbps, PeakFP16FLOPS: 194.9 * tflops, PeakINT8OPS: 389.9 * tflops, MemoryBytes: 16 * gib, TDPWatts: 320,
		Source: "NVIDIA Ada GPU Architecture whitepaper v2.1, Table 2: RTX 4080 716.8 GB/s; Peak FP16 Tensor TFLOPS with FP16 Accumulate 194.9 dense; 320 W; Peak INT8 Tensor TOPS 389.9 dense"},
	{ID: "rtx-4090", Name: "NVIDIA GeForce RTX 4090", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 4090"},
		MemoryBandwidthBytesPerS: 1008 * gbps, PeakFP16FLOPS: 330.3 * tflops, PeakINT8OPS: 660.6 * tflops, MemoryBytes: 24 * gib, TDPWatts: 450,
		Source: "NVIDIA Ada GPU Architecture whitepaper v2.1, Table 1: RTX 4090 1008 GB/s; Peak FP16 Tensor TFLOPS with FP16 Accumulate 330.3 dense; 450 W; Peak INT8 Tensor TOPS 660.6 dense"},
	{ID: "rtx-5090", Name: "NVIDIA GeForce RTX 5090", Kind: "gpu", Vendor: "NVIDIA",
		Match:                    []string{"RTX 5090"},
		MemoryBandwidthBytesPerS: 1792 * gbps, PeakFP16FLOPS: 419 * tflops, PeakINT8OPS: 838 * tflops, MemoryBytes: 32 * gib, TDPWatts: 575,
		Source: "NVIDIA RTX Blackwell GPU Architecture whitepaper: RTX 5090 32 GB GDDR7 1792 GB/s; Peak FP16 Tensor TFLOPS with FP16 Accumulate 419 dense; 575 W; Peak INT8 Tensor TOPS 838 dense"},
	// AMD.
	{ID: "rx-7900-xtx", Name: "AMD Radeon RX 7900 XTX", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"RX 7900 XTX"},
		MemoryBandwidthBytesPerS: 960 * gbps, PeakFP16FLOPS: 122.8 * tflops, PeakINT8OPS: 122.8 * tflops, MemoryBytes: 24 * gib, TDPWatts: 355,
		Source: "AMD Radeon RX 7900 XTX product specifications: 24 GB GDDR6 960 GB/s; Peak Half Precision (FP16) 122.8 TFLOPs; total board power 355 W; int8 WMMA at the FP16 matrix rate (AMD RDNA 3 Instruction Set Architecture, V_WMMA_I32_16X16X16_IU8) = 122.8 TOPS"},
	{ID: "rx-7900-xt", Name: "AMD Radeon RX 7900 XT", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"RX 7900 XT"},
		MemoryBandwidthBytesPerS: 800 * gbps, PeakFP16FLOPS: 103 * tflops, PeakINT8OPS: 103 * tflops, MemoryBytes: 20 * gib, TDPWatts: 315,
		Source: "AMD Radeon RX 7900 XT product specifications: 20 GB GDDR6 800 GB/s; Peak Half Precision (FP16) 103 TFLOPs; total board power 315 W; int8 WMMA at the FP16 matrix rate = 103 TOPS"},
	{ID: "radeon-pro-w7900", Name: "AMD Radeon PRO W7900", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"Radeon PRO W7900"},
		MemoryBandwidthBytesPerS: 864 * gbps, PeakFP16FLOPS: 122.6 * tflops, PeakINT8OPS: 122.6 * tflops, MemoryBytes: 48 * gib, TDPWatts: 295,
		Source: "AMD Radeon PRO W7900 product specifications: 48 GB GDDR6 864 GB/s; Peak Half Precision (FP16) 122.6 TFLOPs; total board power 295 W; int8 WMMA at the FP16 matrix rate = 122.6 TOPS"},
	{ID: "mi210", Name: "AMD Instinct MI210", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"MI210"},
		MemoryBandwidthBytesPerS: 1638.4 * gbps, PeakFP16FLOPS: 181 * tflops, PeakINT8OPS: 181 * tflops, MemoryBytes: 64 * gib, TDPWatts: 300,
		Source: "AMD Instinct MI210 datasheet: 64 GB HBM2e 1.6384 TB/s; Peak FP16 (matrix) 181 TFLOPs; 300 W; Peak INT8 181 TOPs"},
	{ID: "mi250x", Name: "AMD Instinct MI250X", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"MI250X"},
		MemoryBandwidthBytesPerS: 3276.8 * gbps, PeakFP16FLOPS: 383 * tflops, PeakINT8OPS: 383 * tflops, MemoryBytes: 128 * gib, TDPWatts: 560,
		Source: "AMD Instinct MI250X datasheet: 128 GB HBM2e 3.2768 TB/s; Peak FP16 (matrix) 383 TFLOPs; 560 W (both dies; the OS shows two GPUs of half each); Peak INT8 383 TOPs"},
	{ID: "mi300x", Name: "AMD Instinct MI300X", Kind: "gpu", Vendor: "AMD",
		Match:                    []string{"MI300X"},
		MemoryBandwidthBytesPerS: 5300 * gbps, PeakFP16FLOPS: 1307.4 * tflops, PeakINT8OPS: 2614.9 * tflops, MemoryBytes: 192 * gib, TDPWatts: 750,
		Source: "AMD Instinct MI300X datasheet: 192 GB HBM3 5.3 TB/s; Peak FP16 1307.4 TFLOPs dense (2614.9 with sparsity); 750 W; Peak INT8 2614.9 TOPs dense"},
	// Apple silicon: unified memory, so the GPU reads at the chip's memory bandwidth.
	// Bandwidth from Apple's newsroom and tech-spec pages; GPU FP32 TFLOPS from Apple
	// where Apple published it (M1, M2 families), else estimated as GPU cores × 128
	// FP32 lanes × 2 FLOP × clock and marked so. Figures are for the largest GPU
	// configuration of each chip; rows "… N-core GPU" cover binned parts whose
	// bandwidth differs.
	{ID: "apple-m1", Name: "Apple M1", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M1"},
		MemoryBandwidthBytesPerS: 68.25 * gbps, PeakFP16FLOPS: 2.6 * tflops,
		Source: "Apple M1 (Nov 2020 announcement): LPDDR4X 68.25 GB/s; 8-core GPU 2.6 TFLOPS"},
	{ID: "apple-m1-pro", Name: "Apple M1 Pro", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M1 Pro"},
		MemoryBandwidthBytesPerS: 200 * gbps, PeakFP16FLOPS: 5.2 * tflops,
		Source: "Apple newsroom, M1 Pro and M1 Max (Oct 2021): M1 Pro 200 GB/s; 16-core GPU 5.2 TFLOPS"},
	{ID: "apple-m1-max", Name: "Apple M1 Max", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M1 Max"},
		MemoryBandwidthBytesPerS: 400 * gbps, PeakFP16FLOPS: 10.4 * tflops,
		Source: "Apple newsroom, M1 Pro and M1 Max (Oct 2021): M1 Max 400 GB/s; 32-core GPU 10.4 TFLOPS"},
	{ID: "apple-m1-ultra", Name: "Apple M1 Ultra", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M1 Ultra"},
		MemoryBandwidthBytesPerS: 800 * gbps, PeakFP16FLOPS: 21 * tflops,
		Source: "Apple newsroom, M1 Ultra (Mar 2022): 800 GB/s; 64-core GPU 21 TFLOPS"},
	{ID: "apple-m2", Name: "Apple M2", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M2"},
		MemoryBandwidthBytesPerS: 100 * gbps, PeakFP16FLOPS: 3.6 * tflops,
		Source: "Apple newsroom, M2 (Jun 2022): 100 GB/s; 10-core GPU 3.6 TFLOPS"},
	{ID: "apple-m2-pro", Name: "Apple M2 Pro", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M2 Pro"},
		MemoryBandwidthBytesPerS: 200 * gbps, PeakFP16FLOPS: 6.8 * tflops,
		Source: "Apple newsroom, M2 Pro and M2 Max (Jan 2023): M2 Pro 200 GB/s; 19-core GPU 6.8 TFLOPS"},
	{ID: "apple-m2-max", Name: "Apple M2 Max", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M2 Max"},
		MemoryBandwidthBytesPerS: 400 * gbps, PeakFP16FLOPS: 13.6 * tflops,
		Source: "Apple newsroom, M2 Pro and M2 Max (Jan 2023): M2 Max 400 GB/s; 38-core GPU 13.6 TFLOPS"},
	{ID: "apple-m2-ultra", Name: "Apple M2 Ultra", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M2 Ultra"},
		MemoryBandwidthBytesPerS: 800 * gbps, PeakFP16FLOPS: 27.2 * tflops,
		Source: "Apple newsroom, M2 Ultra (Jun 2023): 800 GB/s; 76-core GPU 27.2 TFLOPS"},
	{ID: "apple-m3", Name: "Apple M3", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M3"},
		MemoryBandwidthBytesPerS: 100 * gbps, PeakFP16FLOPS: 3.6 * tflops,
		Source: "Apple MacBook Pro (M3, Nov 2023) tech specs: 100 GB/s; FLOPS estimated: 10-core GPU × 128 lanes × 2 × ~1.4 GHz = 3.6 TFLOPS (Apple publishes none)"},
	{ID: "apple-m3-pro", Name: "Apple M3 Pro", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M3 Pro"},
		MemoryBandwidthBytesPerS: 150 * gbps, PeakFP16FLOPS: 6.4 * tflops,
		Source: "Apple MacBook Pro (M3 Pro, Nov 2023) tech specs: 150 GB/s; FLOPS estimated: 18-core GPU × 128 lanes × 2 × ~1.4 GHz = 6.4 TFLOPS (Apple publishes none)"},
	{ID: "apple-m3-max", Name: "Apple M3 Max (40-core GPU)", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M3 Max"},
		MemoryBandwidthBytesPerS: 400 * gbps, PeakFP16FLOPS: 14.2 * tflops,
		Source: "Apple MacBook Pro (M3 Max, Nov 2023) tech specs: 40-core GPU 400 GB/s; FLOPS estimated: 40 × 128 lanes × 2 × ~1.4 GHz = 14.2 TFLOPS (Apple publishes none)"},
	{ID: "apple-m3-max-30c", Name: "Apple M3 Max (30-core GPU)", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M3 Max 30-core GPU"},
		MemoryBandwidthBytesPerS: 300 * gbps, PeakFP16FLOPS: 10.7 * tflops,
		Source: "Apple MacBook Pro (M3 Max, Nov 2023) tech specs: 30-core GPU 300 GB/s; FLOPS estimated: 30 × 128 lanes × 2 × ~1.4 GHz = 10.7 TFLOPS (Apple publishes none)"},
	{ID: "apple-m3-ultra", Name: "Apple M3 Ultra", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M3 Ultra"},
		MemoryBandwidthBytesPerS: 819 * gbps, PeakFP16FLOPS: 28.4 * tflops,
		Source: "Apple newsroom, Mac Studio (Mar 2025): M3 Ultra 819 GB/s; FLOPS estimated: 80-core GPU × 128 lanes × 2 × ~1.4 GHz = 28.4 TFLOPS (Apple publishes none)"},
	{ID: "apple-m4", Name: "Apple M4", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M4"},
		MemoryBandwidthBytesPerS: 120 * gbps, PeakFP16FLOPS: 4.3 * tflops,
		Source: "Apple newsroom, MacBook Pro M4 family (Oct 2024): M4 120 GB/s; FLOPS estimated: 10-core GPU × 128 lanes × 2 × ~1.68 GHz = 4.3 TFLOPS (Apple publishes none)"},
	{ID: "apple-m4-pro", Name: "Apple M4 Pro", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M4 Pro"},
		MemoryBandwidthBytesPerS: 273 * gbps, PeakFP16FLOPS: 8.6 * tflops,
		Source: "Apple newsroom, MacBook Pro M4 family (Oct 2024): M4 Pro 273 GB/s; FLOPS estimated: 20-core GPU × 128 lanes × 2 × ~1.68 GHz = 8.6 TFLOPS (Apple publishes none)"},
	{ID: "apple-m4-max", Name: "Apple M4 Max (40-core GPU)", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M4 Max"},
		MemoryBandwidthBytesPerS: 546 * gbps, PeakFP16FLOPS: 17.2 * tflops,
		Source: "Apple newsroom, MacBook Pro M4 family (Oct 2024): M4 Max 546 GB/s (40-core GPU); FLOPS estimated: 40 × 128 lanes × 2 × ~1.68 GHz = 17.2 TFLOPS (Apple publishes none)"},
	{ID: "apple-m4-max-32c", Name: "Apple M4 Max (32-core GPU)", Kind: "soc", Vendor: "Apple", Match: []string{"Apple M4 Max 32-core GPU"},
		MemoryBandwidthBytesPerS: 410 * gbps, PeakFP16FLOPS: 13.8 * tflops,
		Source: "Apple MacBook Pro (M4 Max, Nov 2024) tech specs: 32-core GPU 410 GB/s; FLOPS estimated: 32 × 128 lanes × 2 × ~1.68 GHz = 13.8 TFLOPS (Apple publishes none)"},
	// Server and desktop CPUs, matched by model number. Peaks = cores × max boost clock
	// × CorePeaksOf's per-cycle figures for the part's microarchitecture (cpuRow); the
	// boost clock, not the base, so that no measured rate beats the ceiling;
	// bandwidth = the platform's DDR channels at the highest supported speed (ddr).
	cpuRow(Device{ID: "epyc-9654", Name: "AMD EPYC 9654 (Genoa, 12× DDR5-4800)", Kind: "cpu", Vendor: "AMD", Match: []string{"EPYC 9654", "EPYC 9654P"},
		MemoryBandwidthBytesPerS: ddr(12, 4800), TDPWatts: 360,
		Source: "AMD EPYC 9654 product page: 96 cores, max boost 3.7 GHz, 12 channels DDR5-4800 (460.8 GB/s), default TDP 360 W"},
		96, 3.7, CPUDescription{Arch: "amd64", Vendor: "AMD", Family: 0x19, Model: 0x11, Features: []string{"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16"}}),
	cpuRow(Device{ID: "epyc-7763", Name: "AMD EPYC 7763 (Milan, 8× DDR4-3200)", Kind: "cpu", Vendor: "AMD", Match: []string{"EPYC 7763"},
		MemoryBandwidthBytesPerS: ddr(8, 3200), TDPWatts: 280,
		Source: "AMD EPYC 7763 product page: 64 cores, max boost 3.5 GHz, 8 channels DDR4-3200 (204.8 GB/s), default TDP 280 W"},
		64, 3.5, CPUDescription{Arch: "amd64", Vendor: "AMD", Family: 0x19, Model: 0x01, Features: []string{"avx2", "fma"}}),
	cpuRow(Device{ID: "xeon-platinum-8480", Name: "Intel Xeon Platinum 8480+ (Sapphire Rapids, 8× DDR5-4800)", Kind: "cpu", Vendor: "Intel", Match: []string{"Xeon Platinum 8480+", "Xeon Platinum 8480"},
		MemoryBandwidthBytesPerS: ddr(8, 4800), TDPWatts: 350,
		Source: "Intel ark, Xeon Platinum 8480+: 56 cores, max turbo 3.8 GHz, 8 channels DDR5-4800 (307.2 GB/s), TDP 350 W; AMX counted (Linux 5.16 and later enable it)"},
		56, 3.8, CPUDescription{Arch: "amd64", Vendor: "Intel", Family: 6, Model: 0x8F, Features: []string{"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_int8", "amx_bf16"}}),
	cpuRow(Device{ID: "ryzen-9-7950x", Name: "AMD Ryzen 9 7950X (2× DDR5-5200)", Kind: "cpu", Vendor: "AMD", Match: []string{"Ryzen 9 7950X"},
		MemoryBandwidthBytesPerS: ddr(2, 5200), TDPWatts: 170,
		Source: "AMD Ryzen 9 7950X product page: 16 cores, max boost 5.7 GHz, 2 channels DDR5-5200 (83.2 GB/s), default TDP 170 W"},
		16, 5.7, CPUDescription{Arch: "amd64", Vendor: "AMD", Family: 0x19, Model: 0x61, Features: []string{"avx2", "fma", "avx512f", "avx512bw", "avx512_vnni", "avx512_bf16"}}),
	// Typical memory systems, named only as builtin:<id>. FLOP/s unknown (0): a
	// profile made from one takes the CPU estimate from detection.
	memorySystem("ddr4-3200-2ch", "Desktop, dual-channel DDR4-3200", 4, 2, 3200),
	memorySystem("ddr5-4800-2ch", "Desktop, dual-channel DDR5-4800", 5, 2, 4800),
	memorySystem("ddr5-5600-2ch", "Desktop, dual-channel DDR5-5600", 5, 2, 5600),
	memorySystem("ddr5-6400-2ch", "Desktop, dual-channel DDR5-6400", 5, 2, 6400),
	memorySystem("ddr4-3200-8ch", "Server, 8-channel DDR4-3200 (EPYC Rome/Milan, Xeon Ice Lake-SP)", 4, 8, 3200),
	memorySystem("ddr5-4800-8ch", "Server, 8-channel DDR5-4800 (Xeon Sapphire Rapids)", 5, 8, 4800),
	memorySystem("ddr5-4800-12ch", "Server, 12-channel DDR5-4800 (EPYC Genoa)", 5, 12, 4800),
	memorySystem("ddr5-6000-12ch", "Server, 12-channel DDR5-6000 (EPYC Turin)", 5, 12, 6000),
}

// Devices returns a copy of the built-in device table, in its fixed order.
func Devices() []Device {
	out := make([]Device, len(devices))
	for i, d := range devices {
		out[i] = d.clone()
	}
	return out
}

// clone returns d with its own Match slice, so callers cannot change the table.
func (d Device) clone() Device {
	d.Match = slices.Clone(d.Match)
	return d
}

// DeviceByID returns the row with this ID (case-insensitive); a retired ID
// (retiredIDs) returns the row that replaced it.
func DeviceByID(id string) (Device, bool) {
	if r, ok := retiredIDs[strings.ToLower(id)]; ok {
		id = r
	}
	for _, d := range devices {
		if strings.EqualFold(d.ID, id) {
			return d.clone(), true
		}
	}
	return Device{}, false
}

// tableSource is the figure source of a device row: "device table: <id> (<source>)".
func tableSource(d Device) string { return fmt.Sprintf("device table: %s (%s)", d.ID, d.Source) }

// variantWords are words that, right after a matched name, make a different product:
// "RTX 4090 D" is not an "RTX 4090", "M3 Max" is not an "M3", "RX 7900 GRE" is not an
// "RX 7900". A name that continues with one of them matches only a pattern that
// includes it.
var variantWords = map[string]bool{
	"ti": true, "super": true, "d": true, "laptop": true, "mobile": true, "max": true, "q": true,
	"pro": true, "ultra": true, "xt": true, "xtx": true, "gre": true, "nvl": true, "x": true,
	"s": true,
}

// trademarks removes the marks CPU names carry ("Intel(R) Xeon(R) Platinum").
var trademarks = strings.NewReplacer("(r)", " ", "(tm)", " ", "®", " ", "™", " ")

// words splits a name into lower-case words of letters and digits; every other
// character separates words. "NVIDIA A100-SXM4-80GB" → [nvidia a100 sxm4 80gb].
func words(s string) []string {
	s = trademarks.Replace(strings.ToLower(s))
	return strings.FieldsFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9')
	})
}

// matchWords reports whether pattern's words occur in name's words as a contiguous run
// that is not followed by a variant word.
func matchWords(name, pattern []string) bool {
	if len(pattern) == 0 {
		return false
	}
	for i := 0; i+len(pattern) <= len(name); i++ {
		if !slices.Equal(name[i:i+len(pattern)], pattern) {
			continue
		}
		if next := i + len(pattern); next < len(name) && variantWords[name[next]] {
			continue
		}
		return true
	}
	return false
}

// MatchDevice finds the table row for a detected GPU or CPU name, e.g. "NVIDIA
// GeForce RTX 4090" or "AMD EPYC 9654 96-Core Processor". Names and patterns are
// compared word by word, case-insensitive, punctuation ignored ("A100-SXM4-80GB"
// equals "A100 SXM4 80GB"). A pattern matches when its words occur in the name in a
// row and are not followed by a variant word (Ti, SUPER, D, Laptop, Max, Pro, Ultra,
// XT, XTX, GRE, ...), so "RTX 4090 D" does not match "RTX 4090" and "Apple M3 Max"
// does not match "Apple M3". Among matching rows the longest pattern (most words,
// then most characters) wins. False when no row matches.
func MatchDevice(name string) (Device, bool) {
	return matchDevice(name, nil)
}

// matchDevice is MatchDevice over the rows whose kind is in kinds (all when nil).
func matchDevice(name string, kinds []string) (Device, bool) {
	nw := words(name)
	best, bestWords, bestLen := -1, 0, 0
	for i, d := range devices {
		if kinds != nil && !slices.Contains(kinds, d.Kind) {
			continue
		}
		for _, p := range d.Match {
			pw := words(p)
			if !matchWords(nw, pw) {
				continue
			}
			if len(pw) > bestWords || len(pw) == bestWords && len(p) > bestLen {
				best, bestWords, bestLen = i, len(pw), len(p)
			}
		}
	}
	if best < 0 {
		return Device{}, false
	}
	return devices[best].clone(), true
}
