package results

import (
	"encoding/csv"
	"io"
	"slices"
	"strconv"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// sampleColumn is one column of the per-request CSV: its header and its cell of a
// sample ("" when the sample has no such value: a failed request's timings, TPOT under
// two output tokens, a figure the server did not report).
type sampleColumn struct {
	name string
	cell func(r *sampleCtx, s *bench.Sample) string
}

func optInt[T int | int64](p *T) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(int64(*p), 10)
}

func optNum(p *float64) string {
	if p == nil {
		return ""
	}
	return csvNum(*p)
}

func nonZero(v int64) string {
	if v == 0 {
		return ""
	}
	return strconv.FormatInt(v, 10)
}

// sampleCtx is the run whose samples are written, with its levels.
type sampleCtx struct {
	*Run
	levels []LevelRef
}

// levelOf returns the level of sample s, or a zero LevelRef with Index -1 when the run
// records none of that index.
func levelOf(r *sampleCtx, s *bench.Sample) LevelRef {
	if s.Level >= 0 && s.Level < len(r.levels) {
		return r.levels[s.Level]
	}
	return LevelRef{Index: -1}
}

// itlStats returns the number, median and maximum of a request's chunk gaps.
func itlStats(s *bench.Sample) (string, string, string) {
	if len(s.ITLNs) == 0 {
		return "0", "", ""
	}
	g := make([]float64, len(s.ITLNs))
	for i, v := range s.ITLNs {
		g[i] = float64(v)
	}
	return strconv.Itoa(len(g)), csvNum(stat.Median(g)), strconv.FormatInt(slices.Max(s.ITLNs), 10)
}

