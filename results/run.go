// Package results holds yardstick's run file: its versioned JSON schema, the
// statistical summaries of a run, reading and writing run files, and the renderers.
// It never prints on its own: renderers take an io.Writer.
package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/internal/stat"
	"github.com/yardstick-dev/yardstick/profiles"
)

// SchemaVersion is the version of the run file schema. It changes when a field changes
// meaning or is removed; adding a field does not change it.
const SchemaVersion = 1

// Kind identifies a yardstick run file.
const Kind = "yardstick.run"

// Run is the run file. Units are in the field names (_ns: integer nanoseconds on the
// run's monotonic clock; _per_s: per second; _bytes: bytes; _frac: 0..1); wall-clock
// times (started_at, ended_at) are RFC 3339 UTC labels only.
type Run struct {
	SchemaVersion int    `json:"schema_version"`
	Kind          string `json:"kind"`
	Tool          Tool   `json:"tool"`
	RunID         string `json:"run_id"`
	StartedAt     string `json:"started_at"`
	EndedAt       string `json:"ended_at"`
	// EndReason is "completed", "interrupted" or "aborted_after_errors".
	EndReason   string        `json:"end_reason"`
	Options     bench.Options `json:"options"`
	Target      bench.Target  `json:"target"`
	Environment Environment   `json:"environment"`
	Workload    Workload      `json:"workload"`
	Cold        *ColdSummary  `json:"cold,omitempty"`
	Window      bench.Window  `json:"window"`
	// Stopping says how the number of measured requests was decided (--runs N or auto).
	Stopping   bench.Stopping `json:"stopping"`
	Throughput Throughput     `json:"throughput"`
	Memory     Memory         `json:"memory"`
	// Roofline holds the run against what the machine allows: decode and prefill
	// ceilings and efficiencies, with the source of every figure; absent when the model's
	// tensors are unknown.
	Roofline *profiles.Roofline `json:"roofline,omitempty"`
	// Energy is the measured energy over the window and what it means per token and
	// in money.
	Energy EnergyCost `json:"energy"`
	// Selftest is this machine's client overhead and timing error, measured against a
	// calibrated in-process server just before the run (calib.QuickSelftest), so a
	// reader knows how much of each figure is the client's.
	Selftest *calib.SelftestResult `json:"selftest,omitempty"`
	// HostCPU is the machine's CPU use during the measured requests: the server's
	// share, yardstick's own, and everything else (contention).
	HostCPU *bench.HostCPU `json:"host_cpu,omitempty"`
	// Summaries maps a per-request metric name (with its unit suffix) to its
	// statistics over the successful measured requests. itl_ns pools every gap of every
	// request.
	Summaries map[string]Summary `json:"summaries"`
	// SummariesLeftOut is how many measured requests the summaries leave out because
	// they failed (throughput.errors_by_kind says why).
	SummariesLeftOut int `json:"summaries_left_out"`
	// TokensEstimated is set when some successful measured requests counted their
	// output tokens from text chunks because the server sent no usage
	// (bench.Sample.TokensEstimated): output_tokens, tpot_ns, client_gen_per_s and the
	// token throughput are then estimates, and prompt_tokens is not summarized for
	// those requests (docs/metrics.md "Per request", tokens_estimated).
	TokensEstimated bool `json:"tokens_estimated,omitempty"`
	// Levels are the run's levels in the order measured (one without a sweep), each
	// with its own throughput, statistics and, with --slo, goodput.
	Levels []LevelSummary `json:"levels"`
	// Peak is the level where goodput (or, without --slo, output throughput) peaks;
	// absent with one level.
	Peak *Peak `json:"peak,omitempty"`
	// PrefillFit and DecodeFit are fitted over a --prompt-tokens sweep.
	PrefillFit *PrefillFit `json:"prefill_fit,omitempty"`
	DecodeFit  *DecodeFit  `json:"decode_fit,omitempty"`
	// Turns summarizes a conversation run by turn number (docs/metrics.md,
	// Conversations); ConversationCache says how its later turns were judged against
	// the server's prompt cache. Both absent without conversations.
	Turns             []TurnSummary      `json:"turns,omitempty"`
	ConversationCache *ConversationCache `json:"conversation_cache,omitempty"`
	// Fleet lists each server of a run against several, with its own throughput
	// and statistics (Throughput and Summaries above are the fleet's total).
	Fleet []TargetSummary `json:"fleet,omitempty"`
	// PrefixCache is a shared-prefix run's hit rate and its hits and misses apart
	// (--prefix-tokens); absent otherwise.
	PrefixCache *PrefixCache    `json:"prefix_cache,omitempty"`
	Warnings    []bench.Warning `json:"warnings"`
	Warmup      []bench.Sample  `json:"warmup"`
	Samples     []bench.Sample  `json:"samples"`
}

