package results

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/perf/benchmath"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
	"github.com/yardstick-dev/yardstick/internal/units"
)

// ComparisonKind identifies the JSON form of a Comparison.
const ComparisonKind = "yardstick.comparison"

// ComparisonSchemaVersion is the version of the Comparison JSON.
const ComparisonSchemaVersion = 1

// DefaultAlpha is the significance level of every comparison unless told otherwise:
// benchstat's default.
const DefaultAlpha = 0.05

// CompareOptions configure Compare.
type CompareOptions struct {
	// Alpha is the significance level of the Mann-Whitney U test, in (0, 1). 0 means
	// DefaultAlpha.
	Alpha float64
	// Gates are the regression thresholds to evaluate (ParseGates).
	Gates []Gate
	// Force compares runs whose keys say the comparison is meaningless; the refusals
	// stay in Keys.
	Force bool
	// Lenient skips a gate that cannot be judged (its metric missing from the runs or
	// the base, or a change beyond the limit from too few samples to be significant)
	// instead of failing it. The default, strict, fails it: a CI gate must not pass
	// having judged nothing.
	Lenient bool
}

// RunRef names one compared run.
type RunRef struct {
	// Label is how reports name the run: its file name, as given.
	Label     string `json:"label"`
	RunID     string `json:"run_id"`
	StartedAt string `json:"started_at"`
	Host      string `json:"host"`
	Model     string `json:"model"`
	Digest    string `json:"digest,omitempty"`
	Quant     string `json:"quantization,omitempty"`
	Synthetic bool   `json:"synthetic,omitempty"`
	Backend   string `json:"backend"`
	Server    string `json:"server_version"`
	Completed int    `json:"completed"`
	Failed    int    `json:"failed"`
	// Dropped counts the requests the run's open loops dropped (levels[].dropped).
	Dropped int `json:"dropped,omitempty"`
	// Warnings are the run file's own warnings, as "code: message".
	Warnings []string `json:"warnings,omitempty"`
	// Levels are the run's levels, in order, with their loads: the load of each
	// levels[N] metric and figure.
	Levels []LevelRef `json:"levels,omitempty"`
}

// LevelRef is one level of a compared run: its index in the run file's levels[], its
// load model (load: sequential, closed or open, with concurrency, rate_per_s and
// arrival as the load has them) and its target prompt length in tokens.
type LevelRef struct {
	Index int `json:"index"`
	bench.LoadSpec
	PromptTokens int `json:"prompt_tokens"`
}

// levelRefs returns r's levels; a run file without levels[] gets those its options
// describe.
func levelRefs(r *Run) []LevelRef {
	var out []LevelRef
	if len(r.Levels) > 0 {
		for i, l := range r.Levels {
			out = append(out, LevelRef{Index: i, LoadSpec: l.LoadSpec, PromptTokens: l.PromptTokens})
		}
		return out
	}
	for i, l := range r.Options.Levels() {
		out = append(out, LevelRef{Index: i, LoadSpec: l.Load, PromptTokens: l.PromptTokens})
	}
	return out
}

// Comparison is the result of comparing runs: the first is the base, every other run is
// compared with it. Values are in each metric's unit (…_ns: nanoseconds).
type Comparison struct {
	Kind          string `json:"kind"`
	SchemaVersion int    `json:"schema_version"`
	// Alpha is the significance level; CILevel the requested confidence of every
	// median interval (each interval's actual level is at least this).
	Alpha   float64 `json:"alpha"`
	CILevel float64 `json:"ci_level"`
	// Strict is true unless CompareOptions.Lenient was given: gates that cannot be
	// judged fail.
	Strict bool     `json:"strict"`
	Runs   []RunRef `json:"runs"`
	// Keys holds, for each run after the base (Keys[i] for Runs[i+1]), the
	// comparability keys that differ from the base.
	Keys    [][]KeyDiff        `json:"keys"`
	Metrics []MetricComparison `json:"metrics"`
	Figures []FigureComparison `json:"figures"`
	Gates   []GateResult       `json:"gates"`

	// raw holds each run's per-request values by metric, for the benchstat renderer.
	raw []map[string][]float64
	// src holds the runs compared, for the renderers that write their levels or
	// samples (benchstat by level, markdown's level tables, CSV's samples).
	src []*Run
	// levels describes the base run's levels ("concurrency 4"), for labels.
	levels []string
}

