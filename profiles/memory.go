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
	// RuntimeBaseBytes is the server's measured resident set before the model loads;
	// 0 = DefaultRuntimeBaseBytes, an estimate, said in RuntimeSource.
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

// DefaultRuntimeBaseBytes is the runtime base assumed when none was measured:
// the resident set of an Ollama server and its runner with no weights mapped.
// docs/metrics.md, "Memory", gives the measurement it comes from.
const DefaultRuntimeBaseBytes = 80 << 20

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
	kvPer, err := KVBytesPerTokenAt(in.Cost, p.KVCacheType)
	if err != nil {
		return p, err
	}
	p.WeightsBytes = in.Cost.WeightBytes
	p.KVBytes = uint64(math.Round(kvPer * float64(in.NumCtx) * float64(p.Parallel)))
	p.GraphBytes, p.Notes = graphBytes(in, p.Parallel)
	if in.RuntimeBaseBytes > 0 {
		p.RuntimeBytes = in.RuntimeBaseBytes
		p.RuntimeSource = "measured: the server's resident set before the model loaded"
	} else {
		p.RuntimeBytes = DefaultRuntimeBaseBytes
		p.RuntimeSource = "estimate: an Ollama server and runner with no model (docs/metrics.md, Memory)"
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

// graphBytes estimates the compute buffers; refined in docs/metrics.md, "Memory".
func graphBytes(in MemoryInput, parallel int) (uint64, []string) {
	var notes []string
	batch := in.BatchSize
	if batch <= 0 {
		batch = DefaultNumBatch
	}
	if ctx := in.NumCtx * parallel; batch > ctx {
		batch = ctx
	}
	var b float64
	if in.VocabSize > 0 {
		b += float64(batch) * float64(in.VocabSize) * 4
	} else {
		notes = append(notes, "vocabulary size unknown: logits left out of graph_bytes")
	}
	if in.EmbeddingLength > 0 {
		b += float64(batch) * float64(in.EmbeddingLength) * 4 * 4
	} else {
		notes = append(notes, "embedding length unknown: activations left out of graph_bytes")
	}
	return uint64(math.Round(b)), notes
}
