package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/results"
)

// version prints yardstick's build identity (printVersion), or with --format json the
// run file's tool object with the run schema version and the platform.
func (e *env) version(c *cli.Context, format string) error {
	if c.NArg() > 0 {
		return usageErr("version: unexpected argument %q", c.Args().First())
	}
	if format == "json" {
		return writeJSON(e.stdout, struct {
			results.Tool
			RunSchemaVersion int    `json:"run_schema_version"`
			OS               string `json:"os"`
			Arch             string `json:"arch"`
		}{results.ThisTool(), results.SchemaVersion, runtime.GOOS, runtime.GOARCH})
	}
	return printVersion(e.stdout, results.ThisTool())
}

// printVersion writes what `yardstick version` and `yardstick --version` print: the
// version with the Go toolchain and the run file schema on the first line (as before
// the build fields), then the revision the binary was built from, its time and whether
// the tree was modified, or a line saying the build carries none (go run, go test, a
// build outside a git checkout without -ldflags).
func printVersion(w io.Writer, t results.Tool) error {
	fmt.Fprintf(w, "yardstick %s (%s %s/%s, run schema %d)\n", t.Version, t.GoVersion, runtime.GOOS, runtime.GOARCH, results.SchemaVersion)
	if t.VCSRevision == "" {
		_, err := fmt.Fprintln(w, "revision  unknown (not built from a git checkout with go build, nor given by -ldflags)")
		return err
	}
	line := "revision  " + t.VCSRevision
	if t.VCSTime != "" {
		line += "  " + t.VCSTime
	}
	if t.VCSModified != nil && *t.VCSModified {
		line += "  modified (uncommitted changes in the tree it was built from)"
	}
	_, err := fmt.Fprintln(w, line)
	return err
}
