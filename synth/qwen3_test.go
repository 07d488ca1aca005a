package synth

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"

	"github.com/ollama/ollama/fs/ggml"

	"github.com/yardstick-dev/yardstick/profiles"
)

// TestQwen3Params holds the Qwen3 shapes' parameter counts against their model
// cards (huggingface.co/Qwen/Qwen3-<size> README, "Number of Parameters" and
// "(Non-Embedding)"; for the MoE also "Number of Activated Parameters"). Card
// figures are in units of 0.01B with the card's precision (10 = one decimal, 1 =
// two decimals); the computed count, rounded to that precision, must be within one
// unit of it. Every figure matches exactly but one: Qwen3-30B-A3B's activated
// 3,353,032,704 is given as "3.3B" (truncated; the other cards round, e.g. 0.596B as
// 0.6B). Counting embeddings is the card's reading: without both embeddings it would
// be 2.73B, without one 3.04B, which no rounding makes 3.3B.
func TestQwen3Params(t *testing.T) {
	type fig struct{ card, prec uint64 }
	for _, c := range []struct {
		name                   string
		tensors                int
		params, active         uint64
		total, nonEmb, activ   fig
		experts, used, expSize int
	}{
		// 28 layers × 11 tensors (attn_norm, q, k, v, output, q_norm, k_norm, ffn_norm,
		// gate, up, down) + token_embd + output_norm (tied: no output.weight).
		// Card: "0.6B; 0.44B".
		{"qwen3-0.6b", 28*11 + 2, 596049920, 596049920, fig{60, 10}, fig{44, 1}, fig{}, 0, 0, 0},
		// Card: "1.7B; 1.4B".
		{"qwen3-1.7b", 28*11 + 2, 1720574976, 1720574976, fig{170, 10}, fig{140, 10}, fig{}, 0, 0, 0},
		// Card: "4.0B; 3.6B".
		{"qwen3-4b", 36*11 + 2, 4022468096, 4022468096, fig{400, 10}, fig{360, 10}, fig{}, 0, 0, 0},
		// Card: "8.2B; 6.95B"; untied: output.weight too.
		{"qwen3-8b", 36*11 + 3, 8190735360, 8190735360, fig{820, 10}, fig{695, 1}, fig{}, 0, 0, 0},
		// 48 layers × 12 tensors (the dense MLP's 3 replaced by the router and 3 expert
		// tensors) + token_embd, output_norm, output. Card: "30.5B in total and 3.3B
		// activated; 29.9B non-embedding"; config.json: 128 experts, 8 per token, 768 each.
		// 64 layers × 11 tensors + token_embd, output_norm, output. Card: "32.8B;
		// 31.2B" (Qwen/Qwen3-32B model card).
		{"qwen3-32b", 64*11 + 3, 32762123264, 32762123264, fig{3280, 10}, fig{3120, 10}, fig{}, 0, 0, 0},
		{"qwen3-30b-a3b", 48*12 + 3, 30532122624, 3353032704, fig{3050, 10}, fig{2990, 10}, fig{330, 10}, 128, 8, 768},
		// tiny-moe, by hand: embeddings 2 × 128 × 1024 = 262,144, output_norm 128; per
		// layer attention 128×256 + 2×128×128 + 256×128 = 98,304, norms 2×128 + 2×64,
		// router 128×16 = 2,048, experts 3 × 128 × 64 × 16 = 393,216: 493,952; ×2 layers
		// → 1,250,176. Active: less 12 of 16 experts, 2 × 3 × 128 × 64 × 12 = 589,824.
		{"tiny-moe", 2*12 + 3, 1250176, 660352, fig{}, fig{}, fig{}, 16, 4, 64},
	} {
		s, err := LookupShape(c.name)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(s.Tensors(Q8_0)); n != c.tensors {
			t.Errorf("%s: %d tensors, want %d", c.name, n, c.tensors)
		}
		if s.Params() != c.params || s.ActiveParams() != c.active {
			t.Errorf("%s: %d params, %d active; want %d, %d", c.name, s.Params(), s.ActiveParams(), c.params, c.active)
		}
		if s.ExpertCount != c.experts || s.ExpertUsedCount != c.used || s.ExpertFeedForwardLength != c.expSize {
			t.Errorf("%s: experts %d/%d of size %d, want %d/%d of %d", c.name, s.ExpertCount, s.ExpertUsedCount, s.ExpertFeedForwardLength, c.experts, c.used, c.expSize)
		}
		if s.IsMoE() && s.Params()-s.ExpertParams()*uint64(s.ExpertCount-s.ExpertUsedCount)/uint64(s.ExpertCount) != s.ActiveParams() {
			t.Errorf("%s: active params disagree with ExpertParams", c.name)
		}
		for _, f := range []struct {
			what string
			n    uint64
			fig  fig
		}{{"total", s.Params(), c.total}, {"non-embedding", s.Params() - s.EmbeddingParams(), c.nonEmb}, {"activated", s.ActiveParams(), c.activ}} {
			if f.fig.prec == 0 {
				continue
			}
			unit := f.fig.prec * 1e7
			got := (f.n + unit/2) / unit * f.fig.prec
			if got+f.fig.prec < f.fig.card || got > f.fig.card+f.fig.prec {
				t.Errorf("%s: %s %d rounds to %d×0.01B, model card says %d", c.name, f.what, f.n, got, f.fig.card)
			}
		}
	}
}

