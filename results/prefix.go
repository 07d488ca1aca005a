package results

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// PrefixCache is what a shared-prefix run (--prefix-tokens) measured of the server's
// prompt cache: the measured requests whose shared prefix the server read from its
// cache (hits) and those it computed in full (misses), with their latencies apart
// (docs/metrics.md, Shared prefixes).
type PrefixCache struct {
	PrefixTokens int `json:"prefix_tokens"`
	Groups       int `json:"groups"`
	// JudgedBy says what a hit was judged by: "server_cached_tokens" (the server's
	// own count of cached prompt tokens, at least half the prefix), "prefill_time"
	// (prompt_eval_duration against the reference, for a server that does not
	// count), or both when requests differed.
	JudgedBy string `json:"judged_by"`
	// ReferencePrefillPerS is the median server_prefill_per_s of the requests that
	// could not hit: the warm-ups, each with a prefix of its own, and the first
	// measured request of each group (its prefix carries a tag unique to the run);
	// ReferenceRequests counts them.
	ReferencePrefillPerS float64 `json:"reference_prefill_per_s,omitempty"`
	ReferenceRequests    int     `json:"reference_requests,omitempty"`
	// ReferenceSpread is the fastest reference rate over the slowest: how much a
	// miss's prefill time varied on this machine. Above MidpointFactor, the ratio of
	// a miss's time to the midpoint, T / (T − N/2) at the median prompt, a miss could
	// fall under the midpoint (or a hit over it): warning prefix_judgement_noisy.
	ReferenceSpread float64 `json:"reference_spread,omitempty"`
	MidpointFactor  float64 `json:"midpoint_factor,omitempty"`
	// Hits, Misses and Unjudged count the successful measured requests; HitRateFrac =
	// hits / (hits + misses).
	Hits        int      `json:"hits"`
	Misses      int      `json:"misses"`
	Unjudged    int      `json:"unjudged,omitempty"`
	HitRateFrac *float64 `json:"hit_rate_frac,omitempty"`
	// Hit and Miss summarize ttft_ns, server_prompt_eval_ns, server_prefill_per_s and
	// e2e_ns over the hits and over the misses.
	Hit  map[string]Summary `json:"hit,omitempty"`
	Miss map[string]Summary `json:"miss,omitempty"`
}