// sampleColumns are the per-request CSV's columns, in order: which request (index,
// phase, level and its load, target server), its outcome, its client-clock timings,
// its rates, its token and chunk counts, the server's own timings, and how it ended.
// Names and units are the run file's samples[] fields (docs/metrics.md "Per request");
// the level's load columns are as in the comparison CSV (CSVHeader); itl_count,
// itl_median_ns and itl_max_ns stand for the itl_ns list, whose gaps are in the run
// file.
var sampleColumns = []sampleColumn{
	{"index", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.Index) }},
	{"phase", func(_ *sampleCtx, s *bench.Sample) string { return string(s.Phase) }},
	{"level", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.Level) }},
	{"load", func(r *sampleCtx, s *bench.Sample) string { return levelOf(r, s).Model }},
	{"concurrency", func(r *sampleCtx, s *bench.Sample) string {
		l := levelOf(r, s)
		switch {
		case l.Index < 0:
			return ""
		case l.Model == bench.LoadSequential:
			return "1"
		}
		return strconv.Itoa(l.Concurrency)
	}},
	{"rate_per_s", func(r *sampleCtx, s *bench.Sample) string {
		if l := levelOf(r, s); l.Model == bench.LoadOpen {
			return csvNum(l.RatePerS)
		}
		return ""
	}},
	{"target_prompt_tokens", func(r *sampleCtx, s *bench.Sample) string {
		if l := levelOf(r, s); l.Index >= 0 {
			return strconv.Itoa(l.PromptTokens)
		}
		return ""
	}},
	{"target", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.Target) }},
	{"host", func(r *sampleCtx, s *bench.Sample) string {
		if s.Target < len(r.Fleet) {
			return r.Fleet[s.Target].Host
		}
		return r.Target.Host
	}},
	{"ok", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.OK) }},
	{"error_kind", func(_ *sampleCtx, s *bench.Sample) string { return string(s.ErrorKind) }},
	{"error", func(_ *sampleCtx, s *bench.Sample) string { return s.Error }},
	{"http_status", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.HTTPStatus)) }},
	{"scheduled_at_ns", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatInt(s.ScheduledAtNs, 10) }},
	{"sent_at_ns", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatInt(s.SentAtNs, 10) }},
	{"queue_delay_ns", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatInt(s.QueueDelayNs, 10) }},
	{"ttft_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.TTFTNs) }},
	{"ttfa_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.TTFANs) }},
	{"thinking_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.ThinkingNs) }},
	{"tpot_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.TPOTNs) }},
	{"answer_tpot_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.AnswerTPOTNs) }},
	{"e2e_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.E2ENs) }},
	{"itl_count", func(_ *sampleCtx, s *bench.Sample) string { n, _, _ := itlStats(s); return n }},
	{"itl_median_ns", func(_ *sampleCtx, s *bench.Sample) string { _, m, _ := itlStats(s); return m }},
	{"itl_max_ns", func(_ *sampleCtx, s *bench.Sample) string { _, _, x := itlStats(s); return x }},
	{"client_gen_per_s", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.ClientGenPerS) }},
	{"answer_gen_per_s", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.AnswerGenPerS) }},
	{"server_prefill_per_s", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.ServerPrefillPerS) }},
	{"server_gen_per_s", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.ServerGenPerS) }},
	{"prompt_words", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.PromptWords) }},
	{"prompt_tokens", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.PromptTokens) }},
	{"cached_prompt_tokens", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.CachedPromptTokens) }},
	{"output_tokens", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.OutputTokens) }},
	{"thinking_tokens", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.ThinkingTokens) }},
	{"answer_tokens", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.AnswerTokens) }},
	{"answer_tokens_estimated", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.AnswerTokensEstimated) }},
	{"chunks", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.Chunks) }},
	{"text_chunks", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.TextChunks) }},
	{"thinking_chunks", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.ThinkingChunks) }},
	{"answer_chunks", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.AnswerChunks) }},
	{"tokens_per_chunk", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.TokensPerChunk) }},
	{"output_bytes", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.OutputBytes) }},
	{"thinking_bytes", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.ThinkingBytes) }},
	{"answer_bytes", func(_ *sampleCtx, s *bench.Sample) string { return strconv.Itoa(s.AnswerBytes) }},
	{"server_prompt_eval_ns", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(s.ServerPromptEvalNs) }},
	{"server_eval_ns", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(s.ServerEvalNs) }},
	{"load_ns", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(s.LoadNs) }},
	{"server_total_ns", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(s.ServerTotalNs) }},
	{"overhead_ns", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.OverheadNs) }},
	{"done_reason", func(_ *sampleCtx, s *bench.Sample) string { return s.DoneReason }},
	{"stopped_early", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.StoppedEarly) }},
	{"cache_suspect", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.CacheSuspect) }},
	{"nonce", func(_ *sampleCtx, s *bench.Sample) string { return s.Nonce }},
	{"tokens_estimated", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.TokensEstimated) }},
	// Workloads (docs/metrics.md): a dataset's record and a conversation's turn, the
	// turn's history and new tokens, a trace line's asked lengths, a shared prefix.
	{"conversation_id", func(_ *sampleCtx, s *bench.Sample) string { return s.ConversationID }},
	{"conversation", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.Conversation)) }},
	{"turn", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.Turn)) }},
	{"history_tokens", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.HistoryTokens)) }},
	{"new_prompt_tokens", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.NewPromptTokens)) }},
	{"new_prefill_per_s", func(_ *sampleCtx, s *bench.Sample) string { return optNum(s.NewPrefillPerS) }},
	{"cache_missed", func(_ *sampleCtx, s *bench.Sample) string { return strconv.FormatBool(s.CacheMissed) }},
	{"trace_line", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.TraceLine)) }},
	{"prompt_tokens_asked", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.PromptTokensAsked)) }},
	{"max_tokens_asked", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.MaxTokensAsked)) }},
	{"prefix_group", func(_ *sampleCtx, s *bench.Sample) string { return optInt(s.PrefixGroup) }},
	{"prefix_words", func(_ *sampleCtx, s *bench.Sample) string { return nonZero(int64(s.PrefixWords)) }},
	{"prefix_hit", func(_ *sampleCtx, s *bench.Sample) string {
		if s.PrefixHit == nil {
			return ""
		}
		return strconv.FormatBool(*s.PrefixHit)
	}},
}

// SamplesCSVHeader is the header row of RenderSamplesCSV.
var SamplesCSVHeader = func() []string {
	h := make([]string, len(sampleColumns))
	for i, c := range sampleColumns {
		h[i] = c.name
	}
	return h
}()

// RenderSamplesCSV writes one row per request of r (RFC 4180, header
// SamplesCSVHeader): the cold request, the warm-ups, then the measured requests, in
// the run file's order, so that phase tells them apart (only measured requests enter
// the summaries). Durations are integer nanoseconds on the run's monotonic clock
// (scheduled_at_ns and sent_at_ns are offsets from its start), rates per second in
// plain decimal (csvNum); a value the request does not have is an empty cell, never
// 0: every timing of a failed request, TPOT under two output tokens, a server timing
// the backend does not report (0 in the run file). Errors are w's.
func RenderSamplesCSV(w io.Writer, r *Run) error {
	cw := csv.NewWriter(w)
	_ = cw.Write(SamplesCSVHeader)
	row := make([]string, len(sampleColumns))
	ctx := &sampleCtx{Run: r, levels: levelRefs(r)}
	write := func(s *bench.Sample) {
		for i, c := range sampleColumns {
			row[i] = c.cell(ctx, s)
		}
		_ = cw.Write(row)
	}
	if r.Cold != nil {
		write(&r.Cold.Sample)
	}
	for i := range r.Warmup {
		write(&r.Warmup[i])
	}
	for i := range r.Samples {
		write(&r.Samples[i])
	}
	cw.Flush()
	return cw.Error()
}
