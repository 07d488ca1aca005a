// Package synth writes "shape-twin" GGUF models: files with the exact tensor names,
// shapes and quantization of real models (Qwen2.5 0.5B…7B) but random weights, so
// the speed and memory of serving them can be measured with no model download.
//
// A twin is marked unmistakably: general.name says "yardstick twin … (random
// weights)" and the keys general.yardstick.synthetic, .shape, .quant and .seed are
// set; Ollama returns general.* keys (but general.name) in /api/show model_info.
//
// The layout follows what Ollama v0.17.4 loads for architecture "qwen2": the
// llama.cpp runner (llama/llama.cpp/src/llama-model.cpp, LLM_ARCH_QWEN2) and the
// Go engine (model/models/qwen2/model.go), with tensor names as written by
// convert/convert_qwen2.go.
package synth

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Shape is the architecture hyperparameters of a real model. Every figure comes
// from the model's Hugging Face config.json named in Source (field names of that
// file in brackets below) unless said otherwise.
type Shape struct {
	// Name is the shape's short name, e.g. "qwen2.5-0.5b".
	Name string
	// Arch is the GGUF general.architecture, e.g. "qwen2".
	Arch string
	// Source cites where the figures come from.
	Source string

	BlockCount        int     // transformer layers [num_hidden_layers]
	EmbeddingLength   int     // hidden size [hidden_size]
	FeedForwardLength int     // MLP inner size [intermediate_size]
	HeadCount         int     // query heads [num_attention_heads]
	HeadCountKV       int     // key/value heads (GQA) [num_key_value_heads]
	VocabSize         int     // rows of token_embd/output, tokens in the vocabulary [vocab_size]
	ContextLength     int     // trained context, tokens [max_position_embeddings]
	RopeFreqBase      float32 // RoPE theta [rope_theta]
	RMSNormEps        float32 // RMSNorm epsilon [rms_norm_eps]
	TiedEmbeddings    bool    // output projection shares token_embd (no output.weight) [tie_word_embeddings]
	QKVBias           bool    // q/k/v projections have biases (all Qwen2 models; Qwen2Attention uses bias=True)

	// FirstSpecialID is the token id of <|endoftext|>; the other Qwen2.5 added
	// tokens follow it (<|im_start|> = +1, <|im_end|> = +2, … see specialTokens).
	// For Qwen2.5 it is 151643 (tokenizer_config.json added_tokens_decoder).
	FirstSpecialID int

	// ReportedParams is the parameter count the model card states, for reference
	// and tests (e.g. "0.49B (0.36B non-embedding)").
	ReportedParams string
}

// HeadDim is the size of one attention head (EmbeddingLength / HeadCount).
func (s Shape) HeadDim() int { return s.EmbeddingLength / s.HeadCount }

// KVDim is the width of the key and value projections (HeadDim * HeadCountKV).
func (s Shape) KVDim() int { return s.HeadDim() * s.HeadCountKV }

const qwen25Special = 151643 // <|endoftext|> in Qwen2.5's tokenizer_config.json

// qwen25 completes the Shape of the Qwen2.5 model of the given size ("0.5B") from
// the figures that differ between sizes: those every Qwen2.5 shares (architecture
// "qwen2", 32,768 trained context, RoPE theta 10⁶, RMSNorm ε 10⁻⁶, q/k/v biases, the
// special tokens from qwen25Special) are filled in, with Source and ReportedParams
// naming the config.json and model card of Qwen/Qwen2.5-<size>-Instruct.
func qwen25(size string, s Shape, params string) Shape {
	s.Name, s.Arch = "qwen2.5-"+strings.ToLower(size), "qwen2"
	s.Source = "Qwen/Qwen2.5-" + size + "-Instruct config.json"
	s.ContextLength, s.RopeFreqBase, s.RMSNormEps, s.QKVBias = 32768, 1e6, 1e-6, true
	s.FirstSpecialID = qwen25Special
	s.ReportedParams = params + ", Qwen2.5-" + size + "-Instruct model card"
	return s
}

