package synth

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/ollama/ollama/fs/ggml"

	"github.com/yardstick-dev/yardstick/internal/atomicfile"
)

// Spec says which twin to write: a shape, a quantization and the seed of the
// random weights. The same Spec always gives the same bytes.
type Spec struct {
	Shape Shape
	Quant Quant
	Seed  uint64
}

// Info describes a written twin.
type Info struct {
	Path      string // the file written
	SizeBytes int64  // its size in bytes
	Tensors   int    // number of tensors
	Params    uint64 // parameters (general.parameter_count)
	Shape     string // Shape.Name
	Quant     Quant
}

// GGUF metadata keys that mark a twin. Ollama's /api/show returns general.* keys
// in model_info (server/routes.go GetModelInfo removes only general.name and
// tokenizer.chat_template), so a client can tell a twin from the real model.
const (
	KeySynthetic = "general.yardstick.synthetic" // bool, always true
	KeyShape     = "general.yardstick.shape"     // string, Shape.Name
	KeyQuant     = "general.yardstick.quant"     // string, Quant
	KeySeed      = "general.yardstick.seed"      // string, the seed in decimal (JSON-safe above 2^53)
)

// Name is the general.name of a twin, e.g. "yardstick twin qwen2.5-0.5b Q8_0
// (random weights)".
func (s Spec) Name() string {
	return fmt.Sprintf("yardstick twin %s %s (random weights)", s.Shape.Name, s.Quant)
}

// Validate reports whether the spec can be written: a valid shape, a Quant
// spelled as one of Quants (ParseQuant gives those from any case), and tensor
// rows that are whole blocks of their type.
func (s Spec) Validate() error {
	if err := s.Shape.Validate(); err != nil {
		return err
	}
	if q, err := ParseQuant(string(s.Quant)); err != nil {
		return err
	} else if q != s.Quant {
		// FileType, WeightType and OutputType know only the canonical names.
		return fmt.Errorf("synth: quantization %q is not canonical: use %q (ParseQuant)", s.Quant, q)
	}
	// Every row must be whole blocks of its type.
	for _, t := range s.Shape.Tensors(s.Quant) {
		if t.Shape[0]%t.Type.BlockSize() != 0 {
			return fmt.Errorf("synth: %s: row of %d values is not a whole number of %s blocks", t.Name, t.Shape[0], t.Type)
		}
	}
	return nil
}

// KV returns the GGUF metadata of the twin, with the exact Go types WriteGGUF
// needs (uint32, float32, []string, []int32, …). Keys without a "general." or
// "tokenizer." prefix get the architecture prefix ("qwen2.", "qwen3moe.") when
// written. The qwen2.* keys are the ones convert/convert_qwen2.go writes; the
// qwen3 and qwen3moe ones those of convert/convert_qwen3.go (adding
// attention.key_length and .value_length = head_dim, and for a mixture of experts
// expert_count, expert_used_count and norm_top_k_prob, which model/models/qwen3
// reads and /api/show returns in model_info) plus expert_feed_forward_length
// (moe_intermediate_size), which llama.cpp's converter writes and its loader reads
// (llama-model.cpp LLM_KV_EXPERT_FEED_FORWARD_LENGTH). The tokenizer keys are
// those of a llama.cpp-converted Qwen2.5 Instruct or Qwen3 GGUF (Qwen3 keeps
// pre-tokenizer "qwen2").
func (s Spec) KV() (ggml.KV, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	sh := s.Shape
	v, err := BuildVocab(sh)
	if err != nil {
		return nil, err
	}
	kv := ggml.KV{
		"general.architecture":         sh.Arch,
		"general.type":                 "model",
		"general.name":                 s.Name(),
		"general.file_type":            uint32(s.Quant.FileType()),
		"general.parameter_count":      sh.Params(),
		"general.quantization_version": uint32(2), // GGML_QNT_VERSION in ggml.h
		KeySynthetic:                   true,
		KeyShape:                       sh.Name,
		KeyQuant:                       string(s.Quant),
		KeySeed:                        strconv.FormatUint(s.Seed, 10),
		"general.yardstick.source":     sh.Source,

		"block_count":                      uint32(sh.BlockCount),
		"context_length":                   uint32(sh.ContextLength),
		"embedding_length":                 uint32(sh.EmbeddingLength),
		"feed_forward_length":              uint32(sh.FeedForwardLength),
		"attention.head_count":             uint32(sh.HeadCount),
		"attention.head_count_kv":          uint32(sh.HeadCountKV),
		"rope.freq_base":                   sh.RopeFreqBase,
		"attention.layer_norm_rms_epsilon": sh.RMSNormEps,

		"tokenizer.ggml.model":            "gpt2",
		"tokenizer.ggml.pre":              "qwen2",
		"tokenizer.ggml.tokens":           v.Tokens,
		"tokenizer.ggml.token_type":       v.Types,
		"tokenizer.ggml.merges":           v.Merges,
		"tokenizer.ggml.bos_token_id":     v.BOS,
		"tokenizer.ggml.eos_token_id":     v.EOS,
		"tokenizer.ggml.padding_token_id": v.PAD,
		"tokenizer.ggml.add_bos_token":    false,
		"tokenizer.ggml.add_eos_token":    false,
	}
	if sh.Arch == ArchQwen3 || sh.Arch == ArchQwen3MoE {
		kv["attention.key_length"] = uint32(sh.HeadDim())
		kv["attention.value_length"] = uint32(sh.HeadDim())
	}
	if sh.IsMoE() {
		kv["expert_count"] = uint32(sh.ExpertCount)
		kv["expert_used_count"] = uint32(sh.ExpertUsedCount)
		kv["expert_feed_forward_length"] = uint32(sh.ExpertFeedForwardLength)
		kv["norm_top_k_prob"] = sh.NormTopKProb
	}
	return kv, nil
}

