package results

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/units"
)

// RenderRunHTML writes the HTML report of one run (docs/report.md): a header saying
// what was measured, where and on what, with every warning; the latency CDFs (per
// level for a sweep); the request timeline; for a sweep the load curve; the roofline.
// label names the run (its file name). The page is self-contained (no network).
func RenderRunHTML(w io.Writer, label string, r *Run) error {
	p := &htmlPage{Kind: "run", Title: "yardstick: " + r.Target.Model.Name,
		Lead: fmt.Sprintf("Run %s of %s, started %s.", r.RunID, label, r.StartedAt)}
	if len(r.Levels) > 1 {
		p.Kind = "sweep"
		p.Title += " (sweep of " + fmt.Sprint(len(r.Levels)) + " levels)"
	}
	p.Headers = []htmlHeader{runHeader(label, r)}
	p.Sections = append(p.Sections, summarySection(r))
	p.Sections = append(p.Sections, latencySection(r))
	p.Sections = append(p.Sections, timelineSection(r))
	if len(r.Levels) > 1 {
		p.Sections = append(p.Sections, loadSection(r))
	}
	for _, sec := range []func(*Run) (htmlSection, bool){turnsSection, prefixSection, traceSection} {
		if s, ok := sec(r); ok {
			p.Sections = append(p.Sections, s)
		}
	}
	if s, ok := rooflineSection(r); ok {
		p.Sections = append(p.Sections, s)
	}
	if s, ok := memorySection(r); ok {
		p.Sections = append(p.Sections, s)
	}
	return renderPage(w, p)
}

// runHeader is the run's what, where and on what, with its warnings.
func runHeader(label string, r *Run) htmlHeader {
	m := r.Target.Model
	model := joinNonEmpty(", ", m.Name, m.ParameterSize, m.QuantizationLevel, shortDigest(m.Digest))
	if m.Synthetic != nil {
		model += " (shape twin: random weights)"
	}
	hw := r.Environment.Hardware
	machine := joinNonEmpty(", ", hw.Hostname, hw.CPUModel,
		fmt.Sprintf("%d cores", hw.CPULogicalCores), units.IEC(float64(hw.MemoryTotalBytes))+" RAM", joinNonEmpty(" ", hw.OS, hw.Arch))
	for _, g := range hw.GPUs {
		machine += "; " + g.Name
	}
	facts := []htmlFact{
		{"run file", label},
		{"model", model},
		{"server", joinNonEmpty(" ", r.Target.Backend, r.Target.ServerVersion, "at", r.Target.Host)},
		{"machine", machine},
	}
	if mc := r.Environment.Machine; mc != nil {
		prof := fmt.Sprintf("%s: memory bandwidth %s (%s)", mc.Profile, siUnit(mc.MemoryBandwidthBytesPerS, "B/s"), mc.BandwidthSource)
		switch rl := r.Roofline; {
		case rl != nil && rl.PeakFLOPS > 0:
			// The peak the prefill ceiling used: the model's compute precision's.
			prof += fmt.Sprintf(", peak %s (%s)", peakText(rl.PeakFLOPS, rl.ComputePrecision), rl.FLOPSSource)
		case mc.PeakFLOPS > 0:
			prof += fmt.Sprintf(", peak %s (%s)", siUnit(mc.PeakFLOPS, "FLOP/s"), mc.FLOPSSource)
		}
		facts = append(facts, htmlFact{"held against", prof})
	}
	wl := r.Workload
	load := strings.Join(r.Options.LevelNames(), "; ")
	prompts := fmt.Sprintf("%d prompt tokens", wl.PromptTokensTarget)
	if d := wl.Dataset; d != nil {
		prompts = fmt.Sprintf("%d records of %s (%s, sha256 %.12s)", d.Selected, d.Path, d.Format, d.SHA256)
	}
	if wl.PrefixTokens > 0 {
		prompts += fmt.Sprintf(" behind %d shared prefix tokens × %d", wl.PrefixTokens, max(1, wl.PrefixGroups))
	}
	outputs := fmt.Sprintf("at most %d output tokens", wl.MaxTokens)
	if r.Options.TraceFile != "" {
		prompts, outputs = "prompt lengths from the trace", "output lengths from the trace"
	}
	context := fmt.Sprintf("context %d", wl.NumCtx)
	if r.Target.Backend == "openai" {
		context = "context the server's" // the OpenAI API has no num_ctx
	}
	facts = append(facts,
		htmlFact{"workload", fmt.Sprintf("%s, %s, temperature %g, seed %d, %s, think %s; workload %s",
			prompts, outputs, wl.Temperature, wl.Seed, context, thinkString(wl.Think), wl.Hash)},
	)
	if f, ok := workloadSourceFact(r.Options); ok {
		facts = append(facts, f)
	}
	facts = append(facts,
		htmlFact{"load", load},
		htmlFact{"requests", fmt.Sprintf("%d measured (%d completed, %d failed), %d warm-up, cold load %s; ended: %s",
			len(r.Samples), r.Throughput.Completed, r.Throughput.Failed, len(r.Warmup), coldString(r.Cold), r.EndReason)},
		htmlFact{"when", r.StartedAt + " to " + r.EndedAt + " (measured window " + dur(float64(r.Window.DurationNs)) + ")"},
		htmlFact{"tool", joinNonEmpty(" ", r.Tool.Name, r.Tool.Version, r.Tool.GoVersion)},
	)
	h := htmlHeader{Facts: facts}
	for _, wn := range r.Warnings {
		h.Warnings = append(h.Warnings, string(wn.Code)+": "+wn.Message)
	}
	if rl := r.Roofline; rl != nil {
		for _, n := range rl.Notes {
			h.Warnings = append(h.Warnings, "roofline: "+n)
		}
	}
	return h
}

