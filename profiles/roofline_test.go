package profiles

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/synth"
)

func shapeTensors(t *testing.T, name string, q synth.Quant) ([]Tensor, map[string]any, synth.Shape) {
	t.Helper()
	s, err := synth.LookupShape(name)
	if err != nil {
		t.Fatal(err)
	}
	var ts []Tensor
	for _, ti := range s.Tensors(q) {
		ts = append(ts, Tensor{Name: ti.Name, Type: ti.Type.String(), Shape: ti.Shape})
	}
	// model_info as /api/show returns it: numbers decode as float64.
	info := map[string]any{
		"general.architecture":          "qwen2",
		"qwen2.block_count":             float64(s.BlockCount),
		"qwen2.attention.head_count":    float64(s.HeadCount),
		"qwen2.attention.head_count_kv": float64(s.HeadCountKV),
		"qwen2.embedding_length":        float64(s.EmbeddingLength),
	}
	return ts, info, s
}

// Qwen2.5-0.5B at Q8_0 has tied embeddings, so a decode step reads every weight byte:
// 525,120,000 bytes (synth's tensor table: 34 bytes per 32 Q8_0 weights plus F32
// norms and biases). Its KV cache per context token is 24 layers × 2 KV heads ×
// (64 + 64) × 2 bytes (f16) = 12,288 bytes. Prefill multiplies the 24 blocks'
// matrices: 24 × (2·896² + 2·896·128 + 3·896·4864) = 357,826,560 parameters
// (Qwen2.5-0.5B's model card: 0.36B non-embedding parameters).
func TestModelCostQwen25Half(t *testing.T) {
	ts, info, s := shapeTensors(t, "qwen2.5-0.5b", synth.Q8_0)
	c, err := ComputeModelCost(ts, info, "f16")
	if err != nil {
		t.Fatal(err)
	}
	if !c.TiedOutput || c.WeightBytes != s.DataBytes(synth.Q8_0) || c.ActiveWeightBytesPerToken != c.WeightBytes {
		t.Errorf("tied=%v weight=%d active=%d, want tied and all %d bytes", c.TiedOutput, c.WeightBytes, c.ActiveWeightBytesPerToken, s.DataBytes(synth.Q8_0))
	}
	if c.WeightBytes != 525120000 {
		t.Errorf("weight bytes = %d, want 525120000", c.WeightBytes)
	}
	if c.KVBytesPerContextToken != 12288 {
		t.Errorf("KV bytes per context token = %d, want 12288", c.KVBytesPerContextToken)
	}
	if c.ActiveParams != 357826560 {
		t.Errorf("active params = %d, want 357826560", c.ActiveParams)
	}
}

// Qwen2.5-7B is untied: a decode step reads one row of token_embd (3584 Q8_0
// weights = 112 blocks × 34 bytes = 3808 bytes), not the whole 152064-row table.
func TestModelCostUntiedReadsOneEmbeddingRow(t *testing.T) {
	ts, info, _ := shapeTensors(t, "qwen2.5-7b", synth.Q8_0)
	c, err := ComputeModelCost(ts, info, "q8_0")
	if err != nil {
		t.Fatal(err)
	}
	if c.TiedOutput || c.EmbeddingRowBytes != 3808 {
		t.Errorf("tied=%v row=%d, want untied and 3808", c.TiedOutput, c.EmbeddingRowBytes)
	}
	if want := c.WeightBytes - c.EmbeddingBytes + 3808; c.ActiveWeightBytesPerToken != want {
		t.Errorf("active = %d, want %d", c.ActiveWeightBytesPerToken, want)
	}
	// 28 layers × 4 KV heads × (128+128) × 34/32 bytes (q8_0 cache).
	if c.KVBytesPerContextToken != 30464 {
		t.Errorf("KV per token = %d, want 30464", c.KVBytesPerContextToken)
	}
}

