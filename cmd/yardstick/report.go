package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
)

func reportCommand(e *env) *cli.Command {
	format := &flagval.Choice{Value: "table", Allowed: results.Formats}
	return withHelp(&cli.Command{
		Name:  "report",
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
	})
}