func thinkString(t bench.Think) string { return t.String() }

func coldString(c *ColdSummary) string {
	if c == nil || c.TTFTNs == nil {
		return "not measured"
	}
	return "TTFT " + dur(float64(*c.TTFTNs))
}

func shortDigest(d string) string {
	d = strings.TrimPrefix(d, "sha256:")
	if len(d) > 12 {
		d = d[:12]
	}
	return d
}

// summarySection is the run's figures: every metric's median with its CI, p95, p99.
func summarySection(r *Run) htmlSection {
	t := htmlTable{Head: []string{"metric", "n", "median", "95% CI", "p95", "p99", "max"}}
	for _, name := range MetricOrder {
		s, ok := r.Summaries[name]
		if !ok {
			continue
		}
		f := formatter(name)
		ci := "-"
		if s.MedianCILo != nil && s.MedianCIHi != nil {
			ci = f(*s.MedianCILo) + " … " + f(*s.MedianCIHi)
		}
		t.Rows = append(t.Rows, cells(label(name)+unitSuffix(name), fmt.Sprint(s.N), f(s.Median), ci, f(s.P95), f(s.P99), f(s.Max)))
	}
	th := htmlTable{Head: []string{"figure", "value"}}
	add := func(k, v string) { th.Rows = append(th.Rows, cells(k, v)) }
	add("output throughput (tok/s)", fmt.Sprintf("%.1f", r.Throughput.OutputTokensPerS))
	add("requests per second (1/s)", fmt.Sprintf("%.2f", r.Throughput.RequestsPerS))
	if g := r.Throughput.GoodputPerS; g != nil {
		add("goodput (requests/s meeting the SLO)", fmt.Sprintf("%.2f", *g))
	}
	if rl := r.Roofline; rl != nil {
		add("decode ceiling (tok/s)", fmt.Sprintf("%.1f", rl.DecodeCeilingPerS))
		if e := rl.DecodeEfficiencyFrac; e != nil {
			add("decode efficiency (% of ceiling)", fmt.Sprintf("%.1f%%", 100**e))
		}
		if rl.PrefillCeilingPerS > 0 {
			add("prefill ceiling (tok/s)", fmt.Sprintf("%.0f", rl.PrefillCeilingPerS))
		}
		if e := rl.PrefillEfficiencyFrac; e != nil {
			add("prefill efficiency (% of ceiling)", fmt.Sprintf("%.1f%%", 100**e))
		}
	}
	if m := r.Memory.ServerRSSPeakBytes; m != nil {
		add("server RSS peak", units.IEC(float64(*m)))
	}
	return htmlSection{ID: "figures", Title: "Figures", Intro: "Medians with their 95% confidence intervals over the successful measured requests; the run's throughput and roofline figures.",
		Blocks: []htmlBlock{{Tables: []htmlTable{t, th}}}}
}

