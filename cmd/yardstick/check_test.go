package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/junitschema"
	"github.com/yardstick-dev/yardstick/results"
)

// writeRun writes a minimal run file for model with the given medians/p95 and, when
// eff >= 0, a roofline decode efficiency. It returns the path.
func writeRun(t *testing.T, dir, name, model string, genMedian, ttftP95Ns, eff float64) string {
	t.Helper()
	run := map[string]any{
		"schema_version": 1,
		"kind":           "yardstick.run",
		"run_id":         "run-" + name,
		"end_reason":     "completed",
		"target":         map[string]any{"backend": "ollama", "model": map[string]any{"name": model}},
		"summaries": map[string]any{
			"server_gen_per_s": map[string]any{"n": 10, "median": genMedian, "p50": genMedian, "p95": genMedian},
			"ttft_ns":          map[string]any{"n": 10, "median": ttftP95Ns / 2, "p95": ttftP95Ns},
		},
		"warnings":   []any{},
		"warmup":     []any{},
		"throughput": map[string]any{"completed": 10},
	}
	// Ten successful requests, so the summaries' n follows from the samples as every
	// run file's must; check judges the summaries.
	var samples []any
	for i := range 10 {
		samples = append(samples, map[string]any{"index": i, "phase": "measured", "ok": true,
			"ttft_ns": int64(ttftP95Ns), "e2e_ns": int64(ttftP95Ns) + 1, "server_gen_per_s": genMedian})
	}
	run["samples"] = samples
	if eff >= 0 {
		run["roofline"] = map[string]any{"decode_efficiency_frac": eff}
	}
	b, _ := json.MarshalIndent(run, "", "  ")
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

const checkProfile = `name: ci
expectations:
  - model: "qwen2.5:0.5b"
    min_server_gen_per_s: 20
    max_ttft_p95: 500ms
    min_decode_efficiency_frac: 0.4
  - model: "twin-*"
    max_ttft_p95: 2s
`

func TestCheckPassAndFail(t *testing.T) {
	pkgDir := mustWD(t)
	dir := t.TempDir()
	// Relative paths keep the golden output free of the temporary directory.
	t.Chdir(dir)
	os.WriteFile("ci.yaml", []byte(checkProfile), 0o644)
	writeRun(t, ".", "good.json", "qwen2.5:0.5b", 25, 412.34e6, 0.55)
	// 18 tok/s < 20, 612 ms > 500 ms, 0.55 >= 0.4: two of three fail.
	writeRun(t, ".", "slow.json", "qwen2.5:0.5b", 18, 612e6, 0.55)
	// No roofline in the run: the efficiency line fails as not measured.
	writeRun(t, ".", "noroof.json", "qwen2.5:0.5b", 25, 400e6, -1)
	writeRun(t, ".", "twin.json", "twin-qwen:q8", 1, 1.5e9, -1)

	for _, tc := range []struct {
		golden string
		args   []string
		code   int
		stderr string
	}{
		{"check-pass.golden", []string{"check", "good.json", "--profile", "ci.yaml"}, 0, ""},
		{"check-fail.golden", []string{"check", "--profile", "ci.yaml", "slow.json"}, 1, "yardstick: check: 2 of 3 expectations for qwen2.5:0.5b failed\n"},
		{"check-not-measured.golden", []string{"check", "noroof.json", "--profile=ci.yaml"}, 1, "yardstick: check: 1 of 3 expectations for qwen2.5:0.5b failed\n"},
		{"check-glob.golden", []string{"check", "twin.json", "--profile", "ci.yaml"}, 0, ""},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			o := runCLI(t, nil, tc.args...)
			if o.code != tc.code || o.stderr != tc.stderr {
				t.Fatalf("exit %d, want %d; stderr %q, want %q\n%s", o.code, tc.code, o.stderr, tc.stderr, o.stdout)
			}
			goldenIn(t, pkgDir, tc.golden, o.stdout)
		})
	}
}

func TestCheckBadInput(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "ci.yaml")
	os.WriteFile(prof, []byte(checkProfile), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: x\nexpectations:\n  - model: a\n    max_ttft_p95: fast\n"), 0o644)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, []byte("name: e\nmemory_bandwidth_gb_per_s: 10\n"), 0o644)
	run := writeRun(t, dir, "run.json", "llama3:8b", 25, 1e8, 0.5)
	notRun := filepath.Join(dir, "other.json")
	os.WriteFile(notRun, []byte(`{"kind":"something.else"}`), 0o644)

	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no expectation for the model", []string{run, "--profile", prof}, `no expectation for model "llama3:8b" (it has: qwen2.5:0.5b, twin-*)`},
		{"profile without expectations", []string{run, "--profile", empty}, "has no expectations"},
		{"bad profile", []string{run, "--profile", bad}, bad + `:4: max_ttft_p95: want a duration`},
		{"unknown profile", []string{run, "--profile", "nope"}, `profile "nope" not found`},
		{"no profile", []string{run}, "--profile is required"},
		{"missing run file", []string{filepath.Join(dir, "missing.json"), "--profile", prof}, "no such file"},
		{"not a run file", []string{notRun, "--profile", prof}, "not a yardstick run file"},
		{"no run file", []string{"--profile", prof}, "no run file"},
		{"two run files", []string{run, run, "--profile", prof}, "one run file"},
		{"unknown flag after file", []string{run, "--bogus"}, "flag provided but not defined: -bogus"},
		{"profile without value", []string{run, "--profile"}, "--profile needs a value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := runCLI(t, nil, append([]string{"check"}, tc.args...)...)
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if o.code != 2 || len(lines) != 1 || !strings.Contains(o.stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", o.code, o.stderr, tc.want)
			}
		})
	}
}

