package results

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeopenai"
)

// A run against an OpenAI-compatible server that streams no usage (FaultNoUsage: the
// text, then [DONE]) succeeds: every measured request is marked tokens_estimated, the
// run is too, one tokens_estimated warning says so, output_tokens is the chunk count
// (the fake streams one token a chunk, so 8), and prompt_tokens, which nobody
// counted, is neither summarized, nor written into the samples, nor held against the
// --prompt-tokens target.
func TestRunWithoutUsageIsEstimated(t *testing.T) {
	f := fakeopenai.New(fakeopenai.Config{Models: []string{"twin"}, Tokens: 8, Fault: fakeopenai.FaultNoUsage})
	defer f.Close()
	u, err := url.Parse(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts := bench.DefaultOptions()
	opts.Backend, opts.Model, opts.Host, opts.Runs, opts.Warmup, opts.SkipColdLoad = "openai", "twin", f.URL, 6, 1, true
	opts.PromptTokens, opts.MaxTokens = 64, 8
	res, err := bench.Run(context.Background(), bench.NewOpenAI(u, ""), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := Build(res, fixtureHardware(), nil)
	if r.Throughput.Completed != 6 || r.Throughput.Failed != 0 {
		t.Fatalf("completed %d failed %d, want 6 and 0: a missing usage is no failure", r.Throughput.Completed, r.Throughput.Failed)
	}
	for _, s := range r.Samples {
		if !s.TokensEstimated || s.OutputTokens != 8 || s.PromptTokens != 0 {
			t.Errorf("sample %d: estimated %v output %d prompt %d, want true, 8, 0", s.Index, s.TokensEstimated, s.OutputTokens, s.PromptTokens)
		}
	}
	if !r.TokensEstimated {
		t.Error("run not marked tokens_estimated")
	}
	var codes []string
	for _, w := range r.Warnings {
		codes = append(codes, string(w.Code))
		if w.Code == bench.CodeTokensEstimated && !strings.Contains(w.Message, "6 measured requests") {
			t.Errorf("warning %q does not count the 6 requests", w.Message)
		}
	}
	joined := strings.Join(codes, " ")
	if !strings.Contains(joined, string(bench.CodeTokensEstimated)) || strings.Contains(joined, string(bench.CodePromptLengthOffTarget)) {
		t.Errorf("warnings %v: want tokens_estimated and no prompt_length_off_target", codes)
	}
	if s, ok := r.Summaries["output_tokens"]; !ok || s.Median != 8 {
		t.Errorf("summaries.output_tokens %+v, want median 8", s)
	}
	if _, ok := r.Summaries["prompt_tokens"]; ok {
		t.Error("prompt_tokens summarized though no request counted it")
	}
	if _, ok := r.Summaries["tokens_per_chunk"]; ok {
		t.Error("tokens_per_chunk summarized: 1 by construction for an estimate")
	}
	var tb strings.Builder
	if err := RenderTable(&tb, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tb.String(), "tokens    ESTIMATED: the server sent no usage") {
		t.Errorf("the table does not say the tokens are estimated:\n%s", tb.String())
	}
	b, err := json.Marshal(r.Samples[0])
	if err != nil {
		t.Fatal(err)
	}
	if js := string(b); strings.Contains(js, `"prompt_tokens"`) || !strings.Contains(js, `"tokens_estimated":true`) {
		t.Errorf("sample JSON %s: want tokens_estimated and no prompt_tokens", js)
	}
}
