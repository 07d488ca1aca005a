package profiles

import (
	"math"
	"testing"
)

// relNear is true when a and b agree to 1e-12 of their size.
func relNear(a, b float64) bool {
	return math.Abs(a-b) <= 1e-12*math.Max(math.Abs(a), math.Abs(b))
}

// The expected distinct experts per layer, n(1 − (1 − k/n)^b), by hand.
func TestExpectedDistinctExperts(t *testing.T) {
	for _, tc := range []struct {
		name string
		n, k int
		b    float64
		want float64
	}{
		// One token uses exactly its k experts.
		{"one token", 128, 8, 1, 8},
		// Qwen3-30B-A3B (128 experts, 8 used): 128 × (1 − (15/16)²) = 128 × 31/256.
		{"two tokens of 8 in 128", 128, 8, 2, 15.5},
		// Half the experts per token: 4 × (1 − 1/4) = 3, and 4 × (1 − 1/8) = 3.5.
		{"two tokens of 2 in 4", 4, 2, 2, 3},
		{"three tokens of 2 in 4", 4, 2, 3, 3.5},
		// Real b: 4 × (1 − 0.5^1.5) = 4 − √2.
		{"1.5 tokens of 2 in 4", 4, 2, 1.5, 4 - math.Sqrt2},
		// Every expert used by every token: all n, whatever b.
		{"all used", 4, 4, 2.5, 4},
		// A large batch touches every expert: (15/16)^1000 is about 1e-28.
		{"many tokens", 128, 8, 1000, 128},
		{"no tokens", 128, 8, 0, 0},
		{"negative b", 128, 8, -1, 0},
		{"NaN b", 128, 8, math.NaN(), 0},
		{"k above n", 4, 8, 2, 0},
		{"no experts", 0, 0, 2, 0},
	} {
		if got := ExpectedDistinctExperts(tc.n, tc.k, tc.b); !relNear(got, tc.want) {
			t.Errorf("%s: ExpectedDistinctExperts(%d, %d, %v) = %v, want %v", tc.name, tc.n, tc.k, tc.b, got, tc.want)
		}
	}
}

// A dense model: 100 weight bytes, 10 KV bytes per context token at 5 tokens of
// context (50 bytes per stream), read at 1000 bytes/s. A step of b streams reads
// 100 + 50b bytes and yields b tokens.
func TestBatchDecodeCeilingDense(t *testing.T) {
	c := ModelCost{ActiveWeightBytesPerToken: 100, KVBytesPerContextToken: 10}
	for _, tc := range []struct {
		name      string
		b, ctx    float64
		wantBytes float64
		want      float64
	}{
		{"one stream", 1, 5, 150, 1000.0 / 150},
		// Two streams share the weights: 2 × 1000 / 200 = 10 tokens/s, not 2 × 6.67.
		{"two streams", 2, 5, 200, 10},
		{"eight streams", 8, 5, 500, 16},
		// A time average below one stream: 0.5 × 1000 / 125.
		{"half a stream", 0.5, 5, 125, 4},
		// No KV cache to read: the weights' cost is shared by all, the ceiling is linear.
		{"no context", 4, 0, 100, 40},
	} {
		bc := BatchDecodeCeiling(c, tc.b, tc.ctx, 1000)
		if got := bc.WeightBytesPerStep + bc.KVBytesPerStep; !relNear(got, tc.wantBytes) || !relNear(bc.DecodeCeilingPerS, tc.want) {
			t.Errorf("%s: %v bytes per step, ceiling %v tokens/s; want %v and %v", tc.name, got, bc.DecodeCeilingPerS, tc.wantBytes, tc.want)
		}
		if bc.UniformRoutingDecodeCeilingPerS != 0 || bc.UniformRoutingExpertsPerLayer != 0 {
			t.Errorf("%s: a dense model has uniform-routing figures %+v", tc.name, bc)
		}
	}
	// The ceiling rises with b toward the rate the KV caches alone allow, 1000 / 50 =
	// 20 tokens/s, and never reaches it.
	prev := 0.0
	for _, b := range []float64{1, 2, 4, 16, 64, 1e3, 1e6} {
		got := BatchDecodeCeiling(c, b, 5, 1000).DecodeCeilingPerS
		if got <= prev || got >= 20 {
			t.Errorf("b=%v: ceiling %v, want above %v (b smaller) and below 20", b, got, prev)
		}
		prev = got
	}
	if prev < 20*(1-1e-5) {
		t.Errorf("b=1e6: ceiling %v, want within 1e-5 of 20", prev)
	}
}