// goldenIn is golden for a test that changed its working directory away from pkgDir.
func goldenIn(t *testing.T, pkgDir, name, got string) {
	t.Helper()
	goldenPath(t, filepath.Join(pkgDir, "testdata", name), got)
}

func mustWD(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return wd
}

// check --format: every format reaches stdout or --out; junit validates against the
// Jenkins schema; the markdown is appended to $GITHUB_STEP_SUMMARY whatever the
// format; --strict=false skips what the run cannot judge instead of failing it.
func TestCheckFormatsStrictAndStepSummary(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "ci.yaml")
	os.WriteFile(prof, []byte(checkProfile), 0o644)
	good := writeRun(t, dir, "good.json", "qwen2.5:0.5b", 25, 412.34e6, 0.55)
	// No roofline: the efficiency line cannot be judged; the other two are met.
	noroof := writeRun(t, dir, "noroof.json", "qwen2.5:0.5b", 25, 400e6, -1)
	summary := filepath.Join(dir, "summary.md")
	os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}

	out := filepath.Join(dir, "check.xml")
	o := runCLI(t, env, "check", good, "--profile", prof, "--format", "junit", "--out", out)
	if o.code != 0 || o.stdout != "" || o.stderr != "" {
		t.Fatalf("junit: exit %d stdout %q stderr %q", o.code, o.stdout, o.stderr)
	}
	x, _ := os.ReadFile(out)
	if err := junitschema.ValidateAll(x); err != nil || !strings.Contains(string(x), `tests="3" failures="0"`) {
		t.Errorf("junit file (%v):\n%s", err, x)
	}
	md, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(md), "earlier step\n### yardstick check qwen2.5:0.5b: passed\n") || !strings.Contains(string(md), "3 of 3 expectations met.") {
		t.Errorf("step summary:\n%s", md)
	}

	// Strict (the default): the line not judged fails, exit 1, in every format.
	for _, f := range []string{"table", "markdown", "json", "junit"} {
		o := runCLI(t, nil, "check", noroof, "--profile", prof, "--format", f)
		if o.code != 1 || o.stdout == "" || !strings.Contains(o.stderr, "1 of 3 expectations for qwen2.5:0.5b failed") {
			t.Errorf("--format %s: exit %d stderr %q", f, o.code, o.stderr)
		}
		switch f {
		case "junit":
			if err := junitschema.ValidateAll([]byte(o.stdout)); err != nil || !strings.Contains(o.stdout, `type="not_judged"`) {
				t.Errorf("junit (%v):\n%s", err, o.stdout)
			}
		case "json":
			var rep results.CheckReport
			if err := json.Unmarshal([]byte(o.stdout), &rep); err != nil || rep.Kind != results.CheckKind || rep.Failed != 1 || !rep.Strict {
				t.Errorf("json (%v): %+v", err, rep)
			}
		}
	}
	// --strict=false: skipped, exit 0, and the JUnit says skipped.
	o = runCLI(t, nil, "check", noroof, "--profile", prof, "--strict=false", "--format", "junit")
	if o.code != 0 || !strings.Contains(o.stdout, `skipped="1"`) || !strings.Contains(o.stdout, "<skipped>") {
		t.Errorf("--strict=false: exit %d stderr %q\n%s", o.code, o.stderr, o.stdout)
	}
	if err := junitschema.ValidateAll([]byte(o.stdout)); err != nil {
		t.Errorf("--strict=false junit: %v", err)
	}
	o = runCLI(t, nil, "check", noroof, "--profile", prof, "--strict=false")
	if o.code != 0 || !strings.Contains(o.stdout, "2 of 3 expectations met, 1 not judged (skipped: --strict=false)") {
		t.Errorf("--strict=false table: exit %d\n%s", o.code, o.stdout)
	}
	// Bad input: an unknown format, an --out that is the run file.
	if o := runCLI(t, nil, "check", good, "--profile", prof, "--format", "csv"); o.code != 2 {
		t.Errorf("--format csv: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "check", good, "--profile", prof, "--out", good); o.code != 2 || !strings.Contains(o.stderr, "would destroy it") {
		t.Errorf("--out the run file: exit %d %q", o.code, o.stderr)
	}
}