// prefixCache judges each successful measured request of a shared-prefix run a hit
// or a miss (Sample.PrefixHit) and summarizes both; nil for a run without prefixes.
//
// Ollama v0.24.0 reports no cached count, and its prompt_eval_count is the whole
// prompt whether the cache hit or not: both runners set numPromptInputs to the
// prompt's length before LoadCacheSlot cuts the cached part off
// (runner/ollamarunner/runner.go NewSequence and the completion handler;
// runner/llamarunner/runner.go alike), while prompt_eval_duration covers only the
// batches computed. So a hit shows only in the time: the request's
// prompt_eval_duration is held against the time a miss of its length takes at the
// reference rate, T / R, and a hit of a P-token prefix, (T − P) / R; it is a hit when
// under the midpoint, (T − P/2) / R. A server that reports cached tokens is taken at
// its word (docs/metrics.md, Shared prefixes).
func prefixCache(r *Run) *PrefixCache {
	o := r.Options
	if o.PrefixTokens <= 0 {
		return nil
	}
	pc := &PrefixCache{PrefixTokens: o.PrefixTokens, Groups: max(1, o.PrefixGroups)}
	var refs []float64
	for _, s := range r.Warmup {
		if s.OK && s.ServerPrefillPerS != nil {
			refs = append(refs, *s.ServerPrefillPerS)
		}
	}
	measured := make([]*bench.Sample, 0, len(r.Samples))
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK && s.PrefixGroup != nil {
			measured = append(measured, s)
		}
	}
	slices.SortStableFunc(measured, func(a, b *bench.Sample) int { return cmp.Compare(a.SentAtNs, b.SentAtNs) })
	seen := map[int]bool{}
	for _, s := range measured {
		if !seen[*s.PrefixGroup] {
			seen[*s.PrefixGroup] = true
			if s.ServerPrefillPerS != nil {
				refs = append(refs, *s.ServerPrefillPerS)
			}
		}
	}
	if len(refs) > 0 {
		pc.ReferencePrefillPerS, pc.ReferenceRequests = stat.Median(refs), len(refs)
		if lo := slices.Min(refs); lo > 0 && len(refs) > 1 {
			pc.ReferenceSpread = slices.Max(refs) / lo
		}
	}
	p := float64(o.PrefixTokens)
	var prompts []float64
	for _, s := range measured {
		prompts = append(prompts, float64(s.PromptTokens))
	}
	if len(prompts) > 0 {
		if t := stat.Median(prompts); t > p {
			pc.MidpointFactor = t / (t - p/2)
		}
	}
	byServer, byTime := 0, 0
	var hit, miss []bench.Sample
	for _, s := range measured {
		var h bool
		switch {
		case s.CachedPromptTokens != nil:
			h = float64(*s.CachedPromptTokens) >= p/2
			byServer++
		case pc.ReferencePrefillPerS > 0 && s.ServerPromptEvalNs > 0 && float64(s.PromptTokens) > p:
			mid := (float64(s.PromptTokens) - p/2) / pc.ReferencePrefillPerS * 1e9
			h = float64(s.ServerPromptEvalNs) < mid
			byTime++
		default:
			pc.Unjudged++
			continue
		}
		s.PrefixHit = &h
		if h {
			pc.Hits++
			hit = append(hit, *s)
		} else {
			pc.Misses++
			miss = append(miss, *s)
		}
	}
	switch {
	case byServer > 0 && byTime > 0:
		pc.JudgedBy = "server_cached_tokens and prefill_time"
	case byServer > 0:
		pc.JudgedBy = "server_cached_tokens"
	case byTime > 0:
		pc.JudgedBy = "prefill_time"
	}
	if n := pc.Hits + pc.Misses; n > 0 {
		f := float64(pc.Hits) / float64(n)
		pc.HitRateFrac = &f
	}
	pc.Hit, pc.Miss = prefixSummaries(hit), prefixSummaries(miss)
	if byTime > 0 && pc.MidpointFactor > 0 && pc.ReferenceSpread > pc.MidpointFactor {
		r.warn(bench.CodePrefixJudgementNoisy, fmt.Sprintf("the requests that could not hit prefilled at rates ×%.2f apart, more than the ×%.2f between a miss's time and the midpoint a hit is judged by: %d of %d requests were judged by prefill time, and on this machine the time does not tell a hit from a miss surely (a busy machine; a prefix that is a small share of the prompt); a server that reports cached tokens is judged by its count",
			pc.ReferenceSpread, pc.MidpointFactor, byTime, pc.Hits+pc.Misses))
	}
	return pc
}

// prefixMetrics are the figures a shared-prefix run gives for hits and misses apart.
var prefixMetrics = []string{"ttft_ns", "server_prompt_eval_ns", "server_prefill_per_s", "e2e_ns"}

func prefixSummaries(ss []bench.Sample) map[string]Summary {
	if len(ss) == 0 {
		return nil
	}
	vals := MetricValues(ss)
	for _, s := range ss {
		if s.ServerPromptEvalNs > 0 {
			vals["server_prompt_eval_ns"] = append(vals["server_prompt_eval_ns"], float64(s.ServerPromptEvalNs))
		}
	}
	out := map[string]Summary{}
	for _, name := range prefixMetrics {
		if sm, ok := summaryOf(name, vals[name]); ok {
			out[name] = sm
		}
	}
	return out
}

// prefixLine is the table's line of a shared-prefix run: the hit rate and the median
// TTFT and prefill time of hits and misses.
func prefixLine(pc *PrefixCache) string {
	s := fmt.Sprintf("prefix    %d tokens × %d group(s): ", pc.PrefixTokens, pc.Groups)
	if pc.HitRateFrac == nil {
		return s + "no request could be judged a hit or a miss\n"
	}
	s += fmt.Sprintf("hit rate %.0f%% (%d hits, %d misses", 100**pc.HitRateFrac, pc.Hits, pc.Misses)
	if pc.Unjudged > 0 {
		s += fmt.Sprintf(", %d not judged", pc.Unjudged)
	}
	s += ", by " + pc.JudgedBy
	if pc.JudgedBy != "server_cached_tokens" && pc.ReferencePrefillPerS > 0 {
		s += fmt.Sprintf(" against %.0f tok/s", pc.ReferencePrefillPerS)
	}
	s += ")"
	for _, kind := range []struct {
		name string
		m    map[string]Summary
	}{{"hits", pc.Hit}, {"misses", pc.Miss}} {
		if t, ok := kind.m["ttft_ns"]; ok {
			s += fmt.Sprintf("; %s TTFT p50 %s", kind.name, dur(t.P50))
			if pe, ok := kind.m["server_prompt_eval_ns"]; ok {
				s += fmt.Sprintf(", prefill %s", dur(pe.P50))
			}
		}
	}
	return s + "\n"
}
