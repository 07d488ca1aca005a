package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/results"
)

// selftest measures the client against a calibrated server.
func (e *env) selftest(c *cli.Context) error {
	var (
		res calib.SelftestResult
		err error
	)
	if c.Bool("quick") {
		res, err = calib.QuickSelftest(c.Context)
	} else {
		res, err = calib.Selftest(c.Context, calib.SelftestOptions{})
	}
	if err != nil {
		return fmt.Errorf("selftest: %w", err)
	}
	if c.Bool("json") {
		return writeJSON(e.stdout, res)
	}
	return results.RenderSelftest(e.stdout, res)
}
