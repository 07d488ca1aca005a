package bench

import (
	"math"
	"time"
)

// Phase says what a request was for. Only PhaseMeasured samples enter summaries.
type Phase string

const (
	// PhaseCold is the first request after the model was unloaded: its TTFT includes
	// loading the model.
	PhaseCold Phase = "cold"
	// PhaseWarmup requests are sent before measuring and not counted.
	PhaseWarmup Phase = "warmup"
	// PhaseMeasured requests are the ones summarized.
	PhaseMeasured Phase = "measured"
)

// ErrorKind classifies a failed request.
type ErrorKind string

const (
	ErrConnect    ErrorKind = "connect"     // the connection could not be made or broke
	ErrHTTPStatus ErrorKind = "http_status" // the server answered with a status ≥ 400
	ErrStream     ErrorKind = "stream"      // the server sent an error line mid-stream
	ErrNoDone     ErrorKind = "no_done"     // the stream ended without a done chunk
	ErrTimeout    ErrorKind = "timeout"     // --request-timeout expired
	ErrCanceled   ErrorKind = "canceled"    // the run was interrupted
	ErrDecode     ErrorKind = "decode"      // a chunk was not valid JSON
)

// Sample is one request, as measured. Client-clock fields are offsets and spans on the
// run's monotonic clock (time.Since of one began time); server-clock fields are copied
// from Ollama's final chunk (api.Metrics, v0.24.0: runner/ollamarunner/runner.go).
// Fields that are undefined for a request (TPOT with fewer than two output tokens, any
// timing of a failed request) are omitted from JSON rather than written as 0.
type Sample struct {
	// Index numbers requests within their phase, from 0; measured requests are
	// numbered across levels.
	Index int   `json:"index"`
	Phase Phase `json:"phase"`
	// Level is the index of the run's level (Result.Levels) the request belongs to.
	Level int `json:"level"`
	// Target is the index of the server (Result.Targets) it was sent to, in a run of
	// several.
	Target int `json:"target,omitempty"`
	// Nonce is the unique prefix that defeats the server's prompt cache.
	Nonce string `json:"nonce"`
	// PromptWords is the number of words of the synthetic prompt body (0 for a
	// dataset's prompt).
	PromptWords int `json:"prompt_words"`
	// PrefixGroup is the shared prefix a measured request carried (--prefix-tokens),
	// 0..prefix_groups−1; absent for a request with a prefix of its own (cold and
	// warm-up requests of such a run: the misses' reference) and without one.
	PrefixGroup *int `json:"prefix_group,omitempty"`
	// PrefixWords is the number of words of the shared prefix the request carried.
	PrefixWords int `json:"prefix_words,omitempty"`
	// PrefixHit says whether the server served the shared prefix from its prompt cache,
	// as results.Build judges it (docs/metrics.md, Shared prefixes); absent when not
	// judged.
	PrefixHit *bool `json:"prefix_hit,omitempty"`

	// Conversation numbers the run's conversations from 1, Turn a conversation's turns
	// from 1 (docs/metrics.md, Conversations); both are absent (0) for a request that is
	// no conversation's turn. ConversationID is the dataset's id of the record sent (a
	// conversation's, or the record whose first turn a single-turn dataset run sent).
	Conversation   int    `json:"conversation,omitempty"`
	ConversationID string `json:"conversation_id,omitempty"`
	Turn           int    `json:"turn,omitempty"`
	// HistoryTokens is what the conversation's previous turn left in the server's
	// context, its prompt_tokens + output_tokens: the prefix a prompt cache can serve.
	// Absent on a first turn.
	HistoryTokens int `json:"history_tokens,omitempty"`
	// NewPromptTokens = prompt_tokens − history_tokens, the tokens this turn added (its
	// user message and the template around it); on a first turn the whole prompt.
	// NewPrefillPerS = new_prompt_tokens / server_prompt_eval_ns: the prefill rate of
	// the new tokens alone, which is what a server that reuses the history computes.
	NewPromptTokens int      `json:"new_prompt_tokens,omitempty"`
	NewPrefillPerS  *float64 `json:"new_prefill_per_s,omitempty"`
	// CacheMissed is set when the run file is built (results.Build) on a later turn of a
	// conversation whose history the server computed again instead of reading it from
	// its prompt cache (docs/metrics.md, Conversations).
	CacheMissed bool `json:"cache_missed,omitempty"`
	// TraceLine is the line of the trace file (from 1) this request replays; absent
	// outside a trace replay.
	TraceLine int `json:"trace_line,omitempty"`
	// PromptTokensAsked and MaxTokensAsked are the prompt and output lengths asked of
	// this request when they are its own (a trace line's input_length and
	// output_length; a dataset record's output length); absent when they are the run's
	// --prompt-tokens and --max-tokens.
	PromptTokensAsked int `json:"prompt_tokens_asked,omitempty"`
	MaxTokensAsked    int `json:"max_tokens_asked,omitempty"`

	// ScheduledAtNs is when the load model wanted the request sent: the open loop's
	// schedule; in a closed loop it equals SentAtNs.
	ScheduledAtNs int64 `json:"scheduled_at_ns"`
	// SentAtNs is when the request was handed to the HTTP client.
	SentAtNs int64 `json:"sent_at_ns"`
	// QueueDelayNs = sent − scheduled: the client's own lateness (coordinated omission).
	// Latency as a user of the schedule saw it is TTFT or E2E plus this.
	QueueDelayNs int64 `json:"queue_delay_ns"`
	// TTFTNs = first chunk carrying generated text (content or thinking) − sent.
	TTFTNs *int64 `json:"ttft_ns,omitempty"`
	// E2ENs = done chunk received − sent.
	E2ENs *int64 `json:"e2e_ns,omitempty"`
	// ITLNs are the gaps between consecutive text-bearing chunks, in order.
	ITLNs []int64 `json:"itl_ns"`
	// TPOTNs = (e2e − ttft) / (output_tokens − 1); undefined when output_tokens < 2.
	TPOTNs *int64 `json:"tpot_ns,omitempty"`
	// ClientGenPerS = (output_tokens − 1) / (e2e − ttft), tokens per second as the
	// stream's reader sees them.
	ClientGenPerS *float64 `json:"client_gen_per_s,omitempty"`
	// Chunks counts every chunk received; TextChunks those carrying generated text.
	Chunks     int `json:"chunks"`
	TextChunks int `json:"text_chunks"`
	// TokensPerChunk = output_tokens / text_chunks; ITL is per token only when it is 1.
	TokensPerChunk *float64 `json:"tokens_per_chunk,omitempty"`
	// OutputBytes is the UTF-8 length of the generated text (content plus thinking).
	OutputBytes int `json:"output_bytes"`

	// Thinking apart from answering (docs/metrics.md "Per request"). A text chunk that
	// carries answer text (Ollama message.content, OpenAI delta.content) is an answer
	// chunk, even when it also carries thinking; one that carries only thinking text
	// (message.thinking; delta.reasoning_content or delta.reasoning) is a thinking chunk.
	// ThinkingChunks + AnswerChunks = TextChunks. All four are absent (0) in files
	// written before they were measured.
	ThinkingChunks int `json:"thinking_chunks,omitempty"`
	AnswerChunks   int `json:"answer_chunks,omitempty"`
	// ThinkingBytes and AnswerBytes split OutputBytes by kind of text.
	ThinkingBytes int `json:"thinking_bytes,omitempty"`
	AnswerBytes   int `json:"answer_bytes,omitempty"`
	// TTFANs = first answer chunk − sent: time to first answer. It equals TTFTNs when
	// nothing was thought; absent when no answer came (the cap ended the request while
	// it was thinking).
	TTFANs *int64 `json:"ttfa_ns,omitempty"`
	// ThinkingNs = first answer chunk − first chunk carrying thinking text: the
	// thinking span, with every pause in it. Absent when nothing was thought or no
	// answer came.
	ThinkingNs *int64 `json:"thinking_ns,omitempty"`
	// ThinkingTokens is the server's own count of thinking tokens, when it reports one
	// (OpenAI usage.completion_tokens_details.reasoning_tokens); Ollama counts thinking
	// and answer together in eval_count and has none.
	ThinkingTokens *int `json:"thinking_tokens,omitempty"`
	// AnswerTokens is the number of answer tokens: output_tokens when nothing was
	// thought; output_tokens − thinking_tokens when the server counted thinking apart;
	// otherwise the estimate answer_chunks × tokens_per_chunk, rounded, with
	// AnswerTokensEstimated set. Absent when no answer came.
	AnswerTokens          *int `json:"answer_tokens,omitempty"`
	AnswerTokensEstimated bool `json:"answer_tokens_estimated,omitempty"`
	// AnswerTPOTNs = (e2e − ttfa) / (answer_tokens − 1): the answer's time per output
	// token, free of the thinking and of the pause between thinking and answering.
	// Undefined below 2 answer tokens.
	AnswerTPOTNs *int64 `json:"answer_tpot_ns,omitempty"`
	// AnswerGenPerS = (answer_tokens − 1) / (e2e − ttfa): the answer's decode rate as
	// the stream's reader sees it.
	AnswerGenPerS *float64 `json:"answer_gen_per_s,omitempty"`

	// PromptTokens = prompt_eval_count: the whole prompt after the template. Absent
	// (0) when the server did not count it: an OpenAI-compatible server that streamed
	// no usage (TokensEstimated), whose prompt yardstick does not tokenize.
	PromptTokens int `json:"prompt_tokens,omitempty"`
	// OutputTokens = eval_count: authoritative, never re-tokenized on the client;
	// with TokensEstimated, the number of text chunks instead.
	OutputTokens int `json:"output_tokens"`
	// TokensEstimated is set when the server streamed no token counts (an
	// OpenAI-compatible server that sends no usage chunk): OutputTokens is then
	// TextChunks, one chunk taken as one token (docs/metrics.md "Per request",
	// tokens_estimated), and every figure built on it (tpot_ns, client_gen_per_s, the
	// answer's figures, throughput's tokens) is an estimate; PromptTokens is absent.
	TokensEstimated bool `json:"tokens_estimated,omitempty"`
	// CachedPromptTokens is how many prompt tokens the server says it read from its
	// prompt cache: Ollama's prompt_eval_cached_count (sent from v0.33.3 on,
	// api/types.go Metrics), OpenAI's usage.prompt_tokens_details.cached_tokens, or
	// llama.cpp's timings.cache_n. Absent when the server does not say, never 0 for
	// "unknown".
	CachedPromptTokens *int `json:"cached_prompt_tokens,omitempty"`
	// ServerPromptEvalNs = prompt_eval_duration: processing of the uncached suffix.
	ServerPromptEvalNs int64 `json:"server_prompt_eval_ns"`
	// ServerEvalNs = eval_duration: N−1 decode steps, sampling time excluded.
	ServerEvalNs int64 `json:"server_eval_ns"`
	// ServerPrefillPerS = prompt_eval_count / prompt_eval_duration.
	ServerPrefillPerS *float64 `json:"server_prefill_per_s,omitempty"`
	// ServerGenPerS = (eval_count − 1) / eval_duration.
	ServerGenPerS *float64 `json:"server_gen_per_s,omitempty"`
	// LoadNs = load_duration: request arrival to runner handed out (not cold-load time).
	LoadNs int64 `json:"load_ns"`
	// ServerTotalNs = total_duration.
	ServerTotalNs int64 `json:"server_total_ns"`
	// OverheadNs = e2e − server_total: HTTP, JSON, streaming and client cost.
	OverheadNs *int64 `json:"overhead_ns,omitempty"`
	// DoneReason is the server's reason: "stop", "length", ...
	DoneReason string `json:"done_reason,omitempty"`
	// StoppedEarly is true when the server stopped before MaxTokens ("stop").
	StoppedEarly bool `json:"stopped_early,omitempty"`
	// CacheSuspect is set when the run file is built (results.Build) for a request
	// probably served from the server's prompt cache: the server reports cached prompt
	// tokens, or its prefill rate is over the compute ceiling or over
	// results.CacheSuspectFactor × the run's median, or it counted far fewer prompt
	// tokens than were sent (docs/metrics.md "Per request").
	CacheSuspect bool `json:"cache_suspect,omitempty"`

	// OK is true when the request ended with a done chunk and no error.
	OK bool `json:"ok"`
	// ErrorKind and Error say why a request failed.
	ErrorKind ErrorKind `json:"error_kind,omitempty"`
	Error     string    `json:"error,omitempty"`
	// HTTPStatus is the response status code, when one was received.
	HTTPStatus int `json:"http_status,omitempty"`
}

