package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/tablefit"
	"github.com/yardstick-dev/yardstick/internal/units"
	"github.com/yardstick-dev/yardstick/profiles"
)

// LevelSummary is one level of a run (a step of a --concurrency, --rate or
// --prompt-tokens sweep, or the single level of a run without one): its load, its
// throughput over its own window, its per-request statistics, and, with --slo, how its
// requests met the objectives.
type LevelSummary struct {
	bench.Level
	Throughput Throughput `json:"throughput"`
	// GoodputPerS = measured requests meeting every objective / the level's window
	// (docs/metrics.md "Aggregates"); absent without --slo.
	GoodputPerS *float64 `json:"goodput_per_s,omitempty"`
	// SLO is how the level's requests met each objective; absent without --slo.
	SLO *SLOResult `json:"slo,omitempty"`
	// Summaries are the level's per-request statistics, as Run.Summaries.
	Summaries map[string]Summary `json:"summaries"`
	// MeanRequestsInFlight = Σ e2e_ns of the level's successful requests / its window:
	// the time-averaged number of requests between send and done (Little's law; each
	// request's span lies in the window). MeanDecodingStreams = Σ (e2e_ns − ttft_ns) /
	// window: the time-averaged number between first token and done, decoding at once.
	// DecodeTokensPerS = Σ (output_tokens − 1) / window: the tokens decode steps made
	// (the first comes out of prefill). All three over the successful requests only
	// (docs/metrics.md "Under load"); absent (0) in run files from before them.
	MeanRequestsInFlight float64 `json:"mean_requests_in_flight,omitempty"`
	MeanDecodingStreams  float64 `json:"mean_decoding_streams,omitempty"`
	DecodeTokensPerS     float64 `json:"decode_tokens_per_s,omitempty"`
	// Roofline holds DecodeTokensPerS against the ceiling of MeanDecodingStreams streams
	// decoding at once; absent without the run's roofline (no model cost or no
	// bandwidth), in a run against several servers, and in a merged run (its sources'
	// machines and bandwidths differ: each source keeps its own).
	Roofline *LevelRoofline `json:"roofline,omitempty"`
}

// LevelRoofline is a level's decode throughput held against what the hardware allows
// its mean number of decoding streams (docs/metrics.md "Under load"):
// profiles.BatchDecodeCeiling at b = MeanDecodingStreams, each stream at the level's
// mean context, at the bandwidth of the run's roofline.
type LevelRoofline struct {
	// MeanContextTokens is the mean over the level's successful requests of
	// prompt_tokens + (output_tokens − 1) / 2, as the run's roofline.
	MeanContextTokens float64 `json:"mean_context_tokens"`
	// BandwidthBytesPerS is the run roofline's: the device's, or with a share of the
	// model offloaded to host memory and charged at host bandwidth, the mean rate the
	// run's roofline reads a byte at.
	BandwidthBytesPerS float64 `json:"bandwidth_bytes_per_s"`
	// BytesPerStep = active weight bytes (read once for all streams; for a mixture of
	// experts the shared weights and k experts per layer, the fewest a batch reads) +
	// MeanDecodingStreams × KV bytes at MeanContextTokens.
	BytesPerStep uint64 `json:"bytes_per_step"`
	// DecodeCeilingPerS = MeanDecodingStreams × BandwidthBytesPerS / BytesPerStep,
	// tokens/s over all streams: a ceiling whatever the routing.
	DecodeCeilingPerS float64 `json:"decode_ceiling_per_s"`
	// DecodeEfficiencyFrac = the level's decode_tokens_per_s / DecodeCeilingPerS;
	// absent when FitsInLLC.
	DecodeEfficiencyFrac *float64 `json:"decode_efficiency_frac,omitempty"`
	// FitsInLLC is true when BytesPerStep fit in the host's last-level cache (the run
	// roofline's LLCBytes, nothing offloaded): DRAM bandwidth does not bind the step,
	// so the ceiling is not one and no efficiency is given (docs/metrics.md "Hardware
	// roofline").
	FitsInLLC bool `json:"fits_in_llc,omitempty"`
	// For a mixture of experts only: the same with the experts per layer uniform,
	// independent routing touches on average, n(1 − (1 − k/n)^b). An estimate, not a
	// bound: real routing can touch fewer experts (and beat it) or more.
	UniformRoutingExpertsPerLayer      float64  `json:"uniform_routing_experts_per_layer,omitempty"`
	UniformRoutingBytesPerStep         uint64   `json:"uniform_routing_bytes_per_step,omitempty"`
	UniformRoutingDecodeCeilingPerS    float64  `json:"uniform_routing_decode_ceiling_per_s,omitempty"`
	UniformRoutingDecodeEfficiencyFrac *float64 `json:"uniform_routing_decode_efficiency_frac,omitempty"`
}

