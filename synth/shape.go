// Package synth writes "shape-twin" GGUF models: files with the exact tensor names,
// shapes and quantization of real models (Qwen2.5 0.5B…7B, Qwen3 0.6B…8B and the
// Qwen3-30B-A3B mixture of experts) but random weights, so the speed and memory of
// serving them can be measured with no model download.
//
// A twin is marked unmistakably: general.name says "yardstick twin … (random
// weights)" and the keys general.yardstick.synthetic, .shape, .quant and .seed are
// set; Ollama returns general.* keys (but general.name) in /api/show model_info.
//
// The layout follows what Ollama v0.24.0 loads: for architecture "qwen2" the
// llama.cpp runner (llama/llama.cpp/src/llama-model.cpp, LLM_ARCH_QWEN2) and the
// Go engine (model/models/qwen2/model.go), with tensor names as written by
// convert/convert_qwen2.go; for "qwen3" and "qwen3moe", which Ollama serves only
// with its Go engine (fs/ggml/ggml.go OllamaEngineRequired), model/models/qwen3/
// model.go, with the tensor names and metadata keys of convert/convert_qwen3.go
// and the tensor shapes llama.cpp asks for (llama-model.cpp LLM_ARCH_QWEN3,
// LLM_ARCH_QWEN3MOE).
package synth

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Architectures a twin can have: the GGUF general.architecture values Ollama
// v0.24.0 serves with the layouts written here.
const (
	ArchQwen2    = "qwen2"    // Qwen2 and Qwen2.5 dense
	ArchQwen3    = "qwen3"    // Qwen3 dense
	ArchQwen3MoE = "qwen3moe" // Qwen3 mixture of experts
)

// Archs lists the architectures a Shape may have.
func Archs() []string { return []string{ArchQwen2, ArchQwen3, ArchQwen3MoE} }

// Tokenizer names the added-token set of a shape's vocabulary (see BuildVocab).
type Tokenizer string

// The tokenizers. Both are Qwen's byte-level BPE ("gpt2" model, "qwen2"
// pre-tokenizer); they differ in the added tokens after <|endoftext|>.
const (
	// TokenizerQwen25 has Qwen2.5's 22 added tokens, <|endoftext|> … <|file_sep|>
	// (Qwen/Qwen2.5-*-Instruct tokenizer_config.json added_tokens_decoder).
	TokenizerQwen25 Tokenizer = "qwen2.5"
	// TokenizerQwen3 has those and 4 more: <tool_response>, </tool_response>,
	// <think>, </think> (Qwen/Qwen3-* tokenizer_config.json, ids 151665–151668).
	TokenizerQwen3 Tokenizer = "qwen3"
)

