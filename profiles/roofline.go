package profiles

import (
	"fmt"
	"math"
	"math/bits"
	"strings"

	"github.com/ollama/ollama/fs/ggml"

	"github.com/yardstick-dev/yardstick/internal/units"
)

// Tensor is one weight tensor as a server describes it (Ollama /api/show "tensors":
// name, ggml type name, shape in elements).
type Tensor struct {
	Name  string
	Type  string
	Shape []uint64
}

// ModelCost is what one token costs a model, from its real tensor sizes: the bytes a
// decode step reads and the parameters a prefill token multiplies. It is computed
// once per model from /api/show and recorded in the run.
type ModelCost struct {
	Architecture string `json:"architecture"`
	Tensors      int    `json:"tensors"`
	// WeightBytes is every tensor's size (ggml block sizes, fs/ggml/ggml.go v0.17.4).
	WeightBytes uint64 `json:"weight_bytes"`
	// EmbeddingBytes is token_embd.weight; a decode step reads one row of it
	// (EmbeddingRowBytes) unless the output projection is tied to it.
	EmbeddingBytes    uint64 `json:"embedding_bytes"`
	EmbeddingRowBytes uint64 `json:"embedding_row_bytes"`
	// TiedOutput is true when there is no output.weight: the logits are computed
	// from token_embd, which every decode step then reads whole.
	TiedOutput bool `json:"tied_output"`
	// ExpertBytes and ExpertParams are the tensors of a mixture of experts' expert
	// layers (names with "_exps"); a token uses ExpertUsedCount of ExpertCount.
	ExpertBytes     uint64 `json:"expert_bytes,omitempty"`
	ExpertParams    uint64 `json:"expert_params,omitempty"`
	ExpertCount     int    `json:"expert_count,omitempty"`
	ExpertUsedCount int    `json:"expert_used_count,omitempty"`
	// ActiveWeightBytesPerToken = WeightBytes − (EmbeddingBytes − EmbeddingRowBytes
	// unless tied) − ExpertBytes × (1 − used/count): weight bytes one decode step reads.
	ActiveWeightBytesPerToken uint64 `json:"active_weight_bytes_per_token"`
	// ActiveParams counts the elements of the matrices in the transformer blocks (2-D
	// tensors named blk.*), experts scaled by used/count: each costs one multiply-add
	// (2 FLOP) per prompt token. Embedding lookups cost none and the output
	// projection runs for the last prompt token only, so both are left out.
	ActiveParams uint64 `json:"active_params"`
	// TotalParams counts every tensor's elements: embeddings, norms, the output
	// projection and every expert of a mixture.
	TotalParams uint64 `json:"total_params,omitempty"`
	// WeightType is the ggml type holding most bytes of the matrices prefill
	// multiplies (2-D blk.* tensors), e.g. "Q8_0", "Q4_K", "F16".
	WeightType string `json:"weight_type,omitempty"`
	// ComputePrecision is the arithmetic the CPU and GPU kernels do for WeightType
	// (WeightPrecision): "int8", "fp16" or "fp32".
	ComputePrecision string `json:"compute_precision,omitempty"`
	// KVBytesPerContextToken is the KV cache one token of context occupies and a
	// decode step reads: block_count × head_count_kv × (key_length + value_length) ×
	// bytes per element of the cache type.
	KVBytesPerContextToken uint64 `json:"kv_bytes_per_context_token"`
	KVCacheType            string `json:"kv_cache_type"`
}

// KVCacheBytesPerElement is the size of one KV cache element in bytes by Ollama
// cache type (OLLAMA_KV_CACHE_TYPE: f16 by default, q8_0 and q4_0 with flash
// attention): bytes per block / values per block of the ggml type (fs/ggml
// TensorType: q8_0 34 bytes per 32, q4_0 18 bytes per 32).
var KVCacheBytesPerElement = map[string]float64{
	"f16":  bytesPerElement(ggml.TensorTypeF16),
	"q8_0": bytesPerElement(ggml.TensorTypeQ8_0),
	"q4_0": bytesPerElement(ggml.TensorTypeQ4_0),
	"f32":  bytesPerElement(ggml.TensorTypeF32),
}

func bytesPerElement(t ggml.TensorType) float64 {
	return float64(t.TypeSize()) / float64(t.BlockSize())
}

