package profiles

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ollama/ollama/fs/ggml"
)

// FileTypes are the file types (llama.cpp's llama_ftype names) QuantizeTensors
// sizes: the ones Ollama's library publishes most.
var FileTypes = []string{"F16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_K_S", "Q4_0"}

// fileDefault is the type llama-quantize gives a weight matrix of each file type
// unless a rule of QuantizeTensors says otherwise (llama-quant.cpp
// llama_model_quantize_impl, default_type).
var fileDefault = map[string]ggml.TensorType{
	"F16": ggml.TensorTypeF16, "Q8_0": ggml.TensorTypeQ8_0, "Q4_0": ggml.TensorTypeQ4_0,
	"Q6_K": ggml.TensorTypeQ6_K, "Q5_K_M": ggml.TensorTypeQ5_K,
	"Q4_K_M": ggml.TensorTypeQ4_K, "Q4_K_S": ggml.TensorTypeQ4_K,
}

// LookupFileType returns the canonical name of a file type of FileTypes
// (case-insensitive: "q4_k_m" → "Q4_K_M"); false when it is not one.
func LookupFileType(s string) (string, bool) {
	for _, f := range FileTypes {
		if strings.EqualFold(f, strings.TrimSpace(s)) {
			return f, true
		}
	}
	return "", false
}

var layerOf = regexp.MustCompile(`^blk\.(\d+)\.`)

// QuantizeTensors gives each tensor the ggml type llama-quantize gives it in a
// file of type ftype (a FileTypes name), as llama.cpp's llama_tensor_get_type does
// (llama/llama.cpp/src/llama-quant.cpp in Ollama v0.24.0):
//
//   - tensors of fewer than 2 dimensions, norms and a mixture's router
//     (ffn_gate_inp) stay F32: llama-quantize quantizes only matrices and never
//     the expert gating tensors;
//   - the output projection (output.weight, or token_embd.weight when there is
//     none) is Q6_K for every file type but F16 and Q8_0, which keep their own;
//   - attn_v.weight and ffn_down (experts too) of layer i of n are Q6_K in
//     Q4_K_M and Q5_K_M when use_more_bits(i, n): i < n/8, i ≥ 7n/8, or
//     (i − n/8) mod 3 = 2; in Q4_K_S attn_v of the first 4 layers and ffn_down
//     of the first n/8 are Q5_K;
//   - with exactly 8 experts attn_k and attn_v are Q8_0 and, in Q4_K_S and
//     Q4_K_M, attn_output Q5_K;
//   - a row (the first dimension) that is not a whole number of the type's
//     blocks falls back: Q4_K → Q5_0, Q5_K → Q5_1, Q6_K → Q8_0, then F16.
//
// nExpert is the experts per layer (0 for a dense model). Errors: an unknown
// file type; a tensor name "blk.N." whose N is past the layer count.
func QuantizeTensors(ts []Tensor, ftype string, nExpert int) ([]Tensor, error) {
	ft, ok := LookupFileType(ftype)
	if !ok {
		return nil, fmt.Errorf("quantize: unknown file type %q (valid: %s)", ftype, strings.Join(FileTypes, ", "))
	}
	hasOutput, nLayer := false, 0
	for _, t := range ts {
		hasOutput = hasOutput || t.Name == "output.weight"
		if m := layerOf.FindStringSubmatch(t.Name); m != nil {
			if i, err := strconv.Atoi(m[1]); err == nil && i+1 > nLayer && i < 1<<20 {
				nLayer = i + 1
			}
		}
	}
	moreBits := func(i, n int) bool { return i < n/8 || i >= 7*n/8 || (i-n/8)%3 == 2 }
	out := make([]Tensor, len(ts))
	for k, t := range ts {
		t.Shape = append([]uint64(nil), t.Shape...)
		out[k] = t
		if len(t.Shape) < 2 || strings.Contains(t.Name, "_norm") || strings.Contains(t.Name, "ffn_gate_inp") || !strings.HasSuffix(t.Name, ".weight") {
			out[k].Type = "F32"
			continue
		}
		layer := -1
		if m := layerOf.FindStringSubmatch(t.Name); m != nil {
			layer, _ = strconv.Atoi(m[1])
		}
		typ := fileDefault[ft]
		switch {
		case t.Name == "output.weight" || !hasOutput && t.Name == "token_embd.weight":
			if ft != "F16" && ft != "Q8_0" {
				typ = ggml.TensorTypeQ6_K
				if t.Shape[0]%typ.BlockSize() != 0 {
					typ = ggml.TensorTypeQ8_0
				}
			}
		case t.Name == "token_embd.weight":
		case strings.Contains(t.Name, "attn_v.weight"):
			switch {
			case nExpert == 8:
				typ = ggml.TensorTypeQ8_0
			case (ft == "Q4_K_M" || ft == "Q5_K_M") && moreBits(layer, nLayer):
				typ = ggml.TensorTypeQ6_K
			case ft == "Q4_K_S" && layer < 4:
				typ = ggml.TensorTypeQ5_K
			}
		case strings.Contains(t.Name, "attn_k.weight"):
			if nExpert == 8 {
				typ = ggml.TensorTypeQ8_0
			}
		case strings.Contains(t.Name, "ffn_down"):
			switch {
			case (ft == "Q4_K_M" || ft == "Q5_K_M") && moreBits(layer, nLayer):
				typ = ggml.TensorTypeQ6_K
			case ft == "Q4_K_S" && layer < nLayer/8:
				typ = ggml.TensorTypeQ5_K
			}
		case strings.Contains(t.Name, "attn_output.weight"):
			if nExpert == 8 && (ft == "Q4_K_M" || ft == "Q4_K_S") {
				typ = ggml.TensorTypeQ5_K
			}
		case strings.Contains(t.Name, "attn_qkv.weight"):
			switch ft {
			case "Q4_K_M":
				typ = ggml.TensorTypeQ5_K
			case "Q5_K_M":
				typ = ggml.TensorTypeQ6_K
			}
		}
		if t.Shape[0]%typ.BlockSize() != 0 {
			switch typ {
			case ggml.TensorTypeQ4_K:
				typ = ggml.TensorTypeQ5_0
			case ggml.TensorTypeQ5_K:
				typ = ggml.TensorTypeQ5_1
			case ggml.TensorTypeQ6_K:
				typ = ggml.TensorTypeQ8_0
			}
			if t.Shape[0]%typ.BlockSize() != 0 {
				typ = ggml.TensorTypeF16
			}
		}
		out[k].Type = typ.String()
	}
	return out, nil
}