// TestQwen3Tensors checks exact tensor shapes (ggml order, innermost first) and
// types of one layer against config.json and llama.cpp's loader (llama-model.cpp
// LLM_ARCH_QWEN3, LLM_ARCH_QWEN3MOE).
func TestQwen3Tensors(t *testing.T) {
	for _, c := range []struct {
		name   string
		q      Quant
		want   map[string][]uint64
		types  map[string]TensorType
		absent []string
	}{
		{
			// Qwen3-0.6B: hidden 1024, 16 heads × head_dim 128 = 2048 ≠ 1024, 8 KV heads →
			// 1024, intermediate 3072, tied embeddings. At Q4_0 the tied token_embd takes
			// the output's type: Q6_K, as 1024 % 256 == 0.
			"qwen3-0.6b", Q4_0,
			map[string][]uint64{
				"token_embd.weight":         {1024, 151936},
				"blk.27.attn_q.weight":      {1024, 2048},
				"blk.27.attn_k.weight":      {1024, 1024},
				"blk.27.attn_v.weight":      {1024, 1024},
				"blk.27.attn_output.weight": {2048, 1024},
				"blk.27.attn_q_norm.weight": {128},
				"blk.27.attn_k_norm.weight": {128},
				"blk.27.ffn_gate.weight":    {1024, 3072},
				"blk.27.ffn_up.weight":      {1024, 3072},
				"blk.27.ffn_down.weight":    {3072, 1024},
				"blk.27.attn_norm.weight":   {1024},
				"blk.27.ffn_norm.weight":    {1024},
				"output_norm.weight":        {1024},
			},
			map[string]TensorType{"token_embd.weight": TensorTypeQ6_K, "blk.0.attn_q.weight": TensorTypeQ4_0, "blk.0.attn_q_norm.weight": TensorTypeF32},
			[]string{"output.weight", "blk.0.attn_q.bias", "blk.0.attn_k.bias", "blk.0.attn_v.bias", "blk.0.ffn_gate_inp.weight"},
		},
		{
			// Qwen3-30B-A3B: hidden 2048, 32 heads × 128 = 4096, 4 KV heads → 512, 128
			// experts of 768, untied. The router stays F32; the output at Q4_0 is Q6_K.
			"qwen3-30b-a3b", Q4_0,
			map[string][]uint64{
				"token_embd.weight":           {2048, 151936},
				"output.weight":               {2048, 151936},
				"blk.47.attn_q.weight":        {2048, 4096},
				"blk.47.attn_k.weight":        {2048, 512},
				"blk.47.attn_v.weight":        {2048, 512},
				"blk.47.attn_output.weight":   {4096, 2048},
				"blk.47.attn_q_norm.weight":   {128},
				"blk.47.attn_k_norm.weight":   {128},
				"blk.47.ffn_gate_inp.weight":  {2048, 128},
				"blk.47.ffn_gate_exps.weight": {2048, 768, 128},
				"blk.47.ffn_up_exps.weight":   {2048, 768, 128},
				"blk.47.ffn_down_exps.weight": {768, 2048, 128},
				"blk.47.ffn_norm.weight":      {2048},
			},
			map[string]TensorType{"output.weight": TensorTypeQ6_K, "token_embd.weight": TensorTypeQ4_0,
				"blk.0.ffn_gate_inp.weight": TensorTypeF32, "blk.0.ffn_down_exps.weight": TensorTypeQ4_0},
			[]string{"blk.0.ffn_gate.weight", "blk.0.ffn_up.weight", "blk.0.ffn_down.weight", "blk.0.attn_q.bias"},
		},
	} {
		s, _ := LookupShape(c.name)
		ts := s.Tensors(c.q)
		for name, shape := range c.want {
			if ti, ok := find(ts, name); !ok || !equal(ti.Shape, shape) {
				t.Errorf("%s: %s shape %v (present %v), want %v", c.name, name, ti.Shape, ok, shape)
			}
		}
		for name, typ := range c.types {
			if ti, _ := find(ts, name); ti.Type != typ {
				t.Errorf("%s %s: %s is %s, want %s", c.name, c.q, name, ti.Type, typ)
			}
		}
		for _, name := range c.absent {
			if _, ok := find(ts, name); ok {
				t.Errorf("%s: has %s", c.name, name)
			}
		}
	}
}