// maxTensorElements bounds a tensor's element count, and with 8 bytes each, a model's
// weight bytes: 2^48 (281 trillion), a thousand times the largest open model, and far
// enough from 2^64 that no sum of them overflows.
const maxTensorElements = 1 << 48

// maxModelInfoCount bounds every count and length ComputeModelCost reads from
// model_info (layers, heads, head lengths, embedding width, experts): 2^24, far above
// any model's (the largest have about 100k embedding width and a few hundred layers).
const maxModelInfoCount = 1 << 24

// ComputeModelCost derives a ModelCost from a model's tensors and its GGUF metadata
// (/api/show model_info: <arch>.block_count, .attention.head_count(_kv),
// .attention.key_length/value_length, .embedding_length, .expert_count,
// .expert_used_count). kvCacheType is a key of KVCacheBytesPerElement. Errors: no
// tensors, an unknown tensor type, a shape with a zero dimension or past
// maxTensorElements (its product would overflow or vanish), an unknown KV cache type,
// missing block or head counts.
func ComputeModelCost(tensors []Tensor, info map[string]any, kvCacheType string) (ModelCost, error) {
	arch, _ := info["general.architecture"].(string)
	c := ModelCost{Architecture: arch, Tensors: len(tensors), KVCacheType: kvCacheType}
	if len(tensors) == 0 {
		return c, fmt.Errorf("model cost: the server listed no tensors")
	}
	// A count or length past maxModelInfoCount is no model's: it is refused (below),
	// not multiplied into figures that overflow into plausible ones.
	absurd := ""
	num := func(k string) int {
		v, ok := info[arch+"."+k].(float64)
		switch {
		case !ok || !(v > 0):
			return 0
		case v > maxModelInfoCount:
			if absurd == "" {
				absurd = fmt.Sprintf("%s.%s = %g", arch, k, v)
			}
			return 0
		}
		return int(v)
	}
	c.ExpertCount, c.ExpertUsedCount = num("expert_count"), num("expert_used_count")
	hasOutput := false
	var blockParams, expertParams uint64
	typeBytes := map[string]uint64{}
	for _, t := range tensors {
		tt, err := ggml.ParseTensorType(t.Type)
		if err != nil {
			return c, fmt.Errorf("model cost: tensor %s: %w", t.Name, err)
		}
		var elems uint64 = 1
		for _, n := range t.Shape {
			hi, lo := bits.Mul64(elems, n)
			if hi != 0 || lo > maxTensorElements || n == 0 {
				return c, fmt.Errorf("model cost: tensor %s: shape %v has no elements or more than any model (%d)", t.Name, t.Shape, uint64(maxTensorElements))
			}
			elems = lo
		}
		size := tt.RowSize(elems)
		if c.WeightBytes += size; c.WeightBytes > maxTensorElements*8 {
			return c, fmt.Errorf("model cost: the tensors add up to more bytes than any model has (%d)", uint64(maxTensorElements*8))
		}
		switch {
		case t.Name == "token_embd.weight":
			c.EmbeddingBytes = size
			if len(t.Shape) > 0 {
				c.EmbeddingRowBytes = tt.RowSize(t.Shape[0])
			}
		case t.Name == "output.weight":
			hasOutput = true
		}
		isExpert := strings.Contains(t.Name, "_exps")
		if isExpert {
			c.ExpertBytes += size
		}
		c.TotalParams += elems
		if strings.HasPrefix(t.Name, "blk.") && len(t.Shape) >= 2 {
			typeBytes[tt.String()] += size
			if isExpert {
				expertParams += elems
			} else {
				blockParams += elems
			}
		}
	}
	c.ExpertParams = expertParams
	for ty, b := range typeBytes {
		if b > typeBytes[c.WeightType] || b == typeBytes[c.WeightType] && ty < c.WeightType {
			c.WeightType = ty
		}
	}
	c.ComputePrecision = WeightPrecision(c.WeightType)
	c.TiedOutput = !hasOutput
	active := float64(c.WeightBytes)
	if !c.TiedOutput {
		active -= float64(c.EmbeddingBytes - c.EmbeddingRowBytes)
	}
	share := 1.0
	if c.ExpertCount > 0 && c.ExpertUsedCount > 0 {
		share = float64(c.ExpertUsedCount) / float64(c.ExpertCount)
	}
	active -= float64(c.ExpertBytes) * (1 - share)
	c.ActiveWeightBytesPerToken = uint64(math.Round(active))
	c.ActiveParams = blockParams + uint64(math.Round(float64(expertParams)*share))

	blocks, headsKV, heads, embd := num("block_count"), num("attention.head_count_kv"), num("attention.head_count"), num("embedding_length")
	if headsKV == 0 {
		headsKV = heads
	}
	kl, vl := num("attention.key_length"), num("attention.value_length")
	if heads > 0 && kl == 0 {
		kl = embd / heads
	}
	if heads > 0 && vl == 0 {
		vl = embd / heads
	}
	per, ok := KVCacheBytesPerElement[kvCacheType]
	if !ok {
		return c, fmt.Errorf("model cost: unknown KV cache type %q (f16, q8_0, q4_0, f32)", kvCacheType)
	}
	if absurd != "" {
		return c, fmt.Errorf("model cost: model_info %s: more than any model has (at most %d)", absurd, maxModelInfoCount)
	}
	if blocks == 0 || headsKV == 0 || kl+vl == 0 {
		return c, fmt.Errorf("model cost: model_info lacks %s.block_count or attention head counts", arch)
	}
	c.KVBytesPerContextToken = uint64(math.Round(float64(blocks*headsKV*(kl+vl)) * per))
	return c, nil
}

