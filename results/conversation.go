package results

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// MissJudgeRatio is the least prompt_tokens / hit tokens (judgeTurns) at which a later turn
// is judged by its prefill time: below it the history is too short a share of the
// prompt for a hit and a miss to take clearly different times (docs/metrics.md,
// Conversations).
const MissJudgeRatio = 2.0

// MissJudgeGap is the least time a miss would add to a hit, (prompt_tokens −
// new_prompt_tokens) / R, at which a later turn is judged by its prefill time: below it
// the difference is within what scheduling on a busy machine adds to one request (the
// tiny test twin, whose whole prompt prefills in a few milliseconds, took 27 ms for 89
// tokens it had taken 3.4 ms for on the turn before, with other work on the machine).
const MissJudgeGap = 100 * time.Millisecond

// TurnSummary is one turn number of a conversation run: how many conversations reached
// it, how many of those the judgment of docs/metrics.md (Conversations) found to have
// missed the server's prompt cache, and the statistics of its successful requests:
// TTFT against the context depth (prompt_tokens), the new tokens and their prefill
// rate, the server's cached count where it gives one.
type TurnSummary struct {
	// Turn numbers the turns of a conversation from 1.
	Turn int `json:"turn"`
	// Requests counts the measured requests of this turn; Failed those that failed.
	Requests int `json:"requests"`
	Failed   int `json:"failed,omitempty"`
	// CacheJudged counts the successful requests of a later turn that could be judged;
	// CacheMissed those found to have computed their history again.
	CacheJudged int `json:"cache_judged,omitempty"`
	CacheMissed int `json:"cache_missed,omitempty"`
	// Summaries holds TurnMetrics over the turn's successful requests.
	Summaries map[string]Summary `json:"summaries"`
}

// TurnMetrics are the metrics a TurnSummary holds, in the order the table shows them.
var TurnMetrics = []string{"prompt_tokens", "new_prompt_tokens", "cached_prompt_tokens", "ttft_ns",
	"new_prefill_per_s", "server_prefill_per_s", "output_tokens", "e2e_ns"}

// ConversationCache is how a conversation run's later turns were judged against the
// server's prompt cache (docs/metrics.md, Conversations).
type ConversationCache struct {
	// Method is "cached_prompt_tokens" when the server reported its cached count for
	// every judged turn, "prefill_time" when every judgment came from the prefill time,
	// "mixed" otherwise.
	Method string `json:"method"`
	// ReferencePrefillPerS is the median server_prefill_per_s of the run's first turns,
	// which computed their whole prompt (a fresh nonce); absent without first turns.
	ReferencePrefillPerS *float64 `json:"reference_prefill_per_s,omitempty"`
	// Judged, Missed and Unjudged count the successful later turns: judged, found to
	// have missed, and left unjudged (no reference, a history under 1/MissJudgeRatio of
	// the prompt, a miss that would take under MissJudgeGap longer, or no prefill time).
	Judged   int `json:"judged"`
	Missed   int `json:"missed"`
	Unjudged int `json:"unjudged"`
}

