// Package bench is yardstick's measuring engine: it drives a model server, times every
// streamed request on the client's monotonic clock, reads the server's own timings from
// the final chunk, and returns raw samples. It never prints and never exits; summaries
// and rendering belong to package results.
//
// The metric definitions are the project's metric contract (docs/metrics.md, summarized in the
// README): every duration is on one monotonic clock that starts when the run begins.
package bench

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yardstick-dev/yardstick/profiles"
)

// Options configure one run. Zero values are not defaults: use DefaultOptions and
// override fields, then call Validate (Run calls it too). Options are also the run
// file's record of them: durations are Go durations here and integer nanoseconds in
// JSON (the _ns keys; time.Duration encodes as its nanosecond count).
type Options struct {
	// Backend names the server API: "ollama" (its native /api/chat) or "openai" (an
	// OpenAI-compatible /v1/chat/completions: llama.cpp's server, vLLM, LM Studio,
	// Ollama's /v1).
	Backend string `json:"backend"`
	// APIKeyEnv names the environment variable the OpenAI backend reads its API key
	// from (sent as a bearer token); only the name is recorded, never the key.
	APIKeyEnv string `json:"api_key_env,omitempty"`
	// Host is the server's base URL as recorded in the run: credentials removed; with
	// several servers, the first.
	Host string `json:"host"`
	// Hosts lists every server of a run against several, redacted; empty for one.
	Hosts []string `json:"hosts,omitempty"`
	// Model is the model name as the server knows it (e.g. "qwen2.5:0.5b").
	Model string `json:"model"`

	// Concurrency lists the levels of a closed-loop sweep: Concurrency[i] workers at
	// level i, each sending its next request when its last one ends ([1] is the
	// sequential default). With RatePerS it holds one value, the open loop's cap on
	// requests in flight (0: uncapped). Range 0..MaxInFlight.
	Concurrency []int `json:"concurrency"`
	// RatePerS lists the levels of an open-loop sweep in requests per second (each in
	// (0, 10000]); empty for a closed loop.
	RatePerS []float64 `json:"rate_per_s,omitempty"`
	// Arrival is the open loop's arrival process: "constant" or "poisson" (seeded by
	// Seed).
	Arrival string `json:"arrival,omitempty"`
	// Duration, when positive, measures each level for this long instead of for Runs
	// requests (Runs is then a cap): no request is sent, or due, after Duration from
	// the level's start; those in flight finish. Warm-up requests are not counted in
	// it.
	Duration time.Duration `json:"duration_ns,omitempty"`
	// PromptTokensSweep lists the levels of a prompt-length sweep (each a
	// PromptTokens value); PromptTokens is then its first. Empty without a sweep.
	PromptTokensSweep []int `json:"prompt_tokens_sweep,omitempty"`
	// SLO is the service-level objectives each measured request is held against
	// (goodput counts the requests meeting all of them).
	SLO SLO `json:"slo,omitzero"`

	// Warmup is the number of requests sent after the cold-load request and before the
	// measured ones; they are not counted. Range 0..10000.
	Warmup int `json:"warmup"`
	// Runs is the number of measured requests of each level, or with RunsAuto or
	// Duration their cap.
	// Range 1..100000.
	Runs int `json:"runs"`
	// RunsAuto keeps measuring until the 95% confidence interval of the median of
	// AutoMetric is within ±Precision of the median (after at least MinRuns
	// successful requests), or Runs is reached.
	RunsAuto bool `json:"runs_auto,omitempty"`
	// Precision is the target half width of that interval as a fraction of the
	// median, 0 < Precision < 1 (default 0.02: ±2%).
	Precision float64 `json:"precision_frac,omitempty"`
	// MinRuns is the least number of successful measured requests before stopping
	// early; at least 6, the fewest with a 95% interval for the median.
	MinRuns int `json:"min_runs,omitempty"`
	// PromptTokens is the target prompt length in tokens as the server counts them
	// (prompt_eval_count, after the chat template). The prompt generator calibrates its
	// word count on the cold and warm-up requests to reach it. Range 1..1048576.
	PromptTokens int `json:"prompt_tokens"`
	// MaxTokens is the generation cap sent as num_predict. Range 1..1048576.
	MaxTokens int `json:"max_tokens"`
	// Seed seeds the prompt generator and the server's sampler.
	Seed int64 `json:"seed"`
	// Temperature is the sampling temperature sent to the server (≥ 0). Shape twins need
	// > 0: random weights under greedy decoding repeat and Ollama v0.17 then ends the
	// stream without a done chunk.
	Temperature float64 `json:"temperature"`
	// NumCtx is the context window in tokens, always sent explicitly (Ollama's default
	// depends on its version and on available memory). Must hold PromptTokens+MaxTokens.
	NumCtx int `json:"num_ctx"`
	// Think is what a thinking-capable model is asked (ThinkOff by default, so runs of
	// the same model are comparable): off, on, or on at an effort level. Thinking text
	// counts as generated text (TTFT, ITL, output tokens) and is measured apart too
	// (ttfa_ns, thinking_ns, answer_tpot_ns). Recorded as false or true, as files
	// written before levels existed hold it, or as the level's name.
	Think Think `json:"think"`
	// Profile names the hardware profile the run is held against (--profile: a name or
	// a path; empty for the detected one). It is not sent to any server: the journal
	// keeps it, so a resumed run is held against the profile it started with.
	Profile string `json:"profile,omitempty"`
	// ThinkSet is true when Think was asked for explicitly (--think given). Ollama
	// always receives think; an OpenAI-compatible server receives
	// chat_template_kwargs.enable_thinking only then, since a server that refuses
	// unknown fields (OpenAI's own API answers 400 "Unrecognized request argument")
	// would otherwise fail every request of a run that never mentioned thinking.
	ThinkSet bool `json:"think_set,omitempty"`
	// KVCacheType is the server's KV cache element type (Ollama: OLLAMA_KV_CACHE_TYPE,
	// f16 by default), which sizes the KV bytes a decode step reads in the roofline.
	KVCacheType string `json:"kv_cache_type"`
	// ServerParallel, when positive, is the number of requests the server serves at
	// once and allocates a KV cache slot for (Ollama: OLLAMA_NUM_PARALLEL), overriding
	// what the run finds (docs/metrics.md, Memory: parallel_source); 0 = find it.
	ServerParallel int `json:"server_parallel,omitempty"`
	// KeepAlive is how long the server keeps the model loaded after the run.
	KeepAlive time.Duration `json:"keep_alive_ns"`
	// RequestTimeout bounds each request from send to the done chunk.
	RequestTimeout time.Duration `json:"request_timeout_ns"`
	// FirstTokenTimeout, when positive, fails a request that has sent no chunk of
	// generated text this long after it was sent (a timeout saying "first token").
	FirstTokenTimeout time.Duration `json:"first_token_timeout_ns,omitempty"`
	// MaxErrors, when set, ends the run once its failed requests exceed it (warm-up
	// and measured requests are counted apart, each against its own count asked);
	// unset, the run ends after MaxConsecutiveFailures failures in a row.
	MaxErrors ErrorLimit `json:"max_errors,omitzero"`
	// Grace is how long a request in flight when the run is interrupted may still
	// finish (and be kept) before it is abandoned; 0 abandons it at once.
	Grace time.Duration `json:"grace_ns"`
	// SkipColdLoad skips unloading the model and the timed cold request; the first
	// request then only serves prompt calibration.
	SkipColdLoad bool `json:"skip_cold_load"`
	// Dataset, when set, says which dataset the prompts came from (--dataset) and what
	// the run took of it.
	Dataset *DatasetInfo `json:"dataset,omitempty"`
	// PrefixTokens, when positive, gives every measured request a shared system
	// prefix of about this many tokens (--prefix-tokens), one of PrefixGroups
	// different ones (--prefix-groups, default 1), so the server's prompt cache can
	// hit; docs/metrics.md, Shared prefixes.
	PrefixTokens int `json:"prefix_tokens,omitempty"`
	PrefixGroups int `json:"prefix_groups,omitempty"`
	// IgnoreEOS, MinTokens and ExtraBody fix output lengths on an OpenAI-compatible
	// server: ignore_eos (vLLM, SGLang, llama.cpp's server), min_tokens (vLLM,
	// SGLang), and a JSON object whose fields are added to every request body
	// (--extra-body). Ollama's API has none of them (api.Options, v0.24.0).
	IgnoreEOS bool            `json:"ignore_eos,omitempty"`
	MinTokens int             `json:"min_tokens,omitempty"`
	ExtraBody json.RawMessage `json:"extra_body,omitempty"`
	// Turns, when not 0, makes the run's unit a conversation (docs/metrics.md,
	// Conversations): each user sends Turns turns, turn k with the whole history before
	// it, and --runs counts turns. TurnsAll (−1) sends every turn of each conversation of
	// Conversations. Range 1..MaxTurns, or TurnsAll with Conversations.
	Turns int `json:"turns,omitempty"`
	// ThinkTime is how long a conversation's user waits after a reply before sending
	// the next turn (0: at once). Conversations only.
	ThinkTime time.Duration `json:"think_time_ns,omitempty"`
	// Conversations are a dataset's records (not recorded: Dataset names them by their
	// content's hash). Without Turns, measured request i sends the first turn of
	// Conversations[i mod n]; with Turns, the users hold them as conversations, in
	// order and again from the first when they run out. Empty with Turns, each
	// conversation is synthetic (Workload.Conversation).
	Conversations []Conversation `json:"-"`
	// Trace, when not empty, replays these requests (ParseTrace) as an open loop: their
	// arrival times scaled by TraceSpeed, their lengths as asked, their prompts built
	// from their block hashes. The first Runs of them are sent.
	Trace []TraceRequest `json:"-"`
	// TraceFile and TraceSHA256 name the trace file replayed (as given) and its content
	// (hex SHA-256); TraceSpeed (> 0) divides its gaps: 2 replays it twice as fast.
	TraceFile   string  `json:"trace_file,omitempty"`
	TraceSHA256 string  `json:"trace_sha256,omitempty"`
	TraceSpeed  float64 `json:"trace_speed,omitempty"`
	// RunID identifies the run (NewRunID when empty); it also makes prompt nonces
	// unique to the run.
	RunID string `json:"-"`
	// SampleInterval is the period of the server memory sampler.
	SampleInterval time.Duration `json:"-"`
}