// Shape is the architecture hyperparameters of a real model. Every figure comes
// from the model's Hugging Face config.json named in Source (field names of that
// file in brackets below) unless said otherwise.
type Shape struct {
	// Name is the shape's short name, e.g. "qwen2.5-0.5b".
	Name string
	// Arch is the GGUF general.architecture: ArchQwen2, ArchQwen3 or ArchQwen3MoE.
	Arch string
	// Source cites where the figures come from.
	Source string

	BlockCount        int     // transformer layers [num_hidden_layers]
	EmbeddingLength   int     // hidden size [hidden_size]
	FeedForwardLength int     // dense MLP inner size [intermediate_size]; a mixture of experts has no dense MLP but keeps the figure in its metadata
	HeadCount         int     // query heads [num_attention_heads]
	HeadCountKV       int     // key/value heads (GQA) [num_key_value_heads]
	VocabSize         int     // rows of token_embd/output, tokens in the vocabulary [vocab_size]
	ContextLength     int     // trained context, tokens [max_position_embeddings]
	RopeFreqBase      float32 // RoPE theta [rope_theta]
	RMSNormEps        float32 // RMSNorm epsilon [rms_norm_eps]
	TiedEmbeddings    bool    // output projection shares token_embd (no output.weight) [tie_word_embeddings]
	QKVBias           bool    // q/k/v projections have biases (all Qwen2 models; Qwen2Attention uses bias=True) [attention_bias for Qwen3: false]

	// HeadLength is the width of one query, key or value head [head_dim]. 0 means
	// EmbeddingLength / HeadCount, as Qwen2 configs have no head_dim; every Qwen3
	// has 128, which is not hidden_size / num_attention_heads for most sizes.
	HeadLength int
	// QKNorm is true when queries and keys are RMS-normalized per head before
	// RoPE (Qwen3Attention q_norm, k_norm: tensors attn_q_norm, attn_k_norm of
	// HeadDim values). Ollama's qwen3 engine requires them.
	QKNorm bool

	// ExpertCount is the number of experts per layer of a mixture of experts
	// [num_experts]; 0 for a dense model. Every layer of Qwen3-30B-A3B is sparse
	// (decoder_sparse_step 1, mlp_only_layers []), as the qwen3moe engine assumes.
	ExpertCount int
	// ExpertUsedCount is the number of experts a token is routed to [num_experts_per_tok].
	ExpertUsedCount int
	// ExpertFeedForwardLength is one expert's MLP inner size [moe_intermediate_size].
	ExpertFeedForwardLength int
	// NormTopKProb is true when the routing weights of the chosen experts are
	// renormalized to sum to 1 [norm_topk_prob].
	NormTopKProb bool

	// Tokenizer is the vocabulary's added-token set; "" means TokenizerQwen25.
	Tokenizer Tokenizer
	// FirstSpecialID is the token id of <|endoftext|>; the other added tokens
	// follow it (<|im_start|> = +1, <|im_end|> = +2, … see addedTokens).
	// For Qwen2.5 and Qwen3 it is 151643 (tokenizer_config.json added_tokens_decoder).
	FirstSpecialID int

	// ReportedParams is the parameter count the model card states, for reference
	// and tests (e.g. "0.49B (0.36B non-embedding)").
	ReportedParams string
}

// HeadDim is the size of one attention head: HeadLength, or EmbeddingLength /
// HeadCount when HeadLength is 0.
func (s Shape) HeadDim() int {
	if s.HeadLength > 0 {
		return s.HeadLength
	}
	if s.HeadCount == 0 {
		return 0
	}
	return s.EmbeddingLength / s.HeadCount
}

// QDim is the width of the query projection and of the attention output's input
// (HeadDim * HeadCount); it equals EmbeddingLength for Qwen2.5, not for Qwen3.
func (s Shape) QDim() int { return s.HeadDim() * s.HeadCount }

// KVDim is the width of the key and value projections (HeadDim * HeadCountKV).
func (s Shape) KVDim() int { return s.HeadDim() * s.HeadCountKV }

// IsMoE reports whether the shape is a mixture of experts (ExpertCount > 0).
func (s Shape) IsMoE() bool { return s.ExpertCount > 0 }

// tokenizer is s.Tokenizer with "" read as TokenizerQwen25.
func (s Shape) tokenizer() Tokenizer {
	if s.Tokenizer == "" {
		return TokenizerQwen25
	}
	return s.Tokenizer
}

const qwenSpecial = 151643 // <|endoftext|> in Qwen2.5's and Qwen3's tokenizer_config.json

// qwen25 completes the Shape of the Qwen2.5 model of the given size ("0.5B") from
// the figures that differ between sizes: those every Qwen2.5 shares (architecture
// "qwen2", 32,768 trained context, RoPE theta 10⁶, RMSNorm ε 10⁻⁶, q/k/v biases, the
// special tokens from qwenSpecial) are filled in, with Source and ReportedParams
// naming the config.json and model card of Qwen/Qwen2.5-<size>-Instruct.
func qwen25(size string, s Shape, params string) Shape {
	s.Name, s.Arch = "qwen2.5-"+strings.ToLower(size), ArchQwen2
	s.Source = "Qwen/Qwen2.5-" + size + "-Instruct config.json"
	s.ContextLength, s.RopeFreqBase, s.RMSNormEps, s.QKVBias = 32768, 1e6, 1e-6, true
	s.FirstSpecialID = qwenSpecial
	s.ReportedParams = params + ", Qwen2.5-" + size + "-Instruct model card"
	return s
}

