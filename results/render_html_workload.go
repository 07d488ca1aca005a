package results

import (
	"fmt"
	"math"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// The HTML report's sections for what a run sends beyond the synthetic prompt
// (docs/report.md): conversations by turn, the shared prefixes' hits and misses, and
// a trace's lengths and send lateness. Each holds the figures the terminal table
// prints (renderTurns, prefixLine, workloadSourceLine) with a chart beside them.

// workloadSourceFact is the header's fact for a conversation run or a trace replay,
// what workloadSourceLine prints; ok false for any other run.
func workloadSourceFact(o bench.Options) (htmlFact, bool) {
	switch {
	case o.Turns != 0:
		turns := fmt.Sprintf("%d turns", o.Turns)
		if o.Turns == bench.TurnsAll {
			turns = "every turn"
		}
		return htmlFact{"conversations", fmt.Sprintf("conversations of %s, think time %v; each turn is a request, sent with the whole history", turns, o.ThinkTime)}, true
	case o.TraceFile != "":
		return htmlFact{"trace", fmt.Sprintf("%s (sha256 %.12s), its first %d lines at ×%g speed", o.TraceFile, o.TraceSHA256, o.Runs, o.TraceSpeed)}, true
	}
	return htmlFact{}, false
}

// turnsSection is a conversation run's figures by turn (renderTurns' table), TTFT
// against context depth for every request and the median of each turn, and the
// judgment of the server's prompt cache; ok false for a run without conversations.
func turnsSection(r *Run) (htmlSection, bool) {
	if len(r.Turns) == 0 {
		return htmlSection{}, false
	}
	t := htmlTable{Caption: "medians by turn", Head: []string{"turn", "ok", "context depth (prompt tokens)", "new tokens", "cached", "TTFT", "new-token prefill (tok/s)", "cache missed"}}
	med := func(ts TurnSummary, m string) (string, float64, bool) {
		s, ok := ts.Summaries[m]
		if !ok {
			return "-", 0, false
		}
		return formatter(m)(s.Median), s.Median, true
	}
	c := &htmlChart{X: htmlAxis{Label: "context depth (prompt tokens)"}, Y: htmlAxis{Label: "TTFT (ms)"}}
	// The medians first, so each request's point is drawn over them.
	c.Series = []htmlSeries{
		{Label: "median by turn", Color: color(1), Line: true, Points: true, Size: 9},
		{Label: "TTFT, each request", Color: color(0), Size: 6},
		{Label: "TTFT, cache missed", Color: color(2), Size: 8},
	}
	for _, ts := range r.Turns {
		missed := "-"
		if ts.Turn > 1 {
			missed = fmt.Sprintf("%d of %d judged", ts.CacheMissed, ts.CacheJudged)
		}
		depth, d, okD := med(ts, "prompt_tokens")
		newTok, _, _ := med(ts, "new_prompt_tokens")
		cached, _, _ := med(ts, "cached_prompt_tokens")
		ttft, tt, okT := med(ts, "ttft_ns")
		pre, _, _ := med(ts, "new_prefill_per_s")
		t.Rows = append(t.Rows, cells(fmt.Sprint(ts.Turn), fmt.Sprint(ts.Requests-ts.Failed), depth, newTok, cached, ttft, pre, missed))
		if okD && okT {
			c.add(0, d, msOf(tt))
		}
	}
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK || s.Turn == 0 || s.TTFTNs == nil || s.PromptTokens <= 0 {
			continue
		}
		series := 1
		if s.CacheMissed {
			series = 2
		}
		c.add(series, float64(s.PromptTokens), msOf(float64(*s.TTFTNs)))
	}
	c.finish()
	caption := "Each turn of a conversation is sent with the whole history before it: its prompt grows by the last answer and the new user message. A server that keeps the conversation in its prompt cache computes only the new tokens, so TTFT should follow the new tokens, not the context depth."
	if cc := r.ConversationCache; cc != nil {
		caption += " " + conversationCacheSentence(cc)
	}
	return htmlSection{ID: "turns", Title: "By turn", Intro: caption,
		Blocks: []htmlBlock{{Title: "TTFT against context depth", Stacked: true, Chart: c, Tables: []htmlTable{t}}}}, true
}