// Environment is the machine the harness ran on.
type Environment struct {
	Hardware profiles.Hardware `json:"hardware"`
	// Machine is the profile the run is held against.
	Machine *Machine `json:"machine,omitempty"`
}

// Machine is the figures a run is held against: a hardware profile, resolved by the
// caller from a profile file, the built-in device table or a probe, each figure with
// its source.
type Machine struct {
	Profile       string `json:"profile"`
	ProfileSource string `json:"profile_source"`
	// MemoryBandwidthBytesPerS is the device's memory bandwidth (the GPU's, or host
	// memory's on a CPU-only machine).
	MemoryBandwidthBytesPerS float64 `json:"memory_bandwidth_bytes_per_s"`
	BandwidthSource          string  `json:"bandwidth_source"`
	PeakFLOPS                float64 `json:"peak_flop_per_s"`
	FLOPSSource              string  `json:"flops_source"`
	// PeakFP16FLOPS and PeakINT8OPS are the profile's per-precision peaks
	// (profiles.Profile), 0 when unknown or in run files written before them; LLCBytes
	// the host's last-level cache when the device is the host.
	PeakFP16FLOPS   float64 `json:"peak_fp16_flop_per_s,omitempty"`
	FP16FLOPSSource string  `json:"fp16_flops_source,omitempty"`
	PeakINT8OPS     float64 `json:"peak_int8_op_per_s,omitempty"`
	INT8OPSSource   string  `json:"int8_ops_source,omitempty"`
	LLCBytes        uint64  `json:"llc_bytes,omitempty"`
	// HostBandwidthBytesPerS is host memory's, for the share of a model offloaded from
	// the GPU (0 = unknown).
	HostBandwidthBytesPerS float64  `json:"host_bandwidth_bytes_per_s,omitempty"`
	PricePerHour           *float64 `json:"price_per_hour,omitempty"`
	Watts                  *float64 `json:"watts,omitempty"`
	EnergyPricePerKWh      *float64 `json:"energy_price_per_kwh,omitempty"`
	Currency               string   `json:"currency,omitempty"`
}

// EnergyCost is the measured energy and what it means per output token and in money
// (docs/metrics.md "Energy and cost").
type EnergyCost struct {
	bench.Energy
	// JPerOutputToken = energy_j / Σ output_tokens.
	JPerOutputToken *float64 `json:"j_per_output_token,omitempty"`
	// CostPerMTok is the cost of one million output tokens at the measured
	// throughput: price_per_hour / (output_tokens_per_s × 3600) × 10⁶, or, without a
	// price per hour, watts × (10⁶ / output_tokens_per_s) / 3.6×10⁶ × energy price per
	// kWh, with the measured average power when there is one, else the profile's watts.
	CostPerMTok *float64 `json:"cost_per_mtok,omitempty"`
	Currency    string   `json:"currency,omitempty"`
	CostSource  string   `json:"cost_source,omitempty"`
}

