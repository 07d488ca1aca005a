package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// merge writes the merge of run files.
func (e *env) merge(c *cli.Context) error {
	if c.String("out") == "" {
		return usageErr("merge: --out FILE is required")
	}
	args, runs, err := readInputs(c, 2, "merge: need at least two run files")
	if err != nil {
		return err
	}
	nested := make([][]results.MergeSource, len(args))
	for i, a := range args {
		if nested[i], err = results.ReadMergeSources(a); err != nil {
			return &exitError{exitUsage, err}
		}
	}
	m, err := results.Merge(runs, args, results.MergeOptions{Force: c.Bool("force"), Nested: nested})
	if err != nil {
		return &exitError{exitUsage, err}
	}
	// With --out - the merged run is stdout's, and the line saying what was merged
	// goes to stderr.
	out, say, into := c.String("out"), e.stdout, c.String("out")
	if out == "-" {
		say, into = e.stderr, "stdout"
		err = results.EncodeMerged(e.stdout, m)
	} else {
		err = results.WriteMerged(out, m)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(say, "merged %d runs (%d measured requests, hosts %s) into %s\n",
		len(runs), len(m.Samples), m.Environment.Hardware.Hostname, into)
	return nil
}
