package results

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

// Direction says which way a metric improves.
type Direction int

const (
	// Neutral metrics (token counts, tokens per chunk) describe the workload: a change
	// is reported, never called better or worse.
	Neutral Direction = 0
	// LowerIsBetter: latencies and delays (every …_ns metric), memory.
	LowerIsBetter Direction = -1
	// HigherIsBetter: rates (every …_per_s metric) and efficiencies (…_efficiency_frac).
	HigherIsBetter Direction = 1
)

func (d Direction) String() string {
	switch d {
	case LowerIsBetter:
		return "lower_is_better"
	case HigherIsBetter:
		return "higher_is_better"
	}
	return "neutral"
}

// MarshalJSON writes the direction by name.
func (d Direction) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// UnmarshalJSON reads a direction written by MarshalJSON.
func (d *Direction) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	for _, v := range []Direction{Neutral, LowerIsBetter, HigherIsBetter} {
		if v.String() == s {
			*d = v
			return nil
		}
	}
	return fmt.Errorf("unknown direction %q", s)
}

// MetricDirection returns how metric name improves, from its unit suffix (docs/metrics.md):
// durations (_ns) and sizes (_bytes) are lower-is-better, rates (_per_s) and
// efficiencies (_efficiency_frac) higher-is-better; counts and tokens_per_chunk are
// neutral. offload_frac is lower-is-better (less of the model outside GPU memory).
func MetricDirection(name string) Direction {
	switch {
	case strings.HasSuffix(name, "_ns"), strings.HasSuffix(name, "_bytes"), name == "offload_frac",
		strings.HasSuffix(name, "_j"), strings.HasSuffix(name, "_w"), name == "j_per_output_token", name == "cost_per_mtok":
		return LowerIsBetter
	case strings.HasSuffix(name, "_per_s"), strings.HasSuffix(name, "_efficiency_frac"):
		return HigherIsBetter
	}
	return Neutral
}

// metricUnit is the unit of a metric or figure as the renderers print it, read from
// the unit in its name: "ns" for durations, "req/s" for requests_per_s and
// goodput_per_s, "B/s" for bandwidths, "tok/s" for every other rate (they count
// tokens), "tok" for token counts, "tok/chunk", "B" for bytes, "frac" for fractions
// 0..1, "J/tok" and "cost/Mtok" (in the profile's currency) for energy and cost;
// "" for a plain number (mean_decoding_streams).
func metricUnit(name string) string {
	switch {
	case strings.HasSuffix(name, "_ns"):
		return "ns"
	case name == "requests_per_s" || name == "goodput_per_s":
		return "req/s"
	case strings.HasSuffix(name, "_bytes_per_s"):
		return "B/s"
	case strings.HasSuffix(name, "_per_s"):
		// Every other rate counts tokens: server_prefill_per_s, server_gen_per_s,
		// client_gen_per_s, answer_gen_per_s, output_tokens_per_s,
		// decode_tokens_per_s and the roofline's *_ceiling_per_s.
		return "tok/s"
	case name == "j_per_output_token":
		return "J/tok"
	case name == "cost_per_mtok":
		return "cost/Mtok"
	case name == "tokens_per_chunk":
		return "tok/chunk"
	case strings.HasSuffix(name, "_tokens"):
		return "tok"
	case strings.HasSuffix(name, "_bytes"):
		return "B"
	case strings.HasSuffix(name, "_frac"):
		return "frac"
	}
	return ""
}

// label returns the table label of a metric (metricLabel in table.go), or its name;
// "levels[2].ttft_ns" is "level 2 TTFT".
func label(name string) string {
	if rest, ok := strings.CutPrefix(name, "levels["); ok {
		if i := strings.Index(rest, "]."); i > 0 {
			return "level " + rest[:i] + " " + label(rest[i+2:])
		}
	}
	if l, ok := metricLabel[name]; ok {
		return l
	}
	return name
}

// KeySeverity grades a difference between the comparability keys of two runs.
type KeySeverity int

