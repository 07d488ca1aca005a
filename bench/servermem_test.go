package bench

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

func TestOllamaSettings(t *testing.T) {
	tests := []struct {
		name      string
		env       map[string]string
		parallel  int
		parSource string // a prefix
		kv        string
		kvSource  string // a prefix
	}{
		// Ollama v0.24.0's defaults: one slot, f16 (envconfig/config.go).
		{"unset", map[string]string{"HOME": "/root"}, 1, "default 1: OLLAMA_NUM_PARALLEL is not set", "f16", "default f16"},
		{"four slots", map[string]string{"OLLAMA_NUM_PARALLEL": "4"}, 4, "server environment (OLLAMA_NUM_PARALLEL=4)", "f16", "default f16"},
		// envconfig.Var trims spaces, then quotes.
		{"quoted", map[string]string{"OLLAMA_NUM_PARALLEL": ` "2" `}, 2, "server environment (OLLAMA_NUM_PARALLEL=2)", "f16", "default f16"},
		// Not a number: Ollama warns and uses its default.
		{"not a number", map[string]string{"OLLAMA_NUM_PARALLEL": "four"}, 1, `default 1: the server's OLLAMA_NUM_PARALLEL="four" is not a number`, "f16", "default f16"},
		// 0 is max(0, 1) in server/sched.go.
		{"zero", map[string]string{"OLLAMA_NUM_PARALLEL": "0"}, 1, "server environment (OLLAMA_NUM_PARALLEL=0)", "f16", "default f16"},
		{"huge", map[string]string{"OLLAMA_NUM_PARALLEL": "99999"}, MaxServerParallel, "server environment (OLLAMA_NUM_PARALLEL=99999, counted as 1024)", "f16", "default f16"},
		// A quantized cache needs flash attention set on (llm/server.go).
		{"q8_0 without flash attention", map[string]string{"OLLAMA_KV_CACHE_TYPE": "q8_0"}, 1, "default 1", "f16", "f16: the server's OLLAMA_KV_CACHE_TYPE=q8_0 needs OLLAMA_FLASH_ATTENTION=1"},
		// The same on OLLAMA_NEW_ENGINE: its engine has flash attention off for qwen2.
		{"q8_0 new engine, qwen2", map[string]string{"OLLAMA_KV_CACHE_TYPE": "q8_0", "OLLAMA_NEW_ENGINE": "1"}, 1, "default 1", "f16", "f16: the server's OLLAMA_KV_CACHE_TYPE=q8_0 needs flash attention, off for qwen2"},
		{"q8_0 with flash attention", map[string]string{"OLLAMA_KV_CACHE_TYPE": "Q8_0", "OLLAMA_FLASH_ATTENTION": "1"}, 1, "default 1", "q8_0", "server environment (OLLAMA_KV_CACHE_TYPE=q8_0, flash attention on)"},
		{"q4_0 flash attention false", map[string]string{"OLLAMA_KV_CACHE_TYPE": "q4_0", "OLLAMA_FLASH_ATTENTION": "false"}, 1, "default 1", "f16", "f16: the server's OLLAMA_KV_CACHE_TYPE=q4_0 needs"},
		// envconfig.BoolWithDefault: a value that is not a bool counts as true.
		{"flash attention yes", map[string]string{"OLLAMA_KV_CACHE_TYPE": "q4_0", "OLLAMA_FLASH_ATTENTION": "yes"}, 1, "default 1", "q4_0", "server environment"},
		{"unknown type", map[string]string{"OLLAMA_KV_CACHE_TYPE": "q2_k", "OLLAMA_FLASH_ATTENTION": "1"}, 1, "default 1", "f16", "f16: the server's OLLAMA_KV_CACHE_TYPE=q2_k is not a type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := ollamaSettings(tc.env, "qwen2") // the llama.cpp runner, flash attention off by default
			if s.parallel != tc.parallel || !strings.HasPrefix(s.parallelSource, tc.parSource) {
				t.Errorf("parallel %d from %q, want %d from %q…", s.parallel, s.parallelSource, tc.parallel, tc.parSource)
			}
			if s.kv != tc.kv || !strings.HasPrefix(s.kvSource, tc.kvSource) {
				t.Errorf("kv %s from %q, want %s from %q…", s.kv, s.kvSource, tc.kv, tc.kvSource)
			}
		})
	}
}

