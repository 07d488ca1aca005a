package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/yardstick-dev/yardstick/results"
)

func planJSON(t *testing.T, args ...string) results.PlanReport {
	t.Helper()
	o := runCLI(t, nil, append([]string{"plan", "--format", "json"}, args...)...)
	if o.code != 0 {
		t.Fatalf("plan %v: exit %d: %s", args, o.code, o.stderr)
	}
	var r results.PlanReport
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
		t.Fatalf("plan JSON: %v\n%s", err, o.stdout)
	}
	return r
}

// TestPlanQwen3MoEOn4090 is the sizing question: Qwen3-30B-A3B at Q4_K_M on
// a 24 GiB RTX 4090 with an f16 KV cache.
func TestPlanQwen3MoEOn4090(t *testing.T) {
	r := planJSON(t, "--shape", "qwen3-30b-a3b", "--quant", "Q4_K_M", "--device", "RTX 4090", "--kv-cache-type", "f16")
	// Ollama's library lists qwen3:30b-a3b-q4_K_M at 18.6 GB; 17–20.5 GB allows for
	// the type mix (Q4_K with Q6_K for half of attn_v and ffn_down, Q6_K output).
	if r.WeightsBytes < 17e9 || r.WeightsBytes > 20.5e9 {
		t.Errorf("weights %d B, want 17–20.5 GB", r.WeightsBytes)
	}
	// 48 layers × 4 KV heads × 128 (head_dim) × K and V × 2 B (f16).
	if kv := r.KVBytesPerContextToken["f16"]; kv != 48*4*128*2*2 {
		t.Errorf("KV %d B per context token per slot, want 98,304", kv)
	}
	// Every expert is resident; 8 of 128 are read per token.
	if r.ExpertCount != 128 || r.ActiveWeightBytesPerToken >= r.WeightsBytes/4 {
		t.Errorf("experts %d, read per token %d of %d", r.ExpertCount, r.ActiveWeightBytesPerToken, r.WeightsBytes)
	}
	rows := map[int]int{}
	for _, row := range r.Rows {
		if row.KVCacheType != "f16" {
			t.Errorf("row of KV type %s with --kv-cache-type f16", row.KVCacheType)
		}
		rows[row.Parallel] = row.MaxNumCtx
		if row.Parallel == 1 && !row.Capped {
			t.Error("1 slot: not marked capped at the trained context")
		}
	}
	// 24 GiB − 18.6 GB of weights leaves about 6.7 GB: at 4 slots × 98,304 B that is
	// about 17k tokens per slot, less the compute buffers and runtime.
	if n := rows[4]; n < 10000 || n > 24000 {
		t.Errorf("4 slots: %d tokens per slot, want 10k–24k", n)
	}
	if rows[1] != 40960 {
		t.Errorf("1 slot: %d, want the trained context 40,960", rows[1])
	}
	if rows[8] >= rows[4] || rows[4] >= rows[2] {
		t.Errorf("contexts do not shrink with slots: %v", rows)
	}
}

// TestPlanTable: the default table fits 80 columns and says what the numbers are.
func TestPlanTable(t *testing.T) {
	for _, args := range [][]string{
		{"--shape", "qwen3-30b-a3b", "--device", "rtx-4090"},
		{"--shape", "qwen2.5-7b", "--quant", "Q8_0", "--device", "RTX 3060", "--kv-cache-type", "q8_0"},
	} {
		o := runCLI(t, nil, append([]string{"plan"}, args...)...)
		if o.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, o.code, o.stderr)
		}
		for _, l := range strings.Split(o.stdout, "\n") {
			if utf8.RuneCountInString(l) > 80 {
				t.Errorf("%v: line of %d columns: %q", args, utf8.RuneCountInString(l), l)
			}
		}
		for _, want := range []string{"largest num_ctx per slot", "weights", "KV cache"} {
			if !strings.Contains(o.stdout, want) {
				t.Errorf("%v: table lacks %q:\n%s", args, want, o.stdout)
			}
		}
	}
	o := runCLI(t, nil, "plan", "--shape", "qwen3-30b-a3b", "--device", "rtx-4090")
	if !strings.Contains(o.stdout, "saves bandwidth, not memory") || !strings.Contains(o.stdout, "* capped at the model's trained context, 40,960") {
		t.Errorf("MoE or cap line missing:\n%s", o.stdout)
	}
	// --memory-gib sizes a device whose memory varies by machine.
	if r := planJSON(t, "--shape", "tiny", "--device", "apple-m4", "--memory-gib", "16"); r.AvailableBytes != 16<<30 {
		t.Errorf("--memory-gib 16: %d bytes", r.AvailableBytes)
	}
	// 24 GiB (25.8 GB) is less than Qwen3-30B-A3B's 32 GB of Q8_0 weights.
	o = runCLI(t, nil, "plan", "--shape", "qwen3-30b-a3b", "--quant", "Q8_0", "--device", "RTX 4090")
	if o.code != 0 || !strings.Contains(o.stdout, "DO NOT FIT") {
		t.Errorf("weights that do not fit: exit %d\n%s", o.code, o.stdout)
	}
}