// DefaultOptions returns the defaults the CLI shows: 3 warm-up and 10 measured
// requests of a 256-token prompt generating up to 128 tokens, seed 42, temperature 0.8,
// a 4096-token context, thinking off, keep-alive 5 minutes, 10-minute request timeout,
// no first-token timeout, 10 s of grace for a request in flight at an interrupt.
func DefaultOptions() Options {
	return Options{
		Backend:        "ollama",
		Concurrency:    []int{1},
		Arrival:        ArrivalConstant,
		Warmup:         3,
		Runs:           10,
		Precision:      0.02,
		MinRuns:        6,
		PromptTokens:   256,
		MaxTokens:      128,
		Seed:           42,
		Temperature:    0.8,
		NumCtx:         4096,
		Think:          ThinkOff,
		KVCacheType:    "f16",
		KeepAlive:      5 * time.Minute,
		RequestTimeout: 10 * time.Minute,
		Grace:          10 * time.Second,
		SampleInterval: 500 * time.Millisecond,
	}
}

// Validate reports the first invalid option as an error that names the flag. It
// changes nothing.
func (o Options) Validate() error {
	switch {
	case o.Backend != "ollama" && o.Backend != "openai":
		return fmt.Errorf("--backend %q: must be ollama or openai", o.Backend)
	case strings.TrimSpace(o.Model) == "":
		return errors.New("--model is required (e.g. --model qwen2.5:0.5b)")
	case o.Warmup < 0 || o.Warmup > 10000:
		return fmt.Errorf("--warmup %d: must be in 0..10000", o.Warmup)
	case o.RunsAuto && (o.Runs < 1 || o.Runs > 100000):
		return fmt.Errorf("--max-runs %d: must be in 1..100000", o.Runs)
	case o.Runs < 1 || o.Runs > 100000:
		return fmt.Errorf("--runs %d: must be in 1..100000", o.Runs)
	case o.RunsAuto && (math.IsNaN(o.Precision) || o.Precision <= 0 || o.Precision >= 1):
		return fmt.Errorf("--precision %v: must be a fraction in (0, 1), e.g. 0.02 for ±2%%", o.Precision)
	case o.RunsAuto && (o.MinRuns < 6 || o.MinRuns > o.Runs):
		return fmt.Errorf("--min-runs %d: must be at least 6 (the fewest with a 95%% interval) and at most the cap --max-runs %d", o.MinRuns, o.Runs)
	case len(o.Concurrency) == 0:
		return errors.New("--concurrency: at least one level is needed")
	case len(o.RatePerS) > 0 && len(o.Concurrency) > 1:
		return errors.New("--rate with --concurrency: sweep one of them; with --rate, --concurrency is one cap on requests in flight")
	case (len(o.RatePerS) > 1 || len(o.Concurrency) > 1) && len(o.PromptTokensSweep) > 1:
		return errors.New("--prompt-tokens with several values sweeps prompt length; sweep --concurrency or --rate in another run")
	case o.Arrival != ArrivalConstant && o.Arrival != ArrivalPoisson:
		return fmt.Errorf("--arrival %q: must be constant or poisson", o.Arrival)
	case o.Duration < 0:
		return fmt.Errorf("--duration %v: must be positive", o.Duration)
	case o.RunsAuto && (len(o.Levels()) > 1 || len(o.RatePerS) > 0 || o.Duration > 0):
		return errors.New("--runs auto measures one closed-loop level until a precision is reached; it does not combine with sweeps, --rate or --duration")
	}
	for _, c := range o.Concurrency {
		if c < 0 || c > MaxInFlight || (c == 0 && len(o.RatePerS) == 0 && len(o.Trace) == 0 && o.TraceFile == "") {
			return fmt.Errorf("--concurrency %d: must be in 1..%d (0, uncapped, only with --rate)", c, MaxInFlight)
		}
	}
	for _, r := range o.RatePerS {
		if !validRate(r) {
			return fmt.Errorf("--rate %v: must be in %g..%g requests per second", r, MinRate, MaxRate)
		}
	}
	for _, p := range o.PromptTokensSweep {
		if p < 1 || p > 1<<20 {
			return fmt.Errorf("--prompt-tokens %d: must be in 1..1048576", p)
		}
	}
	// The context must hold the longest prompt of a sweep (a dataset's records were
	// held against it when selected).
	longest := o.PromptTokens
	if len(o.PromptTokensSweep) > 0 {
		longest = slices.Max(o.PromptTokensSweep)
	}
	switch {
	case o.PromptTokens < 1 || o.PromptTokens > 1<<20:
		return fmt.Errorf("--prompt-tokens %d: must be in 1..1048576", o.PromptTokens)
	case len(o.PromptTokensSweep) > 0 && o.PromptTokens != o.PromptTokensSweep[0]:
		return fmt.Errorf("prompt tokens %d with the sweep %v: a sweep's PromptTokens is its first length", o.PromptTokens, o.PromptTokensSweep)
	case o.MaxTokens < 1 || o.MaxTokens > 1<<20:
		return fmt.Errorf("--max-tokens %d: must be in 1..1048576", o.MaxTokens)
	case math.IsNaN(o.Temperature) || o.Temperature < 0 || o.Temperature > 100:
		return fmt.Errorf("--temperature %v: must be in 0..100", o.Temperature)
	case o.NumCtx < 1:
		return fmt.Errorf("--num-ctx %d: must be positive", o.NumCtx)
	case o.Dataset == nil && o.NumCtx < longest+o.MaxTokens:
		return fmt.Errorf("--num-ctx %d is smaller than --prompt-tokens + --max-tokens = %d; the server would truncate the prompt or stop early",
			o.NumCtx, longest+o.MaxTokens)
	case o.Think != "" && !o.Think.valid():
		return fmt.Errorf("--think %q: must be %s", string(o.Think), thinkChoices)
	case profiles.KVCacheBytesPerElement[o.KVCacheType] == 0:
		return fmt.Errorf("--kv-cache-type %q: must be f16, q8_0, q4_0 or f32", o.KVCacheType)
	case o.ServerParallel < 0 || o.ServerParallel > MaxServerParallel:
		return fmt.Errorf("--server-parallel %d: must be in 1..%d (0 finds it)", o.ServerParallel, MaxServerParallel)
	case o.KeepAlive < 0:
		return fmt.Errorf("--keep-alive %v: must not be negative", o.KeepAlive)
	case o.RequestTimeout <= 0:
		return fmt.Errorf("--request-timeout %v: must be positive", o.RequestTimeout)
	case o.FirstTokenTimeout < 0:
		return fmt.Errorf("--first-token-timeout %v: must not be negative (0 is no limit)", o.FirstTokenTimeout)
	case o.Grace < 0:
		return fmt.Errorf("--grace %v: must not be negative", o.Grace)
	}
	if err := o.validateWorkload(); err != nil {
		return err
	}
	if err := o.validateConversations(); err != nil {
		return err
	}
	return o.validateTrace()
}