// WeightPrecision returns the arithmetic the kernels do for a ggml weight type
// (fs/ggml TensorType names, e.g. "Q4_K", "F16"):
//
//   - "int8" for quantized types (Q4_0 … Q8_0, the K-quants, IQ*, TQ*, MXFP4): ggml's CPU
//     backend quantizes the activations to Q8_0, Q8_1 or Q8_K (type_traits_cpu
//     vec_dot_type in ml/backend/ggml/ggml/src/ggml-cpu/ggml-cpu.c, Ollama v0.24.0)
//     and multiplies in int8 dot products (ggml_vec_dot_q4_0_q8_0,
//     ggml_vec_dot_q8_0_q8_0 in ggml-cpu/arch/x86/quants.c: AVX512-VNNI or AVX-VNNI
//     vpdpbusd, else AVX2 vpmaddubsw; ggml-cpu/arch/arm/quants.c: sdot, smmla); the
//     CUDA backend's MMQ kernels likewise use int8 tensor cores or dp4a;
//   - "fp16" for F16 and BF16;
//   - "fp32" for F32, F64 and an empty or unknown name.
func WeightPrecision(ggmlType string) string {
	t := strings.ToUpper(ggmlType)
	switch {
	case t == "F16" || t == "BF16":
		return "fp16"
	case strings.HasPrefix(t, "Q") || strings.HasPrefix(t, "IQ") || strings.HasPrefix(t, "TQ") || strings.HasPrefix(t, "MXFP"):
		return "int8"
	}
	return "fp32"
}

// RooflineInput is what ComputeRoofline holds a run against.
type RooflineInput struct {
	Cost ModelCost
	// BandwidthBytesPerS and PeakFLOPS are the device's (profile) figures, with where
	// they came from.
	BandwidthBytesPerS float64
	BandwidthSource    string
	PeakFLOPS          float64
	FLOPSSource        string
	// PeakFP16FLOPS and PeakINT8OPS are the device's FP16/BF16 and int8 peaks (0 =
	// unknown), with where they came from; LLCBytes is the host's last-level cache
	// when the device is the host CPU (0 otherwise or unknown).
	PeakFP16FLOPS   float64
	FP16FLOPSSource string
	PeakINT8OPS     float64
	INT8OPSSource   string
	LLCBytes        uint64
	// OffloadFrac is the share of the model outside device memory (0 on a CPU-only
	// machine, where the device is the host); HostBandwidthBytesPerS is the host
	// memory's, for that share (0 = unknown).
	OffloadFrac            float64
	HostBandwidthBytesPerS float64
	// MeanContextTokens is the mean context length during decode steps:
	// prompt_tokens + (output_tokens − 1) / 2, averaged over the measured requests.
	MeanContextTokens float64
	// ServerGenPerS and ServerPrefillPerS are the run's measured medians (0 = none).
	ServerGenPerS, ServerPrefillPerS float64
}