// Peak names the level with the highest goodput (with --slo) or, without objectives,
// the highest output token throughput.
type Peak struct {
	// Level is the index of the level in Run.Levels.
	Level int `json:"level"`
	// By is the figure compared: "goodput_per_s" or "output_tokens_per_s".
	By    string  `json:"by"`
	Value float64 `json:"value"`
}

// TargetSummary is one server of a run against several: its throughput over the run's
// window and its per-request statistics. The run's own throughput is the fleet's total.
type TargetSummary struct {
	Index int    `json:"index"`
	Host  string `json:"host"`
	// Throughput is over this server's own window: the sum, over the levels, of its
	// first measured send to its last done in each.
	Throughput Throughput         `json:"throughput"`
	Window     bench.Window       `json:"window"`
	Summaries  map[string]Summary `json:"summaries"`
	// Cold and Memory are this server's cold load and memory, as the run's own are
	// the first server's.
	Cold   *bench.ColdLoad `json:"cold,omitempty"`
	Memory bench.Memory    `json:"memory"`
}

// throughputOf counts ss and sets rates over windowNs.
func throughputOf(ss []bench.Sample, windowNs int64) Throughput {
	var t Throughput
	for _, s := range ss {
		if s.OK {
			t.Completed++
			t.OutputTokens += s.OutputTokens
		} else {
			t.Failed++
			if t.ErrorsByKind == nil {
				t.ErrorsByKind = map[bench.ErrorKind]int{}
			}
			t.ErrorsByKind[s.ErrorKind]++
		}
	}
	t.setRates(windowNs)
	return t
}

// summarizeSamples sets what the run's samples give as a whole: throughput over the
// measured window of windowNs, every metric's Summary, and the count of failed requests
// the summaries leave out. Build and Merge both call it and then summarizeLevels, so a
// merge is a build over the concatenated samples (TestMergeIsBuildOverConcatenated).
func (r *Run) summarizeSamples(windowNs int64) {
	r.Throughput = throughputOf(r.Samples, windowNs)
	r.Summaries = summarize(r.Samples)
	r.SummariesLeftOut = r.Throughput.Failed
}

// summarizeLevels splits the run's samples by level and summarizes each (setLevels),
// holds each against its batched decode ceiling (levelRoofline; above_ceiling when
// one is beaten), then adds too_few_samples. With a single level its summaries are the
// run's own (the same map).
func (r *Run) summarizeLevels(levels []bench.Level) {
	out := make([]LevelSummary, 0, len(levels))
	for _, lv := range levels {
		ss, summaries := r.Samples, r.Summaries
		if len(levels) > 1 {
			ss, summaries = nil, nil
			for _, s := range r.Samples {
				if s.Level == lv.Index {
					ss = append(ss, s)
				}
			}
		}
		ls := summarizeLevel(lv, ss, r.Options.SLO, summaries)
		ls.Roofline = r.levelRoofline(ls, ss)
		out = append(out, ls)
	}
	r.setLevels(out)
	r.summarizeTurns()
	r.warnLevelsAboveCeiling()
	r.Warnings = appendTooFewSamples(r.Warnings, r.Summaries)
}

