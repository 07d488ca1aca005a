package results

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yardstick-dev/yardstick/profiles"
)

// CheckLine is one threshold of a profile's expectation held against a run: what is
// measured, the threshold and the measured value as printed ("not measured" when the
// run lacks the figure, which fails the line), and whether it was met.
type CheckLine struct {
	What, Threshold, Measured string
	Pass                      bool
}

// CheckResult is a run held against the expectation of a profile for its model.
type CheckResult struct {
	Profile     profiles.Profile
	Expectation profiles.Expectation
	Lines       []CheckLine
	// Failed counts the lines not met.
	Failed int
}

// Check holds run against p's expectation for the run's model (exact name, else the
// first glob that matches): median server_gen_per_s ≥ min_server_gen_per_s, p95 of
// ttft_ns ≤ max_ttft_p95, roofline.decode_efficiency_frac ≥ min_decode_efficiency_frac,
// memory.headroom_frac ≥ min_headroom_frac, |memory.predicted_error_frac| ≤
// max_predicted_error_frac.
// Errors: a profile with no expectations, or none for the run's model.
func Check(run *Run, p profiles.Profile) (CheckResult, error) {
	model := run.Target.Model.Name
	exp, ok := p.ExpectationFor(model)
	if !ok {
		var pats []string
		for _, e := range p.Expectations {
			pats = append(pats, e.Model)
		}
		if len(pats) == 0 {
			return CheckResult{}, fmt.Errorf("profile %s (%s) has no expectations", p.Name, p.Source)
		}
		return CheckResult{}, fmt.Errorf("profile %s (%s) has no expectation for model %q (it has: %s)", p.Name, p.Source, model, strings.Join(pats, ", "))
	}
	res := CheckResult{Profile: p, Expectation: exp}
	if t := exp.MinServerGenPerS; t != nil {
		l := CheckLine{What: "server_gen_per_s median", Threshold: fmt.Sprintf(">= %.4g tok/s", *t), Measured: "not measured"}
		if s, ok := run.Summaries["server_gen_per_s"]; ok && s.N > 0 {
			l.Measured = fmt.Sprintf("%.4g tok/s", s.Median)
			l.Pass = s.Median >= *t
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MaxTTFTP95; t != nil {
		l := CheckLine{What: "ttft_ns p95", Threshold: "<= " + t.String(), Measured: "not measured"}
		if s, ok := run.Summaries["ttft_ns"]; ok && s.N > 0 {
			l.Measured = roundDisplay(time.Duration(s.P95)).String()
			l.Pass = s.P95 <= float64(*t)
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MinDecodeEfficiencyFrac; t != nil {
		l := CheckLine{What: "decode_efficiency_frac", Threshold: fmt.Sprintf(">= %.3g", *t), Measured: "not measured"}
		if run.Roofline != nil && run.Roofline.DecodeEfficiencyFrac != nil {
			v := *run.Roofline.DecodeEfficiencyFrac
			l.Measured = fmt.Sprintf("%.3g", v)
			l.Pass = v >= *t
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MinHeadroomFrac; t != nil {
		l := CheckLine{What: "memory.headroom_frac", Threshold: fmt.Sprintf(">= %.3g", *t), Measured: "not measured"}
		if m := run.Memory; m.HeadroomFrac != nil && m.HeadroomBytes != nil {
			l.Measured = fmt.Sprintf("%.3g (%s)", *m.HeadroomFrac, signedIEC(*m.HeadroomBytes))
			l.Pass = *m.HeadroomFrac >= *t
		} else if m.HeadroomUnavailable != "" {
			l.Measured = "not measured: " + m.HeadroomUnavailable
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MaxPredictedErrorFrac; t != nil {
		l := CheckLine{What: "memory.predicted_error_frac", Threshold: fmt.Sprintf("|x| <= %.3g", *t), Measured: "not measured"}
		if m := run.Memory; m.PredictedErrorFrac != nil {
			l.Measured = fmt.Sprintf("%+.3g", *m.PredictedErrorFrac)
			l.Pass = math.Abs(*m.PredictedErrorFrac) <= *t
		} else if m.PredictedErrorUnavailable != "" {
			l.Measured = "not measured: " + m.PredictedErrorUnavailable
		}
		res.Lines = append(res.Lines, l)
	}
	for _, l := range res.Lines {
		if !l.Pass {
			res.Failed++
		}
	}
	return res, nil
}

// RenderCheck writes the text of `yardstick check`: the run (named file), the profile
// and expectation, one line per threshold, and the count met or failed.
func RenderCheck(w io.Writer, file string, run *Run, c CheckResult) error {
	fmt.Fprintf(w, "run      %s  model %s  run_id %s  %s\n", file, run.Target.Model.Name, run.RunID, run.EndReason)
	fmt.Fprintf(w, "profile  %s (%s)  expectation for %q\n\n", c.Profile.Name, c.Profile.Source, c.Expectation.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPECTATION\tTHRESHOLD\tMEASURED\tRESULT")
	for _, l := range c.Lines {
		res := "pass"
		if !l.Pass {
			res = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.What, l.Threshold, l.Measured, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if run.EndReason != "" && run.EndReason != "completed" {
		fmt.Fprintf(w, "\nnote: the run ended %s; its figures cover only what was measured\n", run.EndReason)
	}
	if c.Failed > 0 {
		_, err := fmt.Fprintf(w, "\n%d of %d expectations failed\n", c.Failed, len(c.Lines))
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d of %d expectations met\n", len(c.Lines), len(c.Lines))
	return err
}

// roundDisplay rounds a duration for display: to 0.1 ms under a second, else to 1 ms.
func roundDisplay(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