// A mixture of experts reads only the experts a token uses: 8 of 64 here, so 1/8 of
// the expert bytes and parameters count.
func TestModelCostMixtureOfExperts(t *testing.T) {
	const e, f, n = 1024, 512, 64
	var ts []Tensor
	ts = append(ts, Tensor{"token_embd.weight", "F16", []uint64{e, 1000}}, Tensor{"output.weight", "F16", []uint64{e, 1000}})
	for b := 0; b < 2; b++ {
		p := fmt.Sprintf("blk.%d.", b)
		ts = append(ts,
			Tensor{p + "attn_q.weight", "F16", []uint64{e, e}},
			Tensor{p + "ffn_gate_exps.weight", "F16", []uint64{e, f, n}},
			Tensor{p + "ffn_up_exps.weight", "F16", []uint64{e, f, n}},
			Tensor{p + "ffn_down_exps.weight", "F16", []uint64{f, e, n}},
		)
	}
	info := map[string]any{"general.architecture": "qwen3moe", "qwen3moe.block_count": 2.0, "qwen3moe.attention.head_count": 8.0,
		"qwen3moe.attention.head_count_kv": 4.0, "qwen3moe.embedding_length": float64(e), "qwen3moe.expert_count": float64(n), "qwen3moe.expert_used_count": 8.0}
	c, err := ComputeModelCost(ts, info, "f16")
	if err != nil {
		t.Fatal(err)
	}
	experts := uint64(2 * 3 * e * f * n)
	if c.ExpertParams != experts || c.ActiveParams != 2*e*e+experts/8 {
		t.Errorf("expert params %d active %d, want %d and %d", c.ExpertParams, c.ActiveParams, experts, 2*e*e+experts/8)
	}
	wantBytes := c.WeightBytes - (c.EmbeddingBytes - e*2) - 2*experts*7/8
	if c.ActiveWeightBytesPerToken != wantBytes {
		t.Errorf("active bytes %d, want %d", c.ActiveWeightBytesPerToken, wantBytes)
	}
}

func TestModelCostErrors(t *testing.T) {
	if _, err := ComputeModelCost(nil, nil, "f16"); err == nil {
		t.Error("no tensors: no error")
	}
	ts := []Tensor{{"blk.0.x.weight", "NOPE", []uint64{2, 2}}}
	if _, err := ComputeModelCost(ts, map[string]any{}, "f16"); err == nil {
		t.Error("unknown type: no error")
	}
	ts[0].Type = "F16"
	if _, err := ComputeModelCost(ts, map[string]any{"general.architecture": "x"}, "f16"); err == nil {
		t.Error("missing block count: no error")
	}
	// A block count that multiplies into an overflow (2^62 + 2^11 layers × 4 heads ×
	// 2 × 2 B wraps to a plausible 32,768 B per token) is refused, not computed.
	info := map[string]any{"general.architecture": "x", "x.block_count": float64(4611686018427389952),
		"x.attention.head_count": float64(4), "x.attention.head_count_kv": float64(4),
		"x.attention.key_length": float64(1), "x.attention.value_length": float64(1)}
	if _, err := ComputeModelCost(ts, info, "f16"); err == nil || !strings.Contains(err.Error(), "x.block_count = 4.61168601842739e+18: more than any model has") {
		t.Errorf("absurd block count: error %v", err)
	}
}