// FromScheduled returns ns (a TTFT or E2E span, measured from sent) counted from the
// scheduled send time instead: ns + QueueDelayNs. Nil stays nil.
func (s *Sample) FromScheduled(ns *int64) *int64 {
	if ns == nil {
		return nil
	}
	return ptr(*ns + s.QueueDelayNs)
}

// TTFT returns the sample's TTFT, or false when it has none.
func (s *Sample) TTFT() (time.Duration, bool) {
	if s.TTFTNs == nil {
		return 0, false
	}
	return time.Duration(*s.TTFTNs), true
}

func ptr[T any](v T) *T { return &v }

// finish derives the request-level metrics from the raw timings: TPOT, client and
// server rates, tokens per chunk, overhead. Formulas: docs/metrics.md "Per request".
func (s *Sample) finish(maxTokens int) {
	// An estimated count is the chunk count itself: its ratio to the chunks says nothing.
	if s.OutputTokens > 0 && s.TextChunks > 0 && !s.TokensEstimated {
		s.TokensPerChunk = ptr(float64(s.OutputTokens) / float64(s.TextChunks))
	}
	if s.E2ENs != nil && s.TTFTNs != nil && s.OutputTokens >= 2 {
		gen := *s.E2ENs - *s.TTFTNs
		s.TPOTNs = ptr(gen / int64(s.OutputTokens-1))
		if gen > 0 {
			s.ClientGenPerS = ptr(float64(s.OutputTokens-1) / (float64(gen) / 1e9))
		}
	}
	if s.PromptTokens > 0 && s.ServerPromptEvalNs > 0 {
		s.ServerPrefillPerS = ptr(float64(s.PromptTokens) / (float64(s.ServerPromptEvalNs) / 1e9))
	}
	if s.OutputTokens >= 2 && s.ServerEvalNs > 0 {
		s.ServerGenPerS = ptr(float64(s.OutputTokens-1) / (float64(s.ServerEvalNs) / 1e9))
	}
	if s.E2ENs != nil && s.ServerTotalNs > 0 {
		s.OverheadNs = ptr(*s.E2ENs - s.ServerTotalNs)
	}
	s.finishAnswer()
	s.StoppedEarly = s.OK && s.DoneReason != "length" && s.OutputTokens < maxTokens
}

