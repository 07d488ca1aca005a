package results

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
)

// convRun runs 3-turn conversations of 2 users against a fake whose prompt cache has
// slots slots, and builds the run file. The fake reports prompt_eval_duration as
// exactly its uncached tokens / 600 tokens/s and counts the whole prompt, as Ollama
// v0.24.0 does.
func convRun(t *testing.T, slots int) *Run {
	t.Helper()
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 6, Gap: 2 * time.Millisecond,
		PrefillPerS: 600, CacheSlots: slots})
	t.Cleanup(f.Close)
	u, err := bench.ParseHost(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	opts := bench.DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.SkipColdLoad = "twin", 12, 0, true
	opts.PromptTokens, opts.MaxTokens, opts.Turns = 40, 6, 3
	opts.Concurrency = []int{2}
	res, err := bench.Run(context.Background(), bench.NewOllama(u), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return Build(res, profiles.Hardware{}, nil)
}

// With a slot per user every later turn finds its history in the cache: none is
// flagged. With one slot for two users, a user's next turn finds the other's
// conversation in the slot at least once, and those turns are flagged cache_missed,
// with the warning, and counted by turn. The fake's durations are exact, so the
// judgment cannot be noise: a hit takes new/600 s, a miss prompt/600 s; from turn 2
// on prompt ≥ 2 × new (a history of some 70 tokens before a 53-word turn), and a miss
// adds over 100 ms (MissJudgeGap).
func TestConversationCacheMissFlag(t *testing.T) {
	r := convRun(t, 2)
	for _, s := range r.Samples {
		if s.CacheMissed || s.CacheSuspect {
			t.Errorf("2 slots: conversation %d turn %d flagged (missed %v, suspect %v)", s.Conversation, s.Turn, s.CacheMissed, s.CacheSuspect)
		}
	}
	cc := r.ConversationCache
	if cc == nil || cc.Method != "prefill_time" || cc.Judged != 8 || cc.Missed != 0 || cc.ReferencePrefillPerS == nil {
		t.Fatalf("2 slots: conversation_cache %+v, want 8 later turns judged by prefill time, none missed", cc)
	}
	// The first turns computed their whole prompt: the reference is the fake's rate.
	if ref := *cc.ReferencePrefillPerS; ref < 599.9 || ref > 600.1 {
		t.Errorf("reference prefill %.1f tok/s, want 600", ref)
	}
	if len(r.Turns) != 3 || r.Turns[1].CacheJudged != 4 || r.Turns[2].Summaries["new_prefill_per_s"].N != 4 {
		t.Errorf("turns %+v", r.Turns)
	}
	for _, w := range r.Warnings {
		if w.Code == bench.CodeConversationCacheMissed || w.Code == bench.CodePromptCacheSuspect {
			t.Errorf("2 slots: warning %s: %s", w.Code, w.Message)
		}
	}

	r = convRun(t, 1)
	missed := 0
	for _, s := range r.Samples {
		if s.CacheMissed {
			missed++
			if s.Turn < 2 {
				t.Errorf("a first turn flagged cache_missed: %+v", s)
			}
			// A miss computed the whole prompt: its new-token rate is under the reference.
			if s.NewPrefillPerS == nil || *s.NewPrefillPerS >= *r.ConversationCache.ReferencePrefillPerS {
				t.Errorf("missed turn's new-token prefill %v", s.NewPrefillPerS)
			}
		}
	}
	byTurn := 0
	for _, ts := range r.Turns {
		byTurn += ts.CacheMissed
	}
	if missed == 0 || r.ConversationCache.Missed != missed || byTurn != missed {
		t.Fatalf("1 slot for 2 users: %d flagged, conversation_cache %+v, by turn %d", missed, r.ConversationCache, byTurn)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || (w.Code == bench.CodeConversationCacheMissed && strings.Contains(w.Message, "missed the server's prompt cache"))
	}
	if !found {
		t.Errorf("no conversation_cache_missed warning: %v", r.Warnings)
	}
	var b strings.Builder
	if err := RenderTable(&b, r); err != nil || !strings.Contains(b.String(), "by turn") || !strings.Contains(b.String(), "new-token prefill") {
		t.Errorf("table without the turns: %v\n%s", err, b.String())
	}
}

// turnMissed's cases, on one turn of 300 prompt tokens of which 100 are new (history
// 200) against a reference of 1000 tokens/s: a hit takes 0.1 s, a miss 0.3 s, and the
// threshold is their geometric mean, √(100 × 300) / 1000 s = 173.2 ms. A miss adds
// 200 ms there, over MissJudgeGap.
func TestTurnMissed(t *testing.T) {
	ms := func(d float64) int64 { return int64(d * float64(time.Millisecond)) }
	cached := func(n int) *int { return &n }
	for _, c := range []struct {
		name           string
		s              bench.Sample
		ref            float64
		missed, judged bool
		hit            int // tokens a hit computes; 0: new_prompt_tokens
	}{
		{"hit: only the new tokens' time", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(100)}, 1000, false, true, 0},
		{"miss: the whole prompt's time", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(300)}, 1000, true, true, 0},
		{"just under the threshold", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(173)}, 1000, false, true, 0},
		{"just over the threshold", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(174)}, 1000, true, true, 0},
		// 150 of 200 prompt tokens new: hit and miss differ by 1.33×, too little to tell.
		{"history too short a share", bench.Sample{PromptTokens: 200, NewPromptTokens: 150, HistoryTokens: 50, ServerPromptEvalNs: ms(200)}, 1000, false, false, 0},
		// At 10000 tokens/s a miss would add only 20 ms: within a busy machine's noise.
		{"too fast to tell", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(30)}, 10000, false, false, 0},
		{"no reference", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, ServerPromptEvalNs: ms(300)}, 0, false, false, 0},
		{"no prefill time", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200}, 1000, false, false, 0},
		// The server's count decides when it gives one, whatever the time says.
		{"count: history read", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, CachedPromptTokens: cached(190), ServerPromptEvalNs: ms(300)}, 1000, false, true, 0},
		{"count: under half the history", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, CachedPromptTokens: cached(99), ServerPromptEvalNs: ms(100)}, 1000, true, true, 0},
		{"count: zero", bench.Sample{PromptTokens: 300, NewPromptTokens: 100, HistoryTokens: 200, CachedPromptTokens: cached(0)}, 0, true, true, 0},
		// A hit that also computes the previous reply again (Ollama's cache stops where
		// it begins): of 308 prompt tokens, 150 new and 34 of reply after a previous
		// prompt of 124, a hit computes 184 (0.6 of a miss): too close to tell, where
		// counting only the new tokens judged this real hit (1.69 s at 140 tokens/s,
		// over √(150 × 308) / 140 = 1.535 s) a miss.
		{"hit recomputing the reply: not judged", bench.Sample{PromptTokens: 308, NewPromptTokens: 150, HistoryTokens: 158, ServerPromptEvalNs: ms(1690)}, 140, false, false, 184},
		{"new tokens only would misjudge it", bench.Sample{PromptTokens: 308, NewPromptTokens: 150, HistoryTokens: 158, ServerPromptEvalNs: ms(1690)}, 140, true, true, 0},
		// A long history: of 1000 tokens, a hit computes 120 (new 100 and a reply of 20),
		// at 1000 tokens/s 0.12 s; a miss 1 s. 0.3 s is under √(120 × 1000) / 1000 = 0.346 s.
		{"long history, hit with the reply", bench.Sample{PromptTokens: 1000, NewPromptTokens: 100, HistoryTokens: 900, ServerPromptEvalNs: ms(300)}, 1000, false, true, 120},
		{"long history, miss", bench.Sample{PromptTokens: 1000, NewPromptTokens: 100, HistoryTokens: 900, ServerPromptEvalNs: ms(900)}, 1000, true, true, 120},
	} {
		hit := c.s.NewPromptTokens
		if c.hit > 0 {
			hit = c.hit
		}
		missed, judged := turnMissed(&c.s, hit, c.ref)
		if missed != c.missed || judged != c.judged {
			t.Errorf("%s: missed %v judged %v, want %v %v", c.name, missed, judged, c.missed, c.judged)
		}
	}
}

// A run file written before conversations loads, and its samples have no turn.
func TestOldRunHasNoTurns(t *testing.T) {
	r := convRun(t, 2)
	r.Turns, r.ConversationCache = nil, nil
	for i := range r.Samples {
		r.Samples[i].Conversation, r.Samples[i].Turn = 0, 0
	}
	r.summarizeTurns()
	if len(r.Turns) != 0 {
		t.Errorf("turns from samples without any: %+v", r.Turns)
	}
}
