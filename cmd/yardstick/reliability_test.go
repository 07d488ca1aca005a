package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// Every fault of the fake server, driven through yardstick run: the outcome of the
// faulted request, its reason, the exit status, and a run file holding every measured
// request (and no journal left behind).
func TestFaultsThroughRun(t *testing.T) {
	// Request 0 is the cold one, 1..4 the measured ones; the fault hits request 2
	// (measured index 1) only, so 3 of 4 measured requests succeed around it.
	const runs, faulted = 4, 1
	cases := []struct {
		fault fakeollama.Fault
		flags []string
		kind  bench.ErrorKind // "" = the request succeeds
		want  string          // in the sample's error, or a warning code when it succeeds
	}{
		{fakeollama.FaultHTTP500, nil, bench.ErrHTTPStatus, "HTTP 500: llama runner process has terminated"},
		{fakeollama.FaultHTTP500Raw, nil, bench.ErrHTTPStatus, "HTTP 500"},
		{fakeollama.FaultHTTP503, nil, bench.ErrHTTPStatus, "HTTP 503: server busy"},
		{fakeollama.FaultHangup, nil, bench.ErrConnect, "EOF"},
		{fakeollama.FaultErrorLine, nil, bench.ErrStream, "an error was encountered"},
		{fakeollama.FaultNoDone, nil, bench.ErrNoDone, "without a done chunk"},
		{fakeollama.FaultBadJSON, nil, bench.ErrDecode, "not JSON"},
		{fakeollama.FaultGarbage, nil, bench.ErrDecode, "not JSON"},
		{fakeollama.FaultAfterDone, nil, bench.ErrStream, "after the done chunk"},
		{fakeollama.FaultNegative, nil, bench.ErrDecode, "impossible figures"},
		// Stalls are bounded by the timeouts; the fake stalls far longer (5 s).
		{fakeollama.FaultStall, []string{"--request-timeout", "1s"}, bench.ErrTimeout, "timed out"},
		{fakeollama.FaultStallFirst, []string{"--first-token-timeout", "500ms"}, bench.ErrTimeout, "no first token"},
		// A character split across two writes of the stream is joined: text, no error.
		{fakeollama.FaultSplitUTF8, nil, "", ""},
		// One request that waited 2 s for a model load in a run whose loads are 0.
		{fakeollama.FaultReload, nil, "", "model_reloaded"},
	}
	for _, tc := range cases {
		t.Run(string(tc.fault), func(t *testing.T) {
			f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: tc.fault,
				FaultFrom: 1 + faulted, FaultUntil: 2 + faulted, Stall: 5 * time.Second})
			defer f.Close()
			out := filepath.Join(t.TempDir(), "run.json")
			args := append([]string{"run", "--model", "twin", "--host", f.URL, "--runs", "4", "--warmup", "0",
				"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out}, tc.flags...)
			o := runCLI(t, nil, args...)
			wantCode := 0
			if tc.kind != "" {
				wantCode = 1
			}
			if o.code != wantCode {
				t.Fatalf("exit %d, want %d: %s", o.code, wantCode, o.stderr)
			}
			r, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Samples) != runs {
				t.Fatalf("%d samples in the run file, want %d", len(r.Samples), runs)
			}
			if _, err := os.Stat(out + ".journal"); !os.IsNotExist(err) {
				t.Errorf("journal left after a written run: %v", err)
			}
			s := r.Samples[faulted]
			if tc.kind == "" {
				if !s.OK || r.Throughput.Failed != 0 {
					t.Fatalf("sample %d: ok=%v %s %s", faulted, s.OK, s.ErrorKind, s.Error)
				}
				if tc.fault == fakeollama.FaultSplitUTF8 && s.OutputBytes != 4*len(fakeollama.SplitUTF8Text) {
					t.Errorf("output_bytes %d, want %d", s.OutputBytes, 4*len(fakeollama.SplitUTF8Text))
				}
				if tc.want != "" && !hasWarning(r, tc.want) {
					t.Errorf("no %s warning: %v", tc.want, r.Warnings)
				}
				return
			}
			if s.OK || s.ErrorKind != tc.kind || !strings.Contains(s.Error, tc.want) {
				t.Errorf("sample %d: ok=%v kind %q error %q, want kind %q with %q", faulted, s.OK, s.ErrorKind, s.Error, tc.kind, tc.want)
			}
			if r.Throughput.Failed != 1 || r.Throughput.ErrorsByKind[tc.kind] != 1 || r.SummariesLeftOut != 1 || r.Summaries["e2e_ns"].N != runs-1 {
				t.Errorf("failed %d, errors_by_kind %v, summaries_left_out %d, e2e n %d", r.Throughput.Failed,
					r.Throughput.ErrorsByKind, r.SummariesLeftOut, r.Summaries["e2e_ns"].N)
			}
		})
	}
}