// OLLAMA_FLASH_ATTENTION is recorded as Ollama reads it; unset, Ollama decides.
func TestOllamaFlashAttention(t *testing.T) {
	for v, want := range map[string]string{"": "", "1": "on", "true": "on", "0": "off", "false": "off", "yes": "on"} {
		env := map[string]string{}
		if v != "" {
			env["OLLAMA_FLASH_ATTENTION"] = v
		}
		if got := ollamaSettings(env, "qwen2").flashAttention; got != want {
			t.Errorf("OLLAMA_FLASH_ATTENTION=%q: %q, want %q", v, got, want)
		}
	}
}

// On Ollama's own engine a quantized cache needs no OLLAMA_FLASH_ATTENTION for the
// architectures whose flash attention defaults on (qwen3, qwen3moe: llm/server.go and
// fs/ggml/ggml.go, Ollama v0.24.0; break-it round: the run said f16 while Ollama's log
// said q8_0), an explicit off keeps it f16, and gemma2 never gets flash attention.
func TestOllamaEngineKVCacheType(t *testing.T) {
	for _, tc := range []struct {
		arch, fa, want, flash string
	}{
		{"qwen3moe", "", "q8_0", "on"},
		{"qwen3", "", "q8_0", "on"},
		{"qwen3", "0", "f16", "off"},
		{"gemma2", "1", "f16", "off"},
		{"qwen2", "", "f16", ""},
		{"qwen2", "1", "q8_0", "on"},
	} {
		env := map[string]string{"OLLAMA_KV_CACHE_TYPE": "q8_0"}
		if tc.fa != "" {
			env["OLLAMA_FLASH_ATTENTION"] = tc.fa
		}
		if s := ollamaSettings(env, tc.arch); s.kv != tc.want || s.flashAttention != tc.flash {
			t.Errorf("%s, OLLAMA_FLASH_ATTENTION=%q: kv %s (%s), flash attention %q; want %s, %q", tc.arch, tc.fa, s.kv, s.kvSource, s.flashAttention, tc.want, tc.flash)
		}
	}
}

func TestLlamaCppParallel(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"llama-server", "-m", "m.gguf", "-np", "8"}, 8},
		{[]string{"llama-server", "--parallel", "2"}, 2},
		{[]string{"llama-server", "--parallel=3"}, 3},
		{[]string{"llama-server", "-m", "m.gguf"}, 0},    // not given
		{[]string{"llama-server", "-np"}, 0},             // no value
		{[]string{"llama-server", "--parallel", "x"}, 0}, // not a number
		{[]string{"llama-server", "--parallel", "0"}, 0}, // out of range
	}
	for _, tc := range tests {
		n, src, ok := llamaCppParallel(tc.args)
		if n != tc.want || ok != (tc.want > 0) || (ok && !strings.HasPrefix(src, "server arguments (")) {
			t.Errorf("%q: %d %q %v, want %d", tc.args, n, src, ok, tc.want)
		}
	}
	if s := settingsFromProcess("openai", "", nil, []string{"llama-server", "-np", "4"}); s.parallel != 4 || s.parallelSource != "server arguments (-np 4)" {
		t.Errorf("openai backend: %+v", s)
	}
}

