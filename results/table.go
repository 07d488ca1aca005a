package results

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/tablefit"
	"github.com/yardstick-dev/yardstick/internal/units"
)

// firstColumn is the tablefit.Trim of a table whose first column names its rows (a
// metric, a figure): that column shortens in its middle, no other.
func firstColumn(_, col int) tablefit.Trim {
	if col == 0 {
		return tablefit.Middle
	}
	return tablefit.Keep
}

// metricLabel is how a metric is named in the table: the field's standard term and
// what it measures.
var metricLabel = map[string]string{
	"ttft_ns":                "TTFT",
	"ttfa_ns":                "TTFA (first answer)",
	"thinking_ns":            "thinking span",
	"tpot_ns":                "TPOT",
	"answer_tpot_ns":         "TPOT (answer)",
	"itl_ns":                 "ITL (per chunk)",
	"e2e_ns":                 "E2E",
	"server_prefill_per_s":   "prefill tok/s (server)",
	"server_gen_per_s":       "decode tok/s (server)",
	"client_gen_per_s":       "decode tok/s (client)",
	"answer_gen_per_s":       "decode tok/s (answer)",
	"prompt_tokens":          "prompt tokens",
	"cached_prompt_tokens":   "cached prompt tokens",
	"new_prompt_tokens":      "new prompt tokens",
	"new_prefill_per_s":      "new-token prefill tok/s",
	"output_tokens":          "output tokens",
	"answer_tokens":          "answer tokens",
	"tokens_per_chunk":       "tokens/chunk",
	"overhead_ns":            "client+HTTP overhead",
	"load_ns":                "load_duration",
	"queue_delay_ns":         "queue delay",
	"ttft_from_scheduled_ns": "TTFT from schedule",
	"e2e_from_scheduled_ns":  "E2E from schedule",
}