// unitSuffix is " (tok/s)", " (B)"... for a metric's table label: empty for a
// duration (its cells carry their unit), a figure without a unit, and a label that
// already names its unit ("prefill tok/s (server)", "prompt tokens", "tokens/chunk").
func unitSuffix(name string) string {
	u := metricUnit(name)
	if u == "" || u == "ns" || strings.Contains(strings.ReplaceAll(label(name), "tokens", "tok"), u) {
		return ""
	}
	return " (" + u + ")"
}

// latencyMetrics are the per-request latencies drawn as CDFs, in order.
var latencyMetrics = []string{"ttft_ns", "ttfa_ns", "tpot_ns", "itl_ns", "e2e_ns"}

// latencySection draws a CDF per latency metric, one curve per level of a sweep.
func latencySection(r *Run) htmlSection {
	sec := htmlSection{ID: "latency", Title: "Latency distributions",
		Intro: "Cumulative distributions over the successful measured requests (ITL: every gap between chunks of every request). Marks at p50, p95 and p99; a log axis where the values span more than a factor of 30."}
	names := []string{"all requests"}
	groups := [][]bench.Sample{r.Samples}
	if len(r.Levels) > 1 {
		names = r.Options.LevelNames()
		groups = make([][]bench.Sample, len(r.Levels))
		for _, s := range r.Samples {
			if s.Level >= 0 && s.Level < len(groups) {
				groups[s.Level] = append(groups[s.Level], s)
			}
		}
		for len(names) < len(groups) {
			names = append(names, fmt.Sprintf("level %d", len(names)))
		}
	}
	vals := make([]map[string][]float64, len(groups))
	for i, g := range groups {
		vals[i] = MetricValues(g)
	}
	for _, m := range latencyMetrics {
		var series []cdfSeries
		for i := range groups {
			if xs := vals[i][m]; len(xs) > 0 {
				series = append(series, cdfSeries{label: names[i], values: xs, color: color(i)})
			}
		}
		if len(series) == 0 {
			continue
		}
		sec.Blocks = append(sec.Blocks, cdfBlock(m, series))
	}
	return sec
}

type cdfSeries struct {
	label  string
	values []float64 // the metric's raw values, ns
	color  string
	// delta, for a comparison, is the verdict cell of this run against the base.
	delta []string
}

// maxCDFPoints bounds the points of one CDF curve: a 10,000-request run's pooled ITL
// holds millions of gaps, and the page must stay small (docs/report.md).
const maxCDFPoints = 400