// The /api/ps figures of the measurements on Ollama with OLLAMA_NUM_PARALLEL=4
// (issue 19's table): both give 4 slots.
func TestSlotsFromPS(t *testing.T) {
	tests := []struct {
		name       string
		size       int64
		weights    uint64
		kvPerToken uint64
		ctx        int
		want       int
	}{
		// Tiny twin: 4.65 MB at num_ctx 2,048, 446.5 KiB (457,216 B) of Q8_0 weights,
		// 512 B of KV per token: (4,650,000 − 457,216) / (512 × 2,048) = 4.00.
		{"tiny twin", 4_650_000, 457_216, 512, 2048, 4},
		// 0.5B twin: 625.8 MB at 2,048, 500.8 MiB of weights, 12,288 B per token:
		// (625,800,000 − 525,126,246) / 25,165,824 = 4.00.
		{"0.5B twin", 625_800_000, 525_126_246, 12288, 2048, 4},
		// One slot: size = weights + KV of one context.
		{"one slot", 1_000_000 + 100*4096, 1_000_000, 100, 4096, 1},
		// 1.5 slots: not a whole number, no answer.
		{"between", 1_000_000 + 150*4096, 1_000_000, 100, 4096, 0},
		// Size below the weights (a GPU's figure, or another model's): no answer.
		{"below weights", 900_000, 1_000_000, 100, 4096, 0},
		{"no context", 2_000_000, 1_000_000, 100, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, src, err := slotsFromPS(tc.size, tc.weights, tc.kvPerToken, tc.ctx)
			if n != tc.want || (tc.want > 0) != (err == nil) {
				t.Fatalf("= %d, %q, %v; want %d", n, src, err, tc.want)
			}
			if err == nil && !strings.HasPrefix(src, "/api/ps arithmetic") {
				t.Errorf("source %q", src)
			}
		})
	}
}

func TestForceOllamaSingleSlot(t *testing.T) {
	if n, src := forceOllamaSingleSlot(4, "server environment (OLLAMA_NUM_PARALLEL=4)", ModelInfo{Family: "qwen3vl"}); n != 1 || !strings.Contains(src, "qwen3vl family with one slot") {
		t.Errorf("qwen3vl: %d %q", n, src)
	}
	if n, _ := forceOllamaSingleSlot(4, "x", ModelInfo{Family: "qwen2", Architecture: "qwen2"}); n != 4 {
		t.Errorf("qwen2 forced to %d", n)
	}
}

// fakeProc writes a /proc for this test process (the fake server runs in it): its
// environment, and the machine's meminfo and vmstat, and points the run at it.
func fakeProc(t *testing.T, environ string) string {
	t.Helper()
	root := t.TempDir()
	if environ != "" {
		dir := filepath.Join(root, strconv.Itoa(os.Getpid()))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "environ"), []byte(environ), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range map[string]string{"meminfo": "MemTotal: 8388608 kB\nMemAvailable: 4194304 kB\n", "vmstat": "pswpin 10\npswpout 20\n"} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := procRoot
	procRoot = root
	t.Cleanup(func() { procRoot = old })
	return root
}

// The fake's server is this process: the run reads its slots from its environment,
// its runtime base after the cold phase's unload, the memory available then (the
// fixture's 4 GiB plus the server's resident set), and no swapping.
func TestRunFindsServerMemorySettings(t *testing.T) {
	fakeProc(t, "HOME=/x\x00OLLAMA_NUM_PARALLEL=3\x00")
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Gap: time.Millisecond})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.PromptTokens, opts.MaxTokens = "twin", 2, 0, 50, 4
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Memory
	if m.Parallel != 3 || m.ParallelSource != "server environment (OLLAMA_NUM_PARALLEL=3)" {
		t.Errorf("parallel %d from %q", m.Parallel, m.ParallelSource)
	}
	if m.KVCacheType != "f16" || !strings.HasPrefix(m.KVCacheTypeSource, "default f16") {
		t.Errorf("kv %s from %q", m.KVCacheType, m.KVCacheTypeSource)
	}
	if m.RuntimeBaseBytes == nil || *m.RuntimeBaseBytes == 0 || m.RuntimeBaseUnavailable != "" {
		t.Fatalf("runtime base %v (%s)", m.RuntimeBaseBytes, m.RuntimeBaseUnavailable)
	}
	if m.AvailableBytes == nil || *m.AvailableBytes != 4<<30+*m.RuntimeBaseBytes {
		t.Errorf("available %v, want 4 GiB + the runtime base %d", m.AvailableBytes, *m.RuntimeBaseBytes)
	}
	if m.SwappedInBytes == nil || *m.SwappedInBytes != 0 || m.SwappedOutBytes == nil || *m.SwappedOutBytes != 0 {
		t.Errorf("swap %v %v (%s)", m.SwappedInBytes, m.SwappedOutBytes, m.SwapUnavailable)
	}
	if res.Target.Model.EmbeddingLength != 896 || res.Target.Model.VocabSize != 151936 {
		t.Errorf("embedding %d, vocabulary %d; want Qwen2.5-0.5B's 896, 151936", res.Target.Model.EmbeddingLength, res.Target.Model.VocabSize)
	}
}