// judgeTurns flags the successful later turns of conversations whose cache missed
// (Sample.CacheMissed) and warns conversation_cache_missed when any did
// (docs/metrics.md, Conversations). With the server's cached count, a turn missed when
// it read under half its history_tokens from the cache. Without it (Ollama v0.24.0
// counts the whole prompt in prompt_eval_count and times only the uncached suffix in
// prompt_eval_duration: runner/ollamarunner/runner.go sets numPromptInputs before
// cache.go's LoadCacheSlot drops the cached prefix), a turn missed when its prefill
// took longer than the geometric mean of the two hypotheses at the first turns' median
// rate R: √(hit × prompt_tokens) / R, judged only when prompt_tokens ≥ MissJudgeRatio ×
// hit and a miss would take MissJudgeGap longer than a hit. hit is what a hit computes:
// prompt_tokens − the previous turn's prompt_tokens (new_prompt_tokens when that turn is
// not in the run), since a server reuses the history only up to where the previous
// reply begins: Ollama v0.24.0 generated the reply after a template opening that the
// history's rendering of it does not repeat, so its cache (runner/ollamarunner/cache.go,
// the longest common prefix) stops there and the reply is computed again.
func (r *Run) judgeTurns() {
	var firsts []float64
	later := false
	for i := range r.Samples {
		s := &r.Samples[i]
		if s.OK && s.Turn == 1 && s.ServerPrefillPerS != nil {
			firsts = append(firsts, *s.ServerPrefillPerS)
		}
		later = later || s.Turn > 1
	}
	if !later {
		return
	}
	cc := &ConversationCache{}
	ref := 0.0
	if len(firsts) > 0 {
		ref = stat.Median(firsts)
		cc.ReferencePrefillPerS = &ref
	}
	hitTokens := r.hitTokens()
	byCount, byTime := 0, 0
	for i := range r.Samples {
		s := &r.Samples[i]
		if !s.OK || s.Turn < 2 {
			continue
		}
		missed, judged := turnMissed(s, hitTokens(s), ref)
		if !judged {
			cc.Unjudged++
			continue
		}
		cc.Judged++
		if s.CachedPromptTokens != nil {
			byCount++
		} else {
			byTime++
		}
		if missed {
			s.CacheMissed = true
			cc.Missed++
		}
	}
	switch {
	case byCount > 0 && byTime > 0:
		cc.Method = "mixed"
	case byCount > 0:
		cc.Method = "cached_prompt_tokens"
	default:
		cc.Method = "prefill_time"
	}
	r.ConversationCache = cc
	if cc.Missed > 0 {
		how := "by their prefill time against the first turns' rate, a judgment that other work slowing the machine mid-run (host_busy) can turn from hit to miss"
		if byTime == 0 {
			how = "by the server's cached count"
		}
		r.warn(bench.CodeConversationCacheMissed, fmt.Sprintf("%d of %d judged later turns of conversations missed the server's prompt cache (%s): the server computed their history again; flagged cache_missed. Another conversation may have taken its cache slot (more users than the server's OLLAMA_NUM_PARALLEL slots), or the model unloaded",
			cc.Missed, cc.Judged, how))
	}
}

// hitTokens returns what a hit of a later turn computes (judgeTurns): its prompt
// tokens less its conversation's previous turn's, else its new_prompt_tokens.
func (r *Run) hitTokens() func(s *bench.Sample) int {
	type turnKey struct{ target, conversation, turn int }
	prompts := map[turnKey]int{}
	for i := range r.Samples {
		if s := &r.Samples[i]; s.OK && s.Turn > 0 {
			prompts[turnKey{s.Target, s.Conversation, s.Turn}] = s.PromptTokens
		}
	}
	return func(s *bench.Sample) int {
		if prev, ok := prompts[turnKey{s.Target, s.Conversation, s.Turn - 1}]; ok && prev > 0 && prev < s.PromptTokens {
			return s.PromptTokens - prev
		}
		return s.NewPromptTokens
	}
}

// turnMissed judges one successful later turn s against the first turns' median
// prefill rate ref (0: none), a hit computing hit of its prompt tokens (judgeTurns):
// whether its cache missed, and whether it could be judged at all.
func turnMissed(s *bench.Sample, hit int, ref float64) (missed, judged bool) {
	if s.CachedPromptTokens != nil {
		if s.HistoryTokens <= 0 {
			return false, false
		}
		return 2**s.CachedPromptTokens < s.HistoryTokens, true
	}
	if ref <= 0 || hit <= 0 || s.ServerPromptEvalNs <= 0 ||
		float64(s.PromptTokens) < MissJudgeRatio*float64(hit) ||
		float64(s.PromptTokens-hit)/ref*1e9 < float64(MissJudgeGap) {
		return false, false
	}
	threshold := math.Sqrt(float64(hit)*float64(s.PromptTokens)) / ref * 1e9
	return float64(s.ServerPromptEvalNs) > threshold, true
}