const (
	// KeyNote: expected in a comparison (another machine, another server version); shown
	// in every report.
	KeyNote KeySeverity = iota
	// KeyWarn: the comparison is meaningful but the difference is part of what is
	// measured (another quantization, seed or context size); printed as a warning.
	KeyWarn
	// KeyRefuse: the comparison is meaningless (other work asked, other models, random
	// weights against real ones); refused unless forced.
	KeyRefuse
)

func (s KeySeverity) String() string {
	return [...]string{"note", "warning", "refused"}[s]
}

// MarshalJSON writes the severity by name.
func (s KeySeverity) MarshalJSON() ([]byte, error) { return json.Marshal(s.String()) }

// UnmarshalJSON reads a severity written by MarshalJSON.
func (s *KeySeverity) UnmarshalJSON(b []byte) error {
	var name string
	if err := json.Unmarshal(b, &name); err != nil {
		return err
	}
	for _, v := range []KeySeverity{KeyNote, KeyWarn, KeyRefuse} {
		if v.String() == name {
			*s = v
			return nil
		}
	}
	return fmt.Errorf("unknown key severity %q", name)
}

// KeyDiff is one comparability key whose value differs between a run and the base.
type KeyDiff struct {
	// Key names what differs: model_digest, model, quantization, synthetic, num_ctx,
	// workload, seed, backend, token_counts, server_version, hardware, tool_version, tool_build.
	Key      string      `json:"key"`
	Base     string      `json:"base"`
	Other    string      `json:"other"`
	Severity KeySeverity `json:"severity"`
	// Why says what the difference means for the comparison.
	Why string `json:"why"`
}

func (k KeyDiff) String() string {
	return fmt.Sprintf("%s differs (%s vs %s): %s", k.Key, k.Base, k.Other, k.Why)
}