// Roofline is how close a run came to what the hardware allows (docs/metrics.md
// "Hardware roofline"). Decode is bound by memory bandwidth: each step reads the
// active weights and the KV cache at the current context. Prefill is bound by compute:
// 2 FLOP per active parameter per prompt token (Kaplan et al. 2020, "Scaling Laws for
// Neural Language Models", §2.1; attention-score FLOPs left out, so the ceiling is
// generous and the efficiency conservative).
type Roofline struct {
	// BytesPerToken = active weight bytes + KV bytes at the mean context.
	BytesPerToken             uint64  `json:"bytes_per_token"`
	ActiveWeightBytesPerToken uint64  `json:"active_weight_bytes_per_token"`
	KVBytesPerToken           uint64  `json:"kv_bytes_per_token"`
	MeanContextTokens         float64 `json:"mean_context_tokens"`
	ActiveParams              uint64  `json:"active_params"`
	// DecodeCeilingPerS = bandwidth / BytesPerToken (offload-weighted, see Notes).
	DecodeCeilingPerS float64 `json:"decode_ceiling_per_s"`
	// PrefillCeilingPerS = PeakFLOPS / (2 × ActiveParams), where PeakFLOPS is the peak
	// of ComputePrecision (see ComputeRoofline).
	PrefillCeilingPerS float64 `json:"prefill_ceiling_per_s,omitempty"`
	// ComputePrecision is the arithmetic whose peak bounds prefill: "int8", "fp16" or
	// "fp32" (ModelCost.ComputePrecision); FLOPSSource names the figure used, and a
	// note says when the device's figure for that precision is unknown. Empty in run
	// files written before it existed, whose ceiling used the device's general peak.
	ComputePrecision string `json:"compute_precision,omitempty"`
	// LLCBytes is the host's last-level cache; FitsInLLC is true when BytesPerToken
	// fits in it, so DRAM bandwidth does not bind decode and no decode efficiency is
	// given.
	LLCBytes  uint64 `json:"llc_bytes,omitempty"`
	FitsInLLC bool   `json:"fits_in_llc,omitempty"`
	// DecodeEfficiencyFrac = median server_gen_per_s / DecodeCeilingPerS: memory-
	// bandwidth utilisation. PrefillEfficiencyFrac likewise: compute utilisation.
	DecodeEfficiencyFrac  *float64 `json:"decode_efficiency_frac,omitempty"`
	PrefillEfficiencyFrac *float64 `json:"prefill_efficiency_frac,omitempty"`
	// AchievedBandwidthBytesPerS = median server_gen_per_s × BytesPerToken.
	AchievedBandwidthBytesPerS float64 `json:"achieved_bandwidth_bytes_per_s,omitempty"`
	BandwidthBytesPerS         float64 `json:"bandwidth_bytes_per_s"`
	BandwidthSource            string  `json:"bandwidth_source"`
	// PeakFLOPS is the peak the prefill ceiling used, operations per second of
	// ComputePrecision (FLOP, or int8 ops counting a multiply-add as 2), and
	// FLOPSSource where it came from.
	PeakFLOPS   float64 `json:"peak_flop_per_s,omitempty"`
	FLOPSSource string  `json:"flops_source,omitempty"`
	OffloadFrac float64 `json:"offload_frac,omitempty"`
	// OffloadAdjusted is true when the offloaded share was charged at host bandwidth.
	OffloadAdjusted bool     `json:"offload_adjusted,omitempty"`
	Notes           []string `json:"notes,omitempty"`
}