// At one stream the batched ceiling is ComputeRoofline's decode ceiling: 100 MB of
// weights and 12,288 KV bytes per token at 527 tokens (6,475,776 bytes) at 20 GB/s.
func TestBatchDecodeCeilingOneStreamIsTheRoofline(t *testing.T) {
	for _, c := range []ModelCost{
		{ActiveWeightBytesPerToken: 100e6, KVBytesPerContextToken: 12288},
		// A mixture of experts at one stream reads its k experts under every routing.
		{ActiveWeightBytesPerToken: 100e6, KVBytesPerContextToken: 12288, ExpertBytes: 640e6, ExpertCount: 128, ExpertUsedCount: 8},
	} {
		rl := ComputeRoofline(RooflineInput{Cost: c, BandwidthBytesPerS: 20e9, MeanContextTokens: 527})
		bc := BatchDecodeCeiling(c, 1, 527, 20e9)
		if rl.BytesPerToken != 106475776 || !relNear(bc.DecodeCeilingPerS, rl.DecodeCeilingPerS) {
			t.Errorf("cost %+v: batched ceiling at b=1 %v, roofline %v (%d bytes per token)", c, bc.DecodeCeilingPerS, rl.DecodeCeilingPerS, rl.BytesPerToken)
		}
		if c.ExpertCount > 0 && (bc.UniformRoutingExpertsPerLayer != 8 || !relNear(bc.UniformRoutingDecodeCeilingPerS, rl.DecodeCeilingPerS)) {
			t.Errorf("cost %+v: uniform routing at b=1 %v experts, %v tokens/s; want 8 and %v", c, bc.UniformRoutingExpertsPerLayer, bc.UniformRoutingDecodeCeilingPerS, rl.DecodeCeilingPerS)
		}
	}
}

// A mixture of experts made by ComputeModelCost from its tensors, so that the shared
// weights BatchDecodeCeiling infers are those the cost left out of the experts. F32
// tensors, 4 bytes an element: token_embd and output 4×10 (160 bytes each, a row of
// token_embd 16), attn_q 4×4 (64), ffn_gate_exps 4×2 for each of 4 experts (128, 32
// per expert), 2 used per token. Active bytes: 512 − (160 − 16) − 128 × (1 − 2/4) =
// 304 = shared 240 (row 16 + output 160 + attn_q 64) + 2 experts of 32. KV: 1 layer ×
// 1 head × (4 + 4) × 2 bytes (f16) = 16 bytes per token; at 5 tokens of context, 80
// bytes per stream. Read at 1000 bytes/s.
func TestBatchDecodeCeilingMixtureOfExperts(t *testing.T) {
	ts := []Tensor{{"token_embd.weight", "F32", []uint64{4, 10}}, {"output.weight", "F32", []uint64{4, 10}},
		{"blk.0.attn_q.weight", "F32", []uint64{4, 4}}, {"blk.0.ffn_gate_exps.weight", "F32", []uint64{4, 2, 4}}}
	info := map[string]any{"general.architecture": "qwen3moe", "qwen3moe.block_count": 1.0, "qwen3moe.attention.head_count": 1.0,
		"qwen3moe.embedding_length": 4.0, "qwen3moe.expert_count": 4.0, "qwen3moe.expert_used_count": 2.0}
	c, err := ComputeModelCost(ts, info, "f16")
	if err != nil {
		t.Fatal(err)
	}
	if c.ActiveWeightBytesPerToken != 304 || c.ExpertBytes != 128 || c.KVBytesPerContextToken != 16 {
		t.Fatalf("cost %+v: want 304 active bytes, 128 expert bytes, 16 KV bytes per token", c)
	}
	for _, tc := range []struct {
		name          string
		b             float64
		experts       float64 // uniform routing's distinct experts per layer
		uniformWeight float64
		ceiling       float64 // k experts per layer: b × 1000 / (304 + 80b)
		uniform       float64 // b × 1000 / (uniformWeight + 80b)
	}{
		// One token reads its 2 experts under any routing: both figures are the roofline's.
		{"one stream", 1, 2, 304, 1000.0 / 384, 1000.0 / 384},
		// Two tokens touch 4(1 − ½²) = 3 experts on average: 240 + 96 bytes of weights.
		{"two streams", 2, 3, 336, 2000.0 / 464, 2000.0 / 496},
		// Three: 4(1 − ⅛) = 3.5 experts, 240 + 112.
		{"three streams", 3, 3.5, 352, 3000.0 / 544, 3000.0 / 592},
		// Below one stream on average the uniform figure keeps the k experts of one token.
		{"half a stream", 0.5, 2, 304, 500.0 / 344, 500.0 / 344},
		// Sixty tokens touch every expert (4 × 2⁻⁶⁰ short of 4): all 368 weight bytes
		// but for the 144 of token_embd not read; the strict ceiling still counts 2.
		{"sixty streams", 60, 4, 368, 60000.0 / 5104, 60000.0 / 5168},
	} {
		bc := BatchDecodeCeiling(c, tc.b, 5, 1000)
		if bc.WeightBytesPerStep != 304 || !relNear(bc.DecodeCeilingPerS, tc.ceiling) {
			t.Errorf("%s: strict bound %v weight bytes, ceiling %v; want 304 and %v", tc.name, bc.WeightBytesPerStep, bc.DecodeCeilingPerS, tc.ceiling)
		}
		if !relNear(bc.UniformRoutingExpertsPerLayer, tc.experts) || !relNear(bc.UniformRoutingWeightBytesPerStep, tc.uniformWeight) ||
			!relNear(bc.UniformRoutingDecodeCeilingPerS, tc.uniform) {
			t.Errorf("%s: uniform routing %v experts, %v weight bytes, %v tokens/s; want %v, %v, %v", tc.name, bc.UniformRoutingExpertsPerLayer,
				bc.UniformRoutingWeightBytesPerStep, bc.UniformRoutingDecodeCeilingPerS, tc.experts, tc.uniformWeight, tc.uniform)
		}
		// Reading more experts can only lower the rate: the strict bound is the ceiling.
		if bc.UniformRoutingDecodeCeilingPerS > bc.DecodeCeilingPerS {
			t.Errorf("%s: uniform routing %v above the ceiling %v", tc.name, bc.UniformRoutingDecodeCeilingPerS, bc.DecodeCeilingPerS)
		}
	}
}