// The decode ceiling is bandwidth / bytes per token; efficiency is measured over
// ceiling; more bandwidth in the profile means a higher ceiling and a lower efficiency.
func TestRooflineMovesWithBandwidth(t *testing.T) {
	cost := ModelCost{ActiveWeightBytesPerToken: 500e6, KVBytesPerContextToken: 10000, ActiveParams: 400e6}
	in := RooflineInput{Cost: cost, BandwidthBytesPerS: 20e9, BandwidthSource: "test", PeakFLOPS: 1e12, FLOPSSource: "test",
		MeanContextTokens: 1000, ServerGenPerS: 20, ServerPrefillPerS: 500}
	r := ComputeRoofline(in)
	// 500 MB + 1000 × 10 kB = 510 MB per token; 20 GB/s / 510 MB = 39.2 tokens/s.
	if r.BytesPerToken != 510e6 || math.Abs(r.DecodeCeilingPerS-20e9/510e6) > 1e-9 {
		t.Errorf("bytes %d ceiling %v", r.BytesPerToken, r.DecodeCeilingPerS)
	}
	if math.Abs(*r.DecodeEfficiencyFrac-20/(20e9/510e6)) > 1e-12 {
		t.Errorf("decode efficiency %v", *r.DecodeEfficiencyFrac)
	}
	// 1 TFLOP/s / (2 × 400 M) = 1250 tokens/s; 500 measured = 40%.
	if r.PrefillCeilingPerS != 1250 || math.Abs(*r.PrefillEfficiencyFrac-0.4) > 1e-12 {
		t.Errorf("prefill ceiling %v efficiency %v", r.PrefillCeilingPerS, *r.PrefillEfficiencyFrac)
	}
	in.BandwidthBytesPerS = 40e9
	if r2 := ComputeRoofline(in); *r2.DecodeEfficiencyFrac >= *r.DecodeEfficiencyFrac || r2.DecodeCeilingPerS <= r.DecodeCeilingPerS {
		t.Errorf("doubling bandwidth: ceiling %v→%v efficiency %v→%v", r.DecodeCeilingPerS, r2.DecodeCeilingPerS, *r.DecodeEfficiencyFrac, *r2.DecodeEfficiencyFrac)
	}
	// Half the model in host memory at 1/10 of the bandwidth: time per token is
	// 0.5·510M/20G + 0.5·510M/2G = 140.25 ms.
	in.BandwidthBytesPerS, in.OffloadFrac, in.HostBandwidthBytesPerS = 20e9, 0.5, 2e9
	r3 := ComputeRoofline(in)
	if !r3.OffloadAdjusted || math.Abs(r3.DecodeCeilingPerS-1/(0.5*510e6/20e9+0.5*510e6/2e9)) > 1e-9 {
		t.Errorf("offload ceiling %v adjusted %v", r3.DecodeCeilingPerS, r3.OffloadAdjusted)
	}
	none := ComputeRoofline(RooflineInput{Cost: cost})
	if none.DecodeCeilingPerS != 0 || none.DecodeEfficiencyFrac != nil || len(none.Notes) != 2 {
		t.Errorf("no figures: %+v", none)
	}
}

// Shapes whose product overflows (to 0 or a small number) or has a zero dimension
// are refused, not fed to the roofline (issue 11, item 12).
func TestComputeModelCostRefusesImpossibleShapes(t *testing.T) {
	info := map[string]any{"general.architecture": "qwen2"}
	for _, shape := range [][]uint64{{1 << 32, 1 << 32}, {1 << 63, 2}, {896, 0}, {1 << 49}} {
		_, err := ComputeModelCost([]Tensor{{Name: "blk.0.attn_q.weight", Type: "F16", Shape: shape}}, info, "f16")
		if err == nil || !strings.Contains(err.Error(), "more than any model") {
			t.Errorf("shape %v: err = %v", shape, err)
		}
	}
}

// TestWeightPrecision: quantized types multiply in int8 dot products on ggml's CPU and
// CUDA backends, F16 and BF16 in half precision, F32 in single.
func TestWeightPrecision(t *testing.T) {
	for typ, want := range map[string]string{
		"Q8_0": "int8", "Q4_0": "int8", "Q4_K": "int8", "Q5_K": "int8", "Q6_K": "int8", "IQ4_XS": "int8", "MXFP4": "int8",
		"F16": "fp16", "BF16": "fp16", "F32": "fp32", "": "fp32",
	} {
		if got := WeightPrecision(typ); got != want {
			t.Errorf("WeightPrecision(%q) = %q, want %q", typ, got, want)
		}
	}
}

