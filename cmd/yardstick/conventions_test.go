package main

import (
	"io"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// One JSON spelling: every command that writes JSON asks for it with --format json;
// a --json flag survives only hidden, as an alias (jsonAliasFlag), on a command that
// also has --format.
func TestOneJSONSpelling(t *testing.T) {
	app := newApp(&env{stdout: io.Discard, stderr: io.Discard, getenv: func(string) string { return "" }})
	withJSON := 0
	for _, c := range app.Commands {
		var format, jsonFlag cli.Flag
		for _, f := range c.Flags {
			switch f.Names()[0] {
			case "format":
				format = f
			case "json":
				jsonFlag = f
			}
		}
		if jsonFlag != nil {
			if bf, ok := jsonFlag.(*cli.BoolFlag); !ok || !bf.Hidden || format == nil {
				t.Errorf("%s: --json must be a hidden alias beside --format", c.Name)
			}
		}
		if format != nil {
			if u := format.(cli.DocGenerationFlag).GetUsage(); strings.Contains(u, "json") {
				withJSON++
			}
		}
	}
	// hw, check, compare, report, ls, selftest and plan write JSON.
	if withJSON < 7 {
		t.Errorf("%d commands offer --format json, want 7 or more", withJSON)
	}
}

// The hidden --json is --format json, and contradicting an explicit --format is bad
// input.
func TestJSONAlias(t *testing.T) {
	a := runCLI(t, nil, "hw", "--devices", "--json")
	b := runCLI(t, nil, "hw", "--devices", "--format", "json")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout || !strings.HasPrefix(a.stdout, "[") {
		t.Errorf("--json (exit %d) and --format json (exit %d) differ:\n%s\n%s", a.code, b.code, a.stdout, b.stdout)
	}
	if o := runCLI(t, nil, "hw", "--devices", "--json", "--format", "table"); o.code != exitUsage || !strings.Contains(o.stderr, "hw: --json is --format json; it contradicts --format table") {
		t.Errorf("--json --format table: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "hw", "--devices", "--json", "--format", "json"); o.code != 0 || o.stdout != a.stdout {
		t.Errorf("--json --format json: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "hw", "--help"); strings.Contains(o.stdout, "--json") {
		t.Errorf("hw --help shows the hidden --json:\n%s", o.stdout)
	}
}