// Faults that leave nothing measured: one line, exit 1, no run file and no journal.
func TestFaultsBeforeMeasuring(t *testing.T) {
	closed, err := fakeollama.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	unavailable := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP503})
	defer unavailable.Close()
	hangup := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHangup})
	defer hangup.Close()
	for _, tc := range []struct {
		name, host, model, want string
	}{
		{"connection refused", closed, "twin", "cannot reach Ollama at " + closed},
		{"model not found (404)", unavailable.URL, "nope", `model "nope" not found`},
		{"503 on the cold request", unavailable.URL, "twin", "failed (http_status): HTTP 503: server busy"},
		{"hang-up on the cold request", hangup.URL, "twin", "failed (connect)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := runCLI(t, nil, "run", "--model", tc.model, "--host", tc.host, "--runs", "2", "--warmup", "0",
				"--prompt-tokens", "8", "--max-tokens", "4", "--no-selftest", "--out-dir", dir)
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if o.code != 1 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d stderr %q, want 1 and one line with %q", o.code, o.stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("%d files left after nothing was measured", len(entries))
			}
		})
	}
}

// --max-errors governs when given; without it the run stops after 5 failures in a row.
// Every measured request fails here (HTTP 500 after the cold request).
func TestMaxErrors(t *testing.T) {
	for _, tc := range []struct {
		flags   []string
		samples int // measured requests sent
		end     string
		warning string
	}{
		{nil, 5, bench.EndErrors, "5 consecutive failed requests"},
		// The third failure exceeds 2.
		{[]string{"--max-errors", "2"}, 3, bench.EndErrors, "exceeded --max-errors 2"},
		// 20% of 10 asked tolerates 2: the third failure exceeds it.
		{[]string{"--max-errors", "20%"}, 3, bench.EndErrors, "exceeded --max-errors 20%"},
		// 10 tolerated of 10 asked: the run is never stopped, though the 5-in-a-row rule would have.
		{[]string{"--max-errors", "10"}, 10, bench.EndCompleted, ""},
	} {
		f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 1})
		defer f.Close()
		out := filepath.Join(t.TempDir(), "run.json")
		o := runCLI(t, nil, append([]string{"run", "--model", "twin", "--host", f.URL, "--runs", "10", "--warmup", "0",
			"--prompt-tokens", "8", "--max-tokens", "4", "--no-selftest", "--out", out}, tc.flags...)...)
		if o.code != 1 {
			t.Errorf("%v: exit %d, want 1 (%s)", tc.flags, o.code, o.stderr)
			continue
		}
		r, err := results.ReadFile(out)
		if err != nil {
			t.Fatalf("%v: %v (stderr %q)", tc.flags, err, o.stderr)
		}
		if len(r.Samples) != tc.samples || r.EndReason != tc.end || r.Throughput.ErrorsByKind[bench.ErrHTTPStatus] != tc.samples {
			t.Errorf("%v: %d samples, end %q, errors %v; want %d, %q", tc.flags, len(r.Samples), r.EndReason, r.Throughput.ErrorsByKind, tc.samples, tc.end)
		}
		if tc.warning != "" && !strings.Contains(warningText(r, "aborted"), tc.warning) {
			t.Errorf("%v: aborted warning %q lacks %q", tc.flags, warningText(r, "aborted"), tc.warning)
		}
	}
}

