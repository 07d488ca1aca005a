package main

import (
	"fmt"
	"io"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// check holds one run file against a profile's expectations.
func (e *env) check(c *cli.Context) error {
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
}

// runCheck holds the run file against the profile's expectation and prints the result.
func runCheck(w io.Writer, file, prof string, r profiles.Resolver) error {
	run, err := results.ReadFile(file)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	p, err := r.Load(prof)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	res, err := results.Check(run, p)
	if err != nil {
		return &exitError{exitUsage, fmt.Errorf("check: %w", err)}
	}
	if err := results.RenderCheck(w, file, run, res); err != nil {
		return err
	}
	if res.Failed > 0 {
		return &exitError{exitFailure, fmt.Errorf("check: %d of %d expectations for %s failed", res.Failed, len(res.Lines), run.Target.Model.Name)}
	}
	return nil
}