// CompareKeys lists the comparability keys that differ between base and other, in a
// fixed order, graded by what the difference does to a comparison:
//
//   - refused: another workload (prompt_tokens_target, max_tokens, temperature, think,
//     shared prefixes, fixed output lengths: the requests asked for different work);
//     another dataset (its content's hash or format; its path alone is a note); another
//     model (architecture, family or parameter count differ; when one server did not
//     describe its model, other names); synthetic against real weights (a twin's output
//     lengths and stops differ from the real model's). The model is its identity, not
//     its backend: the same model served natively by Ollama and through its /v1
//     (bench.OpenAI describes it from Ollama's own API) compares, with a warning that
//     the serving paths differ.
//   - warning: another digest of the same model (re-pulled, other quantization or
//     template); another quantization; another num_ctx; another seed (other prompts of
//     the same length); another backend; another calibrated prompt length; the same
//     model name where one server did not describe the model; token counts estimated
//     in one run only (token_counts).
//   - note: another server version, another machine, another yardstick version or,
//     at the same version, another build (Tool.Build).
func CompareKeys(base, other *Run) []KeyDiff {
	var out []KeyDiff
	add := func(key, b, o string, sev KeySeverity, why string) {
		if b != o {
			out = append(out, KeyDiff{Key: key, Base: orDash(b), Other: orDash(o), Severity: sev, Why: why})
		}
	}
	bm, om := base.Target.Model, other.Target.Model
	sameModel := bm.Architecture == om.Architecture && bm.ParameterCount == om.ParameterCount && bm.Family == om.Family
	known := bm.Architecture != "" && om.Architecture != ""
	switch {
	case known || (bm.Architecture == "" && om.Architecture == "" && bm.Name == om.Name):
		add("model", modelIdentity(bm), modelIdentity(om), KeyRefuse,
			"different models: per-token cost differs by design; compare them with --force if that is the question")
		add("synthetic", syntheticLabel(bm), syntheticLabel(om), KeyRefuse,
			"random-weight twin against real weights: the twin's speed stands for the model, but output lengths and early stops differ")
	case bm.Name != "" && bench.SameModelName(bm.Name, om.Name):
		// One server did not describe the model (an OpenAI-compatible server other than
		// Ollama's /v1): the names are all there is to go on.
		add("model", modelIdentity(bm), modelIdentity(om), KeyWarn,
			"the same model name, but one server did not describe the model (architecture, parameters, quantization, digest): check it is the same model")
	default:
		add("model", modelIdentity(bm), modelIdentity(om), KeyRefuse,
			"other model names, and one server did not describe its model: nothing says they are the same model; compare them with --force if they are")
	}
	if sameModel && known {
		add("quantization", bm.QuantizationLevel, om.QuantizationLevel, KeyWarn,
			"another quantization reads another number of bytes per token: the difference is part of what is measured")
		if bm.QuantizationLevel == om.QuantizationLevel {
			add("model_digest", short(bm.Digest), short(om.Digest), KeyWarn,
				"same model, other digest (re-pulled, other template or build): check it is the model you meant")
		}
	}
	bw, ow := base.Workload, other.Workload
	add("dataset", datasetLabel(bw.Dataset), datasetLabel(ow.Dataset), KeyRefuse,
		"other prompts (another dataset's content or format, or synthetic against a dataset): latencies are not comparable")
	if bw.Dataset != nil && ow.Dataset != nil && datasetLabel(bw.Dataset) == datasetLabel(ow.Dataset) {
		add("dataset_path", bw.Dataset.Path, ow.Dataset.Path, KeyNote, "the same dataset content under another file name")
		add("dataset_selected", fmt.Sprint(bw.Dataset.Selected), fmt.Sprint(ow.Dataset.Selected), KeyWarn,
			"another number of the dataset's records was sent (--dataset-limit, the filters or --num-ctx): comparable in distribution only if both draw alike")
	}
	add("workload", workloadAsk(bw), workloadAsk(ow), KeyRefuse,
		"the requests asked for different work (prompt length, output cap, temperature, thinking, shared prefix, fixed output length): latencies are not comparable")
	add("num_ctx", fmt.Sprint(bw.NumCtx), fmt.Sprint(ow.NumCtx), KeyWarn,
		"another context size changes KV-cache memory and may change speed")
	add("seed", fmt.Sprint(bw.Seed), fmt.Sprint(ow.Seed), KeyWarn,
		"another seed sends other prompts of the same length: comparable in distribution, not request by request")
	if workloadAsk(bw) == workloadAsk(ow) && bm.Architecture == om.Architecture {
		if bw.PromptWords > 0 && ow.PromptWords > 0 && math.Abs(float64(bw.PromptWords-ow.PromptWords)) > 0.1*float64(bw.PromptWords) {
			add("prompt_words", fmt.Sprint(bw.PromptWords), fmt.Sprint(ow.PromptWords), KeyWarn,
				"the prompt calibrated to a length more than 10% apart: check prompt_tokens in both runs")
		}
	}
	add("load", loadLabel(base), loadLabel(other), KeyRefuse,
		"another load model or sweep: latency and throughput under load are not those of one stream; compare runs of the same levels")
	add("duration", durationLabel(base), durationLabel(other), KeyWarn,
		"levels measured for another duration (or by count): in an overloaded open loop queue delay grows with the time measured")
	add("slo", base.Options.SLO.Key(), other.Options.SLO.Key(), KeyWarn,
		"other --slo objectives: goodput and SLO verdicts are against different thresholds; latencies compare as they are")
	if sameModel && known && bm.QuantizationLevel == om.QuantizationLevel {
		add("backend", base.Target.Backend, other.Target.Backend, KeyWarn,
			"the same model (architecture, parameters, quantization) served through another path: the serving paths differ (API, the options each sends, streaming), so the comparison is of the paths, not the model")
	} else {
		add("backend", base.Target.Backend, other.Target.Backend, KeyWarn,
			"another server implementation: the comparison is of servers as much as of settings")
	}
	add("token_counts", tokenCounts(base), tokenCounts(other), KeyWarn,
		"one run's output tokens are its text chunks (no usage from the server; docs/metrics.md, tokens_estimated): output_tokens, tpot_ns and client_gen_per_s are low there by the server's tokens per chunk; ttft, itl and e2e compare as they are")
	add("server_version", base.Target.ServerVersion, other.Target.ServerVersion, KeyNote,
		"another server version")
	add("hardware", hardwareLabel(base), hardwareLabel(other), KeyNote,
		"another machine: the efficiency figures (share of the hardware's ceiling), where present, are the fair comparison")
	add("tool_version", base.Tool.Version, other.Tool.Version, KeyNote, "another yardstick version")
	if base.Tool.Version == other.Tool.Version {
		// The same version label from other sources (two dev builds, a pseudo-version
		// and a modified tree): the build is what tells them apart.
		add("tool_build", base.Tool.Build(), other.Tool.Build(), KeyNote,
			"another yardstick build (vcs_revision, vcs_modified): the measuring code may differ")
	}
	return out
}