// conversationCacheSentence says how the later turns' cache was judged and what was
// found, as renderTurns' cache line does.
func conversationCacheSentence(cc *ConversationCache) string {
	ref := "no first turn set a reference"
	if cc.ReferencePrefillPerS != nil {
		ref = fmt.Sprintf("the first turns' median prefill, %.1f tok/s, as reference", *cc.ReferencePrefillPerS)
	}
	return fmt.Sprintf("Later turns judged by %s (%s): %d of %d judged missed the server's prompt cache (flagged cache_missed), %d not judged.",
		strings.ReplaceAll(cc.Method, "_", " "), ref, cc.Missed, cc.Judged, cc.Unjudged)
}

// prefixSection is a shared-prefix run's hit rate, the hits' and misses' figures side
// by side and each request's TTFT against the time sent, hits and misses apart; ok
// false for a run without shared prefixes.
func prefixSection(r *Run) (htmlSection, bool) {
	pc := r.PrefixCache
	if pc == nil {
		return htmlSection{}, false
	}
	intro := fmt.Sprintf("Every prompt starts with one of %d shared prefix(es) of %d tokens. ", pc.Groups, pc.PrefixTokens)
	if pc.HitRateFrac == nil {
		intro += "No request could be judged a hit or a miss."
	} else {
		intro += fmt.Sprintf("Hit rate %.0f%%: %d hits, %d misses", 100**pc.HitRateFrac, pc.Hits, pc.Misses)
		if pc.Unjudged > 0 {
			intro += fmt.Sprintf(", %d not judged", pc.Unjudged)
		}
		intro += ", judged by " + strings.ReplaceAll(pc.JudgedBy, "_", " ")
		if pc.JudgedBy != "server_cached_tokens" && pc.ReferencePrefillPerS > 0 {
			intro += fmt.Sprintf(" against %.0f tok/s, the median prefill rate of the %d requests that could not hit: a request is a hit when its prefill time is under the midpoint between a miss's and a hit's at that rate",
				pc.ReferencePrefillPerS, pc.ReferenceRequests)
		}
		intro += "."
	}
	t := htmlTable{Caption: "hits and misses", Head: []string{"figure", "hits p50", "hits p95", "misses p50", "misses p95"}}
	for _, m := range prefixMetrics {
		h, hok := pc.Hit[m]
		ms, mok := pc.Miss[m]
		if !hok && !mok {
			continue
		}
		f := formatter(m)
		row := []string{prefixFigureLabel(m)}
		for _, x := range []struct {
			s  Summary
			ok bool
		}{{h, hok}, {ms, mok}} {
			if x.ok {
				row = append(row, f(x.s.P50), f(x.s.P95))
			} else {
				row = append(row, "-", "-")
			}
		}
		t.Rows = append(t.Rows, cells(row...))
	}
	counts := htmlTable{Head: []string{"requests", "n"}, Rows: [][]htmlCell{
		cells("hits", fmt.Sprint(pc.Hits)), cells("misses", fmt.Sprint(pc.Misses)), cells("not judged", fmt.Sprint(pc.Unjudged))}}
	c := &htmlChart{X: htmlAxis{Label: "time in run, sent at (s)"}, Y: htmlAxis{Label: "TTFT (ms)"}}
	c.Series = []htmlSeries{{Label: "TTFT, prefix hit", Color: color(0), Size: 6}, {Label: "TTFT, prefix miss", Color: color(2), Size: 8}}
	t0 := int64(math.MaxInt64)
	for _, s := range r.Samples {
		t0 = min(t0, s.SentAtNs)
	}
	for _, s := range r.Samples {
		if !s.OK || s.PrefixHit == nil || s.TTFTNs == nil {
			continue
		}
		series := 0
		if !*s.PrefixHit {
			series = 1
		}
		c.add(series, float64(s.SentAtNs-t0)/1e9, msOf(float64(*s.TTFTNs)))
	}
	c.finish()
	return htmlSection{ID: "prefix", Title: "Shared prefixes", Intro: intro,
		Blocks: []htmlBlock{{Title: "TTFT of hits and misses", Chart: c, Tables: []htmlTable{t, counts}}}}, true
}