// cdfBlock draws the CDFs of one latency metric with their p50/p95/p99 and a table.
func cdfBlock(metric string, series []cdfSeries) htmlBlock {
	c := &htmlChart{X: htmlAxis{Label: label(metric) + " (ms)"}, Y: htmlAxis{Label: "requests at or below (%)", Format: "pct", Min: f64p(0), Max: f64p(100)}}
	if metric == "itl_ns" {
		c.Y.Label = "gaps at or below (%)"
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	t := htmlTable{Head: []string{"series", "n", "p50", "p95", "p99", "max"}}
	if len(series[0].delta) > 0 || len(series) > 1 && series[1].delta != nil {
		t.Head = append(t.Head, "change vs base", "p")
	}
	for i, s := range series {
		sorted := slices.Clone(s.values)
		slices.Sort(sorted)
		c.Series = append(c.Series, htmlSeries{Label: s.label, Color: s.color, Line: true})
		n := len(sorted)
		for _, j := range cdfIndexes(n) {
			c.add(i, msOf(sorted[j]), 100*float64(j+1)/float64(n))
		}
		sum, _ := summaryOf(metric, slices.Clone(sorted))
		lo, hi = min(lo, sorted[0]), max(hi, sorted[n-1])
		idx := i + 1
		for _, q := range []struct {
			p   float64
			v   float64
			lab string
		}{{50, sum.P50, "p50"}, {95, sum.P95, "p95"}, {99, sum.P99, "p99"}} {
			c.Marks = append(c.Marks, htmlPoint{X: round5(msOf(q.v)), Y: q.p, Series: &idx, Color: s.color})
		}
		row := cells(s.label, fmt.Sprint(sum.N), dur(sum.P50), dur(sum.P95), dur(sum.P99), dur(sum.Max))
		if len(t.Head) > 6 {
			d := s.delta
			if len(d) == 0 {
				d = []string{"base", ""}
			}
			for k, v := range d {
				cell := htmlCell{Text: v}
				if k == 0 {
					cell.Class = verdictClass(v)
				}
				row = append(row, cell)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	for _, q := range []float64{50, 95, 99} {
		// p95's label goes under its line, p99's over it: 4% apart, they would overlap.
		c.Lines = append(c.Lines, htmlLine{Axis: "y", Value: q, Label: fmt.Sprintf("p%.0f", q), Color: "#999", Dash: true, Right: true, Below: q == 95})
	}
	if lo > 0 && hi/lo > 30 {
		c.X.Log = true
	}
	c.finish()
	return htmlBlock{Title: label(metric), Chart: c, Tables: []htmlTable{t}}
}

func verdictClass(cell string) string {
	switch {
	case strings.HasSuffix(cell, "better"):
		return "verdict-better"
	case strings.HasSuffix(cell, "worse"):
		return "verdict-worse"
	}
	return ""
}

// cdfIndexes picks at most maxCDFPoints ranks of n sorted values: evenly spread, with
// the top 1% (the tail p99 lives in) dense, and always the first and the last.
func cdfIndexes(n int) []int {
	if n <= maxCDFPoints {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	set := map[int]bool{0: true, n - 1: true}
	body := maxCDFPoints * 3 / 4
	for k := 0; k < body; k++ {
		set[int(math.Round(float64(k)*float64(n-1)/float64(body-1)))] = true
	}
	tail := maxCDFPoints - body
	from := int(0.99 * float64(n-1))
	for k := 0; k < tail; k++ {
		set[from+int(math.Round(float64(k)*float64(n-1-from)/float64(tail-1)))] = true
	}
	out := make([]int, 0, len(set))
	for i := range set {
		out = append(out, i)
	}
	slices.Sort(out)
	return out
}

func f64p(v float64) *float64 { return &v }

// decodeRate is the sample's decode rate: the server's when it reports one, else the
// client's; and which it is.
func decodeRate(s *bench.Sample) (float64, bool) {
	if s.ServerGenPerS != nil {
		return *s.ServerGenPerS, true
	}
	if s.ClientGenPerS != nil {
		return *s.ClientGenPerS, true
	}
	return 0, false
}

// timelineSection draws every request's TTFT and decode rate against the time it was
// sent, cold and warm-up requests apart, level starts marked.
func timelineSection(r *Run) htmlSection {
	var all []bench.Sample
	if r.Cold != nil && r.Cold.Sample.Phase != "" {
		all = append(all, r.Cold.Sample)
	}
	all = append(all, r.Warmup...)
	all = append(all, r.Samples...)
	t0 := int64(math.MaxInt64)
	for _, s := range all {
		t0 = min(t0, s.SentAtNs)
	}
	rateName := "server decode rate"
	for i := range all {
		if all[i].OK && all[i].ServerGenPerS == nil && all[i].ClientGenPerS != nil {
			rateName = "decode rate (client's where the server gives none)"
			break
		}
	}
	c := &htmlChart{Height: 320, X: htmlAxis{Label: "time in run, sent at (s)"}, Y: htmlAxis{Label: "TTFT (ms)"},
		Y2: &htmlAxis{Label: rateName + " (tok/s)"}}
	c.Series = []htmlSeries{
		{Label: "TTFT, measured", Color: color(0)},
		{Label: "TTFT, warm-up", Color: "#9aa5b1", Size: 6},
		{Label: "TTFT, cold load", Color: color(2), Size: 9},
		{Label: "decode rate, measured", Color: color(1), Scale: "y2"},
		{Label: "decode rate, warm-up", Color: "#e0b48a", Scale: "y2", Size: 6},
	}
	detail := htmlTable{Caption: fmt.Sprintf("every request (%d)", len(all)), Collapsed: true,
		Head: []string{"phase", "#", "level", "sent at (s)", "TTFT", rateName + " (tok/s)", "outcome"}}
	failed := 0
	for _, s := range all {
		at := float64(s.SentAtNs-t0) / 1e9
		ttftCell, rateCell := "-", "-"
		var ttftS, rateS int
		switch s.Phase {
		case bench.PhaseCold:
			ttftS, rateS = 2, 4
		case bench.PhaseWarmup:
			ttftS, rateS = 1, 4
		default:
			ttftS, rateS = 0, 3
		}
		if s.OK {
			if s.TTFTNs != nil {
				c.add(ttftS, at, msOf(float64(*s.TTFTNs)))
				ttftCell = dur(float64(*s.TTFTNs))
			}
			if v, ok := decodeRate(&s); ok && s.Phase != bench.PhaseCold {
				c.add(rateS, at, v)
				rateCell = fmt.Sprintf("%.1f", v)
			}
		} else if s.Phase == bench.PhaseMeasured {
			failed++
			if failed <= 200 {
				c.Lines = append(c.Lines, htmlLine{Axis: "x", Value: round5(at), Color: "#e15759", Dash: true})
			}
		}
		outcome := "ok"
		if !s.OK {
			outcome = joinNonEmpty(": ", string(s.ErrorKind), s.Error)
		} else if s.CacheSuspect {
			outcome = "ok (prompt cache suspected)"
		}
		detail.Rows = append(detail.Rows, cells(string(s.Phase), fmt.Sprint(s.Index), fmt.Sprint(s.Level), fmt.Sprintf("%.3f", at), ttftCell, rateCell, outcome))
	}
	if len(r.Levels) > 1 {
		names := r.Options.LevelNames()
		for i, lv := range r.Levels {
			name := fmt.Sprintf("level %d", i)
			if i < len(names) {
				name = names[i]
			}
			c.Lines = append(c.Lines, htmlLine{Axis: "x", Value: round5(float64(lv.Window.StartNs-t0) / 1e9), Label: name, Color: "#555"})
		}
	}
	c.finish()
	// The summary beside the chart: per phase, and per level of a sweep.
	sum := htmlTable{Head: []string{"requests", "n", "failed", "from (s)", "to (s)", "TTFT median", "decode median (tok/s)"}}
	addGroup := func(name string, keep func(*bench.Sample) bool) {
		var ttft, rate []float64
		n, bad := 0, 0
		from, to := math.Inf(1), math.Inf(-1)
		for i := range all {
			s := &all[i]
			if !keep(s) {
				continue
			}
			n++
			at := float64(s.SentAtNs-t0) / 1e9
			from, to = min(from, at), max(to, at)
			if !s.OK {
				bad++
				continue
			}
			if s.TTFTNs != nil {
				ttft = append(ttft, float64(*s.TTFTNs))
			}
			if v, ok := decodeRate(s); ok && s.Phase != bench.PhaseCold { // as drawn
				rate = append(rate, v)
			}
		}
		if n == 0 {
			return
		}
		tm, rm := "-", "-"
		if st, ok := summaryOf("ttft_ns", ttft); ok {
			tm = dur(st.Median)
		}
		if st, ok := summaryOf("rate", rate); ok {
			rm = fmt.Sprintf("%.1f", st.Median)
		}
		sum.Rows = append(sum.Rows, cells(name, fmt.Sprint(n), fmt.Sprint(bad), fmt.Sprintf("%.1f", from), fmt.Sprintf("%.1f", to), tm, rm))
	}
	addGroup("cold load", func(s *bench.Sample) bool { return s.Phase == bench.PhaseCold })
	addGroup("warm-up", func(s *bench.Sample) bool { return s.Phase == bench.PhaseWarmup })
	if len(r.Levels) > 1 {
		names := r.Options.LevelNames()
		for l := range r.Levels {
			name := fmt.Sprintf("level %d", l)
			if l < len(names) {
				name = "level " + fmt.Sprint(l) + ": " + names[l]
			}
			addGroup(name, func(s *bench.Sample) bool { return s.Phase == bench.PhaseMeasured && s.Level == l })
		}
	} else {
		addGroup("measured", func(s *bench.Sample) bool { return s.Phase == bench.PhaseMeasured })
	}
	caption := "Each request at the time it was sent: its TTFT (left axis) and decode rate (right axis). Drift, throttling and reloads show as trends and jumps."
	if failed > 0 {
		caption += fmt.Sprintf(" Red dashed lines: the %d failed request(s), at the time sent.", failed)
	}
	return htmlSection{ID: "timeline", Title: "Timeline", Blocks: []htmlBlock{{Caption: caption, Chart: c, Tables: []htmlTable{sum, detail}}}}
}