// A bad flag value, a bad journal or flags that contradict --resume: one line, exit 2.
func TestReliabilityBadInput(t *testing.T) {
	dir := t.TempDir()
	notJournal := filepath.Join(dir, "x.json.journal")
	if err := os.WriteFile(notJournal, []byte("{\"kind\":\"something\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--model", "twin", "--max-errors", "5x"}, "invalid value \"5x\" for flag -max-errors: want a count"},
		{[]string{"--model", "twin", "--max-errors", "150%"}, "want a percentage in (0, 100]"},
		{[]string{"--model", "twin", "--first-token-timeout", "-1s"}, "--first-token-timeout -1s: must not be negative"},
		{[]string{"--model", "twin", "--grace", "-1s"}, "--grace -1s: must not be negative"},
		{[]string{"--resume", filepath.Join(dir, "missing.journal")}, "no such file or directory"},
		{[]string{"--resume", notJournal}, "x.json.journal:1: not a yardstick journal"},
		{[]string{"--resume", filepath.Join(dir, "run.json")}, "a journal's name ends in .journal"},
		{[]string{"--resume", notJournal, "--runs", "3"}, "--runs cannot be given with it"},
	} {
		args := append([]string{"run"}, tc.args...)
		if tc.args[0] != "--resume" {
			args = append(args, "--out-dir", dir)
		}
		o := runCLI(t, nil, args...)
		lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
		if o.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: exit %d stderr %q, want 2 and one line with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
}

// cancelAt cancels ctx when the fake has received n generation requests: a Ctrl-C
// while request n is in flight. Polling is bounded by ctx.
func cancelAt(ctx context.Context, cancel context.CancelFunc, f *fakeollama.Server, n int) {
	go func() {
		for ctx.Err() == nil {
			if f.Requests() >= n {
				cancel()
				return
			}
			time.Sleep(2 * time.Millisecond)
		}
	}()
}

// A run interrupted halfway writes a complete, valid run file holding every request
// that finished (the one in flight within --grace included) and keeps its journal;
// --resume on the journal completes the run: all requests, the same run id.
func TestInterruptThenResume(t *testing.T) {
	// Each request takes 300 ms, far longer than the poll, so the Ctrl-C lands while
	// request 7 (the cold one, one warm-up, then measured index 4) is in flight.
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 300 * time.Millisecond})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, f, 7)
	o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "10", "--warmup", "1",
		"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out)
	if o.code != 130 || !strings.Contains(o.stderr, "yardstick run --resume "+out+".journal") {
		t.Fatalf("exit %d stderr %q", o.code, o.stderr)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Measured 0..3 finished before the Ctrl-C, 4 within the grace period.
	if r.EndReason != bench.EndInterrupted || len(r.Samples) != 5 || r.Throughput.Failed != 0 || !hasWarning(r, "interrupted") {
		t.Fatalf("interrupted run: end %q, %d samples, %d failed", r.EndReason, len(r.Samples), r.Throughput.Failed)
	}
	j, err := bench.ReadJournal(out + ".journal")
	if err != nil {
		t.Fatal(err)
	}
	if j.Header.RunID != r.RunID || j.Cold == nil || len(j.Warmup) != 1 || len(j.Samples) != 5 || !j.Header.Calibrated || j.Header.PromptWords != r.Workload.PromptWords {
		t.Fatalf("journal: run %s, cold %v, %d warm-up, %d measured, prompt words %d (calibrated %v)",
			j.Header.RunID, j.Cold != nil, len(j.Warmup), len(j.Samples), j.Header.PromptWords, j.Header.Calibrated)
	}

	before := f.Requests()
	o = runCLI(t, nil, "run", "--resume", out+".journal", "--no-selftest")
	if o.code != 0 {
		t.Fatalf("resume: exit %d: %s", o.code, o.stderr)
	}
	done, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// One new warm-up request, then the 5 measured requests left; no cold request.
	if sent := f.Requests() - before; sent != 6 {
		t.Errorf("resume sent %d requests, want 6", sent)
	}
	if done.RunID != r.RunID || done.EndReason != bench.EndCompleted || len(done.Samples) != 10 || done.Throughput.Completed != 10 ||
		done.Workload.PromptWords != r.Workload.PromptWords || done.Cold == nil || !hasWarning(done, "resumed") {
		t.Fatalf("resumed run: id %s (was %s), end %q, %d samples, prompt words %d (was %d)",
			done.RunID, r.RunID, done.EndReason, len(done.Samples), done.Workload.PromptWords, r.Workload.PromptWords)
	}
	for i, s := range done.Samples {
		if s.Index != i || (i > 0 && s.SentAtNs <= done.Samples[i-1].SentAtNs) {
			t.Errorf("sample %d: index %d, sent at %d after %d", i, s.Index, s.SentAtNs, done.Samples[max(0, i-1)].SentAtNs)
		}
	}
	// Requests follow one another: the window is the sum of their E2E and small gaps.
	// The new warm-up (another 300 ms) and the stop are not in it.
	var e2e int64
	for _, s := range done.Samples {
		e2e += *s.E2ENs
	}
	if w := done.Window.DurationNs; w > e2e+int64(150*time.Millisecond) {
		t.Errorf("resumed window %v, Σ E2E %v: the window holds more than the measured requests", time.Duration(w), time.Duration(e2e))
	}
	if _, err := os.Stat(out + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left after the completed run: %v", err)
	}
}

