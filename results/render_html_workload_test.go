package results

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
)

// fakeRun runs opts against a fake Ollama with cfg and builds the run file.
func fakeRun(t *testing.T, cfg fakeollama.Config, opts bench.Options) *Run {
	t.Helper()
	cfg.Models = []string{"twin"}
	f := fakeollama.New(cfg)
	t.Cleanup(f.Close)
	u, err := bench.ParseHost(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts.Model, opts.SkipColdLoad = "twin", true
	res, err := bench.Run(context.Background(), bench.NewOllama(u), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Build(res, profiles.Hardware{}, nil)
}

// prefixRun sends 12 requests one at a time behind 2 shared prefixes of 60 tokens
// (prompts of 120) to a fake with 2 cache slots whose prefill takes exactly the
// uncached tokens / 3,000 tok/s: the first request of each group misses, the rest
// find their group's prefix in a slot and hit.
func prefixRun(t *testing.T) *Run {
	opts := bench.DefaultOptions()
	opts.Runs, opts.Warmup, opts.PromptTokens, opts.MaxTokens = 12, 2, 120, 6
	opts.PrefixTokens, opts.PrefixGroups = 60, 2
	return fakeRun(t, fakeollama.Config{Tokens: 6, Gap: time.Millisecond, PrefillPerS: 3000, CacheSlots: 2}, opts)
}

// traceRun replays a 10-line Mooncake trace, 40 ms apart, prompts of 64 to 208
// tokens and outputs of 2 to 6, as an open loop.
func traceRun(t *testing.T) *Run {
	var b strings.Builder
	for i := 0; i < 10; i++ {
		in := 64 + 16*i
		ids := make([]string, (in+bench.TraceBlockTokens-1)/bench.TraceBlockTokens)
		for k := range ids {
			ids[k] = fmt.Sprint(100*i + k)
		}
		fmt.Fprintf(&b, `{"timestamp": %d, "input_length": %d, "output_length": %d, "hash_ids": [%s]}`+"\n", 40*i, in, 2+i%5, strings.Join(ids, ", "))
	}
	trace, err := bench.ParseTrace(strings.NewReader(b.String()), "mooncake-10.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	opts := bench.DefaultOptions()
	opts.Warmup = 2
	opts.Trace, opts.TraceFile, opts.TraceSHA256, opts.TraceSpeed, opts.Runs = trace, "mooncake-10.jsonl", "0123456789abcdef", 1, len(trace)
	opts.Concurrency = []int{0}
	return fakeRun(t, fakeollama.Config{Tokens: 8, Gap: time.Millisecond, PrefillPerS: 20000}, opts)
}

// workloadPages renders the run page of a conversation run (convRun: 2 users, 3
// turns, 1 cache slot, so some later turns miss), a shared-prefix run and a trace
// replay.
func workloadPages(t *testing.T, dir string) map[string]string {
	t.Helper()
	pages := map[string]string{}
	for kind, r := range map[string]*Run{"conversation": convRun(t, 1), "prefix": prefixRun(t), "trace": traceRun(t)} {
		var b bytes.Buffer
		if err := RenderRunHTML(&b, kind+".json", r); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		p := filepath.Join(dir, kind+".html")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pages[kind] = p
	}
	return pages
}

// Each workload's page holds its section with the figures the terminal table prints,
// and names the workload in its header; a plain run has none of the three sections.
func TestHTMLWorkloadSections(t *testing.T) {
	pages := workloadPages(t, t.TempDir())
	// Why each string: the conversation page says it is one (header), has the By
	// turn table with its columns, the TTFT-against-depth chart, and the cache
	// judgment (convRun's fake reports no cached count, so the prefill time judges);
	// the prefix page gives hit rate and hits beside misses by prefill time; the trace
	// page names its file and hash and the lengths asked against counted, and the
	// queue delay.
	want := map[string][]string{
		"conversation": {`<dt>conversations</dt>`, "conversations of 3 turns", `id="turns"`, "context depth (prompt tokens)",
			"new-token prefill (tok/s)", "TTFT against context depth", "judged by prefill time", "judged missed the server&#39;s prompt cache"},
		"prefix": {`id="prefix"`, "Hit rate ", "hits p50", "misses p50", "prefill time (server)", "judged by prefill time against", "TTFT of hits and misses"},
		"trace": {`<dt>trace</dt>`, "mooncake-10.jsonl (sha256 0123456789ab), its first 10 lines at ×1 speed", `id="trace"`,
			"prompt, asked by the trace", "prompt, counted by the server", "queue delay", "sent − scheduled"},
	}
	sections := map[string]string{"conversation": `id="turns"`, "prefix": `id="prefix"`, "trace": `id="trace"`}
	for kind, p := range pages {
		page := pageHolding(t, kind, p, want[kind])
		for other, id := range sections {
			if other != kind && strings.Contains(page, id) {
				t.Errorf("%s page has the %s section", kind, other)
			}
		}
	}
	var b bytes.Buffer
	if err := RenderRunHTML(&b, "plain.json", htmlRunOf(htmlSpec{seed: 1, levels: []int{1}, perLevel: 8, runID: "plain"})); err != nil {
		t.Fatal(err)
	}
	for _, id := range sections {
		if strings.Contains(b.String(), id) {
			t.Errorf("a plain run's page has %s", id)
		}
	}
}

// The terminal table and the HTML header name the conversations and the trace in the
// same words (workloadSourceLine prints workloadSourceFact).
func TestWorkloadSourceLineInTable(t *testing.T) {
	for _, tc := range []struct {
		run  *Run
		want string
	}{
		{convRun(t, 2), "          conversations of 3 turns, think time 0s; each turn is a request, sent with the whole history\n"},
		{traceRun(t), "          trace mooncake-10.jsonl (sha256 0123456789ab), its first 10 lines at ×1 speed\n"},
	} {
		var b bytes.Buffer
		if err := RenderTable(&b, tc.run); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), tc.want) {
			t.Errorf("table lacks %q:\n%s", tc.want, b.String())
		}
	}
}
