package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/store"
)

// db runs an action on the results store: "import RUN...|DIR".
func (e *env) db(c *cli.Context) error {
	path := c.String("db")
	if path == "" {
		return usageErr("db: --db FILE is required")
	}
	if c.NArg() == 0 {
		return usageErr("db: name an action: import RUN...|DIR")
	}
	action, args := c.Args().First(), c.Args().Tail()
	if action != "import" {
		return usageErr("db: unknown action %q (actions: import)", action)
	}
	if len(args) == 0 {
		return usageErr("db import: name run files or directories")
	}
	// Files named are imported or fail; a directory's *.json that are not run
	// files (comparisons, plans) are skipped and counted, as ls does.
	type input struct {
		path    string
		fromDir bool
	}
	var inputs []input
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return usageErr("db import: %v", err)
		}
		if !fi.IsDir() {
			inputs = append(inputs, input{path: a})
			continue
		}
		des, err := os.ReadDir(a)
		if err != nil {
			return usageErr("db import: %v", err)
		}
		var names []string
		for _, de := range des {
			if !de.IsDir() && strings.HasSuffix(de.Name(), ".json") && !strings.HasPrefix(de.Name(), ".") {
				names = append(names, filepath.Join(a, de.Name()))
			}
		}
		if len(names) == 0 {
			return usageErr("db import: %s holds no JSON files", a)
		}
		sort.Strings(names)
		for _, n := range names {
			inputs = append(inputs, input{path: n, fromDir: true})
		}
	}
	d, err := store.Open(path)
	if err != nil {
		return &exitError{exitUsage, err}
	}
	defer d.Close()
	var added, present, failed int
	var skipped []string
	for _, in := range inputs {
		ok, err := d.Import(in.path)
		switch {
		case err != nil && in.fromDir && errors.Is(err, store.ErrNotRunFile):
			skipped = append(skipped, err.Error())
		case err != nil:
			failed++
			fmt.Fprintf(e.stderr, "yardstick: %s\n", oneLine(err.Error()))
		case ok:
			added++
		default:
			present++
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(e.stderr, "yardstick: skipped %d JSON files that are not run files (first: %s)\n", len(skipped), skipped[0])
	}
	summary := fmt.Sprintf("imported %s into %s (%d already there)", plural(added, "run"), path, present)
	if failed > 0 {
		return &exitError{exitUsage, fmt.Errorf("db import: %d of %d files could not be imported; %s", failed, len(inputs)-len(skipped), summary)}
	}
	fmt.Fprintln(e.stdout, summary)
	return nil
}

// plural is "1 run", "2 runs", "0 runs".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