// TestPlanBadInput: a name that does not exist is one line naming the closest, exit 2.
func TestPlanBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--shape", "qwen3-30b"}, "closest: qwen3-30b-a3b"},
		{[]string{"--shape", "qwen3-30b-a3b", "--quant", "Q4_K"}, "closest: Q4_K_M"},
		{[]string{"--shape", "qwen3-30b-a3b", "--device", "RTX 9090"}, "rtx-4090"},
		{[]string{"--shape", "qwen3-30b-a3b", "--kv-cache-type", "q8"}, "closest: q8_0"},
		{[]string{"--shape", "tiny", "--gguf", "x.gguf"}, "one of --model, --gguf or --shape"},
		{[]string{"--gguf", filepath.Join("testdata", "does-not-exist.gguf")}, "--gguf"},
		{[]string{"--shape", "tiny", "--verify"}, "--verify loads a --model"},
		// An Apple chip's memory varies by machine: the user says how much.
		{[]string{"--shape", "tiny", "--device", "apple-m4"}, "give --memory-gib"},
		// Not a size: NaN, 0 and less than a byte were once taken as no value at all.
		{[]string{"--shape", "tiny", "--memory-gib", "NaN"}, "--memory-gib NaN: must be in"},
		{[]string{"--shape", "tiny", "--memory-gib", "0"}, "--memory-gib 0: must be in"},
		{[]string{"--shape", "tiny", "--memory-gib", "1e-12"}, "--memory-gib 1e-12: must be in"},
	}
	for _, tc := range cases {
		o := runCLI(t, nil, append([]string{"plan"}, tc.args...)...)
		if o.code != exitUsage || !strings.Contains(o.stderr, tc.want) || strings.Count(strings.TrimSpace(o.stderr), "\n") != 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
}

// TestPlanGGUFMatchesShape: a twin's GGUF header and its shape at the same file
// type give the same weights and KV (Q8_0 is Q8_0 throughout for both synth and
// llama-quantize, the tied output included).
func TestPlanGGUFMatchesShape(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.gguf")
	if o := runCLI(t, nil, "synth", "--shape", "tiny", "--quant", "Q8_0", "--out", path); o.code != 0 {
		t.Fatalf("synth: %s", o.stderr)
	}
	g := planJSON(t, "--gguf", path, "--device", "rtx-4090")
	s := planJSON(t, "--shape", "tiny", "--quant", "Q8_0", "--device", "rtx-4090")
	if g.WeightsBytes != s.WeightsBytes || g.KVBytesPerContextToken["f16"] != 512 || s.KVBytesPerContextToken["f16"] != 512 {
		t.Errorf("gguf weights %d KV %v; shape weights %d KV %v", g.WeightsBytes, g.KVBytesPerContextToken, s.WeightsBytes, s.KVBytesPerContextToken)
	}
	if g.TrainedContextTokens != 32768 || len(g.Rows) != 12 {
		t.Errorf("trained context %d, %d rows", g.TrainedContextTokens, len(g.Rows))
	}
}

// TestPlanMissingAttentionField: a model whose /api/show lacks the attention head
// counts gets its weights planned and the missing fields named.
func TestPlanMissingAttentionField(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/show" {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write([]byte(`{"model_info":{"general.architecture":"llama","llama.block_count":2,"llama.context_length":4096},
			"tensors":[{"name":"token_embd.weight","type":"F16","shape":[64,100]},{"name":"blk.0.attn_q.weight","type":"F16","shape":[64,64]}]}`))
	}))
	defer srv.Close()
	o := runCLI(t, nil, "plan", "--model", "odd", "--host", srv.URL, "--device", "rtx-4090")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	// 64 × 100 + 64 × 64 F16 values = 20,992 B.
	for _, want := range []string{"llama.attention.head_count_kv", "llama.attention.head_count", "21 kB resident"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, o.stdout)
		}
	}
}
