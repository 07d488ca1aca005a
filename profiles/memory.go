package profiles

import (
	"fmt"
	"math"
)

// MemoryInput is what PredictMemory needs. Sizes in bytes, counts in tokens.
type MemoryInput struct {
	// Cost gives WeightBytes (every tensor, every expert of a mixture), and
	// KVBytesPerContextToken per slot at Cost.KVCacheType (ComputeModelCost).
	Cost ModelCost
	// NumCtx is the context of one slot (num_ctx), tokens, ≥ 1.
	NumCtx int
	// Parallel is the number of slots the server allocates (OLLAMA_NUM_PARALLEL);
	// 0 is taken as 1.
	Parallel int
	// KVCacheType is the cache type the KV is held in: "f16" (Ollama's default),
	// "q8_0", "q4_0" (OLLAMA_KV_CACHE_TYPE, honoured only with flash attention);
	// "" = Cost.KVCacheType. The KV is recomputed at this type.
	KVCacheType string
	// BatchSize is num_batch, tokens; 0 = Ollama's default, DefaultNumBatch.
	BatchSize int
	// VocabSize is the tokens of the vocabulary (the width of the logits); 0 leaves
	// the logits out of the graph estimate and says so in Notes.
	VocabSize int
	// EmbeddingLength is the hidden size (n_embd); 0 leaves the activations out of
	// the graph estimate and says so in Notes.
	EmbeddingLength int
	// HeadCount is the query heads (n_head); only NoFlashAttention needs it.
	HeadCount int
	// NoFlashAttention is true when the server runs attention without flash
	// attention (OLLAMA_FLASH_ATTENTION=0, or a GPU without it): the KQ scores are
	// then materialized, and a quantized KV cache type is not honoured (Ollama
	// v0.24.0 llm/server.go falls back to f16).
	NoFlashAttention bool
	// GPU is true when the model is held in a GPU's memory, where the compute
	// buffer is committed whole when allocated; false for host memory, where only
	// the pages a batch writes become resident (docs/metrics.md, "Memory").
	GPU bool
	// TrainedContext is the model's trained context (<arch>.context_length); when
	// > 0 a larger NumCtx is cut to it, as Ollama does (llm/server.go, v0.24.0).
	TrainedContext int
	// RuntimeBaseBytes is the server's measured resident set before the model loads
	// (RunnerBaseBytes is added to it); 0 = DefaultRuntimeBaseBytes, an estimate,
	// said in RuntimeSource.
	RuntimeBaseBytes uint64
}

// MemoryPrediction is the memory a served model takes, part by part, in bytes:
// TotalBytes = WeightsBytes + KVBytes + GraphBytes + RuntimeBytes (docs/metrics.md,
// "Memory").
type MemoryPrediction struct {
	WeightsBytes uint64 `json:"weights_bytes"`
	KVBytes      uint64 `json:"kv_bytes"`
	GraphBytes   uint64 `json:"graph_bytes"`
	RuntimeBytes uint64 `json:"runtime_bytes"`
	TotalBytes   uint64 `json:"total_bytes"`
	NumCtx       int    `json:"num_ctx"`
	Parallel     int    `json:"parallel"`
	// ParallelSource says where Parallel came from; set by the caller.
	ParallelSource string `json:"parallel_source,omitempty"`
	KVCacheType    string `json:"kv_cache_type"`
	// RuntimeSource is "measured: …" or "estimate: …".
	RuntimeSource string   `json:"runtime_source,omitempty"`
	Notes         []string `json:"notes,omitempty"`
}

// DefaultNumBatch is Ollama's default num_batch, 512 tokens (api/types.go
// DefaultOptions, Ollama v0.24.0).
const DefaultNumBatch = 512

// RunnerBaseBytes is the resident set of an Ollama runner process beyond its
// weights, KV cache and compute buffers: 40 MiB, measured on Ollama v0.24.0's
// CPU build (docs/metrics.md, "Memory"). A server's RSS measured before the model
// loads does not include it, since the runner starts with the model.
const RunnerBaseBytes = 40 << 20

// DefaultRuntimeBaseBytes is the runtime base assumed when none was measured:
// an idle Ollama v0.24.0 server (60 MiB) plus RunnerBaseBytes
// (docs/metrics.md, "Memory").
const DefaultRuntimeBaseBytes = 60<<20 + RunnerBaseBytes