// TestValidateArchitectures: each rule of Shape.Validate refuses a shape the
// engine could not load, with an error naming the problem, and every built-in
// shape is valid at every quantization.
func TestValidateArchitectures(t *testing.T) {
	for _, s := range Shapes() {
		if err := s.Validate(); err != nil {
			t.Errorf("%s: %v", s.Name, err)
		}
		if got := ValidQuants(s); len(got) != len(Quants()) {
			t.Errorf("%s: valid quants %v, want all of %v", s.Name, got, Quants())
		}
	}
	moe, _ := LookupShape("tiny-moe")
	dense, _ := LookupShape("qwen3-0.6b")
	q2 := tiny(t)
	for _, c := range []struct {
		what string
		edit func() Shape
		want string
	}{
		{"unknown architecture", func() Shape { s := q2; s.Arch = "llama"; return s }, "qwen2, qwen3, qwen3moe"},
		{"qwen2 with q/k norms", func() Shape { s := q2; s.QKNorm = true; return s }, "qwen2 has no q/k norms"},
		{"qwen2 head size not embd/heads", func() Shape { s := q2; s.HeadLength = 64; return s }, "qwen2 heads are embedding/heads"},
		// model/models/qwen3 calls attn_q_norm and attn_k_norm unconditionally.
		{"qwen3 without q/k norms", func() Shape { s := dense; s.QKNorm = false; return s }, "needs q/k norms"},
		{"qwen3 with biases", func() Shape { s := dense; s.QKVBias = true; return s }, "no q/k/v biases"},
		// The engine picks sparse layers by the "moe" suffix of the architecture.
		{"qwen3 with experts", func() Shape {
			s := dense
			s.ExpertCount, s.ExpertUsedCount, s.ExpertFeedForwardLength = 8, 2, 64
			return s
		}, "is dense"},
		{"qwen3moe without experts", func() Shape { s := moe; s.ExpertCount = 0; return s }, "needs 2 or more experts"},
		{"more experts used than exist", func() Shape { s := moe; s.ExpertUsedCount = 17; return s }, "1 to 16 used"},
		{"no expert size", func() Shape { s := moe; s.ExpertFeedForwardLength = 0; return s }, "an expert size"},
		{"expert size not whole blocks", func() Shape { s := moe; s.ExpertFeedForwardLength = 48; return s }, "multiples of 32"},
		{"odd head size", func() Shape { s := moe; s.HeadLength = 33; return s }, "is odd"},
		{"query width not whole blocks", func() Shape { s := moe; s.HeadLength = 36; return s }, "multiples of 32"},
		{"no room for Qwen3's 26 added tokens", func() Shape { s := moe; s.FirstSpecialID = 1024 - 25; return s }, "26 added tokens"},
		{"unknown tokenizer", func() Shape { s := moe; s.Tokenizer = "llama3"; return s }, "tokenizer \"llama3\""},
	} {
		s := c.edit()
		err := s.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line containing %q", c.what, err, c.want)
		}
		if len(ValidQuants(s)) != 0 {
			t.Errorf("%s: an invalid shape has valid quants %v", c.what, ValidQuants(s))
		}
	}
	// Qwen2.5's 22 added tokens fit where Qwen3's 26 do not.
	s := q2
	s.FirstSpecialID = 1024 - 22
	if err := s.Validate(); err != nil {
		t.Errorf("qwen2.5 tokenizer with 22 ids left: %v", err)
	}
}

