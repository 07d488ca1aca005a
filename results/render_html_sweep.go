package results

import (
	"fmt"
	"math"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

// levelName is the sweep's name of level l ("concurrency 4"), or "level l".
func levelName(r *Run, l int) string {
	if names := r.Options.LevelNames(); l < len(names) {
		return names[l]
	}
	return fmt.Sprintf("level %d", l)
}

// loadX is what a sweep varies, per level, with the axis label: prompt tokens, the
// concurrency or the rate; the level index when levels do not vary one of them in
// increasing order.
func loadX(r *Run) ([]float64, string) {
	xs := make([]float64, len(r.Levels))
	label := "level"
	try := func(name string, f func(lv LevelSummary) float64) bool {
		for i, lv := range r.Levels {
			xs[i] = f(lv)
			if xs[i] <= 0 || i > 0 && xs[i] <= xs[i-1] {
				return false
			}
		}
		label = name
		return true
	}
	switch {
	case len(r.Options.PromptTokensSweep) > 1 && try("prompt length (tokens)", func(lv LevelSummary) float64 { return float64(lv.PromptTokens) }):
	case try("concurrency (requests in flight)", func(lv LevelSummary) float64 { return float64(lv.Concurrency) }):
	case try("offered rate (requests/s)", func(lv LevelSummary) float64 { return lv.RatePerS }):
	default:
		for i := range xs {
			xs[i] = float64(i)
		}
	}
	return xs, label
}

// loadSection is a sweep's load curve: latency against throughput with the SLO lines,
// throughput and goodput against the load with the peak, and for a prompt-length
// sweep TTFT against prompt length with the prefill fit.
func loadSection(r *Run) htmlSection {
	sec := htmlSection{ID: "load", Title: "Load curve", Intro: "One point per level of the sweep."}
	var sloTTFT, sloTPOT []bench.Objective
	for _, o := range r.Options.SLO.Objectives {
		switch o.Metric {
		case "ttft":
			sloTTFT = append(sloTTFT, o)
		case "tpot":
			sloTPOT = append(sloTPOT, o)
		}
	}
	peak := -1
	if r.Peak != nil {
		peak = r.Peak.Level
	}
	p95 := func(lv LevelSummary, m string) (float64, bool) {
		s, ok := lv.Summaries[m]
		return s.P95, ok && s.N > 0
	}

	// Latency against throughput.
	a := &htmlChart{X: htmlAxis{Label: "output throughput (tok/s)"}, Y: htmlAxis{Label: "TTFT p95 (ms)"}, Y2: &htmlAxis{Label: "TPOT p95 (ms)"},
		Series: []htmlSeries{{Label: "TTFT p95", Color: color(0), Line: true, Points: true}, {Label: "TPOT p95", Color: color(1), Scale: "y2", Line: true, Points: true}}}
	t := htmlTable{Head: []string{"level", "load", "output (tok/s)", "requests/s", "goodput (req/s)", "TTFT p95", "TPOT p95", "SLO"}}
	for i, lv := range r.Levels {
		x := lv.Throughput.OutputTokensPerS
		ttft, okT := p95(lv, "ttft_ns")
		tpot, okP := p95(lv, "tpot_ns")
		if okT {
			a.add(0, x, msOf(ttft))
		}
		if okP {
			a.add(1, x, msOf(tpot))
		}
		if i == peak && okT {
			a.Marks = append(a.Marks, htmlPoint{X: round5(x), Y: round5(msOf(ttft)), Label: "peak", Color: "#b3261e", Shape: "diamond", Size: 7})
		}
		good, slo := "-", "-"
		if lv.GoodputPerS != nil {
			good = fmt.Sprintf("%.2f", *lv.GoodputPerS)
		}
		if lv.SLO != nil {
			slo = "missed"
			if lv.SLO.Met {
				slo = "met"
			}
		}
		tt, tp := "-", "-"
		if okT {
			tt = dur(ttft)
		}
		if okP {
			tp = dur(tpot)
		}
		name := fmt.Sprint(i)
		if i == peak {
			name += " (peak)"
		}
		t.Rows = append(t.Rows, cells(name, levelName(r, i), fmt.Sprintf("%.1f", x), fmt.Sprintf("%.2f", lv.Throughput.RequestsPerS), good, tt, tp, slo))
	}
	for _, o := range sloTTFT {
		a.Lines = append(a.Lines, htmlLine{Axis: "y", Value: msOf(float64(o.Threshold)), Label: "SLO " + o.Key() + " " + o.Threshold.String(), Color: color(0), Dash: true})
	}
	for _, o := range sloTPOT {
		a.Lines = append(a.Lines, htmlLine{Axis: "y", Scale: "y2", Value: msOf(float64(o.Threshold)), Label: "SLO " + o.Key() + " " + o.Threshold.String(), Color: color(1), Dash: true, Right: true})
	}
	a.finish()
	caption := "Latency as users see it against the throughput the server gave; dashed lines are the --slo objectives."
	if peak >= 0 {
		caption += " The diamond marks the peak (" + r.Peak.By + ")."
	}
	sec.Blocks = append(sec.Blocks, htmlBlock{Title: "Latency against throughput", Caption: caption, Chart: a, Tables: []htmlTable{t}})

	// Throughput and goodput against the load.
	xs, xlabel := loadX(r)
	b := &htmlChart{X: htmlAxis{Label: xlabel}, Y: htmlAxis{Label: "output throughput (tok/s)"}, Y2: &htmlAxis{Label: "requests/s (1/s)"},
		Series: []htmlSeries{{Label: "output tok/s", Color: color(0), Line: true, Points: true},
			{Label: "requests/s", Color: color(3), Scale: "y2", Line: true, Points: true},
			{Label: "goodput (requests/s meeting the SLO)", Color: color(4), Scale: "y2", Line: true, Points: true}}}
	tb := htmlTable{Head: []string{"level", xlabel, "output (tok/s)", "requests/s", "goodput (req/s)", "decoding streams (mean)"}}
	for i, lv := range r.Levels {
		b.add(0, xs[i], lv.Throughput.OutputTokensPerS)
		b.add(1, xs[i], lv.Throughput.RequestsPerS)
		good := "-"
		if lv.GoodputPerS != nil {
			b.add(2, xs[i], *lv.GoodputPerS)
			good = fmt.Sprintf("%.2f", *lv.GoodputPerS)
		}
		if i == peak {
			mk := htmlPoint{X: round5(xs[i]), Y: round5(lv.Throughput.OutputTokensPerS), Label: "peak", Color: "#b3261e", Shape: "diamond", Size: 7}
			if r.Peak.By == "goodput_per_s" && lv.GoodputPerS != nil {
				mk.Y, mk.Scale = round5(*lv.GoodputPerS), "y2"
			}
			b.Marks = append(b.Marks, mk)
		}
		tb.Rows = append(tb.Rows, cells(fmt.Sprint(i), fmt.Sprintf("%g", xs[i]), fmt.Sprintf("%.1f", lv.Throughput.OutputTokensPerS),
			fmt.Sprintf("%.2f", lv.Throughput.RequestsPerS), good, fmt.Sprintf("%.2f", lv.MeanDecodingStreams)))
	}
	b.finish()
	sec.Blocks = append(sec.Blocks, htmlBlock{Title: "Throughput and goodput by level", Chart: b, Tables: []htmlTable{tb}})

	if f := r.PrefillFit; f != nil && len(r.Options.PromptTokensSweep) > 1 {
		c := &htmlChart{X: htmlAxis{Label: "prompt tokens (tok)"}, Y: htmlAxis{Label: "TTFT (ms)"},
			Series: []htmlSeries{{Label: "TTFT of a request", Color: color(0)}, {Label: fmt.Sprintf("fit: %s + tokens / %.0f tok/s", dur(f.FixedNs), f.PrefillPerS), Color: color(2), Line: true}}}
		for i := range r.Samples {
			s := &r.Samples[i]
			if s.OK && s.TTFTNs != nil && s.PromptTokens > 0 && !s.CacheSuspect {
				c.add(0, float64(s.PromptTokens), msOf(float64(*s.TTFTNs)))
			}
		}
		for _, x := range []float64{float64(f.PromptTokensMin), float64(f.PromptTokensMax)} {
			c.add(1, x, msOf(f.FixedNs+x/f.PrefillPerS*1e9))
		}
		c.finish()
		tf := htmlTable{Head: []string{"fit", "value"}, Rows: [][]htmlCell{
			cells("fixed cost", dur(f.FixedNs)), cells("prefill rate (tok/s)", fmt.Sprintf("%.0f", f.PrefillPerS)),
			cells("R²", fmt.Sprintf("%.3f", f.R2)), cells("requests fitted", fmt.Sprint(f.N)),
			cells("prompt lengths (tok)", fmt.Sprintf("%d … %d", f.PromptTokensMin, f.PromptTokensMax))}}
		sec.Blocks = append(sec.Blocks, htmlBlock{Title: "TTFT against prompt length",
			Caption: "TTFT = fixed + prompt tokens / prefill rate, least squares over the requests (docs/metrics.md, prompt-length sweeps); requests suspected of prompt-cache hits are left out.",
			Chart:   c, Tables: []htmlTable{tf}})
	}
	return sec
}

// ollamaNumBatch is the prompt tokens one prefill batch processes: Ollama's default
// num_batch (api/types.go DefaultOptions, NumBatch: 512, v0.24.0). The weights are read
// once per batch, so a prefill's arithmetic intensity grows with the batch up to it.
const ollamaNumBatch = 512

// rooflineSection is the roofline (Williams, Waterman and Patterson, "Roofline: an
// insightful visual performance model for multicore architectures", CACM 52(4), 2009):
// attainable FLOP/s = min(peak, bandwidth × arithmetic intensity), on log axes, with
// the model's decode and prefill at their intensity, measured and ceiling, and each
// level of a sweep at its mean number of decoding streams. A decode token costs 2 FLOP
// per active parameter and reads BytesPerToken (docs/metrics.md "Hardware roofline");
// b streams decoding at once read BytesPerStep for 2 × b × active parameters FLOP
// ("Under load"); a prefill batch of p tokens reads the active weights once for
// 2 × p × active parameters FLOP. False when the run has no roofline with a
// bandwidth and parameter count.
func rooflineSection(r *Run) (htmlSection, bool) {
	rl := r.Roofline
	if rl == nil || rl.BandwidthBytesPerS <= 0 || rl.ActiveParams == 0 || rl.BytesPerToken == 0 {
		return htmlSection{}, false
	}
	bw, peak := rl.BandwidthBytesPerS, rl.PeakFLOPS
	flopPerTok := 2 * float64(rl.ActiveParams)
	roof := func(i float64) float64 {
		if peak > 0 {
			return math.Min(bw*i, peak)
		}
		return bw * i
	}
	type pt struct {
		name             string
		intensity        float64
		measuredTokPerS  float64 // 0 = none
		ceilingTokPerS   float64
		series           int
		note             string
		hasMeasuredPoint bool
	}
	var pts []pt
	med := func(m string) float64 {
		if s, ok := r.Summaries[m]; ok && s.N > 0 {
			return s.Median
		}
		return 0
	}
	dI := flopPerTok / float64(rl.BytesPerToken)
	dNote := ""
	if rl.FitsInLLC {
		dNote = "bytes per token fit in the last-level cache: the DRAM ceiling does not bind"
	}
	pts = append(pts, pt{name: "decode, one stream", intensity: dI, measuredTokPerS: med("server_gen_per_s"), ceilingTokPerS: roof(dI) / flopPerTok, series: 1, note: dNote})
	if cost := r.Target.Model.Cost; cost != nil && cost.ExpertCount > 0 && cost.WeightBytes > cost.ActiveWeightBytesPerToken {
		total := float64(cost.WeightBytes + rl.KVBytesPerToken)
		ti := flopPerTok / total
		pts = append(pts, pt{name: fmt.Sprintf("decode if all %d experts were read (total weights)", cost.ExpertCount), intensity: ti, ceilingTokPerS: roof(ti) / flopPerTok, series: 1,
			note: fmt.Sprintf("a token uses %d of %d experts: active weights %s, total %s", cost.ExpertUsedCount, cost.ExpertCount,
				bytesSI(float64(cost.ActiveWeightBytesPerToken)), bytesSI(float64(cost.WeightBytes)))})
	}
	if pre := med("server_prefill_per_s"); pre > 0 && rl.ActiveWeightBytesPerToken > 0 {
		p := math.Min(med("prompt_tokens"), ollamaNumBatch)
		if p >= 1 {
			pi := flopPerTok * p / float64(rl.ActiveWeightBytesPerToken)
			pts = append(pts, pt{name: fmt.Sprintf("prefill, %.0f-token batches", p), intensity: pi, measuredTokPerS: pre, ceilingTokPerS: roof(pi) / flopPerTok, series: 2,
				note: "compute-bound above the ridge point"})
		}
	}
	if len(r.Levels) > 1 {
		for i, lv := range r.Levels {
			lr := lv.Roofline
			if lr == nil || lr.BytesPerStep == 0 || lv.MeanDecodingStreams <= 0 {
				continue
			}
			li := flopPerTok * lv.MeanDecodingStreams / float64(lr.BytesPerStep)
			note := fmt.Sprintf("%.2f streams decoding at once", lv.MeanDecodingStreams)
			if lr.FitsInLLC {
				note += "; fits in the last-level cache"
			}
			pts = append(pts, pt{name: "decode at " + levelName(r, i), intensity: li, measuredTokPerS: lv.DecodeTokensPerS, ceilingTokPerS: lr.DecodeCeilingPerS, series: 3, note: note})
		}
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pts {
		lo, hi = min(lo, p.intensity), max(hi, p.intensity)
	}
	ridge := 0.0
	if peak > 0 {
		ridge = peak / bw
		lo, hi = min(lo, ridge), max(hi, ridge)
	}
	lo, hi = lo/4, hi*4
	c := &htmlChart{Height: 360, X: htmlAxis{Label: "arithmetic intensity (FLOP/byte)", Log: true}, Y: htmlAxis{Label: "performance (FLOP/s)", Log: true, Format: "si"},
		Series: []htmlSeries{
			{Label: "roof: bandwidth slope, compute roof", Color: "#333", Line: true},
			{Label: "decode", Color: color(0), Size: 9},
			{Label: "prefill", Color: color(1), Size: 9},
			{Label: "decode per level", Color: color(4), Size: 8},
			{Label: "ceiling at the point", Color: "#999", Size: 6},
		}}
	const steps = 60
	for k := 0; k <= steps; k++ {
		x := lo * math.Pow(hi/lo, float64(k)/steps)
		c.add(0, x, roof(x))
	}
	if ridge > 0 {
		c.add(0, ridge, peak)
		c.Lines = append(c.Lines, htmlLine{Axis: "y", Value: round5(peak), Label: fmt.Sprintf("compute roof %s (%s)", siUnit(peak, "FLOP/s"), rl.ComputePrecision), Color: "#333", Dash: true})
	}
	t := htmlTable{Head: []string{"point", "intensity (FLOP/B)", "measured (tok/s)", "measured", "ceiling (tok/s)", "of ceiling", "note"}}
	for _, p := range pts {
		c.add(4, p.intensity, p.ceilingTokPerS*flopPerTok)
		meas, measF, eff := "-", "-", "-"
		if p.measuredTokPerS > 0 {
			c.add(p.series, p.intensity, p.measuredTokPerS*flopPerTok)
			meas = fmt.Sprintf("%.1f", p.measuredTokPerS)
			measF = siUnit(p.measuredTokPerS*flopPerTok, "FLOP/s")
			if p.ceilingTokPerS > 0 {
				eff = fmt.Sprintf("%.1f%%", 100*p.measuredTokPerS/p.ceilingTokPerS)
			}
		}
		row := cells(p.name, fmt.Sprintf("%.3g", p.intensity), meas, measF, fmt.Sprintf("%.1f", p.ceilingTokPerS), eff, p.note)
		row[0].Class, row[6].Class = "wrap", "wrap"
		t.Rows = append(t.Rows, row)
	}
	c.finish()
	facts := htmlTable{Head: []string{"machine and model", "value"}, Rows: [][]htmlCell{
		cells("memory bandwidth", siUnit(bw, "B/s")+" ("+rl.BandwidthSource+")"),
		cells("peak compute", peakString(rl)),
		cells("bytes per decode token", bytesSI(float64(rl.BytesPerToken))+fmt.Sprintf(" (weights %s + KV %s at %.0f tokens of context)",
			bytesSI(float64(rl.ActiveWeightBytesPerToken)), bytesSI(float64(rl.KVBytesPerToken)), rl.MeanContextTokens)),
		cells("active parameters", siShort(float64(rl.ActiveParams))),
	}}
	if ridge > 0 {
		facts.Rows = append(facts.Rows, cells("ridge point (FLOP/B)", fmt.Sprintf("%.1f", ridge)))
	}
	return htmlSection{ID: "roofline", Title: "Roofline", Intro: "Attainable performance = min(peak compute, memory bandwidth × arithmetic intensity). Decode reads every active weight per token and sits on the bandwidth slope; prefill reuses each weight for a batch of prompt tokens. Large dots: measured; grey dots: the ceiling at the same intensity.",
		Blocks: []htmlBlock{{Chart: c, Tables: []htmlTable{t, facts}, Stacked: true}}}, true
}

func peakString(rl *profiles.Roofline) string {
	if rl.PeakFLOPS <= 0 {
		return "unknown (no compute roof drawn)"
	}
	return joinNonEmpty(" ", siUnit(rl.PeakFLOPS, "FLOP/s"), rl.ComputePrecision, "("+rl.FLOPSSource+")")
}

// siUnit prints v with three significant digits, an SI prefix and unit: "1.23 GB",
// "1 TFLOP/s", "500 FLOP/s"; "1.23G" with no unit.
func siUnit(v float64, unit string) string {
	prefixes := []string{"", "k", "M", "G", "T", "P", "E"}
	i := 0
	for math.Abs(v) >= 1000 && i < len(prefixes)-1 {
		v /= 1000
		i++
	}
	if unit == "" {
		return fmt.Sprintf("%.3g%s", v, prefixes[i])
	}
	return fmt.Sprintf("%.3g %s%s", v, prefixes[i], unit)
}

func siShort(v float64) string { return siUnit(v, "") }

func bytesSI(v float64) string { return siUnit(v, "B") }
