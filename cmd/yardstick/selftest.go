package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/results"
)

func selftestCommand(e *env) *cli.Command {
	return &cli.Command{
		Name:      "selftest",
		Usage:     "measure this machine's client overhead and timing error against a calibrated server",
		UsageText: "yardstick selftest [--quick] [--json]",
		Description: `Runs a calibrated stream server (package calib) on loopback in this process and
measures the harness against it, through the same client code a run uses: how many
tokens per second one stream can take in at zero delay, with its CPU time and heap
allocations per token, then the error of measured TTFT and inter-token gaps against the
server's own send times at 1 and 16 concurrent streams. Errors are |client − server|,
p50 and p99. --quick is the ~300 ms version recorded at the start of every run.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "quick", Usage: "the ~300 ms self-test that runs record"},
			&cli.BoolFlag{Name: "json", Usage: "write JSON to stdout"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usageErr("selftest: unexpected argument %q", c.Args().First())
			}
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
		},
	}
}