// warnLevelsAboveCeiling warns above_ceiling, once, naming the levels whose decode
// throughput beat their batched ceiling: a ceiling that is beaten is not one.
func (r *Run) warnLevelsAboveCeiling() {
	var above []string
	for _, l := range r.Levels {
		if l.Roofline != nil && l.Roofline.DecodeEfficiencyFrac != nil && *l.Roofline.DecodeEfficiencyFrac > 1 {
			above = append(above, fmt.Sprintf("%d (%s) %.0f%%", l.Index, l.LoadSpec, 100**l.Roofline.DecodeEfficiencyFrac))
		}
	}
	if len(above) > 0 {
		r.warn(bench.CodeAboveCeiling, "decode throughput above the batched ceiling of its mean decoding streams in level "+strings.Join(above, ", ")+
			": the memory bandwidth figure is too low for this machine, or the model is small enough to be served from CPU cache")
	}
}

// summarizeLevel summarizes level lv from its samples ss: throughput over its window,
// statistics (summaries when the caller has them already), and with slo its verdict
// and goodput = good requests / window.
func summarizeLevel(lv bench.Level, ss []bench.Sample, slo bench.SLO, summaries map[string]Summary) LevelSummary {
	ls := LevelSummary{Level: lv, Throughput: throughputOf(ss, lv.Window.DurationNs), Summaries: summaries}
	if ls.Summaries == nil {
		ls.Summaries = summarize(ss)
	}
	ls.MeanRequestsInFlight, ls.MeanDecodingStreams, ls.DecodeTokensPerS = occupancy(ss, lv.Window.DurationNs)
	if sr := EvaluateSLO(slo, ss, lv.Dropped); sr != nil {
		ls.SLO = sr
		g := 0.0
		if w := float64(lv.Window.DurationNs) / 1e9; w > 0 {
			g = float64(sr.GoodRequests) / w
		}
		ls.GoodputPerS = &g
	}
	return ls
}

// occupancy returns, over the successful samples ss and a window of windowNs: the
// mean number of requests in flight (Σ e2e / window), the mean number decoding (Σ
// (e2e − ttft) / window) and the decode token throughput (Σ (output_tokens − 1) /
// window). A request without a first token has no decode span and made no decode
// token. All 0 for an empty window.
func occupancy(ss []bench.Sample, windowNs int64) (inFlight, decoding, decodePerS float64) {
	w := float64(windowNs)
	if !(w > 0) {
		return 0, 0, 0
	}
	var e2e, span int64
	tokens := 0
	for i := range ss {
		s := &ss[i]
		if !s.OK || s.E2ENs == nil {
			continue
		}
		e2e += *s.E2ENs
		// One output token is no decode step: what follows it is the server's epilogue.
		if s.TTFTNs != nil && s.OutputTokens > 1 {
			span += max(0, *s.E2ENs-*s.TTFTNs)
			tokens += s.OutputTokens - 1
		}
	}
	return float64(e2e) / w, float64(span) / w, float64(tokens) / (w / 1e9)
}