// metricLabel is label(name) with a level's load: "level 2 (concurrency 4) TTFT".
func (c *Comparison) metricLabel(name string) string {
	if rest, ok := strings.CutPrefix(name, "levels["); ok {
		if i := strings.Index(rest, "]."); i > 0 {
			if n, err := strconv.Atoi(rest[:i]); err == nil && n >= 0 && n < len(c.levels) {
				return fmt.Sprintf("level %d (%s) %s", n, c.levels[n], label(rest[i+2:]))
			}
		}
	}
	return label(name)
}

// MetricComparison is one per-request metric across the runs.
type MetricComparison struct {
	Metric    string    `json:"metric"`
	Unit      string    `json:"unit"`
	Direction Direction `json:"direction"`
	// Stats has one summary per run; N = 0 when the run has no value of the metric.
	Stats []Summary `json:"stats"`
	// TestedN is, per run, how many values the Mann-Whitney U test compared: Stats[i].N,
	// except for itl_ns, whose gaps within one request are not independent draws, so
	// the test takes one value per request (its median gap) and TestedN counts
	// requests. Absent in comparisons written before it.
	TestedN []int `json:"tested_n,omitempty"`
	// Deltas compare each later run with the base (Deltas[i] for Runs[i+1]).
	Deltas []Delta `json:"deltas"`
}

// Delta is the change of a metric from the base run to another.
type Delta struct {
	// Frac = median_new / median_base − 1 (benchstat's "vs base"); absent when either
	// run lacks the metric or the base median is 0.
	Frac *float64 `json:"frac,omitempty"`
	// P is the p-value of a two-sided Mann-Whitney U test (golang.org/x/perf/benchmath
	// AssumeNothing.Compare) that the two samples come from one distribution.
	P float64 `json:"p"`
	// Significant is P ≤ alpha, as benchstat decides.
	Significant bool `json:"significant"`
	// Verdict is "better", "worse", "changed" (a significant change of a neutral
	// metric), "~" (may be noise) or "n/a" (no data).
	Verdict  string   `json:"verdict"`
	Warnings []string `json:"warnings,omitempty"`
}

// FigureComparison is a run-level figure (one value per run: no test is possible).
type FigureComparison struct {
	Name      string     `json:"name"`
	Direction Direction  `json:"direction"`
	Values    []*float64 `json:"values"`
	// Fracs = value / base value − 1, per later run.
	Fracs []*float64 `json:"fracs"`
}

// GateResult is a gate evaluated on one run against the base.
type GateResult struct {
	Gate Gate `json:"gate"`
	// Run is the index into Comparison.Runs of the run judged.
	Run  int     `json:"run"`
	Base float64 `json:"base"`
	New  float64 `json:"new"`
	// Frac = New / Base − 1; ±Inf when Base is 0 (written as null in JSON).
	Frac        float64  `json:"-"`
	FracJSON    *float64 `json:"frac"`
	P           float64  `json:"p"`
	Significant bool     `json:"significant"`
	// Status is "pass", "fail" (beyond the threshold and significant; or not judged,
	// under the strict rule) or "skip" (not judged, with CompareOptions.Lenient).
	Status string `json:"status"`
	// Judged is false when the gate could not be judged: the metric is missing, the
	// new run has no successful values of it, or too few samples to ever be
	// significant.
	Judged bool `json:"judged"`
	// Message explains the status in one sentence.
	Message string `json:"message"`
}

// ErrNotComparable is returned (wrapped) by Compare when run keys refuse the comparison.
var ErrNotComparable = errors.New("not comparable")