// RenderTable writes the human summary of run: what was measured, the per-metric
// statistics, throughput, memory, the cold load and the warnings. Its output depends
// only on run, and on the width w carries (tablefit.Columns: its tables are fitted to
// it; none, they are whole), so it can be compared with golden files.
func RenderTable(w io.Writer, run *Run) error {
	var b strings.Builder
	t := run.Target
	m := t.Model
	desc := []string{}
	if m.Architecture != "" {
		desc = append(desc, m.Architecture)
	}
	if m.ParameterSize != "" {
		desc = append(desc, m.ParameterSize)
	}
	if m.QuantizationLevel != "" {
		desc = append(desc, m.QuantizationLevel)
	}
	if m.Synthetic != nil {
		desc = append(desc, "SYNTHETIC twin of "+m.Synthetic.Shape+", random weights")
	}
	if len(desc) > 0 {
		fmt.Fprintf(&b, "model     %s (%s)", m.Name, strings.Join(desc, ", "))
	} else {
		fmt.Fprintf(&b, "model     %s", m.Name)
	}
	if m.Digest != "" {
		fmt.Fprintf(&b, "  digest %s", short(m.Digest))
	}
	b.WriteString("\n")
	version := t.ServerVersion
	if version == "" {
		version = "(version not reported)"
	}
	hosts := t.Host
	if len(run.Options.Hosts) > 1 {
		hosts = strings.Join(run.Options.Hosts, ", ")
	}
	fmt.Fprintf(&b, "server    %s %s at %s\n", t.Backend, version, hosts)
	hw := run.Environment.Hardware
	fmt.Fprintf(&b, "machine   %s, %d cores (%d threads), %s RAM, %s/%s", orDash(hw.CPUModel), hw.CPUPhysicalCores, hw.CPULogicalCores,
		units.IEC(float64(hw.MemoryTotalBytes)), hw.OS, hw.Arch)
	for _, g := range hw.GPUs {
		fmt.Fprintf(&b, ", GPU %s %s", g.Name, units.IEC(float64(g.MemoryTotalBytes)))
	}
	b.WriteString("\n")
	wl := run.Workload
	o := run.Options
	measured := fmt.Sprintf("%d measured", o.Runs)
	if o.Turns != 0 && o.Duration <= 0 {
		// Whole conversations: the fewest that hold --runs turns, so often more.
		measured = fmt.Sprintf("whole conversations of at least %d turns measured", o.Runs)
	}
	if o.Duration > 0 {
		measured = fmt.Sprintf("%s of measured", dur(float64(o.Duration)))
	}
	if len(run.Levels) > 1 {
		measured += " per level"
	}
	prompt := fmt.Sprintf("~%d", wl.PromptTokensTarget)
	if len(o.PromptTokensSweep) > 1 {
		prompt = intsList(o.PromptTokensSweep)
	}
	warm := fmt.Sprintf("%d warm-up requests", o.Warmup)
	if len(o.PromptTokensSweep) > 1 {
		warm += " per prompt length"
	}
	numCtx := fmt.Sprintf("num_ctx %d", wl.NumCtx)
	if t.Backend == "openai" {
		numCtx = "num_ctx the server's" // the OpenAI API has no num_ctx
	}
	think := ""
	if wl.Think != "" && wl.Think != bench.ThinkOff {
		think = ", think " + string(wl.Think)
	}
	lengths := fmt.Sprintf("prompt %s tokens, up to %d output tokens", prompt, wl.MaxTokens)
	switch d := o.Dataset; {
	case d != nil && d.MaxTokensGiven:
		lengths = fmt.Sprintf("prompts from the dataset, up to %d output tokens (--max-tokens replaces the file's lengths)", wl.MaxTokens)
	case d != nil:
		lengths = fmt.Sprintf("prompts and output lengths from the dataset (else up to %d output tokens)", wl.MaxTokens)
	case o.TraceFile != "":
		lengths = "prompt and output lengths from the trace"
	}
	fmt.Fprintf(&b, "workload  %s + %s, %s, %s, temperature %g, seed %d%s\n",
		measured, warm, lengths, numCtx, wl.Temperature, wl.Seed, think)
	workloadSourceLine(&b, o)
	if d := o.Dataset; d != nil {
		cut := ""
		if d.TurnsCut > 0 {
			cut = fmt.Sprintf(", %d conversation turns left off as their history would not fit num_ctx", d.TurnsCut)
		}
		fmt.Fprintf(&b, "dataset   %s (%s, sha256 %.12s): %d of %d records sent in turn, %d skipped as longer than num_ctx, %d by the length filters%s (lengths estimated)\n",
			d.Path, d.Format, d.SHA256, d.Selected, d.Records, d.SkippedTooLong, d.SkippedFiltered, cut)
	}
	if o.IgnoreEOS || o.MinTokens > 0 || len(o.ExtraBody) > 0 {
		fmt.Fprintf(&b, "output    sent ignore_eos %v, min_tokens %d, extra body %s\n", o.IgnoreEOS, o.MinTokens, orDash(string(compactJSON(o.ExtraBody))))
	}
	if run.PrefixCache != nil {
		b.WriteString(prefixLine(run.PrefixCache))
	}
	if run.TokensEstimated {
		b.WriteString("tokens    ESTIMATED: the server sent no usage; output tokens are text chunks (a lower bound), so output tokens, TPOT and client decode rates are estimates; prompt tokens unknown\n")
	}
	asked := o.Levels()
	switch {
	case len(run.Levels) == 0 && len(asked) <= 1: // a run file from before load models: sequential
		fmt.Fprintf(&b, "load      %s", bench.LoadSequential)
	case len(asked) == 1:
		fmt.Fprintf(&b, "load      %s", asked[0].Load)
	default:
		fmt.Fprintf(&b, "load      %d levels: %s", len(asked), strings.Join(o.LevelNames(), " | "))
		if len(run.Levels) < len(asked) {
			fmt.Fprintf(&b, " (%d measured)", len(run.Levels))
		}
	}
	if o.SLO.IsSet() {
		fmt.Fprintf(&b, "; --slo %s", o.SLO.String())
	}
	if len(run.Fleet) > 0 {
		fmt.Fprintf(&b, "; %d servers at once", len(run.Fleet))
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "run       %s, %s, %d ok, %d failed", run.RunID, run.EndReason, run.Throughput.Completed, run.Throughput.Failed)
	if d := droppedOf(run); d > 0 {
		fmt.Fprintf(&b, ", %d dropped", d)
	}
	fmt.Fprintf(&b, ", window %s", dur(float64(run.Window.DurationNs)))
	if st := run.Stopping; st.Rule == "auto" {
		fmt.Fprintf(&b, "; --runs auto: %s", strings.ReplaceAll(st.Reason, "_", " "))
		if st.AchievedFrac != nil {
			fmt.Fprintf(&b, " (%s median ±%.1f%%, asked ±%.1f%%)", st.Metric, 100**st.AchievedFrac, 100*st.PrecisionFrac)
		}
	}
	b.WriteString("\n\n")

	// In a narrow terminal (tablefit.Columns) a metric's label shortens in its middle,
	// then the columns split into parts under one another, each led by the metric.
	width := tablefit.Columns(w)
	tw := tablefit.NewWriter(&b, width, tablefit.Layout{Keys: 1, Trim: firstColumn}, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "metric\tn\tmedian\tmedian CI (≥95%)\tmean\tp90\tp99\tmin\tmax\tCV\t")
	for _, name := range MetricOrder {
		s, ok := run.Summaries[name]
		if !ok {
			continue
		}
		f := formatter(name)
		ci := "n<6"
		if s.MedianCILo != nil && s.MedianCIHi != nil {
			ci = f(*s.MedianCILo) + " .. " + f(*s.MedianCIHi)
		}
		cv := "-"
		if s.CV != nil {
			cv = fmt.Sprintf("%.1f%%", 100**s.CV)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", metricLabel[name], s.N, f(s.Median), ci,
			f(s.Mean), f(s.P90), f(s.P99), f(s.Min), f(s.Max), cv)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "throughput  %.1f output tokens/s, %.3f requests/s over the measured window",
		run.Throughput.OutputTokensPerS, run.Throughput.RequestsPerS)
	if len(run.Fleet) > 0 {
		b.WriteString(" (all servers)")
	}
	b.WriteString("\n")
	if g := run.Throughput.GoodputPerS; g != nil && len(run.Levels) == 1 && run.Levels[0].SLO != nil {
		fmt.Fprintf(&b, "goodput     %.3f requests/s meeting --slo (%d of %d requests)%s\n", *g, run.Levels[0].SLO.GoodRequests,
			run.Levels[0].SLO.Requests, sloVerdict(run.Levels[0].SLO))
	}
	if err := renderLevels(&b, run, width); err != nil {
		return err
	}
	if err := renderLevelRoofline(&b, run); err != nil {
		return err
	}
	if err := renderTurns(&b, run); err != nil {
		return err
	}
	if f := run.PrefillFit; f != nil {
		fmt.Fprintf(&b, "prefill fit TTFT = %s + prompt tokens / %.1f tok/s (least squares over %d requests, %d..%d tokens, R² %.3f%s)\n",
			dur(f.FixedNs), f.PrefillPerS, f.N, f.PromptTokensMin, f.PromptTokensMax, f.R2, weakFit(f.R2))
	}
	if f := run.DecodeFit; f != nil {
		sign, slope := "+", f.NsPerContextToken
		if slope < 0 {
			sign, slope = "−", -slope
		}
		fmt.Fprintf(&b, "decode fit  TPOT = %s %s %s per token of context (%.1f tok/s at depth 0; %d requests, depth %.0f..%.0f, R² %.3f%s)\n",
			dur(f.StepNs), sign, dur(slope), f.DecodePerSAtZero, f.N, f.DepthMin, f.DepthMax, f.R2, weakFit(f.R2))
	}
	if err := renderFleet(&b, run, width); err != nil {
		return err
	}
	if run.Memory.Predicted != nil {
		memoryLines(&b, run, hw)
	} else {
		oldMemoryLine(&b, run.Memory, len(hw.GPUs))
	}
	if rl := run.Roofline; rl != nil {
		fmt.Fprintf(&b, "roofline    %s read per token (weights %s + KV %s at %.0f tokens of context)\n",
			units.SI(float64(rl.BytesPerToken)), units.SI(float64(rl.ActiveWeightBytesPerToken)), units.SI(float64(rl.KVBytesPerToken)), rl.MeanContextTokens)
		if rl.DecodeCeilingPerS > 0 {
			fmt.Fprintf(&b, "            decode ceiling %.1f tok/s at %s/s (%s)", rl.DecodeCeilingPerS, units.SI(rl.BandwidthBytesPerS), rl.BandwidthSource)
			if rl.DecodeEfficiencyFrac != nil {
				fmt.Fprintf(&b, ": measured %.1f%% of it (%s/s)", 100**rl.DecodeEfficiencyFrac, units.SI(rl.AchievedBandwidthBytesPerS))
			}
			b.WriteString("\n")
		}
		if rl.PrefillCeilingPerS > 0 {
			fmt.Fprintf(&b, "            prefill ceiling %.0f tok/s at %s (%s)", rl.PrefillCeilingPerS, peakText(rl.PeakFLOPS, rl.ComputePrecision), rl.FLOPSSource)
			if rl.PrefillEfficiencyFrac != nil {
				fmt.Fprintf(&b, ": measured %.1f%% of it", 100**rl.PrefillEfficiencyFrac)
			}
			b.WriteString("\n")
		}
		for _, n := range rl.Notes {
			fmt.Fprintf(&b, "            note: %s\n", n)
		}
	}
	e := run.Energy
	switch {
	case e.EnergyJ != nil:
		fmt.Fprintf(&b, "energy      %.1f J over the window, %.1f W average (%s)", *e.EnergyJ, *e.AvgPowerW, strings.Join(e.Sources, " + "))
		if e.JPerOutputToken != nil {
			fmt.Fprintf(&b, ", %.3f J per output token", *e.JPerOutputToken)
		}
		b.WriteString("\n")
	case len(e.Unavailable) > 0:
		fmt.Fprintf(&b, "energy      unavailable: %s\n", strings.Join(e.Unavailable, "; "))
	}
	if e.CostPerMTok != nil {
		fmt.Fprintf(&b, "cost        %.4g %s per million output tokens (%s)\n", *e.CostPerMTok, e.Currency, e.CostSource)
	}
	if h := run.HostCPU; h != nil {
		fmt.Fprintf(&b, "host CPU    %.0f%% busy over %d cores", 100*h.BusyFrac, h.LogicalCores)
		if h.SplitUnavailable != "" {
			fmt.Fprintf(&b, ", yardstick %.1f%% (no server/other split: %s)", 100*h.HarnessFrac, h.SplitUnavailable)
		} else if h.ServerFrac != nil && h.OtherFrac != nil {
			fmt.Fprintf(&b, ": server %.0f%%, yardstick %.1f%%, other processes %.0f%%", 100**h.ServerFrac, 100*h.HarnessFrac, 100**h.OtherFrac)
		}
		b.WriteString("\n")
	}
	if st := run.Selftest; st != nil && len(st.Accuracy) > 0 {
		a := st.Accuracy[0]
		fmt.Fprintf(&b, "client      self-test: ingests %.0f tokens/s; TTFT error p50 %s at %d stream(s)\n",
			st.Ingest.TokensPerS, dur(float64(a.TTFTErrP50Ns)), a.Streams)
	}
	if c := run.Cold; c != nil && c.TTFTNs != nil {
		fmt.Fprintf(&b, "cold load   TTFT %s after unloading (server load_duration %s)\n", dur(float64(*c.TTFTNs)), dur(float64(c.LoadNs)))
	}
	if len(run.Warnings) > 0 {
		b.WriteString("\nwarnings\n")
		for _, wn := range run.Warnings {
			fmt.Fprintf(&b, "  - %s: %s\n", wn.Code, wn.Message)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func formatter(name string) func(float64) string {
	switch {
	case strings.HasSuffix(name, "_ns"):
		return dur
	case strings.HasSuffix(name, "_per_s"):
		return func(v float64) string { return fmt.Sprintf("%.1f", v) }
	case name == "tokens_per_chunk":
		return func(v float64) string { return fmt.Sprintf("%.2f", v) }
	default:
		return func(v float64) string { return fmt.Sprintf("%.0f", v) }
	}
}

// dur formats nanoseconds with three significant digits in the largest fitting unit.
func dur(ns float64) string {
	a := math.Abs(ns)
	switch {
	case a == 0:
		return "0"
	case a < float64(time.Microsecond):
		return fmt.Sprintf("%.0fns", ns)
	case a < float64(time.Millisecond):
		return sig(ns/1e3) + "µs"
	case a < float64(time.Second):
		return sig(ns/1e6) + "ms"
	default:
		return sig(ns/1e9) + "s"
	}
}

func sig(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 100:
		return fmt.Sprintf("%.0f", v)
	case a >= 10:
		return fmt.Sprintf("%.1f", v)
	default:
		return fmt.Sprintf("%.2f", v)
	}
}

func short(digest string) string {
	d := strings.TrimPrefix(digest, "sha256:")
	if len(d) > 12 {
		return d[:12]
	}
	return orDash(d)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// weakFit qualifies a fit whose line explains under half of the variance.
func weakFit(r2 float64) string {
	if r2 < 0.5 {
		return ": a weak fit, the line explains little of the spread"
	}
	return ""
}

// peakText writes a prefill peak with its precision: "2.35 TOP/s int8", "330 TFLOP/s
// fp16"; a run file without a precision gives "0.166 TFLOP/s", as before.
func peakText(peak float64, precision string) string {
	switch precision {
	case "int8":
		return fmt.Sprintf("%.3g TOP/s int8", peak/1e12)
	case "":
		return fmt.Sprintf("%.3g TFLOP/s", peak/1e12)
	}
	return fmt.Sprintf("%.3g TFLOP/s %s", peak/1e12, precision)
}

// oldMemoryLine renders the memory line of a run without a prediction (run files
// written before the memory model, or a model whose cost is unknown).
func oldMemoryLine(b *strings.Builder, mem Memory, gpus int) {
	if mem.ModelSizeBytes != nil && gpus == 0 {
		fmt.Fprintf(b, "memory      model %s (CPU only)", units.IEC(float64(*mem.ModelSizeBytes)))
	} else if mem.ModelSizeBytes != nil && mem.ModelVRAMBytes != nil {
		fmt.Fprintf(b, "memory      model %s (in GPU memory %s)", units.IEC(float64(*mem.ModelSizeBytes)), units.IEC(float64(*mem.ModelVRAMBytes)))
	} else {
		fmt.Fprintf(b, "memory      model size unavailable (%s)", mem.ModelSizeUnavailable)
	}
	if mem.ServerRSSPeakBytes != nil {
		fmt.Fprintf(b, ", server RSS peak %s (pid %d and children, %d samples)", units.IEC(float64(*mem.ServerRSSPeakBytes)), mem.ServerPID, mem.RSSSamples)
	} else if mem.RSSUnavailable != "" {
		fmt.Fprintf(b, ", server RSS unavailable: %s", mem.RSSUnavailable)
	}
	b.WriteString("\n")
}
