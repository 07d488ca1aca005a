package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/junitschema"
	"github.com/yardstick-dev/yardstick/results"
)

// The fixed run files (copies of results/testdata/compare): 20 seeded requests each,
// new.json 10% slower than base.json (decode ≈ −11%, TTFT ≈ +13% with its noise).
const (
	baseRun = "testdata/compare/base.json"
	newRun  = "testdata/compare/new.json"
)

func lastLineHas(t *testing.T, o outcome, want string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
	last := lines[len(lines)-1]
	if !strings.HasPrefix(last, "yardstick: ") || !strings.Contains(last, want) {
		t.Errorf("stderr = %q, want a last line containing %q", o.stderr, want)
	}
}

// A gate fails on purpose (exit 1, the report still printed) and passes on purpose
// (exit 0) on the same two runs.
func TestCompareGateExitCodes(t *testing.T) {
	o := runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s:-5%,ttft_p95:+20%", baseRun, newRun)
	if o.code != 1 {
		t.Fatalf("exit %d, want 1 (stderr %q)", o.code, o.stderr)
	}
	lastLineHas(t, o, "regression gate failed: "+newRun+": server_gen_per_s median -10.98%")
	golden(t, "compare-gate.golden", o.stdout)

	o = runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s:-20%,ttft_p95:+20%", baseRun, newRun)
	if o.code != 0 || !strings.Contains(o.stdout, "PASS  "+newRun+": server_gen_per_s median") {
		t.Errorf("exit %d stderr %q stdout:\n%s", o.code, o.stderr, o.stdout)
	}
	// A run against itself: nothing is significant, a 0% gate passes.
	o = runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s:-0%", baseRun, baseRun)
	if o.code != 0 || !strings.Contains(o.stdout, "~") {
		t.Errorf("self-compare: exit %d stderr %q", o.code, o.stderr)
	}
}

func TestCompareBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	_ = os.WriteFile(junk, []byte(`{"kind":"something"}`), 0o644)
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad gate", []string{"--fail-on", "server_gen_per_s:+5%", baseRun, newRun}, "would fail on an improvement; did you mean -5%?"},
		{"unknown metric", []string{"--fail-on", "speed:-5%", baseRun, newRun}, `unknown metric "speed"`},
		{"bad alpha", []string{"--alpha", "2", baseRun, newRun}, "must be a number in (0, 0.5]"},
		{"bad format", []string{"--format", "pdf", baseRun, newRun}, `unknown format "pdf"`},
		{"one file", []string{baseRun}, "need a base and at least one new run file"},
		{"missing file", []string{baseRun, "nope.json"}, "nope.json: no such file"},
		{"not a run", []string{baseRun, junk}, junk + ": not a yardstick run file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := runCLI(t, nil, append([]string{"compare"}, tc.args...)...)
			if o.code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", o.code, o.stderr)
			}
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if len(lines) != 1 {
				t.Errorf("stderr has %d lines: %q", len(lines), o.stderr)
			}
			lastLineHas(t, o, tc.want)
		})
	}
}

// writeVariant writes a copy of base.json changed by edit.
func writeVariant(t *testing.T, name string, edit func(r *results.Run)) string {
	t.Helper()
	r, err := results.ReadFile(baseRun)
	if err != nil {
		t.Fatal(err)
	}
	edit(r)
	p := filepath.Join(t.TempDir(), name)
	if err := results.WriteFile(p, r); err != nil {
		t.Fatal(err)
	}
	return p
}

// Runs of different models (another digest, architecture and size) are refused with
// exit 2 unless --force; the same model under another digest only warns.
func TestCompareDifferentDigests(t *testing.T) {
	llama := writeVariant(t, "llama.json", func(r *results.Run) {
		r.RunID = "llama"
		m := &r.Target.Model
		m.Name, m.Digest, m.Architecture, m.Family, m.ParameterSize, m.ParameterCount = "llama3.1:8b", "sha256:46e0c10c039e", "llama", "llama", "8.0B", 8030261248
	})
	o := runCLI(t, nil, "compare", baseRun, llama)
	if o.code != 2 || o.stdout != "" {
		t.Errorf("different models: exit %d, stdout %q", o.code, o.stdout)
	}
	lastLineHas(t, o, llama+": not comparable with "+baseRun+": model differs (qwen2 494.03M vs llama 8.0B)")
	lastLineHas(t, o, "--force compares anyway")

	o = runCLI(t, nil, "compare", "--force", baseRun, llama)
	if o.code != 0 || !strings.Contains(o.stderr, "yardstick: refused "+llama+": model differs") || !strings.Contains(o.stdout, "refused "+llama) {
		t.Errorf("--force: exit %d stderr %q", o.code, o.stderr)
	}

	repulled := writeVariant(t, "repulled.json", func(r *results.Run) {
		r.RunID = "repulled"
		r.Target.Model.Digest = "sha256:0000111122223333"
	})
	o = runCLI(t, nil, "compare", baseRun, repulled)
	if o.code != 0 || !strings.Contains(o.stderr, "yardstick: warning "+repulled+": model_digest differs (a8b0c5157701 vs 000011112222)") {
		t.Errorf("re-pulled: exit %d stderr %q", o.code, o.stderr)
	}
}

