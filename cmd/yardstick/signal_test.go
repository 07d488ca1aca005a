package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/results"
)

// TestMain lets a test run the real main (signals, exit status) in a subprocess: the
// test binary re-executed with YARDSTICK_TEST_MAIN=1 and the command line after "--".
func TestMain(m *testing.M) {
	if os.Getenv("YARDSTICK_TEST_MAIN") == "1" {
		for i, a := range os.Args {
			if a == "--" {
				os.Args = append([]string{"yardstick"}, os.Args[i+1:]...)
				break
			}
		}
		main()
		return
	}
	os.Exit(m.Run())
}

// A real SIGINT to a yardstick process halfway through a run: exit 130, a complete
// and valid run file marked interrupted, and a journal that --resume completes.
func TestSIGINTThenResume(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 200 * time.Millisecond})
	defer f.Close()
	dir := t.TempDir()
	prof := filepath.Join(dir, "p.yaml")
	if err := os.WriteFile(prof, []byte("name: t\nmemory_bandwidth_gb_per_s: 20\npeak_tflop_per_s: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$", "--", "run", "--model", "twin", "--host", f.URL,
		"--runs", "8", "--warmup", "0", "--prompt-tokens", "8", "--max-tokens", "4", "--no-selftest", "--quiet",
		"--profile", prof, "--out", out)
	cmd.Env = append(os.Environ(), "YARDSTICK_TEST_MAIN=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Halfway: the cold request and 3 measured ones were sent (bounded by ctx).
	for f.Requests() < 4 && ctx.Err() == nil {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit %d (%v), want 130: %s", code, err, stderr.String())
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndReason != bench.EndInterrupted || len(r.Samples) == 0 || len(r.Samples) >= 8 || r.Throughput.Failed != 0 {
		t.Fatalf("interrupted run: end %q, %d samples, %d failed", r.EndReason, len(r.Samples), r.Throughput.Failed)
	}
	o := runCLI(t, nil, "run", "--resume", out+".journal", "--no-selftest")
	if o.code != 0 || !strings.Contains(o.stdout, "run file  "+out) {
		t.Fatalf("resume: exit %d: %s", o.code, o.stderr)
	}
	done, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if done.RunID != r.RunID || len(done.Samples) != 8 || done.Throughput.Completed != 8 || done.EndReason != bench.EndCompleted {
		t.Errorf("resumed: id %s (was %s), %d samples, end %q", done.RunID, r.RunID, len(done.Samples), done.EndReason)
	}
}
