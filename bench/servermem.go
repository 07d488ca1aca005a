package bench

// How the server holds a model in memory: how many requests it serves at once (each
// with its own KV cache slot of num_ctx tokens) and the KV cache's element type, each
// found with where it came from (docs/metrics.md, Memory: parallel_source).

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/profiles"
)

// MaxServerParallel bounds --server-parallel and a parallelism read from a server.
const MaxServerParallel = 1024

// OllamaDefaultParallel is Ollama's number of slots when OLLAMA_NUM_PARALLEL is unset
// or not a number: envconfig/config.go, NumParallel = Uint("OLLAMA_NUM_PARALLEL", 1),
// and server/sched.go load, max(NumParallel(), 1), Ollama v0.24.0.
const OllamaDefaultParallel = 1

// ollamaSingleSlot are the model families Ollama v0.24.0 loads with one slot whatever
// OLLAMA_NUM_PARALLEL says (server/sched.go load, "not safe with num_parallel > 1").
var ollamaSingleSlot = []string{"mllama", "qwen3vl", "qwen3vlmoe", "qwen35", "qwen35moe", "qwen3next", "lfm2", "lfm2moe", "nemotron_h", "nemotron_h_moe", "nemotron_h_omni"}

// serverSetting is one figure of the server's configuration and where it came from.
type serverSetting struct {
	parallel       int
	parallelSource string
	kv, kvSource   string
	flashAttention string // "on", "off" or "" (not set)
}

// ollamaVar is envconfig.Var of Ollama v0.24.0: the value trimmed of spaces, then of
// quotes.
func ollamaVar(env map[string]string, key string) (string, bool) {
	v, ok := env[key]
	return strings.Trim(strings.TrimSpace(v), "\"'"), ok && strings.Trim(strings.TrimSpace(v), "\"'") != ""
}

// ollamaSettings reads an Ollama server's slots and KV cache type from its
// environment as Ollama v0.24.0 does for a model of architecture arch
// (envconfig/config.go NumParallel, KvCacheType, FlashAttention, NewEngine;
// llm/server.go NewLlamaServer). Flash attention defaults on for the architectures of
// fs/ggml GGML.FlashAttention (qwen3, qwen3moe, gemma3, gpt-oss…) and off otherwise,
// OLLAMA_FLASH_ATTENTION overrides it, and gemma2 and grok never have it
// (SupportsFlashAttention; its key-length = value-length test is not repeated here).
// On Ollama's own engine (OLLAMA_NEW_ENGINE, or the architectures of
// KV.OllamaEngineRequired) a quantized cache type is used whenever flash attention is
// on; on the llama.cpp runner only when OLLAMA_FLASH_ATTENTION is set on. Otherwise
// the cache stays f16.
func ollamaSettings(env map[string]string, arch string) serverSetting {
	var s serverSetting
	switch v, set := ollamaVar(env, "OLLAMA_NUM_PARALLEL"); {
	case !set:
		s.parallel = OllamaDefaultParallel
		s.parallelSource = fmt.Sprintf("default %d: OLLAMA_NUM_PARALLEL is not set in the server's environment (Ollama v0.24.0)", OllamaDefaultParallel)
	default:
		n, err := strconv.ParseUint(v, 10, 64)
		switch {
		case err != nil:
			s.parallel = OllamaDefaultParallel
			s.parallelSource = fmt.Sprintf("default %d: the server's OLLAMA_NUM_PARALLEL=%q is not a number (Ollama v0.24.0)", OllamaDefaultParallel, v)
		case n > MaxServerParallel:
			s.parallel = MaxServerParallel
			s.parallelSource = fmt.Sprintf("server environment (OLLAMA_NUM_PARALLEL=%s, counted as %d)", v, MaxServerParallel)
		default:
			s.parallel = max(int(n), 1)
			s.parallelSource = fmt.Sprintf("server environment (OLLAMA_NUM_PARALLEL=%s)", v)
		}
	}
	kv, set := ollamaVar(env, "OLLAMA_KV_CACHE_TYPE")
	kv = strings.ToLower(kv)
	fa, faSet := slices.Contains(ollamaFlashAttentionArchs, arch), false
	if v, ok := ollamaVar(env, "OLLAMA_FLASH_ATTENTION"); ok {
		b, err := strconv.ParseBool(v)
		fa, faSet = err != nil || b, true // envconfig.BoolWithDefault: a value that is not a bool is true
	}
	if arch == "gemma2" || arch == "grok" {
		fa = false
	}
	engine := slices.Contains(ollamaEngineArchs, arch)
	if v, ok := ollamaVar(env, "OLLAMA_NEW_ENGINE"); ok {
		b, err := strconv.ParseBool(v)
		engine = engine || err != nil || b
	}
	if faSet || engine {
		s.flashAttention = map[bool]string{true: "on", false: "off"}[fa]
	}
	switch {
	case !set || kv == "f16":
		s.kv = "f16"
		s.kvSource = "default f16: OLLAMA_KV_CACHE_TYPE is not set in the server's environment"
		if set {
			s.kvSource = "server environment (OLLAMA_KV_CACHE_TYPE=f16)"
		}
	case profiles.KVCacheBytesPerElement[kv] == 0:
		s.kv = "f16"
		s.kvSource = fmt.Sprintf("f16: the server's OLLAMA_KV_CACHE_TYPE=%s is not a type Ollama supports", kv)
	case engine && fa:
		s.kv = kv
		s.kvSource = fmt.Sprintf("server environment (OLLAMA_KV_CACHE_TYPE=%s; flash attention on, which Ollama's engine uses for %s)", kv, arch)
	case engine:
		s.kv = "f16"
		s.kvSource = fmt.Sprintf("f16: the server's OLLAMA_KV_CACHE_TYPE=%s needs flash attention, off for %s", kv, arch)
	case !(faSet && fa):
		s.kv = "f16"
		s.kvSource = fmt.Sprintf("f16: the server's OLLAMA_KV_CACHE_TYPE=%s needs OLLAMA_FLASH_ATTENTION=1 on the llama.cpp runner, which is not set", kv)
	default:
		s.kv = kv
		s.kvSource = fmt.Sprintf("server environment (OLLAMA_KV_CACHE_TYPE=%s, flash attention on)", kv)
	}
	return s
}

