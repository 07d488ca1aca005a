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