// finishAnswer derives the answer-only figures: the answer's token count (the
// server's split when it counted thinking apart, else an estimate from the chunks),
// answer_tpot_ns and answer_gen_per_s, measured from the first answer chunk so that
// neither the thinking nor the pause before the answer is in them. Formulas:
// docs/metrics.md "Per request".
func (s *Sample) finishAnswer() {
	if s.AnswerChunks == 0 || s.TextChunks == 0 {
		return
	}
	answer, estimated := s.OutputTokens, false
	switch {
	case s.ThinkingTokens != nil && (*s.ThinkingTokens > 0 || s.ThinkingChunks == 0) &&
		s.OutputTokens-*s.ThinkingTokens >= s.AnswerChunks:
		// The server's own split; a reported 0 beside streamed thinking is not believed,
		// nor a split that leaves fewer answer tokens than answer chunks came (a chunk
		// carries at least one token): both fall back to the estimate.
		answer = s.OutputTokens - *s.ThinkingTokens
	case s.ThinkingChunks > 0 || s.ThinkingTokens != nil:
		answer = int(math.Round(float64(s.OutputTokens) * float64(s.AnswerChunks) / float64(s.TextChunks)))
		estimated = true
	}
	s.AnswerTokens, s.AnswerTokensEstimated = ptr(answer), estimated
	if s.E2ENs != nil && s.TTFANs != nil && answer >= 2 {
		gen := *s.E2ENs - *s.TTFANs
		s.AnswerTPOTNs = ptr(gen / int64(answer-1))
		if gen > 0 {
			s.AnswerGenPerS = ptr(float64(answer-1) / (float64(gen) / 1e9))
		}
	}
}
