package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// RenderRuns writes runs side by side, one line each: the table of one invocation that
// measured several models in turn (`yardstick run -m a,b`). Columns: model (with its
// quantization, "(twin)" for a shape twin), backend, load, requests ok/failed, and the
// medians over the successful measured requests of ttft_ns, tpot_ns and the decode
// rate (server_gen_per_s; client_gen_per_s, marked "client", when the server reports
// no timings), then throughput.output_tokens_per_s, the number of warnings and the run
// file (files[i], "-" when empty). Figures built on estimated token counts
// (Run.TokensEstimated) are marked "≈"; a metric a run lacks is "-". The medians are
// the pooled ones of each run's summaries: a sweep's levels are in its own table.
func RenderRuns(w io.Writer, runs []*Run, files []string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "model\tbackend\tload\tok/failed\tTTFT median\tTPOT median\tdecode tok/s median\tout tok/s\twarnings\tfile")
	for i, r := range runs {
		m := r.Target.Model
		model := strings.TrimSpace(m.Name + " " + m.QuantizationLevel)
		if m.Synthetic != nil {
			model += " (twin)"
		}
		est := ""
		if r.TokensEstimated {
			est = "≈"
		}
		ttft, tpot, dec := "-", "-", "-"
		if s, ok := r.Summaries["ttft_ns"]; ok {
			ttft = dur(s.Median)
		}
		if s, ok := r.Summaries["tpot_ns"]; ok {
			tpot = est + dur(s.Median)
		}
		if s, ok := r.Summaries["server_gen_per_s"]; ok {
			dec = fmt.Sprintf("%.1f", s.Median)
		} else if s, ok := r.Summaries["client_gen_per_s"]; ok {
			dec = fmt.Sprintf("%s%.1f client", est, s.Median)
		}
		file := "-"
		if i < len(files) && files[i] != "" {
			file = files[i]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s%.1f\t%d\t%s\n", model, orDash(r.Target.Backend), orDash(loadLabel(r)),
			r.Throughput.Completed, r.Throughput.Failed, ttft, tpot, dec, est, r.Throughput.OutputTokensPerS, len(r.Warnings), file)
	}
	return tw.Flush()
}
