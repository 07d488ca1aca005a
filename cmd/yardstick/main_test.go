package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

var update = flag.Bool("update", false, "rewrite golden files")

type outcome struct {
	code           int
	stdout, stderr string
}

// runCLI runs yardstick in process with args (without the program name).
func runCLI(t *testing.T, envVars map[string]string, args ...string) outcome {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return runCLICtx(ctx, envVars, args...)
}

// runCLICtx runs yardstick with ctx standing for the signal context: canceling it is
// Ctrl-C.
func runCLICtx(ctx context.Context, envVars map[string]string, args ...string) outcome {
	var out, errb bytes.Buffer
	e := &env{stdout: &out, stderr: &errb, getenv: func(k string) string { return envVars[k] }, resolveProfile: testProfile}
	code := Main(ctx, append([]string{"yardstick"}, args...), e)
	return outcome{code, out.String(), errb.String()}
}

// testProfile stands in for detection and probing in tests: a CPU machine declared at
// 20 GB/s and 20 TFLOP/s, enough compute for the fakes' prefill rates (up to a few
// thousand tokens/s of a 0.5B shape): a rate above the compute ceiling flags a request
// as a prompt-cache hit. A named profile is resolved for real, without probing.
func testProfile(ctx context.Context, name string, hw profiles.Hardware) (profiles.Profile, error) {
	if name == "" {
		return profiles.Profile{Name: "test", Source: "test", MemoryBandwidthBytesPerS: 20e9, BandwidthSource: "declared in test",
			PeakFLOPS: 20e12, FLOPSSource: "declared in test"}, nil
	}
	r := profiles.Resolver{Probe: func(context.Context, time.Duration) (profiles.ProbeResult, error) {
		return profiles.ProbeResult{TriadBytesPerS: 20e9, CopyBytesPerS: 20e9}, nil
	}}
	return r.Resolve(ctx, name, hw)
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenPath(t, filepath.Join("testdata", name), got)
}

// goldenPath compares got with the golden file at path, or rewrites it with -update.
func goldenPath(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test ./cmd/yardstick -update creates it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from golden file (go test ./cmd/yardstick -update to accept):\n--- got\n%s\n--- want\n%s", filepath.Base(path), got, want)
	}
}

func TestHelpAndListGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"run-help.golden", []string{"run", "--help"}},
		{"synth-list.golden", []string{"synth", "--list"}},
	} {
		o := runCLI(t, nil, tc.args...)
		if o.code != 0 || o.stderr != "" {
			t.Fatalf("%v: exit %d, stderr %q", tc.args, o.code, o.stderr)
		}
		golden(t, tc.golden, o.stdout)
	}
}

func TestRunWritesRunFileAndTable(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 8, Gap: time.Millisecond, Synthetic: true})
	defer f.Close()
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	// The host comes from OLLAMA_HOST when --host is absent.
	o := runCLI(t, map[string]string{"OLLAMA_HOST": f.URL}, "run", "--model", "twin", "--runs", "6", "--warmup", "1",
		"--prompt-tokens", "32", "--max-tokens", "8", "--out", out)
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	for _, want := range []string{"SYNTHETIC twin of qwen2.5-0.5b", "TTFT", "decode tok/s (server)", "run file  " + out} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, o.stdout)
		}
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Samples) != 6 || r.Summaries["ttft_ns"].N != 6 || r.Target.Model.Synthetic == nil || r.Options.Runs != 6 {
		t.Errorf("run file: %d samples, summaries %v", len(r.Samples), r.Summaries["ttft_ns"])
	}
}

func TestRunDefaultFileNameInOutDir(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"org/twin:q8"}, Tokens: 2})
	defer f.Close()
	dir := t.TempDir()
	o := runCLI(t, nil, "run", "--model", "org/twin:q8", "--host", f.URL, "--runs", "1", "--warmup", "0",
		"--prompt-tokens", "8", "--max-tokens", "2", "--out-dir", dir)
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	m, _ := filepath.Glob(filepath.Join(dir, "yardstick-org-twin-q8-*.json"))
	if len(m) != 1 {
		t.Errorf("run files in out-dir: %v", m)
	}
}