// validateWorkload checks the options of datasets, shared prefixes and fixed output
// lengths.
func (o Options) validateWorkload() error {
	switch {
	case o.Dataset != nil && len(o.Conversations) == 0:
		return errors.New("--dataset: no record to send")
	case o.Dataset != nil && len(o.PromptTokensSweep) > 1:
		return errors.New("--dataset with several --prompt-tokens: a dataset's prompts have the lengths the file gives")
	case o.Dataset != nil && (len(o.Trace) > 0 || o.TraceFile != ""):
		return errors.New("--dataset with --trace: a trace replays its own requests, with prompts built from its block hashes")
	case o.PrefixTokens > 0 && o.Turns != 0:
		return errors.New("--prefix-tokens with --turns: a conversation's history is already its shared prefix; measure shared prefixes in another run")
	case o.PrefixTokens > 0 && (len(o.Trace) > 0 || o.TraceFile != ""):
		return errors.New("--prefix-tokens with --trace: a trace's requests share the prefixes its hash_ids say")
	case o.Dataset != nil && o.PrefixTokens > 0:
		return errors.New("--prefix-tokens with --dataset: shared prefixes are given to synthetic prompts; put a dataset's shared text in its system messages")
	case o.PrefixTokens < 0 || o.PrefixTokens > 1<<20:
		return fmt.Errorf("--prefix-tokens %d: must be in 1..1048576", o.PrefixTokens)
	case o.PrefixTokens > 0 && o.PrefixTokens >= minPrompt(o):
		return fmt.Errorf("--prefix-tokens %d: must be less than --prompt-tokens %d, which counts the whole prompt (prefix, nonce and the request's own words)", o.PrefixTokens, minPrompt(o))
	case o.PrefixGroups < 0 || o.PrefixGroups > MaxPrefixGroups:
		return fmt.Errorf("--prefix-groups %d: must be in 1..%d", o.PrefixGroups, MaxPrefixGroups)
	case o.PrefixGroups > 0 && o.PrefixTokens == 0:
		return errors.New("--prefix-groups needs --prefix-tokens")
	case o.MinTokens < 0 || o.MinTokens > o.MaxTokens:
		return fmt.Errorf("--min-tokens %d: must be in 0..--max-tokens %d", o.MinTokens, o.MaxTokens)
	case (o.IgnoreEOS || o.MinTokens > 0 || len(o.ExtraBody) > 0) && o.Backend != "openai":
		return errors.New("--ignore-eos, --min-tokens and --extra-body are sent to OpenAI-compatible servers (--backend openai): Ollama's API has no such options (v0.24.0 api.Options), so on Ollama a request that stops early stays flagged stopped_early")
	}
	if len(o.ExtraBody) > 0 {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(o.ExtraBody, &fields); err != nil || fields == nil {
			return errors.New("--extra-body: must be a JSON object, e.g. '{\"top_k\": 20}'")
		}
		for _, k := range ownFields {
			if _, ok := fields[k]; ok {
				return fmt.Errorf("--extra-body: %q is a field yardstick sets itself; use its own flag", k)
			}
		}
		// --think sends these two (OpenAI.chatRequest); the request's own field would
		// win and the extra one be dropped while the run file records it as sent.
		if _, ok := fields["chat_template_kwargs"]; ok && (o.ThinkSet || o.Think.Enabled()) {
			return errors.New("--extra-body: \"chat_template_kwargs\" is sent by --think (enable_thinking); leave --think out to send your own")
		}
		if _, ok := fields["reasoning_effort"]; ok && o.Think.Level() != "" {
			return fmt.Errorf("--extra-body: \"reasoning_effort\" is sent by --think %s; leave the level out of --think to send your own", o.Think)
		}
	}
	return nil
}

