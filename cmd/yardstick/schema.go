package main

import (
	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/atomicfile"
	"github.com/yardstick-dev/yardstick/results"
)

// schema prints the run file's JSON Schema (results.RunSchema), or writes it to --out.
func (e *env) schema(c *cli.Context) error {
	b, err := results.RunSchema()
	if err != nil {
		return err
	}
	if out := c.String("out"); out != "" && out != "-" {
		return atomicfile.Write(out, b, 0o644)
	}
	_, err = e.stdout.Write(b)
	return err
}