// A request in flight at Ctrl-C is kept when it finishes within --grace and abandoned
// when it does not.
func TestGraceForRequestInFlight(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 600 * time.Millisecond})
	defer f.Close()
	for _, tc := range []struct {
		grace   string
		samples int // -1: no run file
	}{{"10s", 1}, {"50ms", -1}} {
		dir := t.TempDir()
		out := filepath.Join(dir, "run.json")
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cancelAt(ctx, cancel, f, f.Requests()+1)
		o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "3", "--warmup", "0", "--no-cold",
			"--prompt-tokens", "8", "--max-tokens", "4", "--no-selftest", "--grace", tc.grace, "--out", out)
		cancel()
		if o.code != 130 {
			t.Errorf("grace %s: exit %d: %s", tc.grace, o.code, o.stderr)
		}
		r, err := results.ReadFile(out)
		switch {
		case tc.samples < 0 && err == nil:
			t.Errorf("grace %s: a run file with %d samples, want none", tc.grace, len(r.Samples))
		case tc.samples < 0:
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("grace %s: %d files left", tc.grace, len(entries))
			}
		case err != nil:
			t.Errorf("grace %s: %v", tc.grace, err)
		case len(r.Samples) != tc.samples || !r.Samples[0].OK:
			t.Errorf("grace %s: %d samples, want %d, ok", tc.grace, len(r.Samples), tc.samples)
		}
	}
}

func warningText(r *results.Run, code string) string {
	for _, w := range r.Warnings {
		if string(w.Code) == code {
			return w.Message
		}
	}
	return ""
}

func hasWarning(r *results.Run, code string) bool {
	for _, w := range r.Warnings {
		if string(w.Code) == code {
			return true
		}
	}
	return false
}

// A broken run file given to any command is one line naming file, line and column,
// and exit status 2.
func TestBrokenRunFileIsOneLine(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n  \"kind\": \"yardstick.run\",\n  \"x\": }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"report", bad}, {"compare", bad, bad}, {"merge", "-o", bad + ".m", bad, bad}} {
		o := runCLI(t, nil, args...)
		lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
		if o.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], bad+":3:9: not a yardstick run file: invalid JSON") {
			t.Errorf("%s: exit %d stderr %q", args[0], o.code, o.stderr)
		}
	}
}

// A Ctrl-C that lands while the last request asked is in flight, which then finishes
// within --grace, interrupts nothing: the run is complete (exit 0, no journal left),
// with its real window and throughput.
func TestInterruptDuringLastRequestCompletes(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 300 * time.Millisecond})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, f, 2) // the second (last) measured request has arrived
	o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "2", "--warmup", "0", "--no-cold",
		"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out)
	if o.code != 0 {
		t.Fatalf("exit %d stderr %q", o.code, o.stderr)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndReason != bench.EndCompleted || len(r.Samples) != 2 || r.Window.DurationNs < int64(600*time.Millisecond) || r.Throughput.OutputTokensPerS <= 0 {
		t.Errorf("end %q, %d samples, window %v, %.1f tok/s", r.EndReason, len(r.Samples), time.Duration(r.Window.DurationNs), r.Throughput.OutputTokensPerS)
	}
	if _, err := os.Stat(out + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left: %v", err)
	}
}

