package main

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// version prints yardstick's version.
func (e *env) version(c *cli.Context) error {
	fmt.Fprintf(e.stdout, "yardstick %s (%s, run schema %d)\n", results.Version, runtime.Version(), results.SchemaVersion)
	return nil
}