// levelRoofline holds level l (whose samples are ss) against the ceiling of its mean
// number of decoding streams, at the bandwidth of the run's roofline; nil without a
// decode ceiling for the run, in a run against several servers (each decodes its own
// batch: one ceiling for their streams together would be too low), or with no
// decoding stream.
func (r *Run) levelRoofline(l LevelSummary, ss []bench.Sample) *LevelRoofline {
	rl, cost := r.Roofline, r.Target.Model.Cost
	if rl == nil || cost == nil || !(rl.DecodeCeilingPerS > 0) || rl.BytesPerToken == 0 || len(r.Fleet) > 1 || !(l.MeanDecodingStreams > 0) {
		return nil
	}
	n, ctx := 0, 0.0
	for i := range ss {
		if s := &ss[i]; s.OK {
			ctx += float64(s.PromptTokens) + float64(max(0, s.OutputTokens-1))/2
			n++
		}
	}
	ctx /= float64(n) // n > 0: a decoding stream is a successful request
	bw := rl.BandwidthBytesPerS
	if rl.OffloadAdjusted {
		// The run's ceiling charged the offloaded share at host bandwidth: 1 / ceiling
		// seconds per BytesPerToken bytes, whatever the bytes.
		bw = rl.DecodeCeilingPerS * float64(rl.BytesPerToken)
	}
	bc := profiles.BatchDecodeCeiling(*cost, l.MeanDecodingStreams, ctx, bw)
	if !(bc.DecodeCeilingPerS > 0) {
		return nil
	}
	lr := &LevelRoofline{MeanContextTokens: ctx, BandwidthBytesPerS: bw,
		BytesPerStep:      uint64(math.Round(bc.WeightBytesPerStep + bc.KVBytesPerStep)),
		DecodeCeilingPerS: bc.DecodeCeilingPerS}
	lr.FitsInLLC = rl.LLCBytes > 0 && rl.OffloadFrac == 0 && lr.BytesPerStep <= rl.LLCBytes
	if lr.FitsInLLC {
		return lr
	}
	e := l.DecodeTokensPerS / bc.DecodeCeilingPerS
	lr.DecodeEfficiencyFrac = &e
	if bc.UniformRoutingDecodeCeilingPerS > 0 {
		lr.UniformRoutingExpertsPerLayer = bc.UniformRoutingExpertsPerLayer
		lr.UniformRoutingBytesPerStep = uint64(math.Round(bc.UniformRoutingWeightBytesPerStep + bc.KVBytesPerStep))
		lr.UniformRoutingDecodeCeilingPerS = bc.UniformRoutingDecodeCeilingPerS
		e := l.DecodeTokensPerS / bc.UniformRoutingDecodeCeilingPerS
		lr.UniformRoutingDecodeEfficiencyFrac = &e
	}
	return lr
}

// setLevels sets the run's levels and what follows from them: the peak, the goodput
// of a run of one level, the slo_missed warning and, for a prompt sweep, the fits.
func (r *Run) setLevels(levels []LevelSummary) {
	r.Levels = levels
	r.Peak = peakLevel(levels)
	r.Throughput.GoodputPerS = nil
	if len(levels) == 1 {
		r.Throughput.GoodputPerS = levels[0].GoodputPerS
	}
	sloWarnings(r)
	fits(r)
}

// peakLevel returns the level with the highest goodput, or without objectives the
// highest output token throughput; nil with fewer than two levels.
func peakLevel(levels []LevelSummary) *Peak {
	if len(levels) < 2 {
		return nil
	}
	var p *Peak
	for i, l := range levels {
		by, v := "output_tokens_per_s", l.Throughput.OutputTokensPerS
		if l.GoodputPerS != nil {
			by, v = "goodput_per_s", *l.GoodputPerS
		}
		if p == nil || v > p.Value {
			p = &Peak{Level: i, By: by, Value: v}
		}
	}
	if p.Value <= 0 {
		return nil // no level delivered anything (no request met the SLO): no peak
	}
	return p
}

// targetSummaries splits a fleet run's samples by server; nil for a run of one. A
// server's window is the sum of its windows in each level (its first send to its last
// done there): time it spent idle while another server finished a level, or during
// the warm-ups between levels, is not its measuring time.
func targetSummaries(res *bench.Result) []TargetSummary {
	if len(res.Fleet) < 2 {
		return nil
	}
	out := make([]TargetSummary, len(res.Fleet))
	for t, m := range res.Fleet {
		var ss []bench.Sample
		var w bench.Window
		per := map[int]*bench.Window{}
		for _, s := range res.Samples {
			if s.Target != t {
				continue
			}
			ss = append(ss, s)
			lw := per[s.Level]
			if lw == nil {
				lw = &bench.Window{StartNs: s.SentAtNs, EndNs: s.SentAtNs}
				per[s.Level] = lw
			}
			lw.StartNs = min(lw.StartNs, s.SentAtNs)
			if w.StartNs == 0 || s.SentAtNs < w.StartNs {
				w.StartNs = s.SentAtNs
			}
			if s.OK {
				lw.EndNs = max(lw.EndNs, s.SentAtNs+*s.E2ENs)
				w.EndNs = max(w.EndNs, s.SentAtNs+*s.E2ENs)
			}
		}
		for _, lw := range per {
			w.DurationNs += max(0, lw.EndNs-lw.StartNs)
		}
		w.EndNs = max(w.EndNs, w.StartNs)
		out[t] = TargetSummary{Index: t, Host: m.Target.Host, Window: w, Throughput: throughputOf(ss, w.DurationNs), Summaries: summarize(ss),
			Cold: m.Cold, Memory: m.Memory}
	}
	return out
}

