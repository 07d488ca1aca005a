package synth

import (
	"fmt"
	"strings"

	"github.com/ollama/ollama/fs/ggml"
)

// Quant is the quantization of a twin's weight matrices, named as llama.cpp names
// file types: "Q8_0", "Q4_0" or "F16".
type Quant string

// The supported quantizations.
const (
	Q8_0 Quant = "Q8_0" // 8-bit blocks of 32 with an F16 scale: 34 bytes per 32 weights
	Q4_0 Quant = "Q4_0" // 4-bit blocks of 32 with an F16 scale: 18 bytes per 32 weights
	F16  Quant = "F16"  // IEEE half precision: 2 bytes per weight
)

// Quants returns the supported quantizations, largest first.
func Quants() []Quant { return []Quant{F16, Q8_0, Q4_0} }

// ParseQuant parses a quantization name, case-insensitively ("q8_0" → Q8_0). The
// error lists the valid names.
func ParseQuant(s string) (Quant, error) {
	for _, q := range Quants() {
		if strings.EqualFold(strings.TrimSpace(s), string(q)) {
			return q, nil
		}
	}
	valid := make([]string, 0, 3)
	for _, q := range Quants() {
		valid = append(valid, string(q))
	}
	return "", fmt.Errorf("synth: unknown quantization %q (valid: %s)", s, strings.Join(valid, ", "))
}

// ValidQuants returns the quantizations shape s can be written in, in Quants
// order: those for which Spec{Shape: s, Quant: q}.Validate succeeds (every
// tensor row a whole number of blocks of its type). It is empty when the shape
// itself is invalid.
func ValidQuants(s Shape) []Quant {
	var out []Quant
	for _, q := range Quants() {
		if (Spec{Shape: s, Quant: q}).Validate() == nil {
			out = append(out, q)
		}
	}
	return out
}

// String returns the name, e.g. "Q8_0".
func (q Quant) String() string { return string(q) }

// FileType is the GGUF general.file_type (llama_ftype) of a file whose weights
// are mostly q: F16 = 1, Q4_0 = 2, Q8_0 = 7 (fs/ggml/type.go FileType, same
// numbering as llama.h LLAMA_FTYPE_MOSTLY_*). It returns FileTypeUnknown (1024)
// for an unsupported q.
func (q Quant) FileType() ggml.FileType {
	switch q {
	case F16:
		return ggml.FileTypeF16
	case Q4_0:
		return ggml.FileType(2) // LLAMA_FTYPE_MOSTLY_Q4_0; unexported in fs/ggml
	case Q8_0:
		return ggml.FileTypeQ8_0
	}
	return ggml.FileTypeUnknown
}

// WeightType is the tensor type of the 2-D weight matrices of a file at q.
func (q Quant) WeightType() TensorType {
	switch q {
	case F16:
		return TensorTypeF16
	case Q4_0:
		return TensorTypeQ4_0
	default:
		return TensorTypeQ8_0
	}
}

// OutputType is the tensor type of the output projection (output.weight, or
// token_embd.weight when the embeddings are tied) for a model whose rows have
// nEmbd values, chosen as llama.cpp's llama-quantize does
// (llama/llama.cpp/src/llama-quant.cpp, llama_tensor_get_type): Q8_0 and F16 files
// keep their own type; other types get Q6_K, which falls back to Q8_0 when the
// row length is not a multiple of Q6_K's 256-value block (as for Qwen2.5-0.5B,
// 896). So a Q4_0 twin of Qwen2.5-1.5B/3B/7B has a Q6_K output, of 0.5B and the
// tiny shape a Q8_0 one, as a llama-quantize'd Q4_0 GGUF of the real model does.
func (q Quant) OutputType(nEmbd int) TensorType {
	switch q {
	case F16:
		return TensorTypeF16
	case Q8_0:
		return TensorTypeQ8_0
	}
	if nEmbd%int(TensorTypeQ6_K.BlockSize()) != 0 {
		return TensorTypeQ8_0
	}
	return TensorTypeQ6_K
}

// TensorType is a ggml tensor type: fs/ggml's own type (enum ggml_type in
// ggml.h), whose BlockSize, TypeSize, RowSize and String give the values per
// block, bytes per block (ggml-common.h: block_q4_0 18, block_q8_0 34, block_q6_K
// 210 bytes) and the ggml name.
type TensorType = ggml.TensorType

// The tensor types twins use.
const (
	TensorTypeF32  = ggml.TensorTypeF32
	TensorTypeF16  = ggml.TensorTypeF16
	TensorTypeQ4_0 = ggml.TensorTypeQ4_0
	TensorTypeQ8_0 = ggml.TensorTypeQ8_0
	TensorTypeQ6_K = ggml.TensorTypeQ6_K
)