// prefixFigureLabel is the hits-and-misses table's label of metric m: the server's
// prompt_eval_duration has no label in the run's tables, where it is not a metric.
func prefixFigureLabel(m string) string {
	if m == "server_prompt_eval_ns" {
		return "prefill time (server)"
	}
	return label(m) + unitSuffix(m)
}

// traceSection is a trace replay's prompt lengths as asked against as counted by the
// server, and how late the client sent against the trace's schedule; ok false for a
// run that replays no trace.
func traceSection(r *Run) (htmlSection, bool) {
	var asked, counted, outAsked, outGot []float64
	c := &htmlChart{X: htmlAxis{Label: "prompt tokens asked by the trace"}, Y: htmlAxis{Label: "prompt tokens counted by the server"}}
	// The reference line first, so the points are drawn over it.
	c.Series = []htmlSeries{{Label: "counted = asked", Color: "#999", Line: true, Dash: true}, {Label: "each request", Color: color(0), Size: 7}}
	lo, hi := math.Inf(1), math.Inf(-1)
	traced := false
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.TraceLine == 0 {
			continue
		}
		traced = true
		if !s.OK || s.PromptTokensAsked <= 0 {
			continue
		}
		asked = append(asked, float64(s.PromptTokensAsked))
		if s.PromptTokens > 0 {
			counted = append(counted, float64(s.PromptTokens))
			c.add(1, float64(s.PromptTokensAsked), float64(s.PromptTokens))
			lo, hi = min(lo, float64(s.PromptTokensAsked)), max(hi, float64(s.PromptTokensAsked))
		}
		if s.MaxTokensAsked > 0 {
			outAsked = append(outAsked, float64(s.MaxTokensAsked))
			outGot = append(outGot, float64(s.OutputTokens))
		}
	}
	if !traced {
		return htmlSection{}, false
	}
	if lo <= hi {
		c.add(0, lo, lo)
		c.add(0, hi, hi)
	}
	c.finish()
	t := htmlTable{Caption: "lengths, over the successful requests", Head: []string{"tokens", "n", "min", "median", "p95", "max"}}
	row := func(name string, xs []float64) {
		s, ok := summaryOf("tokens", xs)
		if !ok {
			return
		}
		t.Rows = append(t.Rows, cells(name, fmt.Sprint(s.N), fmt.Sprintf("%.0f", s.Min), fmt.Sprintf("%.0f", s.Median), fmt.Sprintf("%.0f", s.P95), fmt.Sprintf("%.0f", s.Max)))
	}
	row("prompt, asked by the trace", asked)
	row("prompt, counted by the server", counted)
	row("output, asked at most", outAsked)
	row("output, generated", outGot)
	late := htmlTable{Caption: "send lateness: sent − scheduled (queue delay)", Head: []string{"figure", "n", "median", "p95", "p99", "max"}}
	for _, m := range []string{"queue_delay_ns", "ttft_from_scheduled_ns", "e2e_from_scheduled_ns"} {
		if s, ok := r.Summaries[m]; ok {
			late.Rows = append(late.Rows, cells(label(m), fmt.Sprint(s.N), dur(s.Median), dur(s.P95), dur(s.P99), dur(s.Max)))
		}
	}
	intro := "Each line of the trace is a request sent at its time (divided by the speed) with a prompt of the length it asks, built from its hash ids, and at most the output tokens it asks. The server counts the prompt with its own tokenizer and template: the points lie near the dashed line when the lengths were met. A client that sends late (queue delay) hides load the trace asked for."
	return htmlSection{ID: "trace", Title: "Trace replay", Intro: intro,
		Blocks: []htmlBlock{{Title: "Prompt tokens asked and counted", Chart: c, Tables: []htmlTable{t, late}}}}, true
}