// ComputeRoofline computes the ceilings and efficiencies of in. A ceiling whose
// inputs are missing (no bandwidth, no FLOP/s) is left at 0 with a note.
func ComputeRoofline(in RooflineInput) Roofline {
	c := in.Cost
	kv := uint64(math.Round(float64(c.KVBytesPerContextToken) * in.MeanContextTokens))
	r := Roofline{
		ActiveWeightBytesPerToken: c.ActiveWeightBytesPerToken,
		KVBytesPerToken:           kv,
		BytesPerToken:             c.ActiveWeightBytesPerToken + kv,
		MeanContextTokens:         in.MeanContextTokens,
		ActiveParams:              c.ActiveParams,
		BandwidthBytesPerS:        in.BandwidthBytesPerS,
		BandwidthSource:           in.BandwidthSource,
		OffloadFrac:               in.OffloadFrac,
		LLCBytes:                  in.LLCBytes,
	}
	r.PeakFLOPS, r.FLOPSSource, r.ComputePrecision = prefillPeak(in, &r.Notes)
	if in.BandwidthBytesPerS > 0 && r.BytesPerToken > 0 {
		secs := float64(r.BytesPerToken) / in.BandwidthBytesPerS
		if in.OffloadFrac > 0 {
			if in.HostBandwidthBytesPerS > 0 {
				f := in.OffloadFrac
				secs = (1-f)*float64(r.BytesPerToken)/in.BandwidthBytesPerS + f*float64(r.BytesPerToken)/in.HostBandwidthBytesPerS
				r.OffloadAdjusted = true
				r.Notes = append(r.Notes, fmt.Sprintf("%.0f%% of the model is in host memory: its bytes are charged at host bandwidth %.1f GB/s", 100*f, in.HostBandwidthBytesPerS/1e9))
			} else {
				r.Notes = append(r.Notes, fmt.Sprintf("%.0f%% of the model is in host memory but host bandwidth is unknown: the decode ceiling assumes device bandwidth and is too high", 100*in.OffloadFrac))
			}
		}
		r.DecodeCeilingPerS = 1 / secs
		r.FitsInLLC = in.LLCBytes > 0 && in.OffloadFrac == 0 && r.BytesPerToken <= in.LLCBytes
		if r.FitsInLLC {
			r.Notes = append(r.Notes, fmt.Sprintf("the %s read per token fit in the %s last-level cache: DRAM bandwidth does not bind decode, so the decode ceiling is not a ceiling and no decode efficiency is given", units.SI(float64(r.BytesPerToken)), units.IEC(float64(in.LLCBytes))))
		}
		if in.ServerGenPerS > 0 {
			r.AchievedBandwidthBytesPerS = in.ServerGenPerS * float64(r.BytesPerToken)
			if !r.FitsInLLC {
				e := in.ServerGenPerS / r.DecodeCeilingPerS
				r.DecodeEfficiencyFrac = &e
			}
		}
	} else {
		r.Notes = append(r.Notes, "no memory bandwidth known: no decode ceiling")
	}
	if r.PeakFLOPS > 0 && c.ActiveParams > 0 {
		r.PrefillCeilingPerS = r.PeakFLOPS / (2 * float64(c.ActiveParams))
		if in.ServerPrefillPerS > 0 {
			e := in.ServerPrefillPerS / r.PrefillCeilingPerS
			r.PrefillEfficiencyFrac = &e
		}
	} else {
		r.Notes = append(r.Notes, "no peak FLOP/s known: no prefill ceiling")
	}
	return r
}

// prefillPeak chooses the peak that bounds prefill for the model's compute precision
// (docs/metrics.md "Hardware roofline"): int8 models take the highest of the int8,
// FP16 and general peaks (a GPU backend may dequantize to FP16 for large batches, so
// the ceiling is the faster of the two); FP16/BF16 models the higher of the FP16 and
// general peaks; FP32 models and costs recorded without a precision the general
// peak. A precision whose figure is unknown falls back to the others with a note:
// the ceiling is then too low for the kernels, and a rate above it says so.
func prefillPeak(in RooflineInput, notes *[]string) (float64, string, string) {
	prec := in.Cost.ComputePrecision
	peak, src := in.PeakFLOPS, in.FLOPSSource
	use := func(p float64, s string) {
		if p > peak {
			peak, src = p, s
		}
	}
	switch prec {
	case "int8":
		use(in.PeakFP16FLOPS, in.FP16FLOPSSource)
		use(in.PeakINT8OPS, in.INT8OPSSource)
		if in.PeakINT8OPS == 0 && peak > 0 {
			*notes = append(*notes, "no int8 peak known for this device: the prefill ceiling of this "+in.Cost.WeightType+" model uses a floating-point peak, which int8 dot-product kernels can beat")
		}
	case "fp16":
		use(in.PeakFP16FLOPS, in.FP16FLOPSSource)
		if in.PeakFP16FLOPS == 0 && peak > 0 {
			*notes = append(*notes, "no FP16 peak known for this device: the prefill ceiling of this "+in.Cost.WeightType+" model uses the general peak")
		}
	}
	return peak, src, prec
}
