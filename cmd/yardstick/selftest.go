package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
)

// selftest measures the client against a calibrated server.
func (e *env) selftest(c *cli.Context, fmtFlag *flagval.Choice) error {
	format, err := jsonFormat(c, fmtFlag)
	if err != nil {
		return err
	}
	var res calib.SelftestResult
	if c.Bool("quick") {
		res, err = calib.QuickSelftest(c.Context)
	} else {
		res, err = calib.Selftest(c.Context, calib.SelftestOptions{})
	}
	if err != nil {
		return fmt.Errorf("selftest: %w", err)
	}
	if format == "json" {
		return writeJSON(e.stdout, res)
	}
	return results.RenderSelftest(e.stdout, res)
}
