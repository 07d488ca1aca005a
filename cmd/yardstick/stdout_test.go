package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/results"
)

// run --out - writes the run file's JSON, and nothing else, to stdout; the table goes
// to stderr; no file is left in --out-dir once the run completed.
func TestRunOutDashWritesJSONToStdout(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Gap: time.Millisecond})
	defer f.Close()
	dir := t.TempDir()
	t.Chdir(t.TempDir()) // where a file named "-" would land
	o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "6", "--warmup", "0", "--prompt-tokens", "16",
		"--max-tokens", "4", "--no-selftest", "--out-dir", dir, "-o", "-")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	// The whole of stdout is one run file, as results reads run files.
	r, err := results.DecodeRun("stdout", []byte(o.stdout))
	if err != nil {
		t.Fatalf("stdout is not a run file: %v\n%s", err, o.stdout)
	}
	if len(r.Samples) != 6 || r.Summaries["ttft_ns"].N != 6 {
		t.Errorf("stdout's run: %d samples, TTFT n %d, want 6", len(r.Samples), r.Summaries["ttft_ns"].N)
	}
	if !strings.Contains(o.stderr, "decode tok/s (server)") || strings.Contains(o.stderr, "run file") {
		t.Errorf("stderr should hold the table and name no run file:\n%s", o.stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("--out-dir keeps %d files (want none: the run went to stdout): %v", len(left), left[0].Name())
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`a file named "-" was written`)
	}
}

// A run that did not complete still gives stdout its JSON, and keeps its file, named on
// stderr, as the failure's error line says.
func TestRunOutDashKeepsFileOfFailedRun(t *testing.T) {
	// Request 0 is the cold one; request 2 (measured index 1) answers HTTP 500.
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 2, FaultUntil: 3})
	defer f.Close()
	dir := t.TempDir()
	o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "4", "--warmup", "0", "--prompt-tokens", "16",
		"--max-tokens", "4", "--no-selftest", "--out-dir", dir, "--out", "-")
	if o.code != exitFailure {
		t.Fatalf("exit %d, want 1: %s", o.code, o.stderr)
	}
	r, err := results.DecodeRun("stdout", []byte(o.stdout))
	if err != nil {
		t.Fatalf("stdout is not a run file: %v", err)
	}
	if r.Throughput.Failed != 1 {
		t.Errorf("failed %d, want 1", r.Throughput.Failed)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(left) != 1 || !strings.Contains(o.stderr, "run file  "+left[0]) {
		t.Fatalf("want the one run file kept and named on stderr; files %v, stderr:\n%s", left, o.stderr)
	}
	if _, err := results.ReadFile(left[0]); err != nil {
		t.Error(err)
	}
}

// report, compare and merge take --out - as stdout: the same bytes as no --out for a
// report, the merged run file for merge; and never a file named "-".
func TestOutDashIsStdout(t *testing.T) {
	base, next := abs(t, "testdata/compare/base.json"), abs(t, "testdata/compare/new.json")
	t.Chdir(t.TempDir()) // where a file named "-" would land
	for _, args := range [][]string{
		{"report", base},
		{"report", base, "--format", "json"},
		{"compare", base, next},
		{"compare", base, next, "--format", "csv"},
	} {
		plain := runCLI(t, nil, args...)
		dash := runCLI(t, nil, append(args, "--out", "-")...)
		if dash.code != plain.code || dash.stdout != plain.stdout || plain.stdout == "" {
			t.Errorf("%v --out -: exit %d and %d bytes, want exit %d and the %d bytes of stdout without --out",
				args, dash.code, len(dash.stdout), plain.code, len(plain.stdout))
		}
	}
	o := runCLI(t, nil, "merge", base, next, "--out", "-")
	if o.code != 0 {
		t.Fatalf("merge: exit %d: %s", o.code, o.stderr)
	}
	var m results.MergedRun
	if err := json.Unmarshal([]byte(o.stdout), &m); err != nil {
		t.Fatalf("merge --out -: stdout is not JSON: %v", err)
	}
	if len(m.MergedFrom) != 2 || !strings.Contains(o.stderr, "merged 2 runs") || !strings.Contains(o.stderr, "into stdout") {
		t.Errorf("merge --out -: %d sources, stderr %q", len(m.MergedFrom), o.stderr)
	}
	if _, err := os.Stat("-"); err == nil {
		t.Error(`a file named "-" was written`)
	}
	if o := runCLI(t, nil, "synth", "--out", "-"); o.code != exitUsage || !strings.Contains(o.stderr, "not to stdout") {
		t.Errorf("synth --out -: exit %d, stderr %q: want 2 and a clear line", o.code, o.stderr)
	}
}

func abs(t *testing.T, path string) string {
	t.Helper()
	p, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return p
}