// qwen3 completes the Shape of the Qwen3 model of the given size ("0.6B",
// "30B-A3B") from the figures that differ between sizes. Those every Qwen3 shares
// are filled in from its config.json: architecture "qwen3" ("qwen3moe" when
// ExpertCount is set: Qwen3MoeForCausalLM), head_dim 128, vocab_size 151936,
// max_position_embeddings 40960, rope_theta 10⁶, rms_norm_eps 10⁻⁶,
// attention_bias false, per-head q/k RMSNorm (Qwen3Attention q_norm, k_norm),
// the Qwen3 tokenizer from <|endoftext|> = 151643. Source and ReportedParams
// name the config.json and model card of Qwen/Qwen3-<size>.
func qwen3(size string, s Shape, params string) Shape {
	s.Name, s.Arch = "qwen3-"+strings.ToLower(size), ArchQwen3
	if s.ExpertCount > 0 {
		s.Arch = ArchQwen3MoE
	}
	s.Source = "Qwen/Qwen3-" + size + " config.json"
	s.HeadLength, s.VocabSize, s.ContextLength = 128, 151936, 40960
	s.RopeFreqBase, s.RMSNormEps, s.QKNorm = 1e6, 1e-6, true
	s.Tokenizer, s.FirstSpecialID = TokenizerQwen3, qwenSpecial
	s.ReportedParams = params + ", Qwen3-" + size + " model card"
	return s
}