var shapes = []Shape{
	{
		// Tiny: a Qwen2.5 in miniature (a few hundred KB) for tests. Not a real model.
		Name: "tiny", Arch: "qwen2",
		Source:     "yardstick test shape (not a real model): Qwen2.5 layout, tiny sizes",
		BlockCount: 2, EmbeddingLength: 128, FeedForwardLength: 256,
		HeadCount: 4, HeadCountKV: 2, VocabSize: 1024, ContextLength: 32768,
		RopeFreqBase: 1e6, RMSNormEps: 1e-6, TiedEmbeddings: true, QKVBias: true,
		FirstSpecialID: 1024 - 32,
		ReportedParams: "427,136 (computed; not a real model)",
	},
	qwen25("0.5B", Shape{BlockCount: 24, EmbeddingLength: 896, FeedForwardLength: 4864,
		HeadCount: 14, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "0.49B (0.36B non-embedding)"),
	qwen25("1.5B", Shape{BlockCount: 28, EmbeddingLength: 1536, FeedForwardLength: 8960,
		HeadCount: 12, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "1.54B (1.31B non-embedding)"),
	qwen25("3B", Shape{BlockCount: 36, EmbeddingLength: 2048, FeedForwardLength: 11008,
		HeadCount: 16, HeadCountKV: 2, VocabSize: 151936, TiedEmbeddings: true}, "3.09B (2.77B non-embedding)"),
	qwen25("7B", Shape{BlockCount: 28, EmbeddingLength: 3584, FeedForwardLength: 18944,
		HeadCount: 28, HeadCountKV: 4, VocabSize: 152064, TiedEmbeddings: false}, "7.61B (6.53B non-embedding)"),
}

// Shapes returns the built-in shapes, smallest first: "tiny" (a test shape of a
// few hundred KB) and qwen2.5-0.5b, -1.5b, -3b, -7b. The slice is a copy.
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

// Validate reports whether the shape's sizes are consistent and loadable: positive
// sizes, heads dividing the embedding, KV heads dividing the heads, quantizable
// row lengths (multiples of 32) and room in the vocabulary for the byte tokens and
// the special tokens.
func (s Shape) Validate() error {
	switch {
	case s.Name == "" || s.Arch == "":
		return fmt.Errorf("synth: shape needs a name and an architecture")
	case s.Arch != "qwen2":
		return fmt.Errorf("synth: shape %s: architecture %q not supported (only qwen2)", s.Name, s.Arch)
	case s.BlockCount <= 0 || s.EmbeddingLength <= 0 || s.FeedForwardLength <= 0 ||
		s.HeadCount <= 0 || s.HeadCountKV <= 0 || s.ContextLength <= 0:
		return fmt.Errorf("synth: shape %s: sizes must be positive", s.Name)
	case s.EmbeddingLength%s.HeadCount != 0:
		return fmt.Errorf("synth: shape %s: %d heads do not divide embedding %d", s.Name, s.HeadCount, s.EmbeddingLength)
	case s.HeadCount%s.HeadCountKV != 0:
		return fmt.Errorf("synth: shape %s: %d KV heads do not divide %d heads", s.Name, s.HeadCountKV, s.HeadCount)
	case s.EmbeddingLength%32 != 0 || s.FeedForwardLength%32 != 0:
		return fmt.Errorf("synth: shape %s: embedding and feed-forward sizes must be multiples of 32", s.Name)
	case s.FirstSpecialID < 256+1 || s.FirstSpecialID+len(specialTokens) > s.VocabSize:
		return fmt.Errorf("synth: shape %s: vocabulary %d has no room for byte tokens and %d special tokens at %d",
			s.Name, s.VocabSize, len(specialTokens), s.FirstSpecialID)
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
// output_norm, token_embd). Names and shapes are those llama.cpp's LLM_ARCH_QWEN2 loader asks for:
// token_embd {n_embd, n_vocab}; output_norm {n_embd}; output {n_embd, n_vocab}
// unless tied; per layer attn_norm {n_embd}, attn_q {n_embd, n_embd} + bias
// {n_embd}, attn_k and attn_v {n_embd, n_kv} + bias {n_kv}, attn_output {n_embd,
// n_embd}, ffn_norm {n_embd}, ffn_gate and ffn_up {n_embd, n_ff}, ffn_down {n_ff,
// n_embd}. 1-D tensors (norms, biases) are F32 as in real GGUFs; the types of the
// 2-D ones follow q.WeightType / q.OutputType.
func (s Shape) Tensors(q Quant) []TensorInfo {
	e, f, kv, v := uint64(s.EmbeddingLength), uint64(s.FeedForwardLength), uint64(s.KVDim()), uint64(s.VocabSize)
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
			{p + "attn_q.weight", []uint64{e, e}, wt},
			{p + "attn_k.weight", []uint64{e, kv}, wt},
			{p + "attn_v.weight", []uint64{e, kv}, wt},
			{p + "attn_output.weight", []uint64{e, e}, wt},
			{p + "ffn_norm.weight", []uint64{e}, TensorTypeF32},
			{p + "ffn_gate.weight", []uint64{e, f}, wt},
			{p + "ffn_up.weight", []uint64{e, f}, wt},
			{p + "ffn_down.weight", []uint64{f, e}, wt},
		}
		if s.QKVBias {
			layer = append(layer,
				TensorInfo{p + "attn_q.bias", []uint64{e}, TensorTypeF32},
				TensorInfo{p + "attn_k.bias", []uint64{kv}, TensorTypeF32},
				TensorInfo{p + "attn_v.bias", []uint64{kv}, TensorTypeF32},
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