// A resumed run that is interrupted again stays interrupted: exit 130, end_reason
// interrupted, the journal kept with everything measured so far, whether the Ctrl-C
// lands among the measured requests or during the resume's own warm-up.
func TestInterruptedResumeStaysInterrupted(t *testing.T) {
	for _, tc := range []struct {
		name  string
		after int // generation requests of the resume before the Ctrl-C lands
		lo    int // least measured samples the file then holds
		hi    int
	}{
		{"among measured requests", 3, 6, 8}, // warm-up, measured 5, measured 6 in flight
		{"during the warm-up", 1, 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 300 * time.Millisecond})
			defer f.Close()
			out := filepath.Join(t.TempDir(), "run.json")
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cancelAt(ctx, cancel, f, 7) // cold, warm-up, measured 0..4: 5 measured in the journal
			o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--runs", "10", "--warmup", "1",
				"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out)
			if o.code != 130 {
				t.Fatalf("first run: exit %d stderr %q", o.code, o.stderr)
			}
			ctx2, cancel2 := context.WithTimeout(context.Background(), time.Minute)
			defer cancel2()
			cancelAt(ctx2, cancel2, f, f.Requests()+tc.after)
			o = runCLICtx(ctx2, nil, "run", "--resume", out+".journal", "--no-selftest")
			if o.code != 130 || !strings.Contains(o.stderr, "yardstick run --resume "+out+".journal") {
				t.Fatalf("interrupted resume: exit %d stderr %q; want 130 and the resume hint", o.code, o.stderr)
			}
			r, err := results.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if r.EndReason != bench.EndInterrupted || len(r.Samples) < tc.lo || len(r.Samples) > tc.hi || !hasWarning(r, "interrupted") {
				t.Errorf("end %q with %d of 10 samples (want interrupted, %d..%d), warnings %v", r.EndReason, len(r.Samples), tc.lo, tc.hi, r.Warnings)
			}
			j, err := bench.ReadJournal(out + ".journal")
			if err != nil {
				t.Fatalf("journal gone after an interrupted resume: %v", err)
			}
			if len(j.Samples) != len(r.Samples) {
				t.Errorf("journal holds %d measured requests, the run file %d", len(j.Samples), len(r.Samples))
			}
		})
	}
}

// Every file a user names is read only if it is a regular file of bounded size: a
// device, a FIFO with no writer and a link to /dev/zero end at once in one line and
// exit 2 (issue 11, item 7). Each read once grew without bound or blocked forever.
func TestUserFilesAreBounded(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "p.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	zero := filepath.Join(dir, "zero.json")
	if err := os.Symlink("/dev/zero", zero); err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(dir, "r.json"+harness.JournalSuffix)
	if err := syscall.Mkfifo(journal, 0o600); err != nil {
		t.Fatal(err)
	}
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, bytes.Repeat([]byte("# padding\n"), (profiles.MaxProfileBytes/10)+1), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"hw", "--profile", fifo}, "is a named pipe"},
		{[]string{"plan", "--gguf", fifo, "--device", "RTX 4090"}, "is a named pipe"},
		{[]string{"plan", "--gguf", "/dev/zero", "--device", "RTX 4090"}, "is a device"},
		{[]string{"hw", "--profile", "/dev/zero"}, "is a device"},
		{[]string{"hw", "--profile", big}, "more than the"},
		{[]string{"report", zero}, "is a device"},
		{[]string{"check", "--profile", fifo, baseRun}, "is a named pipe"},
		{[]string{"compare", baseRun, zero}, "is a device"},
		{[]string{"run", "--resume", journal}, "is a named pipe"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		o := runCLICtx(ctx, nil, tc.args...)
		cancel()
		if o.code != 2 || !strings.Contains(o.stderr, tc.want) || strings.Count(strings.TrimSpace(o.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 and one line with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
}

// report, compare and merge -o refuse a FIFO, a symbolic link or a directory as run
// --out does, and leave it as it was (issue 11, item 8): each was once replaced by a
// regular file.
func TestReportOutputsNeverReplaceNonFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	target := filepath.Join(dir, "target.txt")
	if err := os.WriteFile(target, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.md")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{fifo, link, dir} {
		for _, args := range [][]string{
			{"report", "-o", out, baseRun},
			{"compare", "-o", out, baseRun, newRun},
			{"merge", "-o", out, baseRun, newRun},
		} {
			o := runCLI(t, nil, args...)
			if o.code != 2 || !strings.Contains(o.stderr, "name a regular file") {
				t.Errorf("%v: exit %d %q", args, o.code, o.stderr)
			}
		}
	}
	fi, err := os.Lstat(fifo)
	if err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the FIFO was replaced: %v %v", fi.Mode(), err)
	}
	if fi, err := os.Lstat(link); err != nil || fi.Mode()&os.ModeSymlink == 0 {
		t.Errorf("the link was replaced: %v", err)
	}
	if b, _ := os.ReadFile(target); string(b) != "keep" {
		t.Errorf("the link's target was written: %q", b)
	}
}