// minPrompt is the shortest prompt length the run asks for.
func minPrompt(o Options) int {
	if len(o.PromptTokensSweep) > 0 {
		return slices.Min(o.PromptTokensSweep)
	}
	return o.PromptTokens
}

// MaxPrefixGroups bounds --prefix-groups.
const MaxPrefixGroups = 4096

// ownFields are the request body fields the OpenAI backend sets, which --extra-body
// may not replace: a run records what it measured under its own names.
var ownFields = []string{"model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens", "seed", "temperature", "ignore_eos", "min_tokens"}

// DatasetInfo is the record of a run's dataset (Options.Dataset; docs/metrics.md,
// Datasets).
type DatasetInfo struct {
	// Path is the file as given; Format its format; SHA256 the hex SHA-256 of its
	// bytes, the comparability key.
	Path   string `json:"path"`
	Format string `json:"format"`
	SHA256 string `json:"sha256"`
	// Records counts the file's records; Selected those the run sends (request i
	// sends record i mod Selected of the selection's order).
	Records  int `json:"records"`
	Selected int `json:"selected"`
	// SkippedTooLong counts records whose estimated prompt tokens plus output tokens
	// exceed --num-ctx; SkippedFiltered those outside the length filters; Unused those
	// --dataset-limit left out.
	SkippedTooLong  int `json:"skipped_too_long"`
	SkippedFiltered int `json:"skipped_filtered"`
	Unused          int `json:"unused,omitempty"`
	// TurnsCut counts the turns left off the ends of conversations (--turns) because
	// their history would not fit --num-ctx (estimated tokens).
	TurnsCut int `json:"turns_cut,omitempty"`
	// Limit, MinPromptTokens and MaxPromptTokens are --dataset-limit and the prompt
	// length filters (estimated tokens), 0 when not given.
	Limit           int `json:"limit,omitempty"`
	MinPromptTokens int `json:"min_prompt_tokens,omitempty"`
	MaxPromptTokens int `json:"max_prompt_tokens,omitempty"`
	// MaxTokensGiven is true when --max-tokens was given and replaced the output
	// lengths the file sets.
	MaxTokensGiven bool `json:"max_tokens_given,omitempty"`
	// TokensEstimated says how prompt lengths were known before sending: an estimate
	// from the text (the server's prompt_tokens of each sample is the count).
	TokensEstimated string `json:"tokens_estimated"`
}