// summarizeTurns sets Turns from the run's samples: one TurnSummary per turn number
// reached, none for a run without conversations.
func (r *Run) summarizeTurns() {
	byTurn := map[int][]bench.Sample{}
	for _, s := range r.Samples {
		if s.Turn > 0 {
			byTurn[s.Turn] = append(byTurn[s.Turn], s)
		}
	}
	r.Turns = nil
	hitTokens := r.hitTokens()
	for _, k := range slices.Sorted(maps.Keys(byTurn)) {
		ss := byTurn[k]
		ts := TurnSummary{Turn: k, Requests: len(ss), Summaries: map[string]Summary{}}
		for i := range ss {
			s := &ss[i]
			switch {
			case !s.OK:
				ts.Failed++
			case k > 1:
				if _, judged := turnMissed(s, hitTokens(s), r.referencePrefill()); judged {
					ts.CacheJudged++
				}
				if s.CacheMissed {
					ts.CacheMissed++
				}
			}
		}
		all := summarize(ss)
		for _, m := range TurnMetrics {
			if v, ok := all[m]; ok {
				ts.Summaries[m] = v
			}
		}
		r.Turns = append(r.Turns, ts)
	}
}

// referencePrefill is the reference rate of judgeTurns, 0 without one.
func (r *Run) referencePrefill() float64 {
	if r.ConversationCache == nil || r.ConversationCache.ReferencePrefillPerS == nil {
		return 0
	}
	return *r.ConversationCache.ReferencePrefillPerS
}

// renderTurns writes a conversation run's figures by turn: the conversations that
// reached the turn, the context depth (median prompt tokens) and the new tokens, TTFT,
// the new tokens' prefill rate, the server's cached count where it gives one, and the
// turns whose cache missed of those judged.
func renderTurns(b *strings.Builder, run *Run) error {
	if len(run.Turns) == 0 {
		return nil
	}
	b.WriteString("\nby turn (medians)\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "turn\tok\tprompt tokens\tnew tokens\tcached\tTTFT\tnew-token prefill tok/s\tcache missed\t")
	med := func(ts TurnSummary, m string) string {
		s, ok := ts.Summaries[m]
		if !ok {
			return "-"
		}
		return formatter(m)(s.Median)
	}
	for _, ts := range run.Turns {
		missed := "-"
		if ts.Turn > 1 {
			missed = fmt.Sprintf("%d of %d", ts.CacheMissed, ts.CacheJudged)
		}
		fmt.Fprintf(tw, "%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t\n", ts.Turn, ts.Requests-ts.Failed, med(ts, "prompt_tokens"),
			med(ts, "new_prompt_tokens"), med(ts, "cached_prompt_tokens"), med(ts, "ttft_ns"), med(ts, "new_prefill_per_s"), missed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if cc := run.ConversationCache; cc != nil {
		ref := "no first turn to set a reference"
		if cc.ReferencePrefillPerS != nil {
			ref = fmt.Sprintf("first turns' prefill %.1f tok/s as reference", *cc.ReferencePrefillPerS)
		}
		fmt.Fprintf(b, "cache       later turns judged by %s (%s): %d missed of %d judged, %d not judged\n",
			strings.ReplaceAll(cc.Method, "_", " "), ref, cc.Missed, cc.Judged, cc.Unjudged)
	}
	return nil
}

// workloadSourceLine writes what a conversation run or a trace replay sends beyond the
// workload line: the turns and think time, or the trace file, its hash and speed (the
// HTML report's fact of the same words, workloadSourceFact).
func workloadSourceLine(b *strings.Builder, o bench.Options) {
	f, ok := workloadSourceFact(o)
	if !ok {
		return
	}
	if f.Name == "trace" {
		f.Value = "trace " + f.Value
	}
	fmt.Fprintf(b, "          %s\n", f.Value)
}
