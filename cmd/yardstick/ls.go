package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// ls lists the run files of a directory.
func (e *env) ls(c *cli.Context, format string) error {
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
	if format == "json" {
		err = results.RenderListJSON(e.stdout, entries)
	} else {
		err = results.RenderList(e.stdout, entries)
	}
	if len(skipped) > 0 {
		fmt.Fprintf(e.stderr, "yardstick: skipped %d JSON files that are not run files (first: %s: %s)\n",
			len(skipped), skipped[0].File, skipped[0].Reason)
	}
	return err
}