// sampleEvery is the memory and energy samplers' period: SampleInterval, or 500 ms
// when it is not positive.
func (o Options) sampleEvery() time.Duration {
	if o.SampleInterval <= 0 {
		return 500 * time.Millisecond
	}
	return o.SampleInterval
}

// Resumable reports whether an interrupted run with these options can be finished
// with --resume: one server and one sequential level, measured by count, of synthetic
// prompts (a journal keeps a dataset's hash, not its records). A load model,
// a sweep or a duration cannot be continued without changing what was measured (the
// schedule, the level's window), so such a run keeps its journal as a record only.
func (o *Options) Resumable() bool {
	l := o.Levels()
	return len(o.Hosts) <= 1 && len(l) == 1 && l[0].Load.Model == LoadSequential && o.Duration <= 0 && o.Dataset == nil &&
		o.Turns == 0 && o.TraceFile == "" && len(o.Trace) == 0
}

// LevelSpec is one level of a run: its load and its prompt length.
type LevelSpec struct {
	Load         LoadSpec
	PromptTokens int
}

// LevelNames names the run's levels (Levels) for people and comparability keys: the
// load ("concurrency 4"), with the prompt length in a prompt-length sweep
// ("sequential, 512-token prompts").
func (o *Options) LevelNames() []string {
	levels := o.Levels()
	names := make([]string, len(levels))
	for i, l := range levels {
		names[i] = l.Load.String()
		if len(o.PromptTokensSweep) > 1 {
			names[i] += fmt.Sprintf(", %d-token prompts", l.PromptTokens)
		}
	}
	return names
}