// ollamaFlashAttentionArchs are the architectures Ollama v0.24.0 turns flash attention
// on for by default (fs/ggml/ggml.go GGML.FlashAttention).
var ollamaFlashAttentionArchs = []string{"bert", "gemma3", "gemma4", "glm4moelite", "glmocr", "gptoss", "gpt-oss",
	"lfm2", "lfm2moe", "mistral3", "nemotron_h", "nemotron_h_moe", "nemotron_h_omni", "olmo3",
	"qwen3", "qwen3moe", "qwen35", "qwen35moe", "qwen3next", "qwen3vl", "qwen3vlmoe"}

// ollamaEngineArchs are the architectures Ollama v0.24.0 serves with its own engine,
// not the llama.cpp runner (fs/ggml/ggml.go KV.OllamaEngineRequired).
var ollamaEngineArchs = []string{"bert", "deepseek2", "deepseekocr", "gemma3", "gemma3n", "gemma4", "gptoss", "gpt-oss",
	"laguna", "llama4", "mistral3", "mllama", "nemotron_h", "nemotron_h_moe", "nemotron_h_omni", "nomic-bert", "olmo3",
	"qwen25vl", "qwen3", "qwen3moe", "qwen35", "qwen35moe", "qwen3next", "qwen3vl", "qwen3vlmoe", "glm4moelite", "glmocr",
	"lfm2", "lfm2moe"}

