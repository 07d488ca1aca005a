package main

import (
	"io"
	"os"
	"path/filepath"
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

// One threshold syntax (internal/threshold) on every command that takes thresholds,
// the older spellings still accepted: compare --fail-on and check's profile give the
// same report and exit status either way.
func TestOneThresholdSyntax(t *testing.T) {
	old := runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s:-5%,ttft_p95:+20%", baseRun, newRun)
	canonical := runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s>=-5%,ttft_p95<=+20%", baseRun, newRun)
	if old.code != 1 || canonical.code != 1 || old.stdout != canonical.stdout || old.stderr != canonical.stderr {
		t.Errorf("compare: older spelling exit %d, canonical exit %d; stdout\n%s\nvs\n%s", old.code, canonical.code, old.stdout, canonical.stdout)
	}
	if o := runCLI(t, nil, "compare", "--fail-on", "ttft_p95<=500ms", baseRun, newRun); o.code != exitUsage || !strings.Contains(o.stderr, "an absolute limit such as 500ms belongs in --slo") {
		t.Errorf("absolute gate: exit %d %q", o.code, o.stderr)
	}

	dir := t.TempDir()
	run := writeRun(t, dir, "run.json", "qwen2.5:0.5b", 18, 612e6, 0.55)
	oldProf, newProf := filepath.Join(dir, "old.yaml"), filepath.Join(dir, "new.yaml")
	os.WriteFile(oldProf, []byte(checkProfile), 0o644)
	os.WriteFile(newProf, []byte(`name: ci
expectations:
  - model: "qwen2.5:0.5b"
    thresholds: ["server_gen_per_s>=20", "ttft_p95<=500ms", "decode_efficiency_frac>=0.4"]
  - model: "twin-*"
    thresholds: ["ttft_p95<=2s"]
`), 0o644)
	a := runCLI(t, nil, "check", run, "--profile", oldProf, "--format", "json")
	b := runCLI(t, nil, "check", run, "--profile", newProf, "--format", "json")
	// The profile's source (its path) differs; every line and the verdict do not.
	a.stdout = strings.ReplaceAll(a.stdout, oldProf, "P")
	b.stdout = strings.ReplaceAll(b.stdout, newProf, "P")
	if a.code != 1 || b.code != 1 || a.stdout != b.stdout {
		t.Errorf("check: older keys exit %d, thresholds exit %d\n%s\nvs\n%s", a.code, b.code, a.stdout, b.stdout)
	}
}