// Workload is what was asked of the server. Hash identifies it across runs: the same
// hash means the same prompts (but for their per-run nonces) and the same sampling.
type Workload struct {
	PromptTokensTarget int     `json:"prompt_tokens_target"`
	PromptWords        int     `json:"prompt_words"`
	MaxTokens          int     `json:"max_tokens"`
	Seed               int64   `json:"seed"`
	Temperature        float64 `json:"temperature"`
	NumCtx             int     `json:"num_ctx"`
	// Think is what thinking models were asked: false, true or a level (bench.Think;
	// off and on encode as the booleans of older files, so their hash is unchanged).
	Think bench.Think `json:"think"`
	// Dataset names the dataset whose prompts were sent (PromptTokensTarget is then 0:
	// the file sets the lengths); PrefixTokens and PrefixGroups the shared prefixes;
	// IgnoreEOS, MinTokens and ExtraBody what was sent to fix output lengths. All are
	// absent when not asked, so the hash of older runs is unchanged.
	Dataset      *DatasetKey     `json:"dataset,omitempty"`
	PrefixTokens int             `json:"prefix_tokens,omitempty"`
	PrefixGroups int             `json:"prefix_groups,omitempty"`
	IgnoreEOS    bool            `json:"ignore_eos,omitempty"`
	MinTokens    int             `json:"min_tokens,omitempty"`
	ExtraBody    json.RawMessage `json:"extra_body,omitempty"`
	// Turns is the conversations' turns (--turns; −1 for all of a dataset's), absent
	// without conversations; TraceSHA256 the content hash of a replayed trace.
	Turns       int    `json:"turns,omitempty"`
	TraceSHA256 string `json:"trace_sha256,omitempty"`
	Hash        string `json:"hash"`
}

// DatasetKey identifies a dataset: its content's SHA-256 and the format it was read
// in, with the path it was given as (a label: the same content under another name is
// the same dataset), how many records the run drew from it, and whether --max-tokens
// replaced the file's output lengths.
type DatasetKey struct {
	Path     string `json:"path"`
	Format   string `json:"format"`
	SHA256   string `json:"sha256"`
	Selected int    `json:"selected"`
	// MaxTokensGiven: --max-tokens replaced the output lengths the file sets.
	MaxTokensGiven bool `json:"max_tokens_given,omitempty"`
}

// ColdSummary is the cold-load request: unloading, then the first request.
type ColdSummary struct {
	WasLoaded bool  `json:"was_loaded"`
	UnloadNs  int64 `json:"unload_ns"`
	// TTFTNs of the first request after unloading: includes loading the model.
	TTFTNs *int64 `json:"ttft_ns,omitempty"`
	E2ENs  *int64 `json:"e2e_ns,omitempty"`
	// LoadNs is the server's load_duration for the cold request.
	LoadNs int64        `json:"load_ns"`
	Sample bench.Sample `json:"sample"`
}

// Throughput is over the measured window (first measured send to last measured done).
type Throughput struct {
	Completed int `json:"completed"`
	// Failed measured requests are left out of every summary and rate; ErrorsByKind
	// counts them by reason (connect, http_status, stream, no_done, timeout, decode,
	// canceled).
	Failed       int                     `json:"failed"`
	ErrorsByKind map[bench.ErrorKind]int `json:"errors_by_kind,omitempty"`
	OutputTokens int                     `json:"output_tokens"`
	// OutputTokensPerS = Σ output_tokens / window (token-weighted system throughput).
	OutputTokensPerS float64 `json:"output_tokens_per_s"`
	// RequestsPerS = completed requests / window.
	RequestsPerS float64 `json:"requests_per_s"`
	// GoodputPerS = requests meeting every --slo objective / window; on the run of
	// one level only (a sweep gives it per level).
	GoodputPerS *float64 `json:"goodput_per_s,omitempty"`
}

