package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
)

func reportCommand(e *env) *cli.Command {
	format := &flagval.Choice{Value: "table", Allowed: results.Formats}
	return &cli.Command{
		Name:      "report",
		Usage:     "render one run file as a table, markdown, JSON, CSV, JUnit XML or benchstat text",
		UsageText: "yardstick report [--format F] [--out FILE] RUN.json",
		Description: `Renders a run the ways compare renders a comparison. The table is the one yardstick run
prints; the other formats hold every metric's median with its 95% confidence interval.
With $GITHUB_STEP_SUMMARY set, the markdown report is appended to it. Exit status: 0 ok,
2 bad input.`,
		Flags: outputFlags(format),
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageErr("report: need exactly one run file (yardstick report RUN.json)")
			}
			runs, err := readInputs(c.String("out"), c.Args().Slice())
			if err != nil {
				return err
			}
			comp, err := results.Compare(runs, c.Args().Slice(), results.CompareOptions{})
			if err != nil {
				return &exitError{exitUsage, err}
			}
			return emit(c, e, format.Value, comp, func(w io.Writer) error { return results.RenderTable(w, runs[0]) })
		},
	}
}
