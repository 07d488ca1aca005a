package results

import (
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
)

// prefixSample is a successful measured request of group g sent at sentNs whose
// 500-token prompt the server prefilled in evalMs milliseconds.
func prefixSample(g int, sentNs int64, evalMs float64, cached *int) bench.Sample {
	ttft := int64(evalMs*1e6) + 5e6
	e2e := ttft + 50e6
	rate := 500 / (evalMs / 1e3)
	return bench.Sample{Phase: bench.PhaseMeasured, OK: true, PrefixGroup: &g, SentAtNs: sentNs, PromptTokens: 500, OutputTokens: 8,
		ServerPromptEvalNs: int64(evalMs * 1e6), ServerPrefillPerS: &rate, TTFTNs: &ttft, E2ENs: &e2e, CachedPromptTokens: cached}
}

// A 400-token prefix of 500-token prompts: a miss at the reference rate of 1000
// tokens/s takes 500 ms, a hit 100 ms, and the midpoint is (500 − 200) / 1000 = 300
// ms. The warm-ups (own prefixes) prefill at 1000 tokens/s; each group's first
// measured request is a reference too.
func TestPrefixCacheByPrefillTime(t *testing.T) {
	warm := func(ms float64) bench.Sample {
		s := prefixSample(0, 0, ms, nil)
		s.Phase, s.PrefixGroup = bench.PhaseWarmup, nil
		return s
	}
	twelve := 12
	r := &Run{Options: bench.Options{PrefixTokens: 400, PrefixGroups: 2},
		Warmup: []bench.Sample{warm(500), warm(500)},
		Samples: []bench.Sample{
			prefixSample(0, 1, 500, nil),    // first of group 0: a miss, and a reference
			prefixSample(0, 2, 110, nil),    // 110 ms < 300: a hit
			prefixSample(1, 3, 500, nil),    // first of group 1: a miss
			prefixSample(1, 4, 290, nil),    // just under the midpoint: a hit
			prefixSample(0, 5, 310, nil),    // just over: a miss (the slot held group 1)
			prefixSample(1, 6, 90, &twelve), // the server's count, 12 < 200: a miss whatever the time
			{Phase: bench.PhaseMeasured, OK: false},
		}}
	pc := prefixCache(r)
	if pc == nil || pc.ReferenceRequests != 4 || pc.ReferencePrefillPerS != 1000 {
		t.Fatalf("reference: %+v", pc)
	}
	want := []bool{false, true, false, true, false, false}
	for i, w := range want {
		if h := r.Samples[i].PrefixHit; h == nil || *h != w {
			t.Errorf("sample %d: hit %v, want %v", i, h, w)
		}
	}
	if pc.Hits != 2 || pc.Misses != 4 || pc.HitRateFrac == nil || *pc.HitRateFrac != 2.0/6 {
		t.Errorf("hits %d misses %d rate %v", pc.Hits, pc.Misses, pc.HitRateFrac)
	}
	if pc.JudgedBy != "server_cached_tokens and prefill_time" {
		t.Errorf("judged by %q", pc.JudgedBy)
	}
	// Hit TTFTs are 115 and 295 ms: p50 by nearest rank is 115 ms.
	if got := pc.Hit["ttft_ns"].P50; got != 115e6 {
		t.Errorf("hit ttft p50 %v, want 115 ms", got)
	}
	if got := pc.Miss["server_prompt_eval_ns"].N; got != 4 {
		t.Errorf("miss prefill n %d, want 4", got)
	}
	if line := prefixLine(pc); !strings.Contains(line, "hit rate 33% (2 hits, 4 misses") {
		t.Errorf("table line %q", line)
	}
	// Every reference prefilled at 1000 tokens/s: no spread, no warning.
	if pc.ReferenceSpread != 1 || pc.MidpointFactor != 500.0/300 || len(r.Warnings) != 0 {
		t.Errorf("spread %v factor %v warnings %v", pc.ReferenceSpread, pc.MidpointFactor, r.Warnings)
	}
}

// References ×2 apart (a warm-up at 500 tokens/s, 1 s for 500 tokens) are more than
// the ×1.67 between a miss and the midpoint of a 400-token prefix in 500: the
// judgement is flagged unsure.
func TestPrefixJudgementNoisy(t *testing.T) {
	warm := prefixSample(0, 0, 1000, nil)
	warm.Phase, warm.PrefixGroup = bench.PhaseWarmup, nil
	r := &Run{Options: bench.Options{PrefixTokens: 400}, Warmup: []bench.Sample{warm},
		Samples: []bench.Sample{prefixSample(0, 1, 500, nil), prefixSample(0, 2, 100, nil)}}
	pc := prefixCache(r)
	if pc.ReferenceSpread != 2 || len(r.Warnings) != 1 || r.Warnings[0].Code != bench.CodePrefixJudgementNoisy {
		t.Errorf("spread %v warnings %v", pc.ReferenceSpread, r.Warnings)
	}
}

func TestPrefixCacheAbsentWithoutPrefix(t *testing.T) {
	if pc := prefixCache(&Run{Samples: []bench.Sample{prefixSample(0, 1, 100, nil)}}); pc != nil {
		t.Errorf("got %+v for a run without --prefix-tokens", pc)
	}
}

// Datasets are a comparability key: another content is refused, another file name
// for the same content is a note; synthetic against a dataset is refused.
func TestCompareKeysDataset(t *testing.T) {
	run := func(d *DatasetKey) *Run { return &Run{Workload: Workload{Dataset: d}} }
	a := &DatasetKey{Path: "a.jsonl", Format: "jsonl", SHA256: "aaaa1111aaaa1111", Selected: 10}
	renamed := &DatasetKey{Path: "b.jsonl", Format: "jsonl", SHA256: "aaaa1111aaaa1111", Selected: 10}
	other := &DatasetKey{Path: "a.jsonl", Format: "jsonl", SHA256: "bbbb2222bbbb2222", Selected: 10}
	sev := func(diffs []KeyDiff, key string) (KeySeverity, bool) {
		for _, d := range diffs {
			if d.Key == key {
				return d.Severity, true
			}
		}
		return 0, false
	}
	if s, ok := sev(CompareKeys(run(a), run(other)), "dataset"); !ok || s != KeyRefuse {
		t.Errorf("other content: %v %v", s, ok)
	}
	if s, ok := sev(CompareKeys(run(a), run(nil)), "dataset"); !ok || s != KeyRefuse {
		t.Errorf("against synthetic: %v %v", s, ok)
	}
	d := CompareKeys(run(a), run(renamed))
	if s, ok := sev(d, "dataset_path"); !ok || s != KeyNote {
		t.Errorf("renamed: %v", d)
	}
	if _, ok := sev(d, "dataset"); ok {
		t.Errorf("renamed content refused: %v", d)
	}
	// The hash leaves the path out, so a renamed file is the same workload.
	if workloadHash(Workload{Dataset: a}) != workloadHash(Workload{Dataset: renamed}) || workloadHash(Workload{Dataset: a}) == workloadHash(Workload{Dataset: other}) {
		t.Error("workload hash follows the path, or not the content")
	}
}