// Every error is one line on stderr with a non-zero status, and no run file is left.
func TestErrorsAreOneLineAndWriteNothing(t *testing.T) {
	live := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer live.Close()
	failing := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500})
	defer failing.Close()
	closed, err := fakeollama.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown model", []string{"--model", "nope", "--host", live.URL}, 1, `model "nope" not found`},
		{"unreachable host", []string{"--model", "twin", "--host", closed}, 1, "cannot reach Ollama at " + closed},
		{"server error", []string{"--model", "twin", "--host", failing.URL}, 1, "HTTP 500: llama runner process has terminated"},
		{"no model", []string{"--host", live.URL}, 2, "--model is required"},
		{"zero runs", []string{"--model", "twin", "--runs", "0"}, 2, "--runs 0: must be in 1..100000"},
		{"context too small", []string{"--model", "twin", "--num-ctx", "100"}, 2, "--num-ctx 100 is smaller than"},
		{"bad host", []string{"--model", "twin", "--host", "ftp://x"}, 2, "--host: host \"ftp://x\": scheme must be http or https"},
		{"unknown flag", []string{"--model", "twin", "--bogus"}, 2, "flag provided but not defined: -bogus"},
		{"not a number", []string{"--model", "twin", "--runs", "many"}, 2, "invalid value \"many\" for flag -runs"},
		{"unknown think level", []string{"--model", "twin", "--think", "max"}, 2, `invalid value "max" for flag -think: "max": must be true, false, low, medium or high`},
		// The fake twin does not think: a level ends as the server's 400 (the first request's failure ends the run).
		{"think on a model without it", []string{"--model", "twin", "--host", live.URL, "--think", "high"}, 1, `failed (http_status): HTTP 400: "twin" does not support thinking`},
		{"auto without precision", []string{"--model", "twin", "--runs", "auto", "--precision", "0"}, 2, "--precision 0: must be a fraction in (0, 1)"},
		{"auto with a small minimum", []string{"--model", "twin", "--runs", "auto", "--min-runs", "3"}, 2, "--min-runs 3: must be at least 6"},
		{"stray argument", []string{"twin"}, 2, `run takes no arguments, got "twin"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := runCLI(t, nil, append([]string{"run", "--out-dir", dir, "--runs", "2", "--warmup", "0"}, tc.args...)...)
			if o.code != tc.code {
				t.Errorf("exit %d, want %d (stderr %q)", o.code, tc.code, o.stderr)
			}
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if len(lines) != 1 || !strings.HasPrefix(lines[0], "yardstick: ") || !strings.Contains(lines[0], tc.want) {
				t.Errorf("stderr = %q, want one line containing %q", o.stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("out-dir holds %d entries after an error", len(entries))
			}
		})
	}
}

// An unknown command, or a flag-only command given an argument, is bad input: exit 2
// and one line that names the commands.
func TestUnknownCommandIsUsageError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `unknown command "bogus" (commands: run, synth, plan, hw, check, compare, report, merge, ls, db, selftest, schema, version, completion;`},
		{[]string{"bogus", "--x", "y.json"}, `unknown command "bogus"`},
		{[]string{"hw", "extra"}, `hw: unexpected argument "extra"`},
		{[]string{"selftest", "--quick", "x"}, `selftest: unexpected argument "x"`},
	} {
		o := runCLI(t, nil, tc.args...)
		if o.code != 2 || strings.Count(o.stderr, "\n") != 1 || !strings.Contains(o.stderr, tc.want) || o.stdout != "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want 2 and one line containing %q", tc.args, o.code, o.stdout, o.stderr, tc.want)
		}
	}
}

// runFailing runs model twin on f (no warm-up, 4 output tokens, then flags) into a
// temporary run file, requires exit status 1 with wantStderr on stderr, and returns
// the outcome and the run file written.
func runFailing(t *testing.T, f *fakeollama.Server, wantStderr string, flags ...string) (outcome, *results.Run) {
	t.Helper()
	o, r := runWant(t, 1, append([]string{"--model", "twin", "--host", f.URL, "--warmup", "0", "--max-tokens", "4"}, flags...)...)
	if !strings.Contains(o.stderr, wantStderr) {
		t.Fatalf("stderr %q, want %q in it", o.stderr, wantStderr)
	}
	return o, r
}

// runWant runs yardstick run with args and an --out file in a temporary directory,
// requires exit status want, and returns the outcome and the run file written.
func runWant(t *testing.T, want int, args ...string) (outcome, *results.Run) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run.json")
	o := runCLI(t, nil, append([]string{"run", "--out", out}, args...)...)
	if o.code != want {
		t.Fatalf("run: exit %d, want %d\nstderr %s\nstdout %s", o.code, want, o.stderr, o.stdout)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return o, r
}

// Requests that fail after measuring began are recorded: the file is written, the
// table warns, and the exit status is 1.
func TestPartialFailuresKeepWhatWasMeasured(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultErrorLine, FaultFrom: 3, FaultUntil: 5})
	defer f.Close()
	o, r := runFailing(t, f, "2 of 6 measured requests failed", "--runs", "6", "--prompt-tokens", "16")
	if r.Throughput.Completed != 4 || r.Throughput.Failed != 2 || r.Samples[2].ErrorKind != "stream" {
		t.Errorf("completed=%d failed=%d kind=%q", r.Throughput.Completed, r.Throughput.Failed, r.Samples[2].ErrorKind)
	}
	if !strings.Contains(o.stdout, "failed_requests: 2 of 6") {
		t.Errorf("table has no failure warning:\n%s", o.stdout)
	}
}

func TestCredentialsNeverRecorded(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2})
	defer f.Close()
	host := strings.Replace(f.URL, "http://", "http://user:s3cret@", 1)
	out := filepath.Join(t.TempDir(), "run.json")
	o := runCLI(t, nil, "run", "--model", "twin", "--host", host, "--runs", "1", "--warmup", "0", "--prompt-tokens", "8", "--max-tokens", "2", "--out", out)
	b, _ := os.ReadFile(out)
	if o.code != 0 || strings.Contains(string(b)+o.stdout+o.stderr, "s3cret") {
		t.Errorf("exit %d; the password appears in the outputs", o.code)
	}

	// The journal of an interrupted run, and the run resumed from it with the
	// credentials given again, do not hold the password either.
	slow := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2, TTFT: 200 * time.Millisecond})
	defer slow.Close()
	host = strings.Replace(slow.URL, "http://", "http://user:s3cret@", 1)
	out = filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, slow, 3)
	o = runCLICtx(ctx, nil, "run", "--model", "twin", "--host", host, "--runs", "4", "--warmup", "0", "--prompt-tokens", "8",
		"--max-tokens", "2", "--no-selftest", "--out", out)
	j, jerr := os.ReadFile(out + ".journal")
	b, _ = os.ReadFile(out)
	if o.code != 130 || jerr != nil || strings.Contains(string(j)+string(b)+o.stdout+o.stderr, "s3cret") {
		t.Fatalf("interrupted: exit %d, journal %v; or the password appears in the journal or outputs", o.code, jerr)
	}
	o = runCLI(t, nil, "run", "--resume", out+".journal", "--host", host, "--no-selftest")
	b, _ = os.ReadFile(out)
	if o.code != 0 || !strings.Contains(string(b), "run_id") || strings.Contains(string(b)+o.stdout+o.stderr, "s3cret") {
		t.Errorf("resumed: exit %d (%s); or the password appears in the outputs", o.code, o.stderr)
	}
}

// A profile file that declares twice the bandwidth doubles the decode ceiling the run
// is held against (the ceiling is bandwidth / bytes per token, and the fake serves the
// same Qwen2.5-0.5B Q8_0 tensors both times), and the run records where the figure
// came from.
func TestRunProfileFileSetsCeiling(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer f.Close()
	dir := t.TempDir()
	ceiling := func(gbps string) (float64, string) {
		prof := filepath.Join(dir, "p"+gbps+".yaml")
		yaml := "name: declared\nmemory_bandwidth_gb_per_s: " + gbps + "\npeak_tflop_per_s: 1\n"
		if err := os.WriteFile(prof, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out := filepath.Join(dir, "run"+gbps+".json")
		o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "2", "--warmup", "0", "--prompt-tokens", "16",
			"--max-tokens", "4", "--out", out, "--profile", prof)
		if o.code != 0 {
			t.Fatalf("exit %d: %s", o.code, o.stderr)
		}
		r, err := results.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if r.Roofline == nil || r.Environment.Machine == nil {
			t.Fatalf("no roofline/machine in run: %+v", r.Roofline)
		}
		return r.Roofline.DecodeCeilingPerS, r.Roofline.BandwidthSource
	}
	c10, src := ceiling("10")
	c20, _ := ceiling("20")
	if c10 <= 0 || c20/c10 < 1.999 || c20/c10 > 2.001 {
		t.Errorf("ceilings %v at 10 GB/s and %v at 20 GB/s, want a ratio of 2", c10, c20)
	}
	if !strings.Contains(src, "p10.yaml") {
		t.Errorf("bandwidth source %q does not name the profile file", src)
	}
	o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--profile", filepath.Join(dir, "missing.yaml"), "--out-dir", dir)
	if o.code != 2 || !strings.Contains(o.stderr, "--profile") {
		t.Errorf("missing profile: exit %d stderr %q", o.code, o.stderr)
	}
}

// Ctrl-C before anything is measured exits 130 with one line and writes nothing;
// Ctrl-C after the cold request writes what was measured and exits 130, keeping the
// journal (the second file) for --resume.
func TestInterruptExits130(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 400 * time.Millisecond})
	defer f.Close()
	for _, tc := range []struct {
		after time.Duration
		files int
	}{{150 * time.Millisecond, 0}, {900 * time.Millisecond, 2}} {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), tc.after)
		o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "50", "--warmup", "0",
			"--prompt-tokens", "8", "--max-tokens", "4", "--out-dir", dir)
		cancel()
		lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
		if o.code != 130 || len(lines) != 1 || !strings.Contains(lines[0], "interrupted") {
			t.Errorf("after %v: exit %d stderr %q", tc.after, o.code, o.stderr)
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != tc.files {
			t.Errorf("after %v: %d files, want %d", tc.after, len(entries), tc.files)
		}
	}
}

// When every measured request fails after a successful cold request, the run file
// is still written with the failures, and the exit status is 1.
func TestAllMeasuredFailedStillWritten(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 1})
	defer f.Close()
	_, r := runFailing(t, f, "all 3 measured requests sent (of 3 asked) failed", "--runs", "3", "--prompt-tokens", "8")
	if r.Cold == nil || r.Throughput.Failed != 3 || len(r.Summaries) != 0 {
		t.Errorf("cold %v failed %d summaries %d", r.Cold != nil, r.Throughput.Failed, len(r.Summaries))
	}
}

// A run file that cannot be written is refused before any request is sent.
func TestUnwritableOutFailsBeforeMeasuring(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2})
	defer f.Close()
	dir := t.TempDir()
	o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--out", dir)
	if o.code != 2 || !strings.Contains(o.stderr, "is a directory") || f.Requests() != 0 {
		t.Errorf("exit %d stderr %q requests %d", o.code, o.stderr, f.Requests())
	}
}

// Two runs in the same second get two default files.
func TestDefaultNamesDoNotCollide(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"m"}, Tokens: 2})
	defer f.Close()
	dir := t.TempDir()
	for i := 0; i < 2; i++ {
		if o := runCLI(t, nil, "run", "--model", "m", "--host", f.URL, "--runs", "1", "--warmup", "0", "--no-cold",
			"--prompt-tokens", "8", "--max-tokens", "2", "--out-dir", dir); o.code != 0 {
			t.Fatalf("exit %d: %s", o.code, o.stderr)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("%d run files after two runs, want 2", len(entries))
	}
}

// A new run never overwrites the journal of an unfinished run at the same --out.
func TestUnfinishedJournalRefused(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(out+".journal", []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--out", out)
	b, _ := os.ReadFile(out + ".journal")
	if o.code != 2 || !strings.Contains(o.stderr, "unfinished run") || f.Requests() != 0 || string(b) != "{}\n" {
		t.Errorf("exit %d %q requests %d journal %q", o.code, o.stderr, f.Requests(), b)
	}
}

// A resumed run is held against the profile it started with: the journal keeps
// --profile, so resuming without it does not fall back to the detected machine (break-it
// round: the resumed file switched to a probe and flagged every request).
func TestResumeKeepsTheProfile(t *testing.T) {
	slow := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2, TTFT: 200 * time.Millisecond})
	defer slow.Close()
	dir := t.TempDir()
	prof := filepath.Join(dir, "declared.yaml")
	if err := os.WriteFile(prof, []byte("name: declared\nmemory_bandwidth_gb_per_s: 123\npeak_tflop_per_s: 20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, slow, 3)
	o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", slow.URL, "--runs", "4", "--warmup", "0", "--prompt-tokens", "8",
		"--max-tokens", "2", "--no-selftest", "--out", out, "--profile", prof)
	if o.code != 130 {
		t.Fatalf("interrupted: exit %d (%s)", o.code, o.stderr)
	}
	o = runCLI(t, nil, "run", "--resume", out+".journal", "--no-selftest")
	r, err := results.ReadFile(out)
	if o.code != 0 || err != nil {
		t.Fatalf("resumed: exit %d (%s), %v", o.code, o.stderr, err)
	}
	if m := r.Environment.Machine; m == nil || m.Profile != "declared" || m.MemoryBandwidthBytesPerS != 123e9 || r.Options.Profile != prof {
		t.Errorf("resumed run's machine %+v, options profile %q: want the declared profile", m, r.Options.Profile)
	}
}

// --help after a command's arguments shows that command's help: urfave/cli would take
// the first argument as a help topic and fail with "No help topic for 'x.json'".
func TestHelpAfterArguments(t *testing.T) {
	for _, args := range [][]string{
		{"report", "x.json", "--help"},
		{"db", "import", "runs", "-h"},
		{"compare", "a.json", "b.json", "--format", "json", "--help"},
	} {
		o := runCLI(t, nil, args...)
		if o.code != 0 || !strings.Contains(o.stdout, "yardstick "+args[0]+" - ") || strings.Contains(o.stdout+o.stderr, "No help topic") {
			t.Errorf("%v: exit %d, stdout %q, stderr %q: want the %s command's help", args, o.code, o.stdout, o.stderr, args[0])
		}
	}
}