// durationLabel is "60s" for a run measured with --duration, "by count" otherwise.
func durationLabel(r *Run) string {
	if r.Options.Duration > 0 {
		return r.Options.Duration.String()
	}
	return "by count"
}

// loadLabel describes a run's levels (load and prompt length) and its servers:
// "sequential", "concurrency 1 | concurrency 4", "rate 2/s poisson × 2 servers".
func loadLabel(r *Run) string {
	// What was asked, measured or not (older files read as sequential).
	s := strings.Join(r.Options.LevelNames(), " | ")
	if n := len(r.Fleet); n > 1 {
		s += fmt.Sprintf(" × %d servers", n)
	}
	return s
}

// tokenCounts says where a run's token counts come from: the server, or estimated from
// the text chunks (Run.TokensEstimated).
func tokenCounts(r *Run) string {
	if r.TokensEstimated {
		return "estimated from chunks"
	}
	return "the server's"
}

func modelIdentity(m bench.ModelInfo) string {
	id := strings.TrimSpace(m.Architecture + " " + m.ParameterSize)
	if id == "" {
		return m.Name
	}
	return id
}

func syntheticLabel(m bench.ModelInfo) string {
	if m.Synthetic != nil {
		return "synthetic twin of " + m.Synthetic.Shape
	}
	return "real weights"
}

func workloadAsk(w Workload) string {
	s := fmt.Sprintf("prompt %d tok, max %d tok, temperature %g, think %s", w.PromptTokensTarget, w.MaxTokens, w.Temperature, w.Think)
	if w.PrefixTokens > 0 {
		s += fmt.Sprintf(", prefix %d tok × %d", w.PrefixTokens, max(1, w.PrefixGroups))
	}
	if w.IgnoreEOS {
		s += ", ignore_eos"
	}
	if w.MinTokens > 0 {
		s += fmt.Sprintf(", min %d tok", w.MinTokens)
	}
	if len(w.ExtraBody) > 0 {
		s += ", extra body " + string(compactJSON(w.ExtraBody))
	}
	return s
}

// datasetLabel names a dataset by format and content ("jsonl 3f2a…"), or "synthetic".
func datasetLabel(d *DatasetKey) string {
	if d == nil {
		return "synthetic prompts"
	}
	return d.Format + " " + short(d.SHA256)
}

func hardwareLabel(r *Run) string {
	hw := r.Environment.Hardware
	s := fmt.Sprintf("%s: %s, %d threads", orDash(hw.Hostname), orDash(hw.CPUModel), hw.CPULogicalCores)
	for _, g := range hw.GPUs {
		s += ", " + g.Name
	}
	return s
}

// Figure is a run-level value (one per run, no distribution): throughput, peak memory,
// and the efficiency figures when the run file carries them.
type Figure struct {
	Name  string  `json:"name"`
	Value float64 `json:"value"`
}