// TestQwen3MoEFile writes the tiny-moe twin and reads its metadata back with
// Ollama's GGUF decoder: the keys model/models/qwen3 reads (convert_qwen3.go's
// names) and Qwen3's added tokens at their ids.
func TestQwen3MoEFile(t *testing.T) {
	s, _ := LookupShape("tiny-moe")
	path := filepath.Join(t.TempDir(), "moe.gguf")
	if _, err := WriteFile(path, Spec{Shape: s, Quant: Q4_0, Seed: 3}); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	g, err := ggml.Decode(f, -1)
	if err != nil {
		t.Fatal(err)
	}
	kv := g.KV()
	if kv.Architecture() != "qwen3moe" || kv.Uint("attention.key_length") != 64 || kv.Uint("attention.value_length") != 64 ||
		kv.Uint("expert_count") != 16 || kv.Uint("expert_used_count") != 4 || kv.Uint("expert_feed_forward_length") != 64 ||
		!kv.Bool("norm_top_k_prob") || kv.Uint("feed_forward_length") != 384 || kv.ParameterCount() != s.Params() {
		t.Errorf("qwen3moe metadata wrong: %v", kv)
	}
	toks, types := kv.Strings("tokenizer.ggml.tokens"), kv.Ints("tokenizer.ggml.token_type")
	// Qwen3: <|im_end|> 151645 = first+2, <think> 151667 = first+24, </think> 151668.
	for off, want := range map[int]string{2: "<|im_end|>", 22: "<tool_response>", 24: "<think>", 25: "</think>", 26: "[PAD1018]"} {
		if id := s.FirstSpecialID + off; toks[id] != want {
			t.Errorf("token %d = %q, want %q", id, toks[id], want)
		}
	}
	if types[s.FirstSpecialID+24] != tokenUserDefined || types[s.FirstSpecialID+2] != tokenControl {
		t.Errorf("token types: <think> %d, <|im_end|> %d", types[s.FirstSpecialID+24], types[s.FirstSpecialID+2])
	}
	if kv.Uint("tokenizer.ggml.eos_token_id") != uint32(s.FirstSpecialID+2) || kv.String("tokenizer.ggml.pre") != "qwen2" {
		t.Errorf("eos %d pre %q", kv.Uint("tokenizer.ggml.eos_token_id"), kv.String("tokenizer.ggml.pre"))
	}
	// The file holds Tensors(Q4_0) in order, each of its size (3-D experts included),
	// and ends where the last tensor's data does.
	want, got := s.Tensors(Q4_0), g.Tensors().Items()
	if len(got) != len(want) {
		t.Fatalf("%d tensors, want %d", len(got), len(want))
	}
	var end uint64
	for i, w := range want {
		if got[i].Name != w.Name || !equal(got[i].Shape, w.Shape) || got[i].Kind != uint32(w.Type) || got[i].Size() != w.Bytes() {
			t.Errorf("tensor %d = %s %v %d (%d bytes), want %s %v %s (%d)", i, got[i].Name, got[i].Shape, got[i].Kind, got[i].Size(), w.Name, w.Shape, w.Type, w.Bytes())
		}
		end = max(end, got[i].Offset+got[i].Size())
	}
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() != int64(g.Tensors().Offset+end) {
		t.Errorf("file %d bytes, data ends at %d", st.Size(), g.Tensors().Offset+end)
	}
	// Norms (q/k norms too) are 1.0, quantized blocks have small positive scales.
	checkValues(t, path, g, Q4_0)
}