// Memory adds the offload fraction to what the run measured.
type Memory struct {
	bench.Memory
	// OffloadFrac = 1 − model_vram_bytes / model_size_bytes on a machine with a GPU:
	// the share of the model not in GPU memory. Absent without a GPU.
	OffloadFrac *float64 `json:"offload_frac,omitempty"`
	// Predicted is the memory model's figure for the run's model at the context the
	// server loaded and its slots and KV cache type as found (profiles.PredictMemory);
	// PredictedUnavailable says why it is absent.
	Predicted            *profiles.MemoryPrediction `json:"predicted,omitempty"`
	PredictedUnavailable string                     `json:"predicted_unavailable,omitempty"`
	// AvailableDevices are the GPUs' memory when the hardware was detected.
	AvailableDevices []DeviceAvailable `json:"available_devices,omitempty"`
	// HeadroomBytes is the memory left at the measured peak: on a CPU available_bytes −
	// server_rss_peak_bytes; with the model in GPU memory the GPUs' total −
	// device_used_peak_bytes. Negative when the peak passed what was available.
	// HeadroomFrac = HeadroomBytes / the memory it is taken from. HeadroomSource says
	// which; HeadroomUnavailable why they are absent.
	HeadroomBytes       *int64   `json:"headroom_bytes,omitempty"`
	HeadroomFrac        *float64 `json:"headroom_frac,omitempty"`
	HeadroomSource      string   `json:"headroom_source,omitempty"`
	HeadroomUnavailable string   `json:"headroom_unavailable,omitempty"`
	// PredictedErrorFrac = (predicted.total_bytes − measured) / measured, the measured
	// figure named by PredictedErrorAgainst (server_rss_peak_bytes on a CPU).
	PredictedErrorFrac        *float64 `json:"predicted_error_frac,omitempty"`
	PredictedErrorAgainst     string   `json:"predicted_error_against,omitempty"`
	PredictedErrorUnavailable string   `json:"predicted_error_unavailable,omitempty"`
}

// Build assembles the run file from a bench result and the machine's hardware:
// summaries, throughput, the roofline, energy and cost, one diagnosis pass (diagnose:
// the warnings about what the samples show, which also flags cache-suspect samples on
// res.Samples, the run's own), then the levels, their SLO verdicts and fits.
func Build(res *bench.Result, hw profiles.Hardware, m *Machine) *Run {
	r := &Run{
		SchemaVersion: SchemaVersion,
		Kind:          Kind,
		Tool:          ThisTool(),
		RunID:         res.RunID,
		StartedAt:     res.StartedAt.Format("2006-01-02T15:04:05.000Z07:00"),
		EndedAt:       res.EndedAt.Format("2006-01-02T15:04:05.000Z07:00"),
		EndReason:     res.EndReason,
		Options:       res.Options,
		Target:        res.Target,
		Environment:   Environment{Hardware: hw, Machine: m},
		Window:        res.Window,
		Stopping:      res.Stopping,
		Memory:        Memory{Memory: res.Memory},
		HostCPU:       res.HostCPU,
		Warnings:      append([]bench.Warning{}, res.Warnings...),
		Warmup:        res.Warmup,
		Samples:       res.Samples,
	}
	o := res.Options
	r.Workload = Workload{
		PromptTokensTarget: o.PromptTokens, PromptWords: res.PromptWords, MaxTokens: o.MaxTokens,
		Seed: o.Seed, Temperature: o.Temperature, NumCtx: o.NumCtx, Think: o.Think,
		Turns: o.Turns, TraceSHA256: o.TraceSHA256,
	}
	if d := o.Dataset; d != nil {
		r.Workload.PromptTokensTarget, r.Workload.PromptWords = 0, 0
		r.Workload.Dataset = &DatasetKey{Path: d.Path, Format: d.Format, SHA256: d.SHA256, Selected: d.Selected, MaxTokensGiven: d.MaxTokensGiven}
	}
	r.Workload.PrefixTokens, r.Workload.PrefixGroups = o.PrefixTokens, o.PrefixGroups
	r.Workload.IgnoreEOS, r.Workload.MinTokens, r.Workload.ExtraBody = o.IgnoreEOS, o.MinTokens, compactJSON(o.ExtraBody)
	r.Workload.Hash = workloadHash(r.Workload)
	if c := res.Cold; c != nil {
		r.Cold = &ColdSummary{WasLoaded: c.WasLoaded, UnloadNs: c.UnloadNs, TTFTNs: c.Sample.TTFTNs,
			E2ENs: c.Sample.E2ENs, LoadNs: c.Sample.LoadNs, Sample: c.Sample}
	}
	if m := r.Memory; len(hw.GPUs) > 0 && m.ModelSizeBytes != nil && *m.ModelSizeBytes > 0 && m.ModelVRAMBytes != nil {
		f := 1 - float64(*m.ModelVRAMBytes)/float64(*m.ModelSizeBytes)
		f = max(0, min(1, f))
		r.Memory.OffloadFrac = &f
	}
	memoryAgainstMachine(res, r, hw)
	r.summarizeSamples(res.Window.DurationNs)
	r.Roofline = roofline(res, r, m)
	r.Energy = energyCost(res.Energy, r.Throughput, m)
	r.PrefixCache = prefixCache(r) // before diagnose: a judged hit is a cache hit
	r.diagnose(res.Levels)
	r.Fleet = targetSummaries(res)
	r.summarizeLevels(res.Levels)
	return r
}