// Compare compares runs[1:] with runs[0], metric by metric, from the raw samples: per
// run the median with its 95% confidence interval (order statistics), per later run
// the change of the median and a Mann-Whitney U test (both through
// golang.org/x/perf/benchmath AssumeNothing, as benchstat does). With one run it
// summarizes that run alone. labels name the runs (file names).
//
// Errors: no runs; a label count that does not match; an alpha outside (0, 1); keys
// that refuse the comparison (ErrNotComparable, naming the first refused key), unless
// opts.Force.
func Compare(runs []*Run, labels []string, opts CompareOptions) (*Comparison, error) {
	if len(runs) == 0 {
		return nil, errors.New("no runs to compare")
	}
	if len(labels) != len(runs) {
		return nil, fmt.Errorf("%d labels for %d runs", len(labels), len(runs))
	}
	alpha := opts.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("alpha %v must be in (0, 1)", alpha)
	}
	c := &Comparison{Kind: ComparisonKind, SchemaVersion: ComparisonSchemaVersion, Alpha: alpha, CILevel: CILevel, Strict: !opts.Lenient,
		Keys: [][]KeyDiff{}, Metrics: []MetricComparison{}, Figures: []FigureComparison{}, Gates: []GateResult{}}
	for i, r := range runs {
		c.Runs = append(c.Runs, runRef(r, labels[i]))
		c.src = append(c.src, r)
		if i == 0 {
			continue
		}
		keys := CompareKeys(runs[0], r)
		if keys == nil {
			keys = []KeyDiff{}
		}
		c.Keys = append(c.Keys, keys)
		for _, k := range keys {
			if k.Severity == KeyRefuse && !opts.Force {
				return nil, fmt.Errorf("%s: %w with %s: %s (--force compares anyway)", labels[i], ErrNotComparable, labels[0], k)
			}
		}
	}

	for _, g := range opts.Gates {
		rest, ok := strings.CutPrefix(g.Metric, "levels[")
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(rest[:strings.Index(rest, "]")])
		if nl := len(runs[0].Levels); nl < 2 || n >= nl {
			return nil, fmt.Errorf("--fail-on %s: %s has %d level(s); levels[N] names a level of a sweep, from 0", g.Metric, labels[0], nl)
		}
	}
	th := benchmath.Thresholds{CompareAlpha: alpha}
	vals := make([]map[string][]float64, len(runs))
	for i, r := range runs {
		vals[i] = MetricValues(r.Samples)
	}
	c.raw = vals
	samples := map[string][]*benchmath.Sample{}
	c.compareMetrics("", MetricOrder, vals, runs, samples, th)
	// Runs of the same sweep are compared level by level too: the pooled figures mix
	// levels of different load.
	c.levels = runs[0].Options.LevelNames()
	if nl := len(runs[0].Levels); nl > 1 {
		same := true
		for _, r := range runs[1:] {
			same = same && len(r.Levels) == nl
		}
		for l := 0; same && l < nl; l++ {
			lvals := make([]map[string][]float64, len(runs))
			lruns := make([]*Run, len(runs))
			for i, r := range runs {
				lr := *r
				lr.Samples = nil
				for _, s := range r.Samples {
					if s.Level == l {
						lr.Samples = append(lr.Samples, s)
					}
				}
				lruns[i] = &lr
				lvals[i] = MetricValues(lr.Samples)
			}
			c.compareMetrics(fmt.Sprintf("levels[%d].", l), LevelMetrics, lvals, lruns, samples, th)
		}
	}

	figs := make([][]Figure, len(runs))
	var order []string
	seen := map[string]bool{}
	for i, r := range runs {
		figs[i] = runFigures(r)
		for _, f := range figs[i] {
			if !seen[f.Name] {
				seen[f.Name] = true
				order = append(order, f.Name)
			}
		}
	}
	for _, name := range order {
		fc := FigureComparison{Name: name, Direction: MetricDirection(leafName(name)), Fracs: []*float64{}}
		for i := range runs {
			var v *float64
			for _, f := range figs[i] {
				if f.Name == name {
					x := f.Value
					v = &x
				}
			}
			fc.Values = append(fc.Values, v)
			if i > 0 {
				fc.Fracs = append(fc.Fracs, ratio(fc.Values[0], v))
			}
		}
		c.Figures = append(c.Figures, fc)
	}

	for i := 1; i < len(runs); i++ {
		for _, g := range opts.Gates {
			gr := evalGate(g, i, c, samples)
			if gr.Status == "skip" && !opts.Lenient {
				gr.Status, gr.Message = "fail", "not judged, so failed (strict): "+gr.Message
			}
			c.Gates = append(c.Gates, gr)
		}
	}
	return c, nil
}

// LevelMetrics are the per-request metrics compare tests level by level when both
// runs are the same sweep: latency as users see it under each load.
var LevelMetrics = []string{"ttft_ns", "ttft_from_scheduled_ns", "tpot_ns", "e2e_ns", "e2e_from_scheduled_ns", "queue_delay_ns", "server_gen_per_s"}