// TestModelCostOfTwins feeds each MoE and Qwen3 twin's tensors and metadata, as
// /api/show returns them (numbers as JSON float64), to profiles.ComputeModelCost,
// the roofline's model cost: expert counts come through, the active parameters are
// the blocks' matrices with experts scaled by used/count (ActiveParams less the
// embeddings and the F32 vectors), and the KV cache per token uses head_dim
// (attention.key_length), not hidden/heads: for Qwen3-0.6B 28 layers × 8 KV heads
// × (128 + 128) × 2 bytes (f16) = 114,688 bytes, twice what 1024/16 = 64 would give.
func TestModelCostOfTwins(t *testing.T) {
	for _, c := range []struct {
		name    string
		kvBytes uint64
	}{
		{"tiny-moe", 2 * 2 * 128 * 2},
		{"qwen3-0.6b", 28 * 8 * 256 * 2},
		{"qwen3-30b-a3b", 48 * 4 * 256 * 2},
	} {
		s, _ := LookupShape(c.name)
		spec := Spec{Shape: s, Quant: Q4_0}
		kv, err := spec.KV()
		if err != nil {
			t.Fatal(err)
		}
		info := map[string]any{"general.architecture": s.Arch}
		for k, v := range kv {
			if strings.HasPrefix(k, "general.") || strings.HasPrefix(k, "tokenizer.") {
				continue
			}
			switch x := v.(type) {
			case uint32:
				info[s.Arch+"."+k] = float64(x)
			case float32:
				info[s.Arch+"."+k] = float64(x)
			default:
				info[s.Arch+"."+k] = x
			}
		}
		var tensors []profiles.Tensor
		var vectors uint64
		for _, ti := range s.Tensors(Q4_0) {
			tensors = append(tensors, profiles.Tensor{Name: ti.Name, Type: ti.Type.String(), Shape: ti.Shape})
			if len(ti.Shape) == 1 {
				vectors += ti.Elements()
			}
		}
		cost, err := profiles.ComputeModelCost(tensors, info, "f16")
		if err != nil {
			t.Fatal(err)
		}
		if cost.ExpertCount != s.ExpertCount || cost.ExpertUsedCount != s.ExpertUsedCount {
			t.Errorf("%s: cost experts %d/%d", c.name, cost.ExpertCount, cost.ExpertUsedCount)
		}
		if want := s.ActiveParams() - s.EmbeddingParams() - vectors; cost.ActiveParams != want {
			t.Errorf("%s: cost active params %d, want %d", c.name, cost.ActiveParams, want)
		}
		if cost.KVBytesPerContextToken != c.kvBytes {
			t.Errorf("%s: KV bytes per token %d, want %d", c.name, cost.KVBytesPerContextToken, c.kvBytes)
		}
		t.Logf("%s Q4_0: active params %d, active weight bytes per token %d of %d, KV %d B/token",
			c.name, cost.ActiveParams, cost.ActiveWeightBytesPerToken, cost.WeightBytes, cost.KVBytesPerContextToken)
	}
}

// TestQwen3Template renders Qwen3ChatTemplate the way Ollama's template package
// does (a map of Messages, System, Think, IsThinkSet): think unset leaves the
// prompt plain; think false adds " /no_think" and opens the answer with an empty
// <think></think> block; think true adds " /think" and lets the model open its own.
func TestQwen3Template(t *testing.T) {
	tmpl, err := template.New("").Parse(Qwen3ChatTemplate)
	if err != nil {
		t.Fatal(err)
	}
	type msg struct{ Role, Content, Thinking string }
	render := func(think, set bool) string {
		var b strings.Builder
		err := tmpl.Execute(&b, map[string]any{"System": "", "Messages": []msg{{Role: "user", Content: "Hi"}}, "Think": think, "IsThinkSet": set})
		if err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	for _, c := range []struct {
		think, set bool
		want       string
	}{
		{false, false, "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"},
		{false, true, "<|im_start|>user\nHi /no_think<|im_end|>\n<|im_start|>assistant\n<think>\n\n</think>\n\n"},
		{true, true, "<|im_start|>user\nHi /think<|im_end|>\n<|im_start|>assistant\n"},
	} {
		if got := render(c.think, c.set); got != c.want {
			t.Errorf("think %v set %v: %q, want %q", c.think, c.set, got, c.want)
		}
	}
	if TemplateFor(tiny(t)) != ChatTemplate || TemplateFor(mustShape(t, "qwen3-8b")) != Qwen3ChatTemplate {
		t.Error("TemplateFor picks the wrong template")
	}
}

func mustShape(t *testing.T, name string) Shape {
	t.Helper()
	s, err := LookupShape(name)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