// Levels returns the run's levels in the order they are measured: one per
// --concurrency, --rate or --prompt-tokens value (only one of them lists several), or
// the single level of a run without a sweep.
func (o *Options) Levels() []LevelSpec {
	prompts := o.PromptTokensSweep
	if len(prompts) == 0 {
		prompts = []int{o.PromptTokens}
	}
	var loads []LoadSpec
	switch {
	case len(o.Trace) > 0 || o.TraceFile != "":
		c := 0
		if len(o.Concurrency) > 0 {
			c = o.Concurrency[0]
		}
		loads = append(loads, LoadSpec{Model: LoadOpen, Concurrency: c, Arrival: ArrivalTrace, TraceSpeed: o.TraceSpeed})
	case len(o.RatePerS) > 0:
		c := 0
		if len(o.Concurrency) > 0 {
			c = o.Concurrency[0]
		}
		for _, r := range o.RatePerS {
			loads = append(loads, LoadSpec{Model: LoadOpen, Concurrency: c, RatePerS: r, Arrival: o.Arrival})
		}
	default:
		for _, c := range o.Concurrency {
			if c <= 1 {
				loads = append(loads, LoadSpec{Model: LoadSequential, Concurrency: 1})
			} else {
				loads = append(loads, LoadSpec{Model: LoadClosed, Concurrency: c})
			}
		}
	}
	var out []LevelSpec
	for _, l := range loads {
		for _, p := range prompts {
			out = append(out, LevelSpec{Load: l, PromptTokens: p})
		}
	}
	return out
}

