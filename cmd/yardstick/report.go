package main

import (
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// report renders one run file.
func (e *env) report(c *cli.Context, format string) error {
	if c.NArg() != 1 {
		return usageErr("report: need exactly one run file (yardstick report RUN.json)")
	}
	args, runs, err := readInputs(c, 1, "")
	if err != nil {
		return err
	}
	comp, err := results.Compare(runs, args, results.CompareOptions{})
	if err != nil {
		return &exitError{exitUsage, err}
	}
	return emit(c, e, format, comp, func(w io.Writer) error { return results.RenderTable(w, runs[0]) })
}
