package bench

import (
	"errors"
	"fmt"
)

// Bounds of figures no real request reaches: a value past one is a corrupt or edited
// file, or a server reporting nonsense, never a measurement.
const (
	// MaxTokensPerRequest bounds a request's prompt or output tokens: 2^24, sixteen
	// times the longest context any served model has (1M tokens).
	MaxTokensPerRequest = 1 << 24
	// MaxPromptWords bounds the synthetic prompt body: 2^22 words, four times what the
	// longest prompt allowed (--prompt-tokens 1048576) needs at one word per token.
	MaxPromptWords = 1 << 22
	// MaxTokensPerS bounds a request's decode rate: 10^8 tokens/s, ten thousand times
	// the fastest single-stream decode of today's accelerators (a rate past it is a
	// server reporting an eval_duration of a few ns). Prefill is not bounded: a prompt
	// cache hit can make a server report a long prompt evaluated in microseconds.
	MaxTokensPerS = 1e8
	// MaxDurationNs bounds a request's durations: 2^50 ns, about 13 days, where a
	// sum of a million of them still fits an int64.
	MaxDurationNs = 1 << 50
)

// Check reports the first field of s that no request can have, as an error naming it:
// a level or target index outside the run's levels and targets (each at least 1), a
// negative count or duration, a duration past MaxDurationNs, a decode rate past
// MaxTokensPerS, a count past MaxTokensPerRequest or MaxPromptWords, a part larger
// than its whole (thinking and answer chunks and bytes, cached prompt, thinking and
// answer tokens), a phase that is not cold, warmup or measured, or a successful
// request without its
// E2E, or with output tokens and no TTFT. It is the one semantic check of a sample
// read back from a journal or a run file (a hand-edited file must not panic or mislead
// --resume, report or check).
func (s *Sample) Check(levels, targets int) error {
	switch {
	case s.Phase != PhaseCold && s.Phase != PhaseWarmup && s.Phase != PhaseMeasured:
		return fmt.Errorf("phase %q: must be cold, warmup or measured", s.Phase)
	case s.Level < 0 || s.Level >= levels:
		return fmt.Errorf("level %d: the run has %d level(s), 0..%d", s.Level, levels, levels-1)
	case s.Target < 0 || s.Target >= targets:
		return fmt.Errorf("target %d: the run has %d server(s), 0..%d", s.Target, targets, targets-1)
	}
	return s.checkFigures()
}

