package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yardstick-dev/yardstick/profiles"
)

// CheckLine is one threshold of a profile's expectation held against a run.
type CheckLine struct {
	// What is the figure and statistic checked, e.g. "ttft_ns p95".
	What string `json:"what"`
	// Threshold and Measured are as printed, with units ("<= 500ms", "412.3ms");
	// Measured is "not measured" (with the run's reason when it gives one) when the run
	// lacks the figure.
	Threshold string `json:"threshold"`
	Measured  string `json:"measured"`
	// Limit and Value are the threshold and the measured figure in the unit of the
	// figure named in What (nanoseconds for ttft_ns, tokens/s for server_gen_per_s, a
	// fraction for the _frac figures); Value is absent when not measured.
	Limit float64  `json:"limit"`
	Value *float64 `json:"value,omitempty"`
	// Judged is false when the run lacks the figure: the line could not be judged.
	Judged bool `json:"judged"`
	// Pass is true when the line was judged and met.
	Pass bool `json:"pass"`
	// Status is "pass", "fail" (judged and not met, or not judged under the strict
	// rule, the default) or "skip" (not judged, with CheckOptions.Lenient).
	Status string `json:"status"`
}

// CheckOptions are the options of CheckWith.
type CheckOptions struct {
	// Lenient skips a threshold the run has no figure for instead of failing it
	// (check --strict=false). The default, strict, fails it: a CI gate must not pass
	// having judged nothing.
	Lenient bool
}

