package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// hw shows the detected hardware, or the device table.
func (e *env) hw(c *cli.Context, fmtFlag *flagval.Choice) error {
	format, err := jsonFormat(c, fmtFlag)
	if err != nil {
		return err
	}
	if c.Bool("devices") {
		return listDevices(e.stdout, format == "json")
	}
	pd := c.Duration("probe-duration")
	if pd <= 0 || pd > 10*time.Minute {
		return usageErr("--probe-duration %v: must be in (0, 10m]", pd)
	}
	hw := profiles.Detect(c.Context)
	rep := results.HWReport{Hardware: hw, Matches: profiles.MatchHardware(hw)}
	r := profiles.Resolver{Getenv: e.getenv}
	if c.Bool("probe") {
		res, err := profiles.ProbeBandwidth(c.Context, pd)
		if err != nil {
			return fmt.Errorf("bandwidth probe: %w", err)
		}
		rep.Probe = &res
		// The detected profile reuses this measurement instead of probing again.
		r.Probe = func(_ context.Context, _ time.Duration) (profiles.ProbeResult, error) { return res, nil }
	}
	p, err := r.Resolve(c.Context, c.String("profile"), hw)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	rep.Profile = p
	if format == "json" {
		return writeJSON(e.stdout, rep)
	}
	return results.RenderHW(e.stdout, rep)
}

// listDevices prints the built-in device table, as a table or JSON.
func listDevices(w io.Writer, asJSON bool) error {
	if asJSON {
		return writeJSON(w, profiles.Devices())
	}
	return results.RenderDevices(w, profiles.Devices())
}
