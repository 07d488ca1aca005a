package results

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// runFake measures 6 requests against a fake Ollama and builds the run file, held
// against no machine.
func runFake(t *testing.T, cfg fakeollama.Config, think bench.Think) *Run {
	return runFakeOn(t, cfg, think, nil)
}

// runFakeOn is runFake held against machine m.
func runFakeOn(t *testing.T, cfg fakeollama.Config, think bench.Think, m *Machine) *Run {
	t.Helper()
	cfg.Models = []string{"twin"}
	f := fakeollama.New(cfg)
	defer f.Close()
	u, err := bench.ParseHost(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup, opts.SkipColdLoad = "twin", f.URL, 6, 1, true
	opts.PromptTokens, opts.MaxTokens, opts.Think = 64, 64, think
	res, err := bench.Run(context.Background(), bench.NewOllama(u), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Build(res, fixtureHardware(), m)
}

// A thinking run: 4 thinking tokens, a 100 ms pause, 8 answer tokens 1 ms apart. The
// run's summaries hold the answer apart: every TTFA is at least the pause after its
// TTFT, and the median answer TPOT is under pause / 7 = 14.3 ms, which it could not be
// had the pause leaked in (the schedule gives about 1 ms). The table shows the rows.
func TestThinkingRunSummaries(t *testing.T) {
	const pause = 100 * time.Millisecond
	r := runFake(t, fakeollama.Config{Tokens: 8, ThinkingTokens: 4, ThinkPause: pause, Gap: time.Millisecond}, bench.ThinkOn)
	for _, name := range []string{"ttfa_ns", "thinking_ns", "answer_tpot_ns", "answer_gen_per_s", "answer_tokens"} {
		if s, ok := r.Summaries[name]; !ok || s.N != 6 {
			t.Errorf("summaries.%s: %+v (present %v), want n 6", name, s, ok)
		}
	}
	if s := r.Summaries["thinking_ns"]; s.Min < float64(pause) {
		t.Errorf("thinking_ns min %v, want ≥ the %v pause", time.Duration(s.Min), pause)
	}
	if s := r.Summaries["answer_tpot_ns"]; s.Median >= float64(pause/7) {
		t.Errorf("answer_tpot_ns median %v, want < %v", time.Duration(s.Median), pause/7)
	}
	if s := r.Summaries["answer_tokens"]; s.Median != 8 {
		t.Errorf("answer_tokens median %v, want 8 (12 tokens × 8 answer chunks / 12 text chunks)", s.Median)
	}
	var b strings.Builder
	if err := RenderTable(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, row := range []string{"TTFA (first answer)", "thinking span", "TPOT (answer)", "decode tok/s (answer)"} {
		if !strings.Contains(b.String(), row) {
			t.Errorf("table lacks %q:\n%s", row, b.String())
		}
	}
	if r.Workload.Think != bench.ThinkOn {
		t.Errorf("workload think %q, want true", r.Workload.Think)
	}

	// Without thinking the answer's rows would repeat TTFT and TPOT: they are left out.
	plain := runFake(t, fakeollama.Config{Tokens: 8, Gap: time.Millisecond}, bench.ThinkOff)
	for _, name := range []string{"ttfa_ns", "thinking_ns", "answer_tpot_ns", "answer_gen_per_s", "answer_tokens", "cached_prompt_tokens"} {
		if _, ok := plain.Summaries[name]; ok {
			t.Errorf("summaries.%s in a run that did not think", name)
		}
	}
}

// A server that reports a cached count on every request (Ollama v0.33.3+) gets every
// request flagged, though all agree, and the count summarized.
func TestEveryRequestCachedIsFlagged(t *testing.T) {
	cached := 40
	r := runFake(t, fakeollama.Config{Tokens: 4, CachedPromptTokens: &cached}, bench.ThinkOff)
	for _, s := range r.Samples {
		if !s.CacheSuspect || s.CachedPromptTokens == nil || *s.CachedPromptTokens != cached {
			t.Errorf("sample %d: cache_suspect %v, cached %v", s.Index, s.CacheSuspect, s.CachedPromptTokens)
		}
	}
	if s := r.Summaries["cached_prompt_tokens"]; s.N != 6 || s.Median != 40 {
		t.Errorf("summaries.cached_prompt_tokens %+v, want n 6, median 40", s)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || (w.Code == bench.CodePromptCacheSuspect && strings.Contains(w.Message, "6 by the server's own count"))
	}
	if !found {
		t.Errorf("no prompt_cache_suspect warning naming the server's count: %v", r.Warnings)
	}
}

// A server that reports a 1,000,000 tokens/s prefill on every request and no cached
// count: every request agrees, so the relative rule sees nothing, but each is over the
// compute ceiling and flagged. The fake describes a Qwen2.5-0.5B twin, whose cost
// counts 357.8 M active parameters (profiles.ComputeModelCost), so a 1 TFLOP/s
// machine's ceiling is 1e12 / (2 × 357.8e6) ≈ 1,397 tokens/s; the fake reports its
// prompt of about 70 tokens evaluated in 64 µs, about 1.1e6 tokens/s.
func TestEveryRequestOverTheCeilingIsFlagged(t *testing.T) {
	m := &Machine{Profile: "test", MemoryBandwidthBytesPerS: 1e12, BandwidthSource: "test", PeakFLOPS: 1e12, FLOPSSource: "test"}
	r := runFakeOn(t, fakeollama.Config{Tokens: 4, PromptEval: 64 * time.Microsecond}, bench.ThinkOff, m)
	if r.Roofline == nil || r.Roofline.PrefillCeilingPerS <= 0 || r.Roofline.PrefillCeilingPerS > 1e5 {
		t.Fatalf("roofline %+v: want a prefill ceiling far under 1e6 tokens/s", r.Roofline)
	}
	for _, s := range r.Samples {
		if s.ServerPrefillPerS == nil || *s.ServerPrefillPerS < 5e5 || !s.CacheSuspect || s.CachedPromptTokens != nil {
			t.Errorf("sample %d: prefill %v tokens/s, cache_suspect %v, cached %v; want ~1e6, flagged, no count", s.Index, s.ServerPrefillPerS, s.CacheSuspect, s.CachedPromptTokens)
		}
	}
	found := false
	for _, w := range r.Warnings {
		found = found || (w.Code == bench.CodePromptCacheSuspect && strings.Contains(w.Message, "6 prefilling faster than the compute ceiling"))
	}
	if !found {
		t.Errorf("no prompt_cache_suspect warning naming the ceiling: %v", r.Warnings)
	}
}