// compareMetrics adds a MetricComparison, named prefix+metric, for each of names
// that some run has, testing each later run against the first.
func (c *Comparison) compareMetrics(prefix string, names []string, vals []map[string][]float64, runs []*Run, samples map[string][]*benchmath.Sample, th benchmath.Thresholds) {
	for _, name := range names {
		full := prefix + name
		mc := MetricComparison{Metric: full, Unit: metricUnit(name), Direction: MetricDirection(name), Deltas: []Delta{}}
		found := false
		for i := range runs {
			xs := vals[i][name]
			s, ok := summaryOf(name, slices.Clone(xs))
			if ok {
				found = true
			}
			mc.Stats = append(mc.Stats, s)
			test := xs
			if name == "itl_ns" {
				// Gaps within one request are not independent draws: the U test gets
				// one value per request, its median gap, so n counts requests.
				test = perRequestMedianITL(runs[i].Samples)
			}
			mc.TestedN = append(mc.TestedN, len(test))
			samples[full] = append(samples[full], benchmath.NewSample(append([]float64(nil), test...), &th))
		}
		if !found {
			continue
		}
		for i := 1; i < len(runs); i++ {
			mc.Deltas = append(mc.Deltas, delta(mc, samples[full][0], samples[full][i], mc.Stats[0], mc.Stats[i]))
		}
		c.Metrics = append(c.Metrics, mc)
	}
}

func runRef(r *Run, label string) RunRef {
	m := r.Target.Model
	ref := RunRef{Label: label, RunID: r.RunID, StartedAt: r.StartedAt, Host: r.Environment.Hardware.Hostname,
		Model: m.Name, Digest: m.Digest, Quant: m.QuantizationLevel, Synthetic: m.Synthetic != nil,
		Backend: r.Target.Backend, Server: r.Target.ServerVersion,
		Completed: r.Throughput.Completed, Failed: r.Throughput.Failed, Dropped: droppedOf(r), Levels: levelRefs(r)}
	for _, w := range r.Warnings {
		ref.Warnings = append(ref.Warnings, string(w.Code)+": "+w.Message)
	}
	return ref
}

func ratio(base, v *float64) *float64 {
	if base == nil || v == nil || *base == 0 {
		return nil
	}
	f := *v / *base - 1
	return &f
}

func delta(mc MetricComparison, s0, s1 *benchmath.Sample, b, n Summary) Delta {
	if b.N == 0 || n.N == 0 {
		return Delta{P: 1, Verdict: "n/a"}
	}
	cmp := benchmath.AssumeNothing.Compare(s0, s1)
	d := Delta{P: cmp.P, Significant: cmp.P <= cmp.Alpha}
	for _, w := range cmp.Warnings {
		d.Warnings = append(d.Warnings, w.Error())
	}
	if b.Median != 0 {
		f := n.Median/b.Median - 1
		d.Frac = &f
	}
	d.Verdict = verdict(mc.Direction, d.Significant, n.Median-b.Median)
	return d
}

// verdict names a change of size diff (new − base) in a metric of direction dir.
func verdict(dir Direction, significant bool, diff float64) string {
	switch {
	case !significant:
		return "~"
	case diff == 0:
		return "~"
	case dir == Neutral:
		return "changed"
	case (diff > 0) == (dir == HigherIsBetter):
		return "better"
	}
	return "worse"
}