// --server-parallel wins over the server's environment; without a readable
// environment or a consistent /api/ps (the fake's 600 MB at 4,096 tokens is 1.49
// slots of this model), the run assumes Ollama's default and says why; without a
// cold phase the runtime base is an estimate, and says so.
func TestRunServerParallelFallbacks(t *testing.T) {
	fakeProc(t, "OLLAMA_NUM_PARALLEL=3\x00")
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Gap: time.Millisecond})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.PromptTokens, opts.MaxTokens = "twin", 2, 0, 50, 4
	opts.ServerParallel = 2
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Memory; m.Parallel != 2 || m.ParallelSource != "flag (--server-parallel)" {
		t.Errorf("flag: parallel %d from %q", m.Parallel, m.ParallelSource)
	}

	fakeProc(t, "") // no environ for this process
	opts.ServerParallel = 0
	opts.SkipColdLoad = true
	res, err = Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := res.Memory
	if m.Parallel != 1 || !strings.HasPrefix(m.ParallelSource, "default 1, assumed") ||
		!strings.Contains(m.ParallelSource, "environment was not read") || !strings.Contains(m.ParallelSource, "1.49 slots") {
		t.Errorf("fallback: parallel %d from %q", m.Parallel, m.ParallelSource)
	}
	if m.RuntimeBaseBytes != nil || !strings.Contains(m.RuntimeBaseUnavailable, "no cold phase") {
		t.Errorf("runtime base without a cold phase: %v (%q)", m.RuntimeBaseBytes, m.RuntimeBaseUnavailable)
	}
	if m.KVCacheType != "f16" || !strings.HasPrefix(m.KVCacheTypeSource, "--kv-cache-type f16") {
		t.Errorf("kv %s from %q", m.KVCacheType, m.KVCacheTypeSource)
	}
}

func TestServerParallelValidated(t *testing.T) {
	o := DefaultOptions()
	o.Model = "m"
	for _, n := range []int{-1, MaxServerParallel + 1} {
		o.ServerParallel = n
		if err := o.Validate(); err == nil || !strings.Contains(err.Error(), "--server-parallel") {
			t.Errorf("%d: %v", n, err)
		}
	}
	o.ServerParallel = 4
	if err := o.Validate(); err != nil {
		t.Error(err)
	}
}

// A model the server already holds is named: the server's RSS includes its runner.
func TestRunNamesOtherLoadedModels(t *testing.T) {
	fakeProc(t, "OLLAMA_NUM_PARALLEL=1\x00")
	_, o := newFake(t, fakeollama.Config{Models: []string{"twin", "other"}, Tokens: 4, Gap: time.Millisecond})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.PromptTokens, opts.MaxTokens = "other", 1, 0, 50, 4
	if _, err := Run(context.Background(), o, opts, nil); err != nil {
		t.Fatal(err)
	}
	opts.Model = "twin"
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := res.Memory.OtherModelsLoaded; len(got) != 1 || !strings.HasPrefix(got[0], "other") {
		t.Errorf("other models loaded: %q, want [other]", got)
	}
}