// setRates sets the per-second rates from the counts over a window of windowNs
// nanoseconds; they stay 0 for an empty window.
func (t *Throughput) setRates(windowNs int64) {
	if w := float64(windowNs) / 1e9; w > 0 {
		t.OutputTokensPerS = float64(t.OutputTokens) / w
		t.RequestsPerS = float64(t.Completed) / w
	}
}

// appendTooFewSamples appends one too_few_samples warning when ttft_ns or
// server_gen_per_s (the first in MetricOrder) has no confidence interval.
func appendTooFewSamples(ws []bench.Warning, summaries map[string]Summary) []bench.Warning {
	for _, name := range MetricOrder {
		if s, ok := summaries[name]; ok && s.Warning != "" && (name == "ttft_ns" || name == "server_gen_per_s") {
			return append(ws, bench.Warning{Code: bench.CodeTooFewSamples,
				Message: fmt.Sprintf("%s: %s (have %d; raise --runs)", name, s.Warning, s.N)})
		}
	}
	return ws
}

// MetricOrder is the order metrics are rendered in.
var MetricOrder = []string{
	"ttft_ns", "ttfa_ns", "thinking_ns", "tpot_ns", "answer_tpot_ns", "itl_ns", "e2e_ns",
	"server_prefill_per_s", "server_gen_per_s", "client_gen_per_s", "answer_gen_per_s",
	"new_prefill_per_s", "prompt_tokens", "new_prompt_tokens", "cached_prompt_tokens", "output_tokens", "answer_tokens", "tokens_per_chunk",
	"overhead_ns", "load_ns", "queue_delay_ns",
	"ttft_from_scheduled_ns", "e2e_from_scheduled_ns",
}

// MetricValues returns the raw per-request values of every metric over the successful
// samples: what Build summarizes, compare tests and merge pools. itl_ns pools every gap
// of every request. Units are the metrics' own (ns as float64, per second, tokens).
func MetricValues(samples []bench.Sample) map[string][]float64 {
	vals := map[string][]float64{}
	if n := gapCount(samples); n > 0 {
		vals["itl_ns"] = make([]float64, 0, n) // the largest: no regrowth
	}
	eachMetric(samples, true, func(name string, v float64) { vals[name] = append(vals[name], v) })
	return vals
}

// gapCount is the number of pooled itl_ns values of the successful samples.
func gapCount(samples []bench.Sample) int {
	n := 0
	for i := range samples {
		if samples[i].OK {
			n += len(samples[i].ITLNs)
		}
	}
	return n
}

// eachGap yields the pooled itl_ns values of the successful samples, in order.
func eachGap(samples []bench.Sample) func(yield func(int64)) {
	return func(yield func(int64)) {
		for i := range samples {
			if samples[i].OK {
				for _, g := range samples[i].ITLNs {
					yield(g)
				}
			}
		}
	}
}

// metricCounts returns how many values MetricValues would give each metric, without
// holding them (the pooled itl_ns of a long run is tens of millions).
func metricCounts(samples []bench.Sample) map[string]int {
	n := map[string]int{}
	eachMetric(samples, true, func(name string, _ float64) { n[name]++ })
	return n
}