var shapes = []Shape{
	{
		// Tiny: a Qwen2.5 in miniature (a few hundred KB) for tests. Not a real model.
		Name: "tiny", Arch: ArchQwen2,
		Source:     "yardstick test shape (not a real model): Qwen2.5 layout, tiny sizes",
		BlockCount: 2, EmbeddingLength: 128, FeedForwardLength: 256,
		HeadCount: 4, HeadCountKV: 2, VocabSize: 1024, ContextLength: 32768,
		RopeFreqBase: 1e6, RMSNormEps: 1e-6, TiedEmbeddings: true, QKVBias: true,
		FirstSpecialID: 1024 - 32,
		ReportedParams: "427,136 (computed; not a real model)",
	},
	{
		// Tiny MoE: a Qwen3-30B-A3B in miniature (about a megabyte) for tests: 16
		// experts of which 4 are used, head size 64 ≠ 128/4 as in Qwen3, untied
		// output. 16 experts, not 8: llama-quantize special-cases 8-expert models
		// (llama-quant.cpp: attn_k, attn_v to Q8_0), which twins do not mimic.
		Name: "tiny-moe", Arch: ArchQwen3MoE,
		Source:     "yardstick test shape (not a real model): Qwen3-30B-A3B layout, tiny sizes",
		BlockCount: 2, EmbeddingLength: 128, FeedForwardLength: 384,
		HeadCount: 4, HeadCountKV: 2, HeadLength: 64, VocabSize: 1024, ContextLength: 40960,
		RopeFreqBase: 1e6, RMSNormEps: 1e-6, QKNorm: true,
		ExpertCount: 16, ExpertUsedCount: 4, ExpertFeedForwardLength: 64, NormTopKProb: true,
		Tokenizer: TokenizerQwen3, FirstSpecialID: 1024 - 32,
		ReportedParams: "1,250,176 total, 660,352 active (computed; not a real model)",
	},
	qwen25("0.5B", Shape{BlockCount: 24, EmbeddingLength: 896, FeedForwardLength: 4864,
		HeadCount: 14, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "0.49B (0.36B non-embedding)"),
	qwen25("1.5B", Shape{BlockCount: 28, EmbeddingLength: 1536, FeedForwardLength: 8960,
		HeadCount: 12, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "1.54B (1.31B non-embedding)"),
	qwen25("3B", Shape{BlockCount: 36, EmbeddingLength: 2048, FeedForwardLength: 11008,
		HeadCount: 16, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "3.09B (2.77B non-embedding)"),
	qwen25("7B", Shape{BlockCount: 28, EmbeddingLength: 3584, FeedForwardLength: 18944,
		HeadCount: 28, HeadCountKV: 4, VocabSize: 152064, TiedEmbeddings: false}, "7.61B (6.53B non-embedding)"),
	qwen3("0.6B", Shape{BlockCount: 28, EmbeddingLength: 1024, FeedForwardLength: 3072,
		HeadCount: 16, HeadCountKV: 8, TiedEmbeddings: true}, "0.6B (0.44B non-embedding)"),
	qwen3("1.7B", Shape{BlockCount: 28, EmbeddingLength: 2048, FeedForwardLength: 6144,
		HeadCount: 16, HeadCountKV: 8, TiedEmbeddings: true}, "1.7B (1.4B non-embedding)"),
	qwen3("4B", Shape{BlockCount: 36, EmbeddingLength: 2560, FeedForwardLength: 9728,
		HeadCount: 32, HeadCountKV: 8, TiedEmbeddings: true}, "4.0B (3.6B non-embedding)"),
	qwen3("8B", Shape{BlockCount: 36, EmbeddingLength: 4096, FeedForwardLength: 12288,
		HeadCount: 32, HeadCountKV: 8, TiedEmbeddings: false}, "8.2B (6.95B non-embedding)"),
	qwen3("30B-A3B", Shape{BlockCount: 48, EmbeddingLength: 2048, FeedForwardLength: 6144,
		HeadCount: 32, HeadCountKV: 4, TiedEmbeddings: false,
		ExpertCount: 128, ExpertUsedCount: 8, ExpertFeedForwardLength: 768, NormTopKProb: true},
		"30.5B total, 3.3B activated (29.9B non-embedding)"),
	// The dense Qwen3 of about the MoE's total size, for docs/moe.md's comparison.
	qwen3("32B", Shape{BlockCount: 64, EmbeddingLength: 5120, FeedForwardLength: 25600,
		HeadCount: 64, HeadCountKV: 8, TiedEmbeddings: false}, "32.8B (31.2B non-embedding)"),
}

// Shapes returns the built-in shapes: the test shapes "tiny" (Qwen2.5 layout, a
// few hundred KB) and "tiny-moe" (Qwen3 MoE layout, about 1 MB), then
// qwen2.5-0.5b, -1.5b, -3b, -7b, qwen3-0.6b, -1.7b, -4b, -8b and qwen3-30b-a3b.
// The slice is a copy.
func Shapes() []Shape {
	return append([]Shape(nil), shapes...)
}

// ShapeNames returns the names of the built-in shapes, in Shapes order.
func ShapeNames() []string {
	names := make([]string, len(shapes))
	for i, s := range shapes {
		names[i] = s.Name
	}
	return names
}

// LookupShape returns the built-in shape called name (case-insensitive). The error
// lists the valid names.
func LookupShape(name string) (Shape, error) {
	for _, s := range shapes {
		if strings.EqualFold(s.Name, strings.TrimSpace(name)) {
			return s, nil
		}
	}
	return Shape{}, fmt.Errorf("synth: unknown shape %q (valid: %s)", name, strings.Join(ShapeNames(), ", "))
}

// Validate reports whether the shape is one Ollama v0.24.0 can load and serve:
// an architecture of Archs with that architecture's layout (qwen2: q/k/v biases
// optional, no q/k norms, no experts, head size EmbeddingLength / HeadCount;
// qwen3: q/k norms, no biases, no experts; qwen3moe: the same with 2 or more
// experts, 1 ≤ used ≤ experts and an expert size), positive sizes, KV heads
// dividing the heads, an even head size (RoPE rotates pairs), quantizable row
// lengths (embedding, feed-forward, query and expert widths multiples of 32) and
// room in the vocabulary for the byte tokens and the added tokens. Each error is
// one line naming what is wrong.
func (s Shape) Validate() error {
	if s.Name == "" || s.Arch == "" {
		return fmt.Errorf("synth: shape needs a name and an architecture")
	}
	qwen3Family := s.Arch == ArchQwen3 || s.Arch == ArchQwen3MoE
	added := len(addedTokens(s.tokenizer()))
	switch {
	case s.Arch != ArchQwen2 && !qwen3Family:
		return fmt.Errorf("synth: shape %s: architecture %q not supported (valid: %s)", s.Name, s.Arch, strings.Join(Archs(), ", "))
	case s.Tokenizer != "" && s.Tokenizer != TokenizerQwen25 && s.Tokenizer != TokenizerQwen3:
		return fmt.Errorf("synth: shape %s: tokenizer %q not supported (valid: %s, %s)", s.Name, s.Tokenizer, TokenizerQwen25, TokenizerQwen3)
	case s.BlockCount <= 0 || s.EmbeddingLength <= 0 || s.FeedForwardLength <= 0 ||
		s.HeadCount <= 0 || s.HeadCountKV <= 0 || s.ContextLength <= 0 || s.HeadLength < 0 ||
		s.ExpertCount < 0 || s.ExpertUsedCount < 0 || s.ExpertFeedForwardLength < 0:
		return fmt.Errorf("synth: shape %s: sizes must be positive", s.Name)
	case s.Arch == ArchQwen2 && s.EmbeddingLength%s.HeadCount != 0:
		return fmt.Errorf("synth: shape %s: %d heads do not divide embedding %d", s.Name, s.HeadCount, s.EmbeddingLength)
	case s.Arch == ArchQwen2 && s.HeadLength != 0 && s.HeadLength != s.EmbeddingLength/s.HeadCount:
		return fmt.Errorf("synth: shape %s: qwen2 heads are embedding/heads = %d wide, not %d", s.Name, s.EmbeddingLength/s.HeadCount, s.HeadLength)
	case s.Arch == ArchQwen2 && (s.QKNorm || s.IsMoE()):
		return fmt.Errorf("synth: shape %s: qwen2 has no q/k norms and no experts (use %s or %s)", s.Name, ArchQwen3, ArchQwen3MoE)
	case qwen3Family && (!s.QKNorm || s.QKVBias):
		return fmt.Errorf("synth: shape %s: %s needs q/k norms and no q/k/v biases", s.Name, s.Arch)
	case s.Arch == ArchQwen3 && s.IsMoE():
		return fmt.Errorf("synth: shape %s: %s is dense; a mixture of experts is %s", s.Name, ArchQwen3, ArchQwen3MoE)
	case s.Arch == ArchQwen3MoE && (s.ExpertCount < 2 || s.ExpertUsedCount < 1 || s.ExpertUsedCount > s.ExpertCount || s.ExpertFeedForwardLength <= 0):
		return fmt.Errorf("synth: shape %s: %s needs 2 or more experts, 1 to %d used, and an expert size (got %d, %d used, size %d)",
			s.Name, ArchQwen3MoE, max(s.ExpertCount, 1), s.ExpertCount, s.ExpertUsedCount, s.ExpertFeedForwardLength)
	case s.HeadCount%s.HeadCountKV != 0:
		return fmt.Errorf("synth: shape %s: %d KV heads do not divide %d heads", s.Name, s.HeadCountKV, s.HeadCount)
	case s.HeadDim()%2 != 0:
		return fmt.Errorf("synth: shape %s: head size %d is odd (RoPE rotates pairs)", s.Name, s.HeadDim())
	case s.EmbeddingLength%32 != 0 || s.FeedForwardLength%32 != 0 || s.QDim()%32 != 0 || s.ExpertFeedForwardLength%32 != 0:
		return fmt.Errorf("synth: shape %s: embedding, feed-forward, query (heads × head size) and expert sizes must be multiples of 32", s.Name)
	case s.FirstSpecialID < 256+1 || s.FirstSpecialID+added > s.VocabSize:
		return fmt.Errorf("synth: shape %s: vocabulary %d has no room for byte tokens and %d added tokens at %d",
			s.Name, s.VocabSize, added, s.FirstSpecialID)
	}
	return nil
}

// TensorInfo describes one tensor of a twin: its GGUF name, its ggml shape
// (innermost dimension first, as GGUF stores it) and its ggml tensor type.
type TensorInfo struct {
	Name  string
	Shape []uint64
	Type  TensorType
}

// Elements is the number of values in the tensor.
func (t TensorInfo) Elements() uint64 {
	n := uint64(1)
	for _, d := range t.Shape {
		n *= d
	}
	return n
}

// Bytes is the size of the tensor's data in bytes (elements / block size * bytes
// per block; the elements are a whole number of blocks, see Spec.Validate).
func (t TensorInfo) Bytes() uint64 { return t.Type.RowSize(t.Elements()) }

// Tensors lists the tensors of this shape written at quantization q, in the
// order ggml.WriteGGUF writes them (blk.0 … blk.N-1, each by name, then output,
// output_norm, token_embd). Names and shapes (ggml order, innermost first) are
// those llama.cpp's loader asks for (llama-model.cpp LLM_ARCH_QWEN2, QWEN3,
// QWEN3MOE) and Ollama's engine finds by its gguf tags (model/models/qwen2,
// qwen3): token_embd {n_embd, n_vocab}; output_norm {n_embd}; output {n_embd,
// n_vocab} unless tied; per layer attn_norm {n_embd}, attn_q {n_embd, n_q} with
// n_q = head_dim × n_head, attn_k and attn_v {n_embd, n_kv}, attn_output {n_q,
// n_embd}, ffn_norm {n_embd}; with QKVBias the biases attn_q.bias {n_q},
// attn_k.bias and attn_v.bias {n_kv}; with QKNorm attn_q_norm and attn_k_norm
// {head_dim}; then a dense MLP, ffn_gate and ffn_up {n_embd, n_ff}, ffn_down
// {n_ff, n_embd}, or a mixture of experts: the router ffn_gate_inp {n_embd,
// n_expert}, and ffn_gate_exps and ffn_up_exps {n_embd, n_ff_exp, n_expert},
// ffn_down_exps {n_ff_exp, n_embd, n_expert}. 1-D tensors (norms, biases) and the
// router are F32, as llama.cpp's and Ollama's converters write them and neither
// quantizer touches them (llama-quant.cpp, server/quantization.go: "do not
// quantize expert gating tensors"); the types of the other matrices follow
// q.WeightType / q.OutputType.
func (s Shape) Tensors(q Quant) []TensorInfo {
	e, f, v := uint64(s.EmbeddingLength), uint64(s.FeedForwardLength), uint64(s.VocabSize)
	qd, kv, hd := uint64(s.QDim()), uint64(s.KVDim()), uint64(s.HeadDim())
	n, fe := uint64(s.ExpertCount), uint64(s.ExpertFeedForwardLength)
	wt := q.WeightType()
	ot := q.OutputType(s.EmbeddingLength)
	ts := []TensorInfo{}
	if s.TiedEmbeddings {
		// llama-quantize gives the token embedding the output's type when there is
		// no output.weight (llama-quant.cpp: "!qs.has_output && token_embd").
		ts = append(ts, TensorInfo{"token_embd.weight", []uint64{e, v}, ot})
	} else {
		ts = append(ts, TensorInfo{"token_embd.weight", []uint64{e, v}, wt})
	}
	ts = append(ts, TensorInfo{"output_norm.weight", []uint64{e}, TensorTypeF32})
	if !s.TiedEmbeddings {
		ts = append(ts, TensorInfo{"output.weight", []uint64{e, v}, ot})
	}
	for i := range s.BlockCount {
		p := fmt.Sprintf("blk.%d.", i)
		layer := []TensorInfo{
			{p + "attn_norm.weight", []uint64{e}, TensorTypeF32},
			{p + "attn_q.weight", []uint64{e, qd}, wt},
			{p + "attn_k.weight", []uint64{e, kv}, wt},
			{p + "attn_v.weight", []uint64{e, kv}, wt},
			{p + "attn_output.weight", []uint64{qd, e}, wt},
			{p + "ffn_norm.weight", []uint64{e}, TensorTypeF32},
		}
		if s.IsMoE() {
			layer = append(layer,
				TensorInfo{p + "ffn_gate_inp.weight", []uint64{e, n}, TensorTypeF32},
				TensorInfo{p + "ffn_gate_exps.weight", []uint64{e, fe, n}, wt},
				TensorInfo{p + "ffn_up_exps.weight", []uint64{e, fe, n}, wt},
				TensorInfo{p + "ffn_down_exps.weight", []uint64{fe, e, n}, wt},
			)
		} else {
			layer = append(layer,
				TensorInfo{p + "ffn_gate.weight", []uint64{e, f}, wt},
				TensorInfo{p + "ffn_up.weight", []uint64{e, f}, wt},
				TensorInfo{p + "ffn_down.weight", []uint64{f, e}, wt},
			)
		}
		if s.QKVBias {
			layer = append(layer,
				TensorInfo{p + "attn_q.bias", []uint64{qd}, TensorTypeF32},
				TensorInfo{p + "attn_k.bias", []uint64{kv}, TensorTypeF32},
				TensorInfo{p + "attn_v.bias", []uint64{kv}, TensorTypeF32},
			)
		}
		if s.QKNorm {
			layer = append(layer,
				TensorInfo{p + "attn_q_norm.weight", []uint64{hd}, TensorTypeF32},
				TensorInfo{p + "attn_k_norm.weight", []uint64{hd}, TensorTypeF32},
			)
		}
		ts = append(ts, layer...)
	}
	slices.SortStableFunc(ts, func(a, b TensorInfo) int {
		return cmp.Or(cmp.Compare(blockOf(a.Name), blockOf(b.Name)), cmp.Compare(a.Name, b.Name))
	})
	return ts
}

// Params is the number of parameters (weights, including embeddings and, when
// untied, the output projection), as ggml counts them: the sum of all tensor
// elements. It is what general.parameter_count holds.
func (s Shape) Params() uint64 {
	var n uint64
	for _, t := range s.Tensors(Q8_0) {
		n += t.Elements()
	}
	return n
}

// ExpertParams is the number of parameters in the experts (the ffn_*_exps
// tensors): BlockCount × 3 × EmbeddingLength × ExpertFeedForwardLength ×
// ExpertCount; 0 for a dense shape.
func (s Shape) ExpertParams() uint64 {
	return uint64(s.BlockCount) * 3 * uint64(s.EmbeddingLength) * uint64(s.ExpertFeedForwardLength) * uint64(s.ExpertCount)
}

// ActiveParams is the number of parameters one token uses: Params less the
// experts it is not routed to, ExpertParams × (ExpertCount − ExpertUsedCount) /
// ExpertCount. Embeddings count, as in the "activated" figure of Qwen3 MoE model
// cards (Qwen3-30B-A3B: 3.3B). For a dense shape it is Params.
func (s Shape) ActiveParams() uint64 {
	if !s.IsMoE() {
		return s.Params()
	}
	unused := uint64(s.BlockCount) * 3 * uint64(s.EmbeddingLength) * uint64(s.ExpertFeedForwardLength) * uint64(s.ExpertCount-s.ExpertUsedCount)
	return s.Params() - unused
}

// EmbeddingParams is the number of parameters in token_embd and, when untied,
// output (the part model cards leave out of "non-embedding" counts).
func (s Shape) EmbeddingParams() uint64 {
	n := uint64(s.EmbeddingLength) * uint64(s.VocabSize)
	if !s.TiedEmbeddings {
		n *= 2
	}
	return n
}

// DataBytes is the total size in bytes of the tensor data of this shape at q
// (without the GGUF header, metadata and alignment padding).
func (s Shape) DataBytes(q Quant) uint64 {
	var n uint64
	for _, t := range s.Tensors(q) {
		n += t.Bytes()
	}
	return n
}

// blockOf is the layer number of a "blk.N." tensor name, or MaxInt for the others
// (the order ggml.WriteGGUF sorts by: fs/ggml Tensor.block).
func blockOf(name string) int {
	rest, ok := strings.CutPrefix(name, "blk.")
	if !ok {
		return math.MaxInt
	}
	num, _, _ := strings.Cut(rest, ".")
	n, err := strconv.Atoi(num)
	if err != nil {
		return math.MaxInt
	}
	return n
}
