package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
	"github.com/yardstick-dev/yardstick/store"
)

// ls lists the run files of a directory, or the runs of a results store (--db).
func (e *env) ls(c *cli.Context, format string) error {
	if c.NArg() > 1 {
		return usageErr("ls: one directory at most")
	}
	var entries []results.ListEntry
	var skipped []results.Skipped
	if path := c.String("db"); path != "" {
		if c.NArg() > 0 {
			return usageErr("ls: a directory or --db, not both")
		}
		if _, err := os.Stat(path); err != nil {
			return usageErr("ls: %v", err) // Open would create an empty store
		}
		d, err := store.Open(path)
		if err != nil {
			return &exitError{exitUsage, err}
		}
		defer d.Close()
		if entries, err = d.List(); err != nil {
			return err
		}
	} else {
		dir := "."
		if c.NArg() == 1 {
			dir = c.Args().First()
		}
		var err error
		if entries, skipped, err = results.List(dir); err != nil {
			return usageErr("%s: %v", dir, err)
		}
	}
	var err error
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