// eachMetric calls add with every per-request value of every metric over the
// successful samples, in sample order: the one definition of what MetricValues holds.
// gaps false leaves out itl_ns.
func eachMetric(samples []bench.Sample, gaps bool, add func(name string, v float64)) {
	// Latency from the schedule differs from latency from sending only in an open
	// loop, where some request waited; elsewhere it would repeat ttft_ns and e2e_ns.
	scheduled := false
	for i := range samples {
		if samples[i].QueueDelayNs != 0 {
			scheduled = true
			break
		}
	}
	// The answer's own figures differ from the request's only when a request thought;
	// elsewhere they would repeat ttft_ns, tpot_ns and client_gen_per_s.
	thought := false
	for i := range samples {
		if s := &samples[i]; s.OK && (s.ThinkingChunks > 0 || (s.ThinkingTokens != nil && *s.ThinkingTokens > 0)) {
			thought = true
			break
		}
	}
	for i := range samples {
		s := &samples[i]
		if !s.OK {
			continue
		}
		if s.TTFTNs != nil {
			add("ttft_ns", float64(*s.TTFTNs))
		}
		if thought && s.TTFANs != nil {
			add("ttfa_ns", float64(*s.TTFANs))
		}
		if thought && s.ThinkingNs != nil {
			add("thinking_ns", float64(*s.ThinkingNs))
		}
		if s.TPOTNs != nil {
			add("tpot_ns", float64(*s.TPOTNs))
		}
		if thought && s.AnswerTPOTNs != nil {
			add("answer_tpot_ns", float64(*s.AnswerTPOTNs))
		}
		for _, g := range s.ITLNs {
			if !gaps {
				break
			}
			add("itl_ns", float64(g))
		}
		if s.E2ENs != nil {
			add("e2e_ns", float64(*s.E2ENs))
		}
		if s.ServerPrefillPerS != nil {
			add("server_prefill_per_s", *s.ServerPrefillPerS)
		}
		if s.ServerGenPerS != nil {
			add("server_gen_per_s", *s.ServerGenPerS)
		}
		if s.ClientGenPerS != nil {
			add("client_gen_per_s", *s.ClientGenPerS)
		}
		if thought && s.AnswerGenPerS != nil {
			add("answer_gen_per_s", *s.AnswerGenPerS)
		}
		if s.NewPrefillPerS != nil { // a conversation's turn
			add("new_prefill_per_s", *s.NewPrefillPerS)
		}
		if !s.TokensEstimated { // the server counted no prompt
			add("prompt_tokens", float64(s.PromptTokens))
		}
		if s.NewPromptTokens > 0 {
			add("new_prompt_tokens", float64(s.NewPromptTokens))
		}
		if s.CachedPromptTokens != nil { // only from a server that reports it
			add("cached_prompt_tokens", float64(*s.CachedPromptTokens))
		}
		add("output_tokens", float64(s.OutputTokens))
		if thought && s.AnswerTokens != nil {
			add("answer_tokens", float64(*s.AnswerTokens))
		}
		if s.TokensPerChunk != nil {
			add("tokens_per_chunk", *s.TokensPerChunk)
		}
		if s.OverheadNs != nil {
			add("overhead_ns", float64(*s.OverheadNs))
		}
		if s.ServerTotalNs > 0 { // the server reported its timings (the OpenAI API has none)
			add("load_ns", float64(s.LoadNs))
		}
		add("queue_delay_ns", float64(s.QueueDelayNs))
		if scheduled {
			if v := s.FromScheduled(s.TTFTNs); v != nil {
				add("ttft_from_scheduled_ns", float64(*v))
			}
			if v := s.FromScheduled(s.E2ENs); v != nil {
				add("e2e_from_scheduled_ns", float64(*v))
			}
		}
	}
}

// summarize computes the Summary of every metric over the successful samples with
// one buffer for all of them, filled with one metric's values at a time and sorted in
// place (summaryOf). The pooled itl_ns (a long run's tens of millions of gaps) is
// summarized where it lies, in the samples, without a copy (stat.SummarizeInt64s).
// A 100,000-request run then summarizes in little more memory than its samples
// (docs/performance.md, "Memory: a 100,000-request run").
func summarize(samples []bench.Sample) map[string]Summary {
	counts := map[string]int{}
	eachMetric(samples, false, func(name string, _ float64) { counts[name]++ })
	out := make(map[string]Summary, len(counts)+1)
	if s, ok := stat.SummarizeInt64s(gapCount(samples), eachGap(samples), true); ok {
		out["itl_ns"] = s
	}
	buf := make([]float64, 0, slices.Max(append(slices.Collect(maps.Values(counts)), 0)))
	for _, name := range slices.Sorted(maps.Keys(counts)) {
		xs := buf[:0]
		eachMetric(samples, false, func(n string, v float64) {
			if n == name {
				xs = append(xs, v)
			}
		})
		if s, ok := summaryOf(name, xs); ok {
			out[name] = s
		}
	}
	return out
}