// GGMLTensors returns the tensors of the twin for ggml.WriteGGUF, each streaming
// its random data from a PCG generator keyed by the seed and the tensor's name.
// Weight matrices, expert tensors and embeddings are random with standard
// deviation about WeightStd; norm weights (q/k norms too) are 1.0 (F32); biases and
// routers are small uniform values (F32).
func (s Spec) GGMLTensors() []*ggml.Tensor {
	infos := s.Shape.Tensors(s.Quant)
	ts := make([]*ggml.Tensor, len(infos))
	for i, t := range infos {
		ts[i] = &ggml.Tensor{
			Name:     t.Name,
			Kind:     uint32(t.Type),
			Shape:    append([]uint64(nil), t.Shape...),
			WriterTo: &weights{info: t, seed: s.Seed, ones: isNorm(t.Name)},
		}
	}
	return ts
}

// isNorm reports whether name is a norm weight ("output_norm.weight",
// "blk.N.attn_norm.weight", …), whose values are all 1.0.
func isNorm(name string) bool { return strings.HasSuffix(name, "_norm.weight") }

// WriteFile writes the twin to path atomically: to a temporary file in the same
// directory, synced, then renamed over path, so path is either absent, the old
// file, or the whole new twin. The output is deterministic: the same spec gives
// the same bytes. It needs about Shape.DataBytes(Quant) bytes of disk plus a few
// MB of metadata; memory use stays small (tensors are streamed in 1 MiB chunks,
// one per CPU at a time).
func WriteFile(path string, spec Spec) (info Info, err error) {
	return WriteFileContext(context.Background(), path, spec)
}

// WriteFileContext is WriteFile that stops when ctx is done: every tensor's writer
// checks ctx before each chunk, the temporary file is removed, and the error wraps
// ctx.Err().
func WriteFileContext(ctx context.Context, path string, spec Spec) (info Info, err error) {
	kv, err := spec.KV()
	if err != nil {
		return Info{}, err
	}
	ts := spec.GGMLTensors()
	for _, t := range ts {
		t.WriterTo = ctxWriterTo{ctx, t.WriterTo}
	}
	var size int64
	err = atomicfile.WriteFile(path, 0o644, func(f *os.File) error {
		if err := ggml.WriteGGUF(f, kv, ts); err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("writing %s: %w", path, ctx.Err())
			}
			return fmt.Errorf("writing %s: %w", path, err)
		}
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = st.Size()
		return nil
	})
	if err != nil {
		return Info{}, fmt.Errorf("synth: %w", err)
	}
	return Info{
		Path:      path,
		SizeBytes: size,
		Tensors:   len(ts),
		Params:    spec.Shape.Params(),
		Shape:     spec.Shape.Name,
		Quant:     spec.Quant,
	}, nil
}

// Marks are the twin marks as read back from a model's metadata.
type Marks struct {
	Shape string // general.yardstick.shape
	Quant string // general.yardstick.quant
	Seed  string // general.yardstick.seed
}

// MarksFromModelInfo reads the twin marks from Ollama's /api/show model_info (or
// any map of GGUF metadata). ok is false when the model is not marked as a twin
// (general.yardstick.synthetic absent or not true).
func MarksFromModelInfo(info map[string]any) (m Marks, ok bool) {
	if b, _ := info[KeySynthetic].(bool); !b {
		return Marks{}, false
	}
	str := func(k string) string {
		switch v := info[k].(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			return fmt.Sprint(v)
		}
	}
	return Marks{Shape: str(KeyShape), Quant: str(KeyQuant), Seed: str(KeySeed)}, true
}

// ctxWriterTo makes a tensor's data writer stop when ctx is done.
type ctxWriterTo struct {
	ctx   context.Context
	inner io.WriterTo
}

func (c ctxWriterTo) WriteTo(w io.Writer) (int64, error) {
	return c.inner.WriteTo(ctxWriter{c.ctx, w})
}

type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