// TestModelCostWeightType: the dominant type is that of the block matrices, not of the
// F32 norms nor of an embedding stored at another type.
func TestModelCostWeightType(t *testing.T) {
	for _, tc := range []struct {
		q    synth.Quant
		typ  string
		prec string
	}{{synth.Q8_0, "Q8_0", "int8"}, {synth.Q4_0, "Q4_0", "int8"}, {synth.F16, "F16", "fp16"}} {
		ts, info, _ := shapeTensors(t, "qwen2.5-0.5b", tc.q)
		c, err := ComputeModelCost(ts, info, "f16")
		if err != nil {
			t.Fatal(err)
		}
		if c.WeightType != tc.typ || c.ComputePrecision != tc.prec {
			t.Errorf("%v: %s %s, want %s %s", tc.q, c.WeightType, c.ComputePrecision, tc.typ, tc.prec)
		}
	}
}

// TestPrefillPeakByPrecision: the prefill ceiling uses the peak of the model's
// arithmetic; with ActiveParams 1e9 the ceiling is peak / 2e9 tokens/s.
func TestPrefillPeakByPrecision(t *testing.T) {
	base := RooflineInput{BandwidthBytesPerS: 1e11, PeakFLOPS: 1e12, FLOPSSource: "fp32 src",
		PeakFP16FLOPS: 2e12, FP16FLOPSSource: "fp16 src", PeakINT8OPS: 8e12, INT8OPSSource: "int8 src"}
	for _, tc := range []struct {
		prec     string
		int8     float64
		ceiling  float64
		source   string
		wantNote bool
	}{
		{"int8", 8e12, 4000, "int8 src", false}, // 8e12 / 2e9
		{"fp16", 8e12, 1000, "fp16 src", false}, // 2e12 / 2e9
		{"fp32", 8e12, 500, "fp32 src", false},  // 1e12 / 2e9
		{"", 8e12, 500, "fp32 src", false},      // a cost recorded before precisions: the general peak, as before
		// No int8 figure: the FP16 one, and a note that int8 kernels can beat it.
		{"int8", 0, 1000, "fp16 src", true},
	} {
		in := base
		in.PeakINT8OPS = tc.int8
		in.Cost = ModelCost{ActiveParams: 1e9, ActiveWeightBytesPerToken: 1e9, ComputePrecision: tc.prec, WeightType: "Q4_K"}
		r := ComputeRoofline(in)
		if r.PrefillCeilingPerS != tc.ceiling || r.FLOPSSource != tc.source || r.ComputePrecision != tc.prec {
			t.Errorf("%q int8=%g: ceiling %g from %q (%q), want %g from %q", tc.prec, tc.int8, r.PrefillCeilingPerS, r.FLOPSSource, r.ComputePrecision, tc.ceiling, tc.source)
		}
		if got := strings.Contains(strings.Join(r.Notes, "\n"), "no int8 peak"); got != tc.wantNote {
			t.Errorf("%q int8=%g: notes %q", tc.prec, tc.int8, r.Notes)
		}
	}
}

// TestRooflineLLC: bytes per token that fit in the last-level cache get a note and no
// decode efficiency; one byte more than the cache gets the ratio.
func TestRooflineLLC(t *testing.T) {
	for _, tc := range []struct {
		llc  uint64
		fits bool
	}{{1 << 20, true}, {1<<20 - 1, false}, {0, false}} {
		r := ComputeRoofline(RooflineInput{Cost: ModelCost{ActiveWeightBytesPerToken: 1 << 20}, BandwidthBytesPerS: 1e10, LLCBytes: tc.llc, ServerGenPerS: 20000})
		if r.FitsInLLC != tc.fits || (r.DecodeEfficiencyFrac == nil) != tc.fits {
			t.Errorf("llc %d: fits %v efficiency %v", tc.llc, r.FitsInLLC, r.DecodeEfficiencyFrac)
		}
		if got := strings.Contains(strings.Join(r.Notes, "\n"), "does not bind"); got != tc.fits {
			t.Errorf("llc %d: notes %q", tc.llc, r.Notes)
		}
	}
}