func evalGate(g Gate, run int, c *Comparison, samples map[string][]*benchmath.Sample) GateResult {
	gr := GateResult{Gate: g, Run: run, P: 1, Status: "skip"}
	var mc *MetricComparison
	for i := range c.Metrics {
		if c.Metrics[i].Metric == g.Metric {
			mc = &c.Metrics[i]
			break
		}
	}
	if mc == nil && c.Runs[run].Completed > 0 {
		// No run has the metric at all: a level the runs do not have, or a figure their
		// load model does not give (ttft_from_scheduled_ns in a closed loop).
		gr.Message = fmt.Sprintf("%s: no run has values of it (a level that does not exist, or a figure this load does not produce)", g.Metric)
		return gr
	}
	if mc == nil || mc.Stats[run].N == 0 {
		// A new run with nothing to judge (every request failed) must not pass a gate.
		gr.Status = "fail"
		gr.Message = fmt.Sprintf("%s: no successful values in %s", g.Metric, c.Runs[run].Label)
		return gr
	}
	if mc.Stats[0].N == 0 {
		gr.Message = fmt.Sprintf("%s: no values in the base run %s", g.Metric, c.Runs[0].Label)
		return gr
	}
	d := mc.Deltas[run-1]
	gr.Judged = true
	gr.Base, gr.New = statValue(mc.Stats[0], g.Stat), statValue(mc.Stats[run], g.Stat)
	gr.P, gr.Significant = d.P, d.Significant
	if gr.Base != 0 {
		gr.Frac = gr.New/gr.Base - 1
	} else if gr.New != 0 {
		gr.Frac = math.Inf(int(math.Copysign(1, gr.New)))
	}
	if !math.IsInf(gr.Frac, 0) && !math.IsNaN(gr.Frac) {
		f := gr.Frac
		gr.FracJSON = &f
	}
	beyond := (g.Sign > 0 && gr.Frac > g.Percent/100) || (g.Sign < 0 && gr.Frac < -g.Percent/100)
	change := fmt.Sprintf("%s %s %s (p=%.3f, n=%d+%d), limit %s", g.Name(), pct(gr.Frac), arrow(gr.Base, gr.New, mc.Metric),
		gr.P, mc.testedN(0), mc.testedN(run), g.Threshold())
	switch {
	case beyond && gr.Significant:
		gr.Status = "fail"
		gr.Message = change + ": beyond the limit and significant"
	case beyond && len(d.Warnings) > 0:
		gr.Status, gr.Judged = "skip", false
		gr.Message = change + ": beyond the limit but " + strings.Join(d.Warnings, "; ")
	case beyond:
		gr.Status = "pass"
		gr.Message = change + ": beyond the limit but not significant at alpha " + fmt.Sprint(c.Alpha)
	default:
		gr.Status = "pass"
		gr.Message = change + ": within the limit"
	}
	return gr
}

// pct renders a fraction as a signed percentage with two decimals, as benchstat does.
func pct(f float64) string {
	if math.IsInf(f, 0) {
		return "∞"
	}
	return fmt.Sprintf("%+.2f%%", 100*f)
}

func arrow(base, new float64, metric string) string {
	f := valueFormatter(metric)
	return "(" + f(base) + " → " + f(new) + ")"
}

// valueFormatter is formatter (table.go) for per-request metrics, with figures too.
func valueFormatter(name string) func(float64) string {
	leaf := leafName(name)
	if slices.Contains(MetricOrder, leaf) {
		return formatter(leaf)
	}
	switch {
	case strings.HasSuffix(leaf, "_bytes"):
		return units.IEC
	case strings.HasSuffix(leaf, "_frac"):
		return func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	case strings.HasSuffix(leaf, "_ns"):
		return dur
	}
	return func(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }
}

// leafName is the last dot-separated part of a figure's path
// ("roofline.decode_ceiling_per_s" → "decode_ceiling_per_s"), which carries its unit; a
// metric name is its own leaf.
func leafName(name string) string { return name[strings.LastIndex(name, ".")+1:] }

// testedN is how many values the U test compared for run i (TestedN), or the
// summary's n in a comparison decoded from a file without tested_n.
func (mc *MetricComparison) testedN(i int) int {
	if i < len(mc.TestedN) {
		return mc.TestedN[i]
	}
	return mc.Stats[i].N
}

// Failed reports whether any gate failed.
func (c *Comparison) Failed() bool {
	for _, g := range c.Gates {
		if g.Status == "fail" {
			return true
		}
	}
	return false
}

// perRequestMedianITL returns the median inter-chunk gap of each successful request
// that has one: the unit of independent observation for testing a change in ITL.
func perRequestMedianITL(samples []bench.Sample) []float64 {
	var out []float64
	for i := range samples {
		s := &samples[i]
		if !s.OK || len(s.ITLNs) == 0 {
			continue
		}
		g := make([]float64, len(s.ITLNs))
		for j, v := range s.ITLNs {
			g[j] = float64(v)
		}
		m := stat.Median(g)
		out = append(out, m)
	}
	return out
}
