package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

func checkCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "check",
		Usage:     "hold a run file against a profile's expectations (a CI gate)",
		UsageText: "yardstick check RUN.json --profile NAME|FILE",
		Description: `Finds the profile's expectation for the run's model (exact name, else the first
glob that matches) and compares: median server_gen_per_s against min_server_gen_per_s,
p95 of ttft_ns against max_ttft_p95, roofline.decode_efficiency_frac against
min_decode_efficiency_frac (a run without it fails that line as "not measured").
Prints one line per threshold. Exit status: 0 all met, 1 any failed, 2 bad input
(unreadable run file, bad or missing profile, no expectation for the run's model).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Usage: "profile with expectations: a name (./profiles/, ~/.config/yardstick/profiles/, built-in examples) or a YAML file"},
		},
		Action: func(c *cli.Context) error {
			// Flags after the run file were moved in front of it by interspersed.
			switch {
			case c.NArg() == 0:
				return usageErr("check: no run file (yardstick check RUN.json --profile P)")
			case c.NArg() > 1:
				return usageErr("check: one run file, got %q and %q", c.Args().Get(0), c.Args().Get(1))
			case c.String("profile") == "":
				return usageErr("check: --profile is required: run files do not record expectations; name a profile file with expectations for the run's model")
			}
			return runCheck(e.stdout, c.Args().First(), c.String("profile"), profiles.Resolver{Getenv: e.getenv})
		},
	}
}

// checkLine is one threshold of an expectation held against a run.
type checkLine struct {
	What, Threshold, Measured string
	Pass                      bool
}

func runCheck(w io.Writer, file, prof string, r profiles.Resolver) error {
	run, err := results.ReadFile(file)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	p, err := r.Load(prof)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	model := run.Target.Model.Name
	exp, ok := p.ExpectationFor(model)
	if !ok {
		var pats []string
		for _, e := range p.Expectations {
			pats = append(pats, e.Model)
		}
		if len(pats) == 0 {
			return &exitError{exitUsage, fmt.Errorf("check: profile %s (%s) has no expectations", p.Name, p.Source)}
		}
		return &exitError{exitUsage, fmt.Errorf("check: profile %s (%s) has no expectation for model %q (it has: %s)", p.Name, p.Source, model, strings.Join(pats, ", "))}
	}

	var lines []checkLine
	if t := exp.MinServerGenPerS; t != nil {
		l := checkLine{What: "server_gen_per_s median", Threshold: fmt.Sprintf(">= %.4g tok/s", *t), Measured: "not measured"}
		if s, ok := run.Summaries["server_gen_per_s"]; ok && s.N > 0 {
			l.Measured = fmt.Sprintf("%.4g tok/s", s.Median)
			l.Pass = s.Median >= *t
		}
		lines = append(lines, l)
	}
	if t := exp.MaxTTFTP95; t != nil {
		l := checkLine{What: "ttft_ns p95", Threshold: "<= " + t.String(), Measured: "not measured"}
		if s, ok := run.Summaries["ttft_ns"]; ok && s.N > 0 {
			l.Measured = roundDur(time.Duration(s.P95)).String()
			l.Pass = s.P95 <= float64(*t)
		}
		lines = append(lines, l)
	}
	if t := exp.MinDecodeEfficiencyFrac; t != nil {
		l := checkLine{What: "decode_efficiency_frac", Threshold: fmt.Sprintf(">= %.3g", *t), Measured: "not measured"}
		if run.Roofline != nil && run.Roofline.DecodeEfficiencyFrac != nil {
			v := *run.Roofline.DecodeEfficiencyFrac
			l.Measured = fmt.Sprintf("%.3g", v)
			l.Pass = v >= *t
		}
		lines = append(lines, l)
	}

	fmt.Fprintf(w, "run      %s  model %s  run_id %s  %s\n", file, model, run.RunID, run.EndReason)
	fmt.Fprintf(w, "profile  %s (%s)  expectation for %q\n\n", p.Name, p.Source, exp.Model)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EXPECTATION\tTHRESHOLD\tMEASURED\tRESULT")
	failed := 0
	for _, l := range lines {
		res := "pass"
		if !l.Pass {
			res = "FAIL"
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", l.What, l.Threshold, l.Measured, res)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if run.EndReason != "" && run.EndReason != "completed" {
		fmt.Fprintf(w, "\nnote: the run ended %s; its figures cover only what was measured\n", run.EndReason)
	}
	if failed > 0 {
		fmt.Fprintf(w, "\n%d of %d expectations failed\n", failed, len(lines))
		return &exitError{exitFailure, fmt.Errorf("check: %d of %d expectations for %s failed", failed, len(lines), model)}
	}
	fmt.Fprintf(w, "\n%d of %d expectations met\n", len(lines), len(lines))
	return nil
}

// roundDur rounds a duration for display: to 0.1 ms under a second, else to 1 ms.
func roundDur(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(100 * time.Microsecond)
	}
	return d.Round(time.Millisecond)
}