// PredictMemory predicts the memory a model takes when served with in's context,
// slots and cache type (docs/metrics.md, "Memory", gives each formula and its
// source). Errors: NumCtx < 1, Parallel < 0, an unknown KV cache type, a Cost
// without weights or KV bytes.
func PredictMemory(in MemoryInput) (MemoryPrediction, error) {
	p := MemoryPrediction{NumCtx: in.NumCtx, Parallel: in.Parallel, KVCacheType: in.KVCacheType}
	if p.Parallel == 0 {
		p.Parallel = 1
	}
	if p.KVCacheType == "" {
		p.KVCacheType = in.Cost.KVCacheType
	}
	if p.KVCacheType == "" {
		p.KVCacheType = "f16"
	}
	if in.NumCtx < 1 || in.Parallel < 0 {
		return p, fmt.Errorf("memory: num_ctx %d and parallel %d must be at least 1", in.NumCtx, in.Parallel)
	}
	if in.Cost.WeightBytes == 0 || in.Cost.KVBytesPerContextToken == 0 {
		return p, fmt.Errorf("memory: the model cost has no weight or KV bytes")
	}
	if in.TrainedContext > 0 && p.NumCtx > in.TrainedContext {
		p.Notes = append(p.Notes, fmt.Sprintf("num_ctx %d cut to the trained context %d, as Ollama does", p.NumCtx, in.TrainedContext))
		p.NumCtx = in.TrainedContext
		in.NumCtx = p.NumCtx
	}
	if in.NoFlashAttention && p.KVCacheType != "f16" && p.KVCacheType != "f32" {
		p.Notes = append(p.Notes, fmt.Sprintf("KV cache type %s needs flash attention: Ollama falls back to f16", p.KVCacheType))
		p.KVCacheType = "f16"
	}
	kvPer, err := KVBytesPerTokenAt(in.Cost, p.KVCacheType)
	if err != nil {
		return p, err
	}
	p.WeightsBytes = in.Cost.WeightBytes
	p.KVBytes = uint64(math.Round(kvPer * float64(in.NumCtx) * float64(p.Parallel)))
	g, notes := graphBytes(in, p.Parallel)
	p.GraphBytes, p.Notes = g, append(p.Notes, notes...)
	if in.RuntimeBaseBytes > 0 {
		p.RuntimeBytes = in.RuntimeBaseBytes + RunnerBaseBytes
		p.RuntimeSource = "measured: server RSS before the load + runner 40 MiB"
	} else {
		p.RuntimeBytes = DefaultRuntimeBaseBytes
		p.RuntimeSource = "estimate: idle Ollama server 60 MiB + runner 40 MiB"
	}
	p.TotalBytes = p.WeightsBytes + p.KVBytes + p.GraphBytes + p.RuntimeBytes
	return p, nil
}

// KVBytesPerTokenAt is c's KV bytes per context token per slot recomputed at cache
// type kvType (a key of KVCacheBytesPerElement): c.KVBytesPerContextToken /
// bytes per element of c.KVCacheType × bytes per element of kvType. Errors: an
// unknown type.
func KVBytesPerTokenAt(c ModelCost, kvType string) (float64, error) {
	from := c.KVCacheType
	if from == "" {
		from = "f16"
	}
	fb, ok := KVCacheBytesPerElement[from]
	if !ok {
		return 0, fmt.Errorf("memory: unknown KV cache type %q of the model cost", from)
	}
	tb, ok := KVCacheBytesPerElement[kvType]
	if !ok {
		return 0, fmt.Errorf("memory: unknown KV cache type %q (f16, q8_0, q4_0)", kvType)
	}
	return float64(c.KVBytesPerContextToken) / fb * tb, nil
}

// graphBytes is the compute and output buffers (docs/metrics.md, "Memory"): with
// b = min(num_batch, num_ctx) tokens of one micro-batch,
//
//	mask          6 × b × num_ctx                  the KQ mask, F32 and its F16 copy for flash attention
//	activations   4 × b × 2 × n_embd               the hidden states around the output norm, F32
//	output        4 × parallel × n_vocab           one row of logits per slot
//	logits        4 × b × n_vocab                  a whole micro-batch of logits, F32: GPU only
//	scores        4 × b × num_ctx × n_head         the KQ matrix, only without flash attention
//
// The logits term is Ollama's GraphSize (fs/ggml/ggml.go, v0.24.0); the mask,
// activations and output terms are llama.cpp's allocations as its log reports
// them. llama.cpp sizes the compute buffer for a micro-batch whose every token
// returns logits; Ollama asks for the last token's only, so in host memory,
// which Linux commits page by page as it is written, those rows are never
// resident; a GPU's memory is committed whole when allocated.
func graphBytes(in MemoryInput, parallel int) (uint64, []string) {
	var notes []string
	b := in.BatchSize
	if b <= 0 {
		b = DefaultNumBatch
	}
	b = min(b, in.NumCtx)
	fb, ctx := float64(b), float64(in.NumCtx)
	g := 6 * fb * ctx
	if in.VocabSize > 0 {
		g += 4 * float64(parallel) * float64(in.VocabSize)
		if in.GPU {
			g += 4 * fb * float64(in.VocabSize)
		}
	} else {
		notes = append(notes, "vocabulary size unknown: the logits are left out of graph_bytes")
	}
	if in.EmbeddingLength > 0 {
		g += 4 * fb * 2 * float64(in.EmbeddingLength)
	} else {
		notes = append(notes, "embedding length unknown: the activations are left out of graph_bytes")
	}
	if in.NoFlashAttention {
		if in.HeadCount > 0 {
			g += 4 * fb * ctx * float64(in.HeadCount)
		} else {
			notes = append(notes, "head count unknown: the attention scores without flash attention are left out of graph_bytes")
		}
	}
	return uint64(math.Round(g)), notes
}

// MaxNumCtx is the largest num_ctx per slot whose PredictMemory total is at most
// availableBytes, searched between 1 and limit tokens (limit ≥ 1; in.NumCtx is
// ignored). It returns 0 when not even one token of context fits (the weights,
// compute buffers and runtime alone exceed availableBytes). The total grows
// with num_ctx, so a bisection finds it in about log2(limit) predictions.
// Errors: those of PredictMemory.
func MaxNumCtx(in MemoryInput, availableBytes uint64, limit int) (int, error) {
	in.TrainedContext = 0
	fits := func(n int) (bool, error) {
		in.NumCtx = n
		p, err := PredictMemory(in)
		return err == nil && p.TotalBytes <= availableBytes, err
	}
	if limit < 1 {
		return 0, fmt.Errorf("memory: the context limit %d must be at least 1", limit)
	}
	ok, err := fits(1)
	if err != nil || !ok {
		return 0, err
	}
	lo, hi := 1, limit // fits(lo) holds; find the largest n ≤ hi that fits
	if ok, err := fits(hi); err != nil || ok {
		return hi, err
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := fits(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}