// fits fits TTFT against prompt length and decode time against context depth over a
// prompt-length sweep; a fit that cannot be made is a warning, never a figure.
func fits(r *Run) {
	r.PrefillFit, r.DecodeFit = nil, nil
	lengths := map[int]bool{}
	for _, lv := range r.Levels {
		lengths[lv.PromptTokens] = true
	}
	if len(lengths) < 2 {
		return
	}
	if f, err := FitPrefill(r.Samples); err == nil {
		r.PrefillFit = f
		if f.FixedNs < 0 {
			r.Warnings = append(r.Warnings, bench.Warning{Code: bench.CodeFitNegativeFixed, Message: fmt.Sprintf(
				"the TTFT fit's fixed cost is negative (%s): TTFT grows faster than linearly with prompt length here (attention's cost grows with the square of the length, or the prefill rate falls with it), so prefill_per_s is the marginal rate over %d..%d tokens, not a rate at every length",
				dur(f.FixedNs), f.PromptTokensMin, f.PromptTokensMax)})
		}
	} else {
		r.Warnings = append(r.Warnings, bench.Warning{Code: bench.CodeFitFailed, Message: "TTFT against prompt length: " + err.Error()})
	}
	if f, err := FitDecode(r.Samples); err == nil {
		r.DecodeFit = f
	} else {
		r.Warnings = append(r.Warnings, bench.Warning{Code: bench.CodeFitFailed, Message: "decode time against context depth: " + err.Error()})
	}
}

// sloWarnings warns about the levels that missed an objective.
func sloWarnings(r *Run) {
	var missed []string
	for _, l := range r.Levels {
		if l.SLO != nil && !l.SLO.Met {
			missed = append(missed, fmt.Sprintf("%d (%s)", l.Index, l.LoadSpec))
		}
	}
	switch {
	case len(missed) == 0:
	case len(r.Levels) == 1:
		r.Warnings = append(r.Warnings, bench.Warning{Code: bench.CodeSLOMissed, Message: fmt.Sprintf("the run missed --slo %s", r.Options.SLO.String())})
	default:
		r.Warnings = append(r.Warnings, bench.Warning{Code: bench.CodeSLOMissed, Message: fmt.Sprintf("levels missing --slo %s: %s", r.Options.SLO.String(), strings.Join(missed, ", "))})
	}
}

// sloVerdict is ": met" or ": missed (ttft_p95 612ms > 500ms, ...)" for the table.
func sloVerdict(r *SLOResult) string {
	if r.Met {
		return ", every objective met"
	}
	var missed []string
	for _, o := range r.Objectives {
		if !o.Met {
			seen := "a failed or dropped request"
			if o.ObservedNs != nil {
				seen = dur(float64(*o.ObservedNs))
			}
			missed = append(missed, fmt.Sprintf("%s %s > %s", bench.Objective{Metric: o.Metric, Percentile: o.Percentile}.Key(), seen, dur(float64(o.ThresholdNs))))
		}
	}
	return ", missed: " + strings.Join(missed, ", ")
}