// CheckResult is a run held against the expectation of a profile for its model.
type CheckResult struct {
	Profile     profiles.Profile     `json:"-"`
	Expectation profiles.Expectation `json:"-"`
	Lines       []CheckLine          `json:"lines"`
	// Strict is true unless CheckOptions.Lenient was given.
	Strict bool `json:"strict"`
	// Passed, Failed and Skipped count the lines by Status.
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Check is CheckWith with the default options (strict).
func Check(run *Run, p profiles.Profile) (CheckResult, error) {
	return CheckWith(run, p, CheckOptions{})
}

// CheckWith holds run against p's expectation for the run's model (exact name, else
// the first glob that matches): median server_gen_per_s ≥ min_server_gen_per_s, p95 of
// ttft_ns ≤ max_ttft_p95, roofline.decode_efficiency_frac ≥ min_decode_efficiency_frac,
// memory.headroom_frac ≥ min_headroom_frac, |memory.predicted_error_frac| ≤
// max_predicted_error_frac. A threshold whose figure the run lacks is not judged: it
// fails, or with opts.Lenient is skipped. A run with no successful measured request
// gets one more line, "measured requests ok", judged and failed whatever opts say: a
// gate must not pass a run that measured nothing (every other line would be skipped, or
// judged from figures no request gave, such as the memory headroom).
// Errors: a profile with no expectations, or none for the run's model.
func CheckWith(run *Run, p profiles.Profile, opts CheckOptions) (CheckResult, error) {
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
	res := CheckResult{Profile: p, Expectation: exp, Strict: !opts.Lenient}
	judge := func(l CheckLine, v float64, pass bool) CheckLine {
		l.Value, l.Judged, l.Pass = &v, true, pass
		return l
	}
	if t := exp.MinServerGenPerS; t != nil {
		l := CheckLine{What: "server_gen_per_s median", Threshold: ">= " + rate4(*t) + " tok/s", Measured: "not measured", Limit: *t}
		if s, ok := run.Summaries["server_gen_per_s"]; ok && s.N > 0 {
			l.Measured = rate4(s.Median) + " tok/s"
			l = judge(l, s.Median, s.Median >= *t)
		} else {
			l.Measured = notMeasured(run, "the server reported no decode timings (the OpenAI API has none)")
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MaxTTFTP95; t != nil {
		l := CheckLine{What: "ttft_ns p95", Threshold: "<= " + t.String(), Measured: "not measured", Limit: float64(*t)}
		if s, ok := run.Summaries["ttft_ns"]; ok && s.N > 0 {
			l.Measured = roundDisplay(time.Duration(s.P95)).String()
			l = judge(l, s.P95, s.P95 <= float64(*t))
		} else {
			l.Measured = notMeasured(run, "no request streamed a first token")
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MinDecodeEfficiencyFrac; t != nil {
		l := CheckLine{What: "decode_efficiency_frac", Threshold: fmt.Sprintf(">= %.3g", *t), Measured: "not measured", Limit: *t}
		switch rl := run.Roofline; {
		case rl != nil && rl.DecodeEfficiencyFrac != nil:
			v := *rl.DecodeEfficiencyFrac
			l.Measured = fmt.Sprintf("%.3g", v)
			l = judge(l, v, v >= *t)
		case rl != nil && rl.FitsInLLC:
			l.Measured = "not measured: the bytes read per token fit in the last-level cache, so memory bandwidth does not bound decode (fits_in_llc)"
		case rl != nil:
			l.Measured = "not measured: no decode rate or no memory bandwidth to hold it against"
		default:
			l.Measured = notMeasured(run, "no roofline: the server did not describe the model's size (the OpenAI API cannot)")
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MinHeadroomFrac; t != nil {
		l := CheckLine{What: "memory.headroom_frac", Threshold: fmt.Sprintf(">= %.3g", *t), Measured: "not measured", Limit: *t}
		if m := run.Memory; m.HeadroomFrac != nil && m.HeadroomBytes != nil {
			l.Measured = fmt.Sprintf("%.3g (%s)", *m.HeadroomFrac, signedIEC(*m.HeadroomBytes))
			l = judge(l, *m.HeadroomFrac, *m.HeadroomFrac >= *t)
		} else if m.HeadroomUnavailable != "" {
			l.Measured = "not measured: " + m.HeadroomUnavailable
		}
		res.Lines = append(res.Lines, l)
	}
	if t := exp.MaxPredictedErrorFrac; t != nil {
		l := CheckLine{What: "memory.predicted_error_frac", Threshold: fmt.Sprintf("|x| <= %.3g", *t), Measured: "not measured", Limit: *t}
		if m := run.Memory; m.PredictedErrorFrac != nil {
			l.Measured = fmt.Sprintf("%+.3g", *m.PredictedErrorFrac)
			l = judge(l, *m.PredictedErrorFrac, math.Abs(*m.PredictedErrorFrac) <= *t)
		} else if m.PredictedErrorUnavailable != "" {
			l.Measured = "not measured: " + m.PredictedErrorUnavailable
		}
		res.Lines = append(res.Lines, l)
	}
	if run.Throughput.Completed == 0 {
		res.Lines = append(res.Lines, judge(CheckLine{What: "measured requests ok", Threshold: ">= 1",
			Measured: fmt.Sprintf("0 of %d", run.Throughput.Completed+run.Throughput.Failed), Limit: 1}, 0, false))
	}
	for i := range res.Lines {
		l := &res.Lines[i]
		switch {
		case l.Pass:
			l.Status = "pass"
			res.Passed++
		case !l.Judged && opts.Lenient:
			l.Status = "skip"
			res.Skipped++
		default:
			l.Status = "fail"
			res.Failed++
		}
	}
	return res, nil
}

// notMeasured is the Measured text of a threshold the run has no figure for: no
// successful measured request, else why (the threshold's own reason).
func notMeasured(run *Run, why string) string {
	if run.Throughput.Completed == 0 {
		return "not measured: no measured request succeeded"
	}
	return "not measured: " + why
}

// rate4 writes a rate with four significant digits, never in exponent form: 12.35,
// 1235, 12346 (not 1.235e+04).
func rate4(v float64) string {
	if math.Abs(v) >= 1e4 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// checkResultWord is the RESULT column: pass, FAIL, or skip.
func checkResultWord(l CheckLine) string {
	switch l.Status {
	case "pass":
		return "pass"
	case "skip":
		return "skip"
	}
	return "FAIL"
}

// checkTally is the closing sentence: how many expectations were met, failed and
// skipped.
func checkTally(c CheckResult) string {
	n, unjudged := len(c.Lines), 0
	for _, l := range c.Lines {
		if l.Status == "fail" && !l.Judged {
			unjudged++
		}
	}
	failed := fmt.Sprintf("%d of %d expectations failed", c.Failed, n)
	if unjudged > 0 {
		failed += fmt.Sprintf(" (%d not judged, failed by the strict rule)", unjudged)
	}
	switch {
	case c.Failed > 0 && c.Skipped > 0:
		return fmt.Sprintf("%s, %d not judged (skipped: --strict=false)", failed, c.Skipped)
	case c.Failed > 0:
		return failed
	case c.Skipped > 0:
		return fmt.Sprintf("%d of %d expectations met, %d not judged (skipped: --strict=false)", c.Passed, n, c.Skipped)
	}
	return fmt.Sprintf("%d of %d expectations met", n, n)
}

// RenderCheck writes the text of `yardstick check`: the run (named file), the profile
// and expectation, one line per threshold, and the count met or failed.
func RenderCheck(w io.Writer, file string, run *Run, c CheckResult) error {
	fmt.Fprintf(w, "run      %s  model %s  run_id %s  %s\n", file, run.Target.Model.Name, run.RunID, run.EndReason)
	fmt.Fprintf(w, "profile  %s (%s)  expectation for %q\n\n", c.Profile.Name, c.Profile.Source, c.Expectation.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPECTATION\tTHRESHOLD\tMEASURED\tRESULT")
	// A figure not measured says why under the table, not in its column.
	var why []string
	for _, l := range c.Lines {
		measured := l.Measured
		if reason, ok := strings.CutPrefix(measured, "not measured: "); ok {
			why = append(why, fmt.Sprintf("  %s: %s", l.What, reason))
			measured = "not measured"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.What, l.Threshold, measured, checkResultWord(l))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(why) > 0 {
		fmt.Fprintf(w, "\nnot measured:\n%s\n", strings.Join(why, "\n"))
	}
	if n := checkEndNote(run); n != "" {
		fmt.Fprintf(w, "\nnote: %s\n", n)
	}
	_, err := fmt.Fprintf(w, "\n%s\n", checkTally(c))
	return err
}

// checkEndNote is the note on a run that did not complete, or "".
func checkEndNote(run *Run) string {
	if run.EndReason != "" && run.EndReason != "completed" {
		return "the run ended " + run.EndReason + "; its figures cover only what was measured"
	}
	return ""
}

// RenderCheckMarkdown writes the check as GitHub-flavoured markdown: a heading with
// the verdict, the run and profile, one table row per threshold and the tally. It is
// what check appends to $GITHUB_STEP_SUMMARY.
func RenderCheckMarkdown(w io.Writer, file string, run *Run, c CheckResult) error {
	verdict := "passed"
	if c.Failed > 0 {
		verdict = "failed"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "### yardstick check %s: %s\n\n", mdEscape(run.Target.Model.Name), verdict)
	fmt.Fprintf(&b, "Run %s (run_id %s, %s) against profile %s (%s), expectation for %s.\n\n",
		mdEscape(file), mdEscape(run.RunID), mdEscape(run.EndReason), mdEscape(c.Profile.Name), mdEscape(c.Profile.Source), mdEscape(c.Expectation.Model))
	b.WriteString("| expectation | threshold | measured | result |\n|---|---|---|---|\n")
	for _, l := range c.Lines {
		res := checkResultWord(l)
		if l.Status == "fail" {
			res = "**FAIL**"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mdEscape(l.What), mdEscape(l.Threshold), mdEscape(l.Measured), res)
	}
	if n := checkEndNote(run); n != "" {
		fmt.Fprintf(&b, "\nNote: %s.\n", mdEscape(n))
	}
	fmt.Fprintf(&b, "\n%s.\n", checkTally(c))
	_, err := io.WriteString(w, b.String())
	return err
}

// CheckKind identifies the JSON of `yardstick check --format json`.
const CheckKind = "yardstick.check"

// CheckSchemaVersion is the version of that JSON.
const CheckSchemaVersion = 1

// CheckReport is the JSON of `yardstick check --format json`: the run, the profile,
// the lines and the tally (CheckResult).
type CheckReport struct {
	Kind          string `json:"kind"`
	SchemaVersion int    `json:"schema_version"`
	RunFile       string `json:"run_file"`
	RunID         string `json:"run_id"`
	Model         string `json:"model"`
	EndReason     string `json:"end_reason"`
	Profile       string `json:"profile"`
	ProfileSource string `json:"profile_source"`
	// Expectation is the model name or glob of the expectation applied.
	Expectation string `json:"expectation"`
	CheckResult
	// Tool is the build that judged (ThisTool).
	Tool Tool `json:"tool"`
}

// RenderCheckJSON writes the check as indented JSON (CheckReport).
func RenderCheckJSON(w io.Writer, file string, run *Run, c CheckResult) error {
	rep := CheckReport{Kind: CheckKind, SchemaVersion: CheckSchemaVersion, RunFile: file, RunID: run.RunID,
		Model: run.Target.Model.Name, EndReason: run.EndReason, Profile: c.Profile.Name, ProfileSource: c.Profile.Source,
		Expectation: c.Expectation.Model, CheckResult: c, Tool: ThisTool()}
	if rep.Lines == nil {
		rep.Lines = []CheckLine{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// RenderCheckJUnit writes the check as JUnit XML (the schema of render_junit.go): one
// test suite, the run against the profile's expectation, one test case per threshold.
// A line not met is a <failure type="below_expectation">; a line not judged is a
// <failure type="not_judged"> under the strict rule and <skipped> otherwise.
func RenderCheckJUnit(w io.Writer, file string, run *Run, c CheckResult) error {
	model := run.Target.Model.Name
	s := junitSuite{Name: "yardstick check " + model + " against " + c.Profile.Name, Time: "0",
		Timestamp: junitTimestamp(run.StartedAt), Hostname: orLocal(run.Environment.Hardware.Hostname), Package: "yardstick",
		Properties: []junitProperty{{"run_file", file}, {"run_id", run.RunID}, {"model", model}, {"end_reason", run.EndReason},
			{"profile", c.Profile.Name}, {"profile_source", c.Profile.Source}, {"expectation", c.Expectation.Model},
			{"strict", fmt.Sprint(c.Strict)}, {"tool_build", ThisTool().Build()}}}
	for _, l := range c.Lines {
		msg := fmt.Sprintf("%s: measured %s, threshold %s", l.What, l.Measured, l.Threshold)
		if !l.Judged {
			msg = fmt.Sprintf("%s: %s, threshold %s", l.What, l.Measured, l.Threshold)
		}
		tc := junitCase{Name: l.What + " " + l.Threshold, Classname: "yardstick.check." + classPart(model), Time: "0", SystemOut: msg}
		switch {
		case l.Status == "skip":
			tc.Skipped = &junitText{Text: msg + " (not judged; --strict=false)"}
			s.Skipped++
		case l.Status == "fail" && !l.Judged:
			tc.Failure = &junitMessage{Message: msg + " (not judged: strict)", Type: "not_judged", Text: msg}
			s.Failures++
		case l.Status == "fail":
			tc.Failure = &junitMessage{Message: msg, Type: "below_expectation", Text: msg}
			s.Failures++
		}
		s.Cases = append(s.Cases, tc)
	}
	s.Tests = len(s.Cases)
	s.SystemOut = checkEndNote(run)
	return writeJUnit(w, junitSuites{Suites: []junitSuite{s}})
}

// roundDisplay rounds a duration for display: to 0.1 ms under a second, else to 1 ms.
func roundDisplay(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