// llamaCppParallel reads llama.cpp server's slots from its arguments (-np N,
// --parallel N, --parallel=N: llama-server's options for common_params.n_parallel,
// llama/llama.cpp/common/common.h in the Ollama v0.24.0 module); ok=false when none
// is given.
func llamaCppParallel(args []string) (int, string, bool) {
	for i, a := range args {
		var v string
		switch {
		case (a == "-np" || a == "--parallel") && i+1 < len(args):
			v = args[i+1]
		case strings.HasPrefix(a, "--parallel="):
			v = strings.TrimPrefix(a, "--parallel=")
		default:
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxServerParallel {
			return 0, "", false
		}
		return n, fmt.Sprintf("server arguments (%s %s)", strings.TrimSuffix(strings.SplitN(a, "=", 2)[0], "="), v), true
	}
	return 0, "", false
}

// settingsFromProcess finds the slots and KV cache type of the server whose
// environment and arguments are env and args: Ollama's from its environment, another
// server's slots from its arguments (parallel 0 when they do not say).
func settingsFromProcess(backend, arch string, env map[string]string, args []string) serverSetting {
	if backend == "ollama" {
		return ollamaSettings(env, arch)
	}
	var s serverSetting
	if n, src, ok := llamaCppParallel(args); ok {
		s.parallel, s.parallelSource = n, src
	}
	return s
}

// slotsFromPS works out the slots from /api/ps: (size − weights) / (KV bytes per
// context token per slot × loaded context), rounded. Ollama's size on a CPU is the
// weights plus the KV cache of every slot (llm/server.go MemorySize, Ollama v0.24.0),
// so the quotient is close to a whole number; one more than 0.3 from it, or below
// one, means the figures hold something else and no answer is given.
func slotsFromPS(sizeBytes int64, weightBytes, kvPerToken uint64, ctx int) (int, string, error) {
	if sizeBytes <= 0 || weightBytes == 0 || kvPerToken == 0 || ctx <= 0 {
		return 0, "", fmt.Errorf("/api/ps arithmetic: needs size, weights, KV per token and context (have %d, %d, %d, %d)", sizeBytes, weightBytes, kvPerToken, ctx)
	}
	if uint64(sizeBytes) <= weightBytes {
		return 0, "", fmt.Errorf("/api/ps arithmetic: size %d is not above the weights' %d bytes", sizeBytes, weightBytes)
	}
	q := float64(uint64(sizeBytes)-weightBytes) / (float64(kvPerToken) * float64(ctx))
	n := math.Round(q)
	if n < 1 || n > MaxServerParallel || math.Abs(q-n) > 0.3 {
		return 0, "", fmt.Errorf("/api/ps arithmetic: (size − weights) / (KV per token × context) = %.2f slots, not a whole number", q)
	}
	return int(n), fmt.Sprintf("/api/ps arithmetic ((%d − %d weights) B / (%d B per token × %d context) = %.2f)", sizeBytes, weightBytes, kvPerToken, ctx, q), nil
}

// forceOllamaSingleSlot applies Ollama's one slot for the families that cannot serve
// more (server/sched.go load, v0.24.0).
func forceOllamaSingleSlot(parallel int, source string, mi ModelInfo) (int, string) {
	if parallel <= 1 {
		return parallel, source
	}
	for _, f := range append([]string{mi.Family, mi.Architecture}, mi.Families...) {
		if f != "" && slices.Contains(ollamaSingleSlot, f) {
			return 1, fmt.Sprintf("%s, but Ollama serves the %s family with one slot", source, f)
		}
	}
	return parallel, source
}

// otherModels records the models server m holds besides the run's, when it can say.
func (r *runner) otherModels(m *member) {
	l, ok := m.b.(interface {
		OtherLoaded(ctx context.Context, model, digest string) ([]string, error)
	})
	if !ok || m.mem.ServerPID == 0 {
		return
	}
	ctx, cancel := r.meta()
	defer cancel()
	if names, err := l.OtherLoaded(ctx, r.opts.Model, m.target.Model.Digest); err == nil {
		m.mem.OtherModelsLoaded = names
	}
}

// findSettings records server m's slots and KV cache type as far as they are known
// before the model loads: --server-parallel, else the local server's environment or
// arguments. What is still unknown is settled by settleParallel once /api/ps lists the
// model.
func (r *runner) findSettings(m *member) {
	mem := &m.mem
	var s serverSetting
	if m.sampler.envErr == nil {
		s = settingsFromProcess(m.b.Name(), m.target.Model.Architecture, m.sampler.env, m.sampler.args)
	}
	if r.opts.ServerParallel > 0 {
		s.parallel, s.parallelSource = r.opts.ServerParallel, "flag (--server-parallel)"
	}
	if s.kv == "" {
		s.kv = r.opts.KVCacheType
		s.kvSource = fmt.Sprintf("--kv-cache-type %s (the server's own setting was not read)", r.opts.KVCacheType)
	}
	mem.Parallel, mem.ParallelSource = s.parallel, s.parallelSource
	mem.KVCacheType, mem.KVCacheTypeSource = s.kv, s.kvSource
	mem.FlashAttention = s.flashAttention
	if mem.Parallel > 0 && m.b.Name() == "ollama" && r.opts.ServerParallel == 0 {
		mem.Parallel, mem.ParallelSource = forceOllamaSingleSlot(mem.Parallel, mem.ParallelSource, m.target.Model)
	}
}

// settleParallel finds server m's slots from /api/ps when neither the flag nor the
// server's process said, else assumes the server's default and says why. It does
// nothing once they are known.
func (r *runner) settleParallel(m *member) {
	mem := &m.mem
	if mem.Parallel > 0 {
		return
	}
	why := "the server's environment was not read"
	if err := m.sampler.envErr; err != nil {
		why = "the server's environment was not read: " + err.Error()
	} else if m.b.Name() != "ollama" {
		why = "the server's arguments do not set it"
	}
	if cost := m.target.Model.Cost; cost != nil && mem.ModelSizeBytes != nil {
		n, src, err := slotsFromPS(*mem.ModelSizeBytes, cost.WeightBytes, cost.KVBytesPerContextToken, mem.LoadedContextLength)
		if err == nil {
			mem.Parallel, mem.ParallelSource = n, src
			return
		}
		why += "; " + err.Error()
	}
	if m.b.Name() == "ollama" {
		mem.Parallel = OllamaDefaultParallel
		mem.ParallelSource = fmt.Sprintf("default %d, assumed (Ollama v0.24.0's when OLLAMA_NUM_PARALLEL is unset): %s", OllamaDefaultParallel, why)
		mem.Parallel, mem.ParallelSource = forceOllamaSingleSlot(mem.Parallel, mem.ParallelSource, m.target.Model)
		return
	}
	mem.Parallel, mem.ParallelSource = 1, "1, assumed: "+why
}