// Every format reaches stdout or --out; markdown is appended to $GITHUB_STEP_SUMMARY.
func TestCompareFormatsAndStepSummary(t *testing.T) {
	dir := t.TempDir()
	summary := filepath.Join(dir, "summary.md")
	_ = os.WriteFile(summary, []byte("earlier step\n"), 0o644)
	env := map[string]string{"GITHUB_STEP_SUMMARY": summary}
	out := filepath.Join(dir, "report.xml")
	o := runCLI(t, env, "compare", "--format", "junit", "--out", out, "--fail-on", "ttft:+50%", baseRun, newRun)
	if o.code != 0 || o.stdout != "" {
		t.Fatalf("exit %d stdout %q stderr %q", o.code, o.stdout, o.stderr)
	}
	x, _ := os.ReadFile(out)
	if err := junitschema.ValidateAll(x); err != nil || !strings.Contains(string(x), `<testcase name="ttft_ns median +50%"`) {
		t.Errorf("junit file (%v):\n%s", err, x)
	}
	md, _ := os.ReadFile(summary)
	if !strings.HasPrefix(string(md), "earlier step\n### yardstick: "+newRun+" vs "+baseRun) || !strings.Contains(string(md), "**Regression gate passed**") {
		t.Errorf("step summary:\n%s", md)
	}
	for _, f := range results.Formats {
		o := runCLI(t, nil, "compare", "--format", f, baseRun, newRun)
		if f == "junit" {
			// Without --fail-on nothing is checked: a JUnit file would hold no test.
			if o.code != 2 || o.stdout != "" || !strings.Contains(o.stderr, "compare --format junit: no gates") {
				t.Errorf("--format junit without gates: exit %d stdout %q stderr %q", o.code, o.stdout, o.stderr)
			}
			continue
		}
		if o.code != 0 || o.stdout == "" {
			t.Errorf("--format %s: exit %d stderr %q", f, o.code, o.stderr)
		}
	}
	if o := runCLI(t, nil, "report", "--format", "junit", baseRun); o.code != 2 || o.stdout != "" || !strings.Contains(o.stderr, "report --format junit: a report checks nothing") {
		t.Errorf("report --format junit: exit %d stdout %q stderr %q", o.code, o.stdout, o.stderr)
	}
	o = runCLI(t, nil, "compare", "--format", "json", baseRun, newRun)
	var c results.Comparison
	if err := json.Unmarshal([]byte(o.stdout), &c); err != nil || c.Kind != "yardstick.comparison" || len(c.Metrics) == 0 {
		t.Errorf("json: %v %+v", err, c.Kind)
	}
}

func TestReportGolden(t *testing.T) {
	for _, tc := range []struct{ golden, format string }{{"report-table.golden", "table"}, {"report-markdown.golden", "markdown"}} {
		o := runCLI(t, nil, "report", "--format", tc.format, baseRun)
		if o.code != 0 || o.stderr != "" {
			t.Fatalf("exit %d stderr %q", o.code, o.stderr)
		}
		golden(t, tc.golden, o.stdout)
	}
	if o := runCLI(t, nil, "report", baseRun, newRun); o.code != 2 {
		t.Errorf("two files: exit %d", o.code)
	}
}

