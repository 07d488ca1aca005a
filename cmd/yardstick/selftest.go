package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/calib"
	"github.com/yardstick-dev/yardstick/results"
)

func selftestCommand(e *env) *cli.Command {
	return withHelp(&cli.Command{
		Name: "selftest",
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
	})
}