// runFigures returns the run-level figures of r that it has, in the order of
// RunFigures, with a sweep's per-level throughput, goodput, mean decoding streams and
// batched decode ceiling and efficiency after the run's own.
func runFigures(r *Run) []Figure {
	var figs []Figure
	for _, f := range RunFigures {
		if v := f.Of(r); v != nil {
			figs = append(figs, Figure{f.Name, *v})
		}
		if f.Name == "goodput_per_s" && len(r.Levels) > 1 {
			for i, l := range r.Levels {
				p := fmt.Sprintf("levels[%d].", i)
				figs = append(figs, Figure{p + "output_tokens_per_s", l.Throughput.OutputTokensPerS}, Figure{p + "requests_per_s", l.Throughput.RequestsPerS})
				if l.GoodputPerS != nil {
					figs = append(figs, Figure{p + "goodput_per_s", *l.GoodputPerS})
				}
				if l.MeanDecodingStreams > 0 {
					figs = append(figs, Figure{p + "mean_decoding_streams", l.MeanDecodingStreams})
				}
				if rl := l.Roofline; rl != nil {
					figs = append(figs, Figure{p + "roofline.decode_ceiling_per_s", rl.DecodeCeilingPerS})
					if rl.DecodeEfficiencyFrac != nil {
						figs = append(figs, Figure{p + "roofline.decode_efficiency_frac", *rl.DecodeEfficiencyFrac})
					}
				}
			}
		}
	}
	return figs
}

// RunFigure is one run-level figure compare shows: Name is its label in a comparison,
// Path the field of the run file's JSON it is (a test holds every path to the
// encoding, so renaming a field fails it instead of silently dropping the figure), Of
// its value in r, nil when r has none.
type RunFigure struct {
	Name, Path string
	Of         func(r *Run) *float64
}

// RunFigures are the run-level figures compare shows, in its order: throughput,
// goodput, peak memory, offload, headroom and the memory prediction's error, energy and
// cost, then the roofline.
var RunFigures = []RunFigure{
	{"output_tokens_per_s", "throughput.output_tokens_per_s", func(r *Run) *float64 { return &r.Throughput.OutputTokensPerS }},
	{"requests_per_s", "throughput.requests_per_s", func(r *Run) *float64 { return &r.Throughput.RequestsPerS }},
	{"goodput_per_s", "throughput.goodput_per_s", func(r *Run) *float64 { return r.Throughput.GoodputPerS }},
	{"server_rss_peak_bytes", "memory.server_rss_peak_bytes", func(r *Run) *float64 {
		if p := r.Memory.ServerRSSPeakBytes; p != nil {
			v := float64(*p)
			return &v
		}
		return nil
	}},
	{"offload_frac", "memory.offload_frac", func(r *Run) *float64 { return r.Memory.OffloadFrac }},
	{"headroom_frac", "memory.headroom_frac", func(r *Run) *float64 { return r.Memory.HeadroomFrac }},
	{"predicted_error_frac", "memory.predicted_error_frac", func(r *Run) *float64 { return r.Memory.PredictedErrorFrac }},
	{"energy.cost_per_mtok", "energy.cost_per_mtok", func(r *Run) *float64 { return r.Energy.CostPerMTok }},
	{"energy.j_per_output_token", "energy.j_per_output_token", func(r *Run) *float64 { return r.Energy.JPerOutputToken }},
	{"roofline.decode_ceiling_per_s", "roofline.decode_ceiling_per_s", rooflineFigure(func(rl *profiles.Roofline) *float64 { return &rl.DecodeCeilingPerS })},
	{"roofline.decode_efficiency_frac", "roofline.decode_efficiency_frac", rooflineFigure(func(rl *profiles.Roofline) *float64 { return rl.DecodeEfficiencyFrac })},
	{"roofline.prefill_ceiling_per_s", "roofline.prefill_ceiling_per_s", rooflineFigure(func(rl *profiles.Roofline) *float64 {
		if rl.PrefillCeilingPerS == 0 {
			return nil // not computed: no FLOP/s figure or no active parameter count
		}
		return &rl.PrefillCeilingPerS
	})},
	{"roofline.prefill_efficiency_frac", "roofline.prefill_efficiency_frac", rooflineFigure(func(rl *profiles.Roofline) *float64 { return rl.PrefillEfficiencyFrac })},
}

func rooflineFigure(f func(*profiles.Roofline) *float64) func(*Run) *float64 {
	return func(r *Run) *float64 {
		if r.Roofline == nil {
			return nil
		}
		return f(r.Roofline)
	}
}