// checkFigures is Check without the run's shape: what a backend applies to a sample
// as it ends, so a server's impossible figures fail that request (ErrDecode).
func (s *Sample) checkFigures() error {
	// Fixed-size arrays, not slices: the check runs once per request on the collector
	// and allocates only when it fails.
	durations := [...]struct {
		name string
		v    int64
	}{
		{"sent_at_ns", s.SentAtNs}, {"scheduled_at_ns", s.ScheduledAtNs},
		{"server_prompt_eval_ns", s.ServerPromptEvalNs}, {"server_eval_ns", s.ServerEvalNs},
		{"load_ns", s.LoadNs}, {"server_total_ns", s.ServerTotalNs},
		{"ttft_ns", deref(s.TTFTNs)}, {"e2e_ns", deref(s.E2ENs)}, {"tpot_ns", deref(s.TPOTNs)},
		{"ttfa_ns", deref(s.TTFANs)}, {"thinking_ns", deref(s.ThinkingNs)}, {"answer_tpot_ns", deref(s.AnswerTPOTNs)},
	}
	for _, d := range durations {
		if d.v < 0 || d.v > MaxDurationNs {
			return fmt.Errorf("%s %d: a duration must be in 0..%d ns", d.name, d.v, MaxDurationNs)
		}
	}
	for i, g := range s.ITLNs {
		if g < 0 || g > MaxDurationNs {
			return fmt.Errorf("itl_ns[%d] %d: a duration must be in 0..%d ns", i, g, MaxDurationNs)
		}
	}
	counts := [...]struct {
		name   string
		v, max int
	}{
		{"index", s.Index, 1 << 40}, {"prompt_words", s.PromptWords, MaxPromptWords},
		{"prompt_tokens", s.PromptTokens, MaxTokensPerRequest}, {"output_tokens", s.OutputTokens, MaxTokensPerRequest},
		{"chunks", s.Chunks, 1 << 40}, {"text_chunks", s.TextChunks, s.Chunks},
		{"output_bytes", s.OutputBytes, 1 << 40},
		{"thinking_chunks", s.ThinkingChunks, s.TextChunks}, {"answer_chunks", s.AnswerChunks, s.TextChunks - s.ThinkingChunks},
		{"thinking_bytes", s.ThinkingBytes, s.OutputBytes}, {"answer_bytes", s.AnswerBytes, s.OutputBytes - s.ThinkingBytes},
		{"cached_prompt_tokens", derefInt(s.CachedPromptTokens), s.PromptTokens},
		{"thinking_tokens", derefInt(s.ThinkingTokens), s.OutputTokens}, {"answer_tokens", derefInt(s.AnswerTokens), s.OutputTokens},
		{"conversation", s.Conversation, 1 << 40}, {"turn", s.Turn, 1 << 20},
		{"history_tokens", s.HistoryTokens, MaxTokensPerRequest}, {"new_prompt_tokens", s.NewPromptTokens, s.PromptTokens},
		{"trace_line", s.TraceLine, 1 << 40},
		{"prompt_tokens_asked", s.PromptTokensAsked, MaxTokensPerRequest}, {"max_tokens_asked", s.MaxTokensAsked, MaxTokensPerRequest},
	}
	for _, c := range counts {
		if c.v < 0 || c.v > c.max {
			return fmt.Errorf("%s %d: must be in 0..%d", c.name, c.v, c.max)
		}
	}
	rates := [...]struct {
		name string
		v    *float64
	}{{"server_gen_per_s", s.ServerGenPerS}, {"client_gen_per_s", s.ClientGenPerS}, {"answer_gen_per_s", s.AnswerGenPerS}}
	for _, r := range rates {
		if r.v != nil && !(*r.v >= 0 && *r.v <= MaxTokensPerS) {
			return fmt.Errorf("%s %g: a rate must be in 0..%g tokens/s", r.name, *r.v, float64(MaxTokensPerS))
		}
	}
	switch {
	case s.OK && s.E2ENs == nil:
		return errors.New("a successful request without e2e_ns")
	case s.OK && s.OutputTokens > 0 && s.TTFTNs == nil:
		return errors.New("a successful request with output tokens and no ttft_ns")
	}
	// The client clock's order: sent ≤ first text (TTFT) ≤ first answer (TTFA) ≤ done
	// (E2E), and the thinking span lies between the first thinking text and the first
	// answer, inside [TTFT, TTFA] (docs/metrics.md "Per request").
	ttft, ttfa, e2e := s.TTFTNs, s.TTFANs, s.E2ENs
	switch {
	case ttft != nil && e2e != nil && *ttft > *e2e:
		return fmt.Errorf("ttft_ns %d after e2e_ns %d", *ttft, *e2e)
	case ttfa != nil && ttft == nil:
		return errors.New("ttfa_ns without ttft_ns")
	case ttfa != nil && *ttfa < *ttft:
		return fmt.Errorf("ttfa_ns %d before ttft_ns %d", *ttfa, *ttft)
	case ttfa != nil && e2e != nil && *ttfa > *e2e:
		return fmt.Errorf("ttfa_ns %d after e2e_ns %d", *ttfa, *e2e)
	case s.ThinkingNs != nil && (s.ThinkingChunks == 0 || ttfa == nil):
		return errors.New("thinking_ns without thinking chunks and an answer")
	case s.ThinkingNs != nil && *s.ThinkingNs > *ttfa-*ttft:
		return fmt.Errorf("thinking_ns %d longer than ttfa_ns − ttft_ns (%d)", *s.ThinkingNs, *ttfa-*ttft)
	}
	return nil
}

// derefInt is *p, or 0 (a valid count) when p is nil.
func derefInt(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// deref is *p, or 0 (a valid duration) when p is nil.
func deref(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}