// Text a server or a file supplies is printed with its control and bidi characters
// escaped: an error body that clears the screen, retitles the terminal and reverses
// the line reaches stderr as visible escapes, and a run file's server version with
// U+202E reaches every report format, and the -o file, escaped (issue 11, item 13).
func TestPrintedTextCannotDriveTheTerminal(t *testing.T) {
	const evil = "boom \x1b[2J\x1b]0;owned\x07 \u202edesrever\u202c \u0085"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		json.NewEncoder(w).Encode(map[string]string{"error": evil})
	}))
	defer srv.Close()
	raw := func(s string) bool { return strings.ContainsAny(s, "\x1b\x07\u202e\u202c\u0085") }
	o := runCLI(t, nil, "run", "--host", srv.URL, "--model", "m", "--out", filepath.Join(t.TempDir(), "r.json"))
	if o.code != 1 || raw(o.stderr) || !strings.Contains(o.stderr, `\x1b[2J`) || !strings.Contains(o.stderr, `\u202e`) {
		t.Errorf("run: exit %d, stderr %q", o.code, o.stderr)
	}
	in := writeVariant(t, "evil.json", func(r *results.Run) { r.Target.ServerVersion = evil })
	for _, f := range []string{"table", "markdown", "json"} {
		o := runCLI(t, nil, "report", "--format", f, in)
		if o.code != 0 || raw(o.stdout) || !strings.Contains(o.stdout, `\u202e`) {
			t.Errorf("report --format %s: exit %d, raw controls %v, %q", f, o.code, raw(o.stdout), o.stderr)
		}
		if f == "json" {
			var back struct {
				Runs []struct {
					ServerVersion string `json:"server_version"`
				} `json:"runs"`
			}
			if err := json.Unmarshal([]byte(o.stdout), &back); err != nil || len(back.Runs) != 1 || back.Runs[0].ServerVersion != evil {
				t.Errorf("report --format json is no longer the same JSON: %v, %+v", err, back)
			}
		}
	}
	out := filepath.Join(t.TempDir(), "r.md")
	if o := runCLI(t, nil, "report", "--format", "markdown", "-o", out, in); o.code != 0 {
		t.Fatalf("report -o: exit %d %q", o.code, o.stderr)
	}
	if b, _ := os.ReadFile(out); raw(string(b)) || len(b) == 0 {
		t.Errorf("report -o wrote raw controls: %q", b)
	}
}

// What net/http writes to the standard logger (a server's bytes on an idle
// connection) never reaches stderr; --out ' ' is refused as a quoting mistake rather
// than written as a file named " " (issue 11, item 14).
func TestStdLogSilencedAndBlankOutRefused(t *testing.T) {
	var buf bytes.Buffer
	log.SetOutput(&buf)
	defer log.SetOutput(os.Stderr)
	runCLI(t, nil, "version")
	log.Print("Unsolicited response received on idle HTTP channel")
	if buf.Len() != 0 {
		t.Errorf("the standard logger still writes: %q", buf.String())
	}
	base := filepath.Join(mustWD(t), baseRun)
	t.Chdir(t.TempDir())
	for _, args := range [][]string{
		{"run", "--model", "m", "--host", "127.0.0.1:9", "--out", " "},
		{"report", "-o", "r.md ", base},
	} {
		o := runCLI(t, nil, args...)
		if o.code != 2 || !strings.Contains(o.stderr, "white space is refused") {
			t.Errorf("%v: exit %d %q", args, o.code, o.stderr)
		}
	}
	if entries, _ := os.ReadDir("."); len(entries) != 0 {
		t.Errorf("files written: %v", entries)
	}
}

// A journal whose recorded host carries a password (hand-edited: yardstick records
// hosts redacted) does not have it repeated when --host names another server.
func TestResumeHostMismatchRedactsTheJournalsHost(t *testing.T) {
	r, err := results.ReadFile(baseRun)
	if err != nil {
		t.Fatal(err)
	}
	opts := r.Options
	opts.Host = "http://u:S3cret@127.0.0.1:9"
	h, _ := json.Marshal(bench.JournalHeader{Kind: bench.JournalKind, Version: bench.JournalVersion, RunID: r.RunID, Options: opts, Target: r.Target, PromptWords: 10, Calibrated: true})
	journal := filepath.Join(t.TempDir(), "r.json.journal")
	if err := os.WriteFile(journal, append(h, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, nil, "run", "--resume", journal, "--host", "http://127.0.0.1:10", "--no-selftest")
	if o.code != 2 || !strings.Contains(o.stderr, "is not the server the journal measured") || strings.Contains(o.stderr, "S3cret") {
		t.Errorf("exit %d %q", o.code, o.stderr)
	}
}