// Merging two machines' runs concatenates the samples and recomputes the summaries from
// them: the merged median is the median of all 40 requests, not a mean of medians.
func TestMergeAndList(t *testing.T) {
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.json")
	o := runCLI(t, nil, "merge", "-o", fleet, baseRun, newRun)
	if o.code != 0 || !strings.Contains(o.stdout, "merged 2 runs (40 measured requests, hosts bench-01,bench-02)") {
		t.Fatalf("exit %d stdout %q stderr %q", o.code, o.stdout, o.stderr)
	}
	m, err := results.ReadFile(fleet)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := results.ReadFile(baseRun)
	n, _ := results.ReadFile(newRun)
	all := append(results.MetricValues(b.Samples)["ttft_ns"], results.MetricValues(n.Samples)["ttft_ns"]...)
	want, _ := results.Summarize(all, true)
	if got := m.Summaries["ttft_ns"]; got.N != 40 || got.Median != want.Median || got.P99 != want.P99 || *got.MedianCILo != *want.MedianCILo {
		t.Errorf("merged ttft %+v, want %+v", got, want)
	}
	src, err := results.ReadMergeSources(fleet)
	if err != nil || len(src) != 2 || src[1].Host != "bench-02" || src[1].FirstSample != 20 || src[1].File != newRun {
		t.Errorf("merged_from %+v %v", src, err)
	}
	if m.Throughput.Completed != 40 || m.Warnings[0].Code != "merged" {
		t.Errorf("merged throughput %+v warnings %+v", m.Throughput, m.Warnings)
	}
	// The merged file is a run file: compare and report read it.
	if o := runCLI(t, nil, "compare", baseRun, fleet); o.code != 0 {
		t.Errorf("compare with the fleet: exit %d %q", o.code, o.stderr)
	}

	// Another model cannot be merged without --force; one run twice never.
	other := writeVariant(t, "other.json", func(r *results.Run) { r.RunID = "other"; r.Target.Model.Digest = "sha256:0000" })
	if o := runCLI(t, nil, "merge", "-o", filepath.Join(dir, "x.json"), baseRun, other); o.code != 2 || !strings.Contains(o.stderr, "cannot merge with") {
		t.Errorf("other digest: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "merge", "-o", filepath.Join(dir, "x.json"), baseRun, baseRun); o.code != 2 || !strings.Contains(o.stderr, "would count its samples twice") {
		t.Errorf("same run twice: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "merge", baseRun, newRun); o.code != 2 || !strings.Contains(o.stderr, "--out FILE is required") {
		t.Errorf("no --out: exit %d %q", o.code, o.stderr)
	}

	// ls lists the three run files oldest first (the fleet took the earliest start),
	// and counts the JSON file that is not a run.
	for _, f := range []string{baseRun, newRun} {
		data, _ := os.ReadFile(f)
		_ = os.WriteFile(filepath.Join(dir, filepath.Base(f)), data, 0o644)
	}
	_ = os.WriteFile(filepath.Join(dir, "notes.json"), []byte(`{"kind":"notes"}`), 0o644)
	o = runCLI(t, nil, "ls", dir)
	if o.code != 0 || !strings.Contains(o.stderr, "skipped 1 JSON files") {
		t.Fatalf("ls: exit %d stderr %q", o.code, o.stderr)
	}
	lines := strings.Split(strings.TrimRight(o.stdout, "\n"), "\n")
	if len(lines) != 4 || !strings.Contains(lines[0], "TTFT median") || !strings.Contains(o.stdout, "2 merged: bench-01,bench-02") ||
		!strings.Contains(lines[1], "bench-01") || !strings.Contains(lines[1], "98.8ms") || !strings.Contains(lines[1], "101.3") {
		t.Errorf("ls:\n%s", o.stdout)
	}
	o = runCLI(t, nil, "ls", "--format", "json", dir)
	var entries []results.ListEntry
	if err := json.Unmarshal([]byte(o.stdout), &entries); err != nil || len(entries) != 3 {
		t.Errorf("ls json: %v, %d entries", err, len(entries))
	}
	if o := runCLI(t, nil, "ls", filepath.Join(dir, "missing")); o.code != 2 {
		t.Errorf("ls of a missing dir: exit %d", o.code)
	}
}

func TestCompareHelpGolden(t *testing.T) {
	o := runCLI(t, nil, "compare", "--help")
	if o.code != 0 {
		t.Fatalf("exit %d", o.code)
	}
	golden(t, "compare-help.golden", o.stdout)
}

// Defects found by adversarial testing, kept fixed.
func TestCompareReportMergeHardening(t *testing.T) {
	// -o onto an input file is refused and the file survives.
	in := writeVariant(t, "in.json", func(r *results.Run) {})
	before, _ := os.ReadFile(in)
	for _, args := range [][]string{
		{"compare", "-o", in, baseRun, in},
		{"report", "-o", in, in},
		{"merge", "-o", in, in, newRun},
	} {
		o := runCLI(t, nil, args...)
		after, _ := os.ReadFile(in)
		if o.code != 2 || !strings.Contains(o.stderr, "is one of the input run files") || string(after) != string(before) {
			t.Errorf("%v: exit %d %q, file intact %v", args, o.code, o.stderr, string(after) == string(before))
		}
	}
	// Flags after the file, as the README writes them.
	if o := runCLI(t, nil, "report", baseRun, "--format", "csv"); o.code != 0 || !strings.Contains(o.stdout, ",") {
		t.Errorf("report RUN --format csv: exit %d %q", o.code, o.stderr)
	}
	// A new run whose requests all failed fails a gate; it never passes one.
	allFailed := writeVariant(t, "failed.json", func(r *results.Run) {
		r.RunID = "allfailed"
		for i := range r.Samples {
			r.Samples[i].OK = false
			r.Samples[i].ErrorKind = "http_status"
		}
		// The figures that follow from the samples, as a run of failed requests has them.
		r.Throughput = results.Throughput{Failed: len(r.Samples), ErrorsByKind: map[bench.ErrorKind]int{"http_status": len(r.Samples)}}
		r.Summaries = map[string]results.Summary{}
		for i := range r.Levels {
			r.Levels[i].Throughput, r.Levels[i].Summaries = r.Throughput, r.Summaries
		}
	})
	if o := runCLI(t, nil, "compare", "--fail-on", "server_gen_per_s:-5%", baseRun, allFailed); o.code != 1 || !strings.Contains(o.stderr, "no successful values") {
		t.Errorf("all-failed new run: exit %d %q", o.code, o.stderr)
	}
	// An unwritable job summary is a warning, not a failed gate.
	env := map[string]string{"GITHUB_STEP_SUMMARY": filepath.Join(t.TempDir(), "missing", "sum.md")}
	if o := runCLI(t, env, "compare", baseRun, newRun); o.code != 0 || !strings.Contains(o.stderr, "warning: $GITHUB_STEP_SUMMARY") {
		t.Errorf("unwritable summary: exit %d %q", o.code, o.stderr)
	}
	// --alpha with trailing junk is refused.
	if o := runCLI(t, nil, "compare", "--alpha", "0.05abc", baseRun, newRun); o.code != 2 {
		t.Errorf("--alpha 0.05abc: exit %d %q", o.code, o.stderr)
	}
	// A gate on a metric whose base is 0 renders as JSON (no +Inf).
	if o := runCLI(t, nil, "compare", "--fail-on", "queue_delay:+10%", "--format", "json", baseRun, newRun); strings.Contains(o.stderr, "unsupported value") {
		t.Errorf("json with a zero base: %q", o.stderr)
	}
	// A pipe is not read (it would block forever).
	fifo := filepath.Join(t.TempDir(), "fifo.json")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	if o := runCLI(t, nil, "report", fifo); o.code != 2 || !strings.Contains(o.stderr, "is a named pipe") {
		t.Errorf("fifo: exit %d %q", o.code, o.stderr)
	}
	// Merging a merged file with one of its own sources is refused.
	dir := t.TempDir()
	fleet := filepath.Join(dir, "fleet.json")
	if o := runCLI(t, nil, "merge", "-o", fleet, baseRun, newRun); o.code != 0 {
		t.Fatalf("merge: exit %d %q", o.code, o.stderr)
	}
	if o := runCLI(t, nil, "merge", "-o", filepath.Join(dir, "again.json"), fleet, baseRun); o.code != 2 || !strings.Contains(o.stderr, "twice") {
		t.Errorf("merge fleet + its source: exit %d %q", o.code, o.stderr)
	}
}

// report --format csv --samples writes one row per request of the run: the fixed file's
// cold request and its 20 measured requests (it has no warm-ups); --samples with another format
// is refused with exit 2 and writes nothing.
func TestReportSamplesCSV(t *testing.T) {
	o := runCLI(t, nil, "report", "--format", "csv", "--samples", baseRun)
	if o.code != 0 || o.stderr != "" {
		t.Fatalf("exit %d stderr %q", o.code, o.stderr)
	}
	lines := strings.Split(strings.TrimRight(o.stdout, "\n"), "\n")
	if len(lines) != 1+1+20 || !strings.HasPrefix(lines[0], "index,phase,level,") || !strings.HasPrefix(lines[1], "0,cold,0,") || !strings.HasPrefix(lines[2], "0,measured,0,") {
		t.Errorf("%d lines, starting %q / %q", len(lines), lines[1], lines[2])
	}
	o = runCLI(t, nil, "report", "--format", "markdown", "--samples", baseRun)
	if o.code != 2 || o.stdout != "" {
		t.Errorf("--samples with markdown: exit %d stdout %q", o.code, o.stdout)
	}
	lastLineHas(t, o, "--format csv")
}
