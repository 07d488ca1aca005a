package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/flagval"
	"github.com/yardstick-dev/yardstick/results"
)

func lsCommand(e *env) *cli.Command {
	format := &flagval.Choice{Value: "table", Allowed: []string{"table", "json"}}
	return &cli.Command{
		Name:      "ls",
		Usage:     "list the run files in a directory: date, host, model, key figures",
		UsageText: "yardstick ls [--format table|json] [DIR]",
		Description: `Lists the run files directly in DIR (default: the current directory), oldest first:
start time (UTC), host, model and quantization, server, workload hash (runs with the
same hash asked for the same work), requests ok/failed, median TTFT, median server
decode rate, output tokens/s, warnings and the file. Other JSON files are skipped and
counted on stderr. Exit status: 0 ok, 2 the directory cannot be read.`,
		Flags: []cli.Flag{
			&cli.GenericFlag{Name: "format", Aliases: []string{"f"}, Value: format, Usage: "table or json"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 1 {
				return usageErr("ls: one directory at most")
			}
			dir := "."
			if c.NArg() == 1 {
				dir = c.Args().First()
			}
			entries, skipped, err := results.List(dir)
			if err != nil {
				return usageErr("%s: %v", dir, err)
			}
			if format.Value == "json" {
				err = results.RenderListJSON(e.stdout, entries)
			} else {
				err = results.RenderList(e.stdout, entries)
			}
			if len(skipped) > 0 {
				fmt.Fprintf(e.stderr, "yardstick: skipped %d JSON files that are not run files (first: %s: %s)\n",
					len(skipped), skipped[0].File, skipped[0].Reason)
			}
			return err
		},
	}
}
