package profiles

import (
	"strings"
	"testing"
)

// tinyCost is the tiny twin's cost at f16: 2 layers × 2 KV heads × (32 + 32) × 2 B
// = 512 B of KV per context token per slot.
var tinyCost = ModelCost{WeightBytes: 456_960, KVBytesPerContextToken: 512, KVCacheType: "f16"}

func TestPredictMemoryParts(t *testing.T) {
	cases := []struct {
		name string
		in   MemoryInput
		// want KV, graph and runtime bytes; total is their sum with the weights.
		kv, graph, runtime uint64
		note               string
	}{
		// 512 B × 2,048 × 4 slots = 4 MiB, the server log's "KV buffer size = 4.00 MiB";
		// graph: mask 6 × 512 × 2,048 + activations 4 × 512 × 2 × 128 + output 4 × 4 × 1,024
		// (host memory: a micro-batch's logits are not resident); runtime: the default.
		{"tiny twin, 4 slots", MemoryInput{Cost: tinyCost, NumCtx: 2048, Parallel: 4, VocabSize: 1024, EmbeddingLength: 128},
			4 << 20, 6*512*2048 + 4*512*2*128 + 4*4*1024, DefaultRuntimeBaseBytes, "estimate"},
		// q8_0 holds 34 bytes per 32 values: 512 / 2 × 34 / 32 = 272 B per token.
		{"q8_0 cache", MemoryInput{Cost: tinyCost, NumCtx: 1000, Parallel: 1, KVCacheType: "q8_0", VocabSize: 1024, EmbeddingLength: 128},
			272_000, 6*512*1000 + 4*512*2*128 + 4*1024, DefaultRuntimeBaseBytes, "estimate"},
		// A GPU commits the whole micro-batch of logits, 4 × 512 × 1,024 more.
		{"GPU", MemoryInput{Cost: tinyCost, NumCtx: 2048, Parallel: 1, VocabSize: 1024, EmbeddingLength: 128, GPU: true},
			1 << 20, 6*512*2048 + 4*512*2*128 + 4*1024 + 4*512*1024, DefaultRuntimeBaseBytes, "estimate"},
		// num_batch is cut to num_ctx (llm/server.go: NumBatch = min(NumBatch, NumCtx)).
		{"batch above context", MemoryInput{Cost: tinyCost, NumCtx: 100, BatchSize: 512, VocabSize: 1024, EmbeddingLength: 128},
			51_200, 6*100*100 + 4*100*2*128 + 4*1024, DefaultRuntimeBaseBytes, "estimate"},
		// Without flash attention the KQ scores (4 × b × ctx × heads) are materialized
		// and a quantized cache falls back to f16.
		{"no flash attention", MemoryInput{Cost: tinyCost, NumCtx: 2048, Parallel: 1, KVCacheType: "q4_0", VocabSize: 1024, EmbeddingLength: 128, HeadCount: 4, NoFlashAttention: true},
			1 << 20, 6*512*2048 + 4*512*2*128 + 4*1024 + 4*512*2048*4, DefaultRuntimeBaseBytes, "falls back to f16"},
		// A measured server RSS gets the runner's base added.
		{"measured base", MemoryInput{Cost: tinyCost, NumCtx: 2048, Parallel: 1, VocabSize: 1024, EmbeddingLength: 128, RuntimeBaseBytes: 70e6},
			1 << 20, 6*512*2048 + 4*512*2*128 + 4*1024, 70e6 + RunnerBaseBytes, "measured"},
		// Past the trained context, Ollama cuts num_ctx to it.
		{"past trained context", MemoryInput{Cost: tinyCost, NumCtx: 65536, Parallel: 1, VocabSize: 1024, EmbeddingLength: 128, TrainedContext: 32768},
			512 * 32768, 6*512*32768 + 4*512*2*128 + 4*1024, DefaultRuntimeBaseBytes, "cut to the trained context"},
	}
	for _, tc := range cases {
		p, err := PredictMemory(tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if p.KVBytes != tc.kv || p.GraphBytes != tc.graph || p.RuntimeBytes != tc.runtime {
			t.Errorf("%s: kv %d graph %d runtime %d, want %d %d %d", tc.name, p.KVBytes, p.GraphBytes, p.RuntimeBytes, tc.kv, tc.graph, tc.runtime)
		}
		if p.TotalBytes != p.WeightsBytes+p.KVBytes+p.GraphBytes+p.RuntimeBytes || p.WeightsBytes != tinyCost.WeightBytes {
			t.Errorf("%s: total %d is not the sum of %+v", tc.name, p.TotalBytes, p)
		}
		if !strings.Contains(p.RuntimeSource+strings.Join(p.Notes, ";"), tc.note) {
			t.Errorf("%s: runtime source %q, notes %q lack %q", tc.name, p.RuntimeSource, p.Notes, tc.note)
		}
	}
}

func TestPredictMemoryErrors(t *testing.T) {
	for name, in := range map[string]MemoryInput{
		"no context":     {Cost: tinyCost},
		"negative slots": {Cost: tinyCost, NumCtx: 10, Parallel: -1},
		"no cost":        {NumCtx: 10},
		"unknown type":   {Cost: tinyCost, NumCtx: 10, KVCacheType: "q3_k"},
	} {
		if _, err := PredictMemory(in); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestMaxNumCtx: the context found fits and one more token does not, for memories
// around the model's size.
func TestMaxNumCtx(t *testing.T) {
	in := MemoryInput{Cost: tinyCost, Parallel: 4, VocabSize: 1024, EmbeddingLength: 128}
	in.NumCtx = 1
	base, _ := PredictMemory(in)
	for _, avail := range []uint64{base.TotalBytes - 1, base.TotalBytes, base.TotalBytes + 1e6, base.TotalBytes + 1e8} {
		n, err := MaxNumCtx(in, avail, 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if avail < base.TotalBytes {
			if n != 0 {
				t.Errorf("avail %d below the 1-token total %d: %d tokens", avail, base.TotalBytes, n)
			}
			continue
		}
		in.NumCtx = n
		at, _ := PredictMemory(in)
		in.NumCtx = n + 1
		past, _ := PredictMemory(in)
		if at.TotalBytes > avail || past.TotalBytes <= avail {
			t.Errorf("avail %d: %d tokens take %d, %d take %d", avail, n, at.TotalBytes, n+1, past.TotalBytes)
		}
	}
	// A limit below what memory allows is returned as is.
	if n, _ := MaxNumCtx(in, 1<<40, 4096); n != 4096 {
		t.Errorf("limit 4096: got %d", n)
	}
}

// TestQuantizeTensorsQ4KM: llama-quantize's Q4_K_M mix on a 48-layer model.
func TestQuantizeTensorsQ4KM(t *testing.T) {
	var ts []Tensor
	for i := 0; i < 48; i++ {
		p := "blk." + itoa(i) + "."
		ts = append(ts, Tensor{Name: p + "attn_v.weight", Shape: []uint64{2048, 512}},
			Tensor{Name: p + "ffn_down_exps.weight", Shape: []uint64{768, 2048, 128}},
			Tensor{Name: p + "ffn_gate_inp.weight", Shape: []uint64{2048, 128}},
			Tensor{Name: p + "attn_q.weight", Shape: []uint64{2048, 4096}},
			Tensor{Name: p + "attn_norm.weight", Shape: []uint64{2048}})
	}
	ts = append(ts, Tensor{Name: "output.weight", Shape: []uint64{2048, 151936}}, Tensor{Name: "token_embd.weight", Shape: []uint64{2048, 151936}})
	out, err := QuantizeTensors(ts, "q4_k_m", 128)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"blk.0.attn_v.weight":         "Q6_K", // i < n/8 = 6
		"blk.6.attn_v.weight":         "Q4_K", // (6 − 6) mod 3 = 0
		"blk.8.ffn_down_exps.weight":  "Q6_K", // (8 − 6) mod 3 = 2
		"blk.42.ffn_down_exps.weight": "Q6_K", // i ≥ 7n/8 = 42
		"blk.41.ffn_down_exps.weight": "Q6_K", // (41 − 6) mod 3 = 2
		"blk.40.ffn_down_exps.weight": "Q4_K",
		"blk.3.attn_q.weight":         "Q4_K", // the file's default type
		"blk.3.ffn_gate_inp.weight":   "F32",  // the router is never quantized
		"blk.3.attn_norm.weight":      "F32",
		"output.weight":               "Q6_K",
		"token_embd.weight":           "Q4_K", // untied: the default type
	}
	got := map[string]string{}
	for _, o := range out {
		got[o.Name] = o.Type
	}
	for n, w := range want {
		if got[n] != w {
			t.Errorf("%s: %s, want %s", n, got[n], w)
		}
	}
	// Rows not a whole number of 256-value K blocks fall back (896 = Qwen2.5-0.5B).
	out, _ = QuantizeTensors([]Tensor{{Name: "blk.0.attn_q.weight", Shape: []uint64{896, 896}}, {Name: "token_embd.weight", Shape: []uint64{896, 1000}}}, "Q4_K_M", 0)
	if out[0].Type != "Q5_0" || out[1].Type != "Q8_0" {
		t.Errorf("fallbacks: %s %s, want Q5_0 (for Q4_K) and Q8_0 (tied output, for Q6_K)", out[0].Type, out[1].Type)
	}
	if _, err := QuantizeTensors(ts, "Q3_K_XL", 0); err == nil {
		t.Error("unknown file type accepted")
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestComputePlan(t *testing.T) {
	in := PlanInput{Memory: MemoryInput{Cost: tinyCost, VocabSize: 1024, EmbeddingLength: 128, TrainedContext: 32768}}
	// Far more memory than the model takes: every row is capped at the trained context.
	in.AvailableBytes = 1 << 40
	p, err := ComputePlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Rows) != len(PlanSlots)*len(PlanKVCacheTypes) || !p.WeightsFit {
		t.Fatalf("%d rows, weights fit %v", len(p.Rows), p.WeightsFit)
	}
	for _, r := range p.Rows {
		if r.MaxNumCtx != 32768 || !r.Capped || r.Prediction == nil {
			t.Errorf("row %+v: want 32,768 capped", r)
		}
	}
	// Less than the weights: nothing fits, and the plan says so.
	in.AvailableBytes = tinyCost.WeightBytes
	p, err = ComputePlan(in)
	if err != nil {
		t.Fatal(err)
	}
	if p.WeightsFit || p.Rows[0].MaxNumCtx != 0 || p.Rows[0].Prediction != nil {
		t.Errorf("weights fit %v, first row %+v", p.WeightsFit, p.Rows[0])
	}
	if _, err := ComputePlan(PlanInput{Memory: in.Memory}); err == nil {
		t.Error("no memory size accepted")
	}
}
