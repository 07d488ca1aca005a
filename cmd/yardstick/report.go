package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// report renders one run file; with --format html also several (a comparison) or a
// directory of them (a history).
func (e *env) report(c *cli.Context, format string) error {
	if c.Bool("samples") && format != "csv" {
		return usageErr("report --samples: the per-request rows are CSV; add --format csv")
	}
	if format == "html" {
		return e.reportHTML(c)
	}
	if format == "junit" {
		// A report has no gates: a JUnit file of it would hold no check, or checks that
		// cannot fail.
		return usageErr("report --format junit: a report checks nothing (JUnit holds checks): use yardstick compare BASE NEW --fail-on … --format junit, or yardstick check RUN --profile P --format junit")
	}
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
	var table func(io.Writer) error
	switch {
	case format == "table":
		table = func(w io.Writer) error { return results.RenderTable(w, runs[0]) }
	case c.Bool("samples"):
		table = func(w io.Writer) error { return results.RenderSamplesCSV(w, runs[0]) }
	}
	return emit(c, e, format, comp, table)
}

// reportHTML writes the HTML page of one run, of a comparison of several (refused as
// compare refuses runs that cannot be compared), or of a directory of runs (a history:
// each unreadable file is one warning line on stderr and listed in the page).
func (e *env) reportHTML(c *cli.Context) error {
	const need = "report --format html: need a run file, several run files (a comparison) or a directory of run files (a history)"
	if c.NArg() == 0 {
		return usageErr("%s", need)
	}
	if c.NArg() == 1 {
		if fi, err := os.Stat(c.Args().First()); err == nil && fi.IsDir() {
			return e.reportHistory(c, c.Args().First())
		}
	}
	args, runs, err := readInputs(c, 1, need)
	if err != nil {
		return err
	}
	comp, err := results.Compare(runs, args, results.CompareOptions{})
	if err != nil {
		return &exitError{exitUsage, err}
	}
	render := func(w io.Writer) error { return results.RenderRunHTML(w, args[0], runs[0]) }
	if len(runs) > 1 {
		render = func(w io.Writer) error { return results.RenderComparisonHTML(w, comp, runs) }
	}
	return emit(c, e, "html", comp, render)
}

// reportHistory writes the history page of the run files in dir.
func (e *env) reportHistory(c *cli.Context, dir string) error {
	out := reportOut(c)
	if _, err := results.ReadInputs(out, nil); err != nil { // checks --out
		return &exitError{exitUsage, err}
	}
	h, err := results.ReadHistory(dir, out)
	if h != nil {
		for _, u := range h.Unreadable {
			msg := u.Err.Error()
			if !strings.HasPrefix(msg, u.Path) {
				msg = u.Path + ": " + msg
			}
			fmt.Fprintf(e.stderr, "yardstick: warning: not a readable run file, left out: %s\n", msg)
		}
	}
	if err != nil {
		if errors.Is(err, results.ErrNoRuns) || h == nil {
			return &exitError{exitUsage, err}
		}
		return err
	}
	return results.WriteReport(e.stdout, out, func(w io.Writer) error { return results.RenderHistoryHTML(w, h) })
}