// UnmarshalJSON reads options as a run file or journal records them. Files from
// before load models record neither concurrency nor rate (their runs were sequential)
// nor an arrival process: those are filled in.
func (o *Options) UnmarshalJSON(b []byte) error {
	type plain Options // the same fields, without this method
	if err := json.Unmarshal(b, (*plain)(o)); err != nil {
		return err
	}
	if len(o.Concurrency) == 0 && len(o.RatePerS) == 0 {
		o.Concurrency = []int{1}
	}
	if o.Arrival == "" {
		o.Arrival = ArrivalConstant
	}
	return nil
}

// DefaultOllamaHost is Ollama's default address (envconfig.Host in Ollama's source).
const DefaultOllamaHost = "http://127.0.0.1:11434"

// ParseHost turns a host as users write it ("127.0.0.1:11434", "localhost",
// "http://gpu-box:11434/", "https://user:pw@example/ollama") into a base URL, following
// Ollama's own rules for OLLAMA_HOST (envconfig/config.go, v0.24.0): no scheme means
// http; no port means 11434 for a bare host, 80/443 when a scheme was given.
// Errors: empty host, unknown scheme, bad port.
func ParseHost(s string) (*url.URL, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("host is empty")
	}
	defaultPort := "11434"
	if !strings.Contains(s, "://") {
		s = "http://" + s
	} else if strings.HasPrefix(s, "https://") {
		defaultPort = "443"
	} else if strings.HasPrefix(s, "http://") {
		defaultPort = "80"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil && strings.Contains(s, "@"):
		// url.Parse's message quotes the part it choked on, which may be a password.
		return nil, fmt.Errorf("host %q is not a valid URL (a password with / ? # or @ in it must be percent-encoded)", Redact(s))
	case err != nil:
		return nil, fmt.Errorf("host %q: %w", Redact(s), errors.Unwrap(err))
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s[strings.Index(s, "://")+3:], "?#"):
		// A query is never sent; dropping it silently would lose what the user meant
		// (often a token), and repeating it could print one.
		return nil, fmt.Errorf("host %q: a query string or fragment is not sent to the server; remove it (an API key goes in %s, a password in user:password@)", Redact(s), DefaultAPIKeyEnv)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("host %q: scheme must be http or https", Redact(s))
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("host %q: no host name", Redact(s))
	}
	port := u.Port()
	if port == "" {
		port = defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return nil, fmt.Errorf("host %q: port %q must be in 1..65535", Redact(s), port)
	}
	u.Host = net.JoinHostPort(u.Hostname(), port)
	u.Path = strings.TrimRight(u.Path, "/")
	return u, nil
}

// Redact returns s with any user:password@ part of a URL removed, for everything that
// is recorded or printed, and its query and fragment (where tokens travel) too.
// Strings that do not parse as URLs lose everything between the scheme (if any) and
// the last "@" before the first "?" or "#" (a password may hold a "/"), and everything
// from that "?" or "#" on.
func Redact(s string) string {
	if u, err := url.Parse(s); err == nil && u.Opaque == "" && u.Host != "" {
		u.User, u.RawQuery, u.Fragment, u.RawFragment, u.ForceQuery = nil, "", "", "", false
		return u.String()
	}
	rest, prefix := s, ""
	if i := strings.Index(s, "://"); i >= 0 {
		prefix, rest = s[:i+3], s[i+3:]
	}
	if j := strings.IndexAny(rest, "?#"); j >= 0 {
		rest = rest[:j]
	}
	if k := strings.LastIndex(rest, "@"); k >= 0 {
		rest = rest[k+1:]
	}
	return prefix + rest
}
