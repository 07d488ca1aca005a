package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// checkFormats are the formats of check --format.
var checkFormats = []string{"table", "markdown", "json", "junit"}

// check holds one run file against a profile's expectations.
func (e *env) check(c *cli.Context, format string) error {
	// Flags after the run file were moved in front of it by interspersed.
	switch {
	case c.NArg() == 0:
		return usageErr("check: no run file (yardstick check RUN.json --profile P)")
	case c.NArg() > 1:
		return usageErr("check: one run file, got %q and %q", c.Args().Get(0), c.Args().Get(1))
	case c.String("profile") == "":
		return usageErr("check: --profile is required: run files do not record expectations; name a profile file with expectations for the run's model")
	}
	o := checkOptions{file: c.Args().First(), profile: c.String("profile"), format: format, out: c.String("out"),
		lenient: !c.Bool("strict"), summary: e.getenv("GITHUB_STEP_SUMMARY")}
	return runCheck(e.stdout, e.stderr, o, profiles.Resolver{Getenv: e.getenv})
}

// checkOptions are check's flags.
type checkOptions struct {
	file, profile string
	// format is one of checkFormats; out the report file ("" for stdout).
	format, out string
	// lenient is --strict=false: a threshold the run cannot judge is skipped.
	lenient bool
	// summary is $GITHUB_STEP_SUMMARY: the markdown rendering is appended there.
	summary string
}

// runCheck holds the run file against the profile's expectation, writes the report in
// the format asked (and the markdown one to the step summary) and maps the verdict to
// the exit status: 1 when a line failed, 2 for bad input.
func runCheck(stdout, stderr io.Writer, o checkOptions, r profiles.Resolver) error {
	run, err := results.ReadFile(o.file)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	if _, err := results.ReadInputs(o.out, []string{o.file}); err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	p, err := r.Load(o.profile)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	res, err := results.CheckWith(run, p, results.CheckOptions{Lenient: o.lenient})
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	render := map[string]func(io.Writer, string, *results.Run, results.CheckResult) error{
		"table": results.RenderCheck, "markdown": results.RenderCheckMarkdown,
		"json": results.RenderCheckJSON, "junit": results.RenderCheckJUnit,
	}[o.format]
	if err := results.WriteReport(stdout, o.out, func(w io.Writer) error { return render(w, o.file, run, res) }); err != nil {
		return err
	}
	// As compare's: the job summary is a courtesy, a warning when it cannot be written.
	if err := results.AppendStepSummaryWith(o.summary, func(w io.Writer) error {
		return results.RenderCheckMarkdown(w, o.file, run, res)
	}); err != nil {
		fmt.Fprintf(stderr, "yardstick: warning: %v\n", err)
	}
	if res.Failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("check: %d of %d expectations for %s failed", res.Failed, len(res.Lines), run.Target.Model.Name)}
	}
	return nil
}