// What cannot give a ceiling gives 0, never a division by zero.
func TestBatchDecodeCeilingMissingInputs(t *testing.T) {
	c := ModelCost{ActiveWeightBytesPerToken: 100, KVBytesPerContextToken: 10, ExpertBytes: 40, ExpertCount: 4, ExpertUsedCount: 2}
	for _, tc := range []struct {
		name       string
		c          ModelCost
		b, ctx, bw float64
	}{
		{"no streams", c, 0, 5, 1000},
		{"negative streams", c, -1, 5, 1000},
		{"NaN streams", c, math.NaN(), 5, 1000},
		{"infinite streams", c, math.Inf(1), 5, 1000},
		{"no bandwidth", c, 2, 5, 0},
		{"infinite bandwidth", c, 2, 5, math.Inf(1)},
		{"negative context", c, 2, -1, 1000},
		{"no bytes", ModelCost{}, 2, 5, 1000},
	} {
		bc := BatchDecodeCeiling(tc.c, tc.b, tc.ctx, tc.bw)
		if bc.DecodeCeilingPerS != 0 || bc.UniformRoutingDecodeCeilingPerS != 0 {
			t.Errorf("%s: ceilings %v and %v, want 0", tc.name, bc.DecodeCeilingPerS, bc.UniformRoutingDecodeCeilingPerS)
		}
	}
}

// The level's ceiling is taken at its mean number of decoding streams, while the
// number decoding varies over the window: docs/metrics.md "Under load" rests on the
// ceiling being concave in b and 0 at b = 0, so that the time average of the ceiling
// over any schedule is at most the ceiling at the time-averaged b (Jensen). Each
// schedule here is a list of equally long intervals with that many streams decoding.
func TestBatchCeilingAtTheMeanBoundsTheMean(t *testing.T) {
	dense := ModelCost{ActiveWeightBytesPerToken: 100e6, KVBytesPerContextToken: 12288}
	moe := ModelCost{ActiveWeightBytesPerToken: 3e9, KVBytesPerContextToken: 98304, ExpertBytes: 16e9, ExpertCount: 128, ExpertUsedCount: 8}
	for _, c := range []ModelCost{dense, moe} {
		for _, sched := range [][]float64{{0, 3}, {1, 1, 1, 5}, {0, 0, 0, 8}, {2, 2}, {1, 0}, {4, 1, 0, 7, 2}} {
			var mean, ceilings float64
			for _, m := range sched {
				mean += m / float64(len(sched))
				ceilings += BatchDecodeCeiling(c, m, 600, 50e9).DecodeCeilingPerS / float64(len(sched))
			}
			if at := BatchDecodeCeiling(c, mean, 600, 50e9).DecodeCeilingPerS; ceilings > at*(1+1e-12) {
				t.Errorf("cost %+v, schedule %v: mean of the ceilings %v above the ceiling at the mean b=%v, %v", c, sched, ceilings, mean, at)
			}
		}
	}
}