// renderLevels writes the per-level table of a sweep (levelTable) for a terminal,
// fitted to width (0: none; tablefit splits it into parts led by the level and its
// load).
func renderLevels(b *strings.Builder, run *Run, width int) error {
	head, rows, notes := levelTable(run)
	if head == nil {
		return nil
	}
	b.WriteString("\nlevels\n")
	tw := tablefit.NewWriter(b, width, tablefit.Layout{Keys: 2}, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, strings.Join(head, "\t")+"\t")
	for _, row := range rows {
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range notes {
		b.WriteString(n + "\n")
	}
	b.WriteString("\n")
	return nil
}

// levelTable is the per-level table of a sweep, as the terminal and markdown show it:
// a header, one row per level (index, the peak marked with *, load, prompt length,
// ok, failed, dropped when any were, throughput, goodput and latency percentiles, TTFT
// and E2E from the schedule in an open loop, SLO verdict) and the lines that explain
// it. A nil header for a run of one level.
func levelTable(run *Run) (head []string, rows [][]string, notes []string) {
	if len(run.Levels) < 2 && len(run.Options.Levels()) < 2 {
		return nil, nil, nil
	}
	drops := false
	for _, l := range run.Levels {
		drops = drops || l.Dropped > 0
	}
	head = []string{"", "load", "prompt", "ok", "failed"}
	if drops {
		head = append(head, "dropped")
	}
	head = append(head, "req/s", "out tok/s", "goodput/s", "TTFT median", "TTFT p95", "TPOT median", "E2E p95", "queue p95", "SLO")
	pct := func(l LevelSummary, names ...string) func(p int) string {
		return func(p int) string {
			for _, n := range names {
				if s, ok := l.Summaries[n]; ok {
					v := s.P95
					if p == 50 {
						v = s.Median
					}
					return dur(v)
				}
			}
			return "-"
		}
	}
	for i, l := range run.Levels {
		mark := ""
		if run.Peak != nil && run.Peak.Level == i {
			mark = "*"
		}
		good, slo := "-", "-"
		if l.GoodputPerS != nil {
			good = fmt.Sprintf("%.3f", *l.GoodputPerS)
		}
		if l.SLO != nil {
			slo = map[bool]string{true: "met", false: "missed"}[l.SLO.Met]
		}
		ttft := pct(l, "ttft_from_scheduled_ns", "ttft_ns")
		e2e := pct(l, "e2e_from_scheduled_ns", "e2e_ns")
		row := []string{mark + strconv.Itoa(i), l.LoadSpec.String(), strconv.Itoa(l.PromptTokens), strconv.Itoa(l.Throughput.Completed), strconv.Itoa(l.Throughput.Failed)}
		if drops {
			row = append(row, strconv.Itoa(l.Dropped))
		}
		row = append(row, fmt.Sprintf("%.3f", l.Throughput.RequestsPerS), fmt.Sprintf("%.1f", l.Throughput.OutputTokensPerS), good,
			ttft(50), ttft(95), pct(l, "tpot_ns")(50), e2e(95), pct(l, "queue_delay_ns")(95), slo)
		rows = append(rows, row)
	}
	if p := run.Peak; p != nil {
		by := map[string]string{"goodput_per_s": "goodput", "output_tokens_per_s": "output throughput"}[p.By]
		notes = append(notes, fmt.Sprintf("* peak %s: level %d (%s)", by, p.Level, run.Levels[p.Level].LoadSpec))
	}
	if len(run.Levels) > 0 && run.Levels[0].Summaries["ttft_from_scheduled_ns"].N > 0 {
		notes = append(notes, "  TTFT and E2E are counted from each request's scheduled time (sent − scheduled is the queue delay)")
	}
	return head, rows, notes
}

// renderLevelRoofline writes each level's occupancy and decode throughput against its
// batched decode ceiling (docs/metrics.md "Under load"): requests in flight and
// decoding on average, decode tokens/s, the ceiling at that many streams and the share
// of it measured; for a mixture of experts the uniform-routing estimate and the share
// of it too. Levels without a roofline show "-" for the ceiling. Nothing for a run of
// one sequential level, whose run roofline is the figure, or for a file from before
// these fields. At most 80 columns for load names up to 15 characters.
func renderLevelRoofline(b *strings.Builder, run *Run) error {
	var rl *LevelRoofline
	decoding := false
	for _, l := range run.Levels {
		decoding = decoding || l.MeanDecodingStreams > 0
		if rl == nil {
			rl = l.Roofline
		}
	}
	if !decoding || (len(run.Levels) == 1 && run.Levels[0].Model != bench.LoadClosed && run.Levels[0].Model != bench.LoadOpen) {
		return nil
	}
	moe := rl != nil && rl.UniformRoutingDecodeCeilingPerS > 0
	b.WriteString("decode under load")
	if rl != nil {
		fmt.Fprintf(b, ": ceiling of the mean streams decoding at once, at %s/s", units.SI(rl.BandwidthBytesPerS))
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	head := "\tload\tin flight\tdecoding\ttok/s\tceiling\tof it\t"
	if moe {
		head += "uniform\tof it\t"
	}
	fmt.Fprintln(tw, head)
	for i, l := range run.Levels {
		ceil, eff, uni, uniEff := "-", "-", "-", "-"
		if r := l.Roofline; r != nil {
			ceil, eff = fmt.Sprintf("%.1f", r.DecodeCeilingPerS), "in LLC"
			if r.DecodeEfficiencyFrac != nil {
				eff = fmt.Sprintf("%.1f%%", 100**r.DecodeEfficiencyFrac)
			}
			if r.UniformRoutingDecodeEfficiencyFrac != nil {
				uni, uniEff = fmt.Sprintf("%.1f", r.UniformRoutingDecodeCeilingPerS), fmt.Sprintf("%.1f%%", 100**r.UniformRoutingDecodeEfficiencyFrac)
			}
		}
		fmt.Fprintf(tw, "%d\t%s\t%.2f\t%.2f\t%.1f\t%s\t%s\t", i, l.LoadSpec, l.MeanRequestsInFlight, l.MeanDecodingStreams, l.DecodeTokensPerS, ceil, eff)
		if moe {
			fmt.Fprintf(tw, "%s\t%s\t", uni, uniEff)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("  in flight, decoding: mean requests between send and done, first token and\n" +
		"  done (Σ spans / window); tok/s: decode tokens, Σ (output tokens − 1) / window\n")
	if rl != nil {
		b.WriteString("  ceiling: b × bandwidth / (weights + b × KV), b = decoding, KV at the mean\n" +
			"  context: the weights are read once per step for every stream\n")
	}
	if c := run.Target.Model.Cost; moe && c != nil {
		fmt.Fprintf(b, "  the ceiling counts the %d experts per layer of one token, the fewest a batch\n"+
			"  reads; uniform, the %d(1 − (1 − %d/%d)^b) that uniform routing touches on\n"+
			"  average: an estimate, which routing with locality beats\n",
			c.ExpertUsedCount, c.ExpertCount, c.ExpertUsedCount, c.ExpertCount)
	}
	b.WriteString("\n")
	return nil
}

// renderFleet writes one line per server of a run against several, fitted to width
// (0: none).
func renderFleet(b *strings.Builder, run *Run, width int) error {
	if len(run.Fleet) == 0 {
		return nil
	}
	b.WriteString("servers\n")
	// Fitted to width (tablefit): the host shortens in its middle first.
	hostTrim := func(_, col int) tablefit.Trim { return map[bool]tablefit.Trim{true: tablefit.Middle}[col == 1] }
	tw := tablefit.NewWriter(b, width, tablefit.Layout{Keys: 2, Trim: hostTrim}, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "\thost\tok\tfailed\treq/s\tout tok/s\tTTFT median\tTPOT median\t")
	for _, t := range run.Fleet {
		p50 := func(n string) string {
			if s, ok := t.Summaries[n]; ok {
				return dur(s.Median)
			}
			return "-"
		}
		fmt.Fprintf(tw, "%d\t%s\t%d\t%d\t%.3f\t%.1f\t%s\t%s\t\n", t.Index, t.Host, t.Throughput.Completed, t.Throughput.Failed,
			t.Throughput.RequestsPerS, t.Throughput.OutputTokensPerS, p50("ttft_ns"), p50("tpot_ns"))
	}
	return tw.Flush()
}

// intsList writes 128,512,2048.
func intsList(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = strconv.Itoa(x)
	}
	return strings.Join(parts, ",")
}

// droppedOf is the number of requests the run's open loops dropped, over its levels.
func droppedOf(r *Run) int {
	n := 0
	for _, l := range r.Levels {
		n += l.Dropped
	}
	return n
}