// compactJSON is raw without insignificant space (nil for nil), so the same object
// written two ways hashes alike.
func compactJSON(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 {
		return nil
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// workloadHash identifies what was asked: the calibrated word count is an outcome of
// the server's tokenizer, not part of the ask, so it is left out.
func workloadHash(w Workload) string {
	w.Hash = ""
	w.PromptWords = 0
	if w.Dataset != nil {
		d := *w.Dataset
		d.Path = "" // a label: the content is the key
		w.Dataset = &d
	}
	b, _ := json.Marshal(struct {
		Generator string
		W         Workload
	}{"synthetic-words-v1", w})
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:8])
}

// roofline holds the run's medians against the machine's ceilings.
func roofline(res *bench.Result, r *Run, m *Machine) *profiles.Roofline {
	cost := res.Target.Model.Cost
	if cost == nil || r.Throughput.Completed == 0 {
		return nil
	}
	in := profiles.RooflineInput{Cost: *cost}
	if m != nil {
		in.BandwidthBytesPerS, in.BandwidthSource = m.MemoryBandwidthBytesPerS, m.BandwidthSource
		in.PeakFLOPS, in.FLOPSSource = m.PeakFLOPS, m.FLOPSSource
		in.PeakFP16FLOPS, in.FP16FLOPSSource = m.PeakFP16FLOPS, m.FP16FLOPSSource
		in.PeakINT8OPS, in.INT8OPSSource = m.PeakINT8OPS, m.INT8OPSSource
		in.LLCBytes = m.LLCBytes
		in.HostBandwidthBytesPerS = m.HostBandwidthBytesPerS
	}
	if r.Memory.OffloadFrac != nil {
		in.OffloadFrac = *r.Memory.OffloadFrac
	}
	n, ctx := 0, 0.0
	for _, s := range res.Samples {
		if s.OK {
			ctx += float64(s.PromptTokens) + float64(max(0, s.OutputTokens-1))/2
			n++
		}
	}
	in.MeanContextTokens = ctx / float64(n)
	if s, ok := r.Summaries["server_gen_per_s"]; ok {
		in.ServerGenPerS = s.Median
	}
	if s, ok := r.Summaries["server_prefill_per_s"]; ok {
		in.ServerPrefillPerS = s.Median
	}
	rl := profiles.ComputeRoofline(in)
	return &rl
}

func energyCost(e bench.Energy, t Throughput, m *Machine) EnergyCost {
	ec := EnergyCost{Energy: e}
	if e.EnergyJ != nil && t.OutputTokens > 0 {
		j := *e.EnergyJ / float64(t.OutputTokens)
		ec.JPerOutputToken = &j
	}
	if m == nil || t.OutputTokensPerS <= 0 {
		return ec
	}
	secondsPerMTok := 1e6 / t.OutputTokensPerS
	switch {
	case m.PricePerHour != nil:
		c := *m.PricePerHour * secondsPerMTok / 3600
		ec.CostPerMTok, ec.CostSource = &c, "profile price_per_hour"
	case m.EnergyPricePerKWh != nil && e.AvgPowerW != nil:
		c := *e.AvgPowerW * secondsPerMTok / 3.6e6 * *m.EnergyPricePerKWh
		ec.CostPerMTok, ec.CostSource = &c, "measured average power × profile energy_price_per_kwh"
	case m.EnergyPricePerKWh != nil && m.Watts != nil:
		c := *m.Watts * secondsPerMTok / 3.6e6 * *m.EnergyPricePerKWh
		ec.CostPerMTok, ec.CostSource = &c, "profile watts × profile energy_price_per_kwh"
	}
	if ec.CostPerMTok != nil {
		ec.Currency = m.Currency
	}
	return ec
}
