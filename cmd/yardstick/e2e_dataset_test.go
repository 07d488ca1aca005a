package main

import (
	"path/filepath"
	"testing"
)

// TestEndToEndDatasetsRealOllama runs the shipped ShareGPT and JSONL datasets against
// a real Ollama serving the tiny twin: every request succeeds, names its record and is
// counted by the server, and a record's own output length is what was asked (the twin
// stops early at random, so only "at most" is checked). Skips without a server, as
// TestEndToEndRealOllama does.
func TestEndToEndDatasetsRealOllama(t *testing.T) {
	model := "yardstick-e2e-tiny:q8_0"
	host := e2eModel(t, model)
	for _, file := range []string{"sharegpt-small.json", "prompts-small.jsonl"} {
		t.Run(file, func(t *testing.T) {
			path := filepath.Join("..", "..", "datasets", file)
			o, r := runWant(t, 0, "--model", model, "--host", host, "--dataset", path, "--runs", "10", "--warmup", "1", "--quiet")
			t.Logf("\n%s", o.stdout)
			if r.Options.Dataset == nil || r.Options.Dataset.Selected != 10 {
				t.Fatalf("dataset %+v", r.Options.Dataset)
			}
			lengths := map[int]bool{}
			for _, s := range r.Samples {
				if !s.OK || s.Record == "" || s.PromptTokens <= 0 {
					t.Errorf("sample %d: ok %v record %q prompt %d: %s", s.Index, s.OK, s.Record, s.PromptTokens, s.Error)
				}
				lengths[s.PromptTokens] = true
				asked := r.Options.MaxTokens
				if s.MaxTokens > 0 {
					asked = s.MaxTokens
				}
				if s.OutputTokens > asked {
					t.Errorf("sample %d (%s): %d output tokens, asked at most %d", s.Index, s.Record, s.OutputTokens, asked)
				}
			}
			// Ten records of different lengths: the server counts different prompts.
			if len(lengths) < 5 {
				t.Errorf("prompt lengths %v: the records' lengths did not reach the server", lengths)
			}
		})
	}
}

// TestEndToEndSharedPrefixRealOllama runs a shared-prefix run of one group against
// the real Ollama: the prefix is 90% of the prompt, so a hit prefills a tenth of it.
// The server has one slot per loaded model unless OLLAMA_NUM_PARALLEL says more, and
// nothing else is sent meanwhile, so after each group's first request the cache holds
// the prefix: most requests must be judged hits, and the hits' prefill must be faster
// than the misses'.
func TestEndToEndSharedPrefixRealOllama(t *testing.T) {
	model := "yardstick-e2e-tiny:q8_0"
	host := e2eModel(t, model)
	o, r := runWant(t, 0, "--model", model, "--host", host, "--prompt-tokens", "1000", "--prefix-tokens", "900",
		"--max-tokens", "4", "--runs", "12", "--warmup", "3", "--quiet")
	t.Logf("\n%s", o.stdout)
	pc := r.PrefixCache
	if pc == nil || pc.HitRateFrac == nil {
		t.Fatalf("prefix_cache %+v", pc)
	}
	if pc.JudgedBy != "prefill_time" || pc.ReferenceRequests < 3 {
		t.Errorf("judged by %q on %d references (Ollama v0.24.0 reports no cached count)", pc.JudgedBy, pc.ReferenceRequests)
	}
	// The first measured request misses; of the other 11, allow two to miss on a
	// busy machine.
	if pc.Hits < 9 {
		t.Errorf("%d hits of %d: %+v", pc.Hits, pc.Hits+pc.Misses, pc)
	}
	h, m := pc.Hit["server_prompt_eval_ns"], pc.Miss["server_prompt_eval_ns"]
	if h.N == 0 || m.N == 0 || h.P50 >= m.P50 {
		t.Errorf("prefill of hits %v, misses %v", h.P50, m.P50)
	}
}
