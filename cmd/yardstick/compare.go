package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// readInputs reads the run files named by c's arguments, of which there must be at
// least min (else a usage error saying need), refusing an --out that names one of
// them; errors are usage errors. It returns the names and the runs.
func readInputs(c *cli.Context, min int, need string) ([]string, []*results.Run, error) {
	if c.NArg() < min {
		return nil, nil, usageErr("%s", need)
	}
	args := c.Args().Slice()
	runs, err := results.ReadInputs(reportOut(c), args)
	if err != nil {
		return nil, nil, &exitError{exitUsage, err}
	}
	return args, runs, nil
}

// reportOut is the file --out names for a report, or "" for stdout: without --out, and
// with --out - (the convention of every command that writes a file).
func reportOut(c *cli.Context) string {
	if out := c.String("out"); out != "-" {
		return out
	}
	return ""
}

// emit renders comp in format (or with custom, when given: the table of one run, an
// HTML page) to --out or stdout, and appends the markdown rendering to
// $GITHUB_STEP_SUMMARY when that is set.
func emit(c *cli.Context, e *env, format string, comp *results.Comparison, custom func(io.Writer) error) error {
	render := func(w io.Writer) error { return results.Renderers[format](w, comp) }
	if custom != nil {
		render = custom
	}
	if err := results.WriteReport(e.stdout, reportOut(c), render); err != nil {
		return err
	}
	// The job summary is a courtesy: failing to write it is a warning, never a failed
	// gate (exit 1) or a lost report.
	if err := results.AppendStepSummary(e.getenv("GITHUB_STEP_SUMMARY"), comp); err != nil {
		fmt.Fprintf(e.stderr, "yardstick: warning: %v\n", err)
	}
	return nil
}

// compare compares run files with the first and applies the --fail-on gates.
func (e *env) compare(c *cli.Context, gates []results.Gate, alpha float64, format string) error {
	args, runs, err := readInputs(c, 2, "compare: need a base and at least one new run file (yardstick compare BASE.json NEW.json)")
	if err != nil {
		return err
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].RunID == runs[0].RunID {
			fmt.Fprintf(e.stderr, "yardstick: warning: %s is the same run as %s (run %s): the comparison shows no change by construction\n", args[i], args[0], runs[0].RunID)
		}
	}
	if format == "junit" && len(gates) == 0 {
		return usageErr("compare --format junit: no gates, so nothing to check (JUnit holds checks): add --fail-on, e.g. 'ttft_p95<=+10%%'")
	}
	comp, err := results.Compare(runs, args, results.CompareOptions{Alpha: alpha, Gates: gates, Force: c.Bool("force"), Lenient: !c.Bool("strict")})
	if err != nil {
		return &exitError{exitUsage, err}
	}
	for i, keys := range comp.Keys {
		for _, k := range keys {
			if k.Severity >= results.KeyWarn {
				fmt.Fprintf(e.stderr, "yardstick: %s %s: %s\n", k.Severity, args[i+1], k)
			}
		}
	}
	var custom func(io.Writer) error
	if format == "html" {
		custom = func(w io.Writer) error { return results.RenderComparisonHTML(w, comp, runs) }
	}
	if err := emit(c, e, format, comp, custom); err != nil {
		return err
	}
	// A regression found is named before a gate not judged (strict).
	var failed, unjudged []string
	for _, g := range comp.Gates {
		switch {
		case g.Status == "fail" && g.Judged:
			failed = append(failed, args[g.Run]+": "+g.Message)
		case g.Status == "fail":
			unjudged = append(unjudged, args[g.Run]+": "+g.Message)
		}
	}
	what := "regression gate failed"
	if len(failed) == 0 {
		failed, what = unjudged, "gate not judged (--strict=false skips it)"
	} else {
		failed = append(failed, unjudged...)
	}
	if len(failed) > 0 {
		msg := failed[0]
		if len(failed) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(failed)-1)
		}
		return &exitError{exitFailure, fmt.Errorf("%s: %s", what, msg)}
	}
	return nil
}
