package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/results"
)

// run's common flags come from YARDSTICK_<NAME> when absent from the command line, and
// the command line wins when both are given.
func TestRunFlagsFromEnvironment(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Gap: time.Millisecond})
	defer f.Close()
	// Every server but the fake refuses connections: port 1 on loopback has no listener.
	const dead = "http://127.0.0.1:1"
	for _, tc := range []struct {
		name     string
		env      map[string]string
		args     []string
		wantRuns int
	}{
		// Model, host, runs, warm-up and lengths all from the environment: the run
		// reaches the fake (the only server that answers) with 7 requests.
		{"all from env", map[string]string{"YARDSTICK_MODEL": "twin", "YARDSTICK_HOST": f.URL, "YARDSTICK_RUNS": "7",
			"YARDSTICK_WARMUP": "0", "YARDSTICK_PROMPT_TOKENS": "16", "YARDSTICK_MAX_TOKENS": "4"}, nil, 7},
		// --runs 6 beats YARDSTICK_RUNS=7.
		{"flag beats env", map[string]string{"YARDSTICK_MODEL": "twin", "YARDSTICK_HOST": f.URL, "YARDSTICK_RUNS": "7"},
			[]string{"--runs", "6", "--warmup", "0", "--prompt-tokens", "16", "--max-tokens", "4"}, 6},
		// --host replaces $YARDSTICK_HOST rather than adding a second server to a
		// fleet: had the dead server been kept, the run would fail.
		{"host flag replaces env host", map[string]string{"YARDSTICK_MODEL": "twin", "YARDSTICK_HOST": dead},
			[]string{"--host", f.URL, "--runs", "6", "--warmup", "0", "--prompt-tokens", "16", "--max-tokens", "4"}, 6},
		// -m replaces $YARDSTICK_MODEL rather than adding to the list: had "ghost"
		// (a model the fake does not serve) been kept, the run would fail before
		// measuring; and the variable naming the same model is not "listed twice".
		{"model flag replaces env model", map[string]string{"YARDSTICK_MODEL": "ghost", "YARDSTICK_HOST": f.URL},
			[]string{"-m", "twin", "--runs", "6", "--warmup", "0", "--prompt-tokens", "16", "--max-tokens", "4"}, 6},
		{"model flag equal to env model", map[string]string{"YARDSTICK_MODEL": "twin", "YARDSTICK_HOST": f.URL},
			[]string{"--model", "twin", "--runs", "6", "--warmup", "0", "--prompt-tokens", "16", "--max-tokens", "4"}, 6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			out := filepath.Join(t.TempDir(), "run.json")
			o := runCLI(t, nil, append([]string{"run", "--no-cold", "--quiet", "--out", out}, tc.args...)...)
			if o.code != 0 {
				t.Fatalf("exit %d: %s", o.code, o.stderr)
			}
			r, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if r.Options.Runs != tc.wantRuns || len(r.Samples) != tc.wantRuns {
				t.Errorf("runs %d, samples %d, want %d", r.Options.Runs, len(r.Samples), tc.wantRuns)
			}
			if len(r.Options.Hosts) > 0 || r.Target.Host != f.URL {
				t.Errorf("servers %v, target %s: want the fake alone (%s)", r.Options.Hosts, r.Target.Host, f.URL)
			}
		})
	}
}

// A bad value in a variable is a usage error naming the variable.
func TestRunBadEnvironmentValue(t *testing.T) {
	t.Setenv("YARDSTICK_RUNS", "many")
	o := runCLI(t, nil, "run", "--model", "twin")
	if o.code != exitUsage || !strings.Contains(o.stderr, "YARDSTICK_RUNS") {
		t.Errorf("exit %d, stderr %q: want 2 naming YARDSTICK_RUNS", o.code, o.stderr)
	}
}

// --resume takes the run's options from its journal: a flag given with it is refused,
// but the same option from the environment (a CI job's YARDSTICK_RUNS) is ignored, so
// the command goes on to read the journal (which here does not exist).
func TestResumeIgnoresEnvironment(t *testing.T) {
	t.Setenv("YARDSTICK_RUNS", "5")
	t.Setenv("YARDSTICK_MODEL", "twin")
	journal := filepath.Join(t.TempDir(), "run.json.journal")
	o := runCLI(t, nil, "run", "--resume", journal)
	if o.code != exitUsage || strings.Contains(o.stderr, "cannot be given") || !strings.Contains(o.stderr, "run.json.journal") {
		t.Errorf("env only: exit %d, stderr %q: want the journal's error, not a refused flag", o.code, o.stderr)
	}
	o = runCLI(t, nil, "run", "--resume", journal, "--runs", "5")
	if o.code != exitUsage || !strings.Contains(o.stderr, "--runs cannot be given with it") {
		t.Errorf("flag: exit %d, stderr %q: want --runs refused", o.code, o.stderr)
	}
	// -n is --runs too.
	o = runCLI(t, nil, "run", "-n", "5", "--resume", journal)
	if o.code != exitUsage || !strings.Contains(o.stderr, "--runs cannot be given with it") {
		t.Errorf("alias: exit %d, stderr %q: want --runs refused", o.code, o.stderr)
	}
}

// Every variable run --help shows is a flag's envVar, and the help shows each of runEnv.
func TestRunHelpShowsEnvironment(t *testing.T) {
	o := runCLI(t, nil, "run", "--help")
	for _, name := range runEnv {
		if !strings.Contains(o.stdout, "[$"+envVar(name)+"]") {
			t.Errorf("run --help lacks [$%s]", envVar(name))
		}
	}
	if envVar("prompt-tokens") != "YARDSTICK_PROMPT_TOKENS" {
		t.Errorf("envVar(prompt-tokens) = %s", envVar("prompt-tokens"))
	}
}

// plan and synth --create reach the same server as run: $YARDSTICK_HOST is their --host too.
func TestHostEnvironmentEverywhere(t *testing.T) {
	for _, cmd := range []string{"plan", "synth"} {
		if o := runCLI(t, nil, cmd, "--help"); !strings.Contains(o.stdout, "[$YARDSTICK_HOST]") {
			t.Errorf("%s --help lacks [$YARDSTICK_HOST]:\n%s", cmd, o.stdout)
		}
	}
}

// An interrupted run resumes with its journal's options, server and profile whatever
// the environment says: a shell that exports YARDSTICK_HOST, _RUNS and _MODEL for new
// runs can still finish an old one.
func TestResumeWithEnvironmentSet(t *testing.T) {
	// Each request takes 300 ms; the Ctrl-C lands while request 5 (the cold one,
	// then measured index 4) is in flight.
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 300 * time.Millisecond})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, f, 5)
	o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "8", "--warmup", "0",
		"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out)
	if o.code != exitInterrupted {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	t.Setenv("YARDSTICK_HOST", "http://127.0.0.1:1") // no server: had it been used, the resume fails
	t.Setenv("YARDSTICK_RUNS", "99")
	t.Setenv("YARDSTICK_MODEL", "other")
	t.Setenv("YARDSTICK_PROFILE", "no-such-profile")
	o = runCLI(t, nil, "run", "--resume", out+".journal", "--no-selftest")
	if o.code != 0 {
		t.Fatalf("resume: exit %d: %s", o.code, o.stderr)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.Runs != 8 || len(r.Samples) != 8 || r.Target.Model.Name != "twin" {
		t.Errorf("resumed: runs %d, %d samples, model %s: want the journal's 8 of twin", r.Options.Runs, len(r.Samples), r.Target.Model.Name)
	}
}
