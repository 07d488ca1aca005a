package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/internal/fakeopenai"
	"github.com/yardstick-dev/yardstick/results"
)

// runOK runs yardstick run against host with flags into a temporary file, requires
// exit status 0, and returns the outcome and the run file.
func runOK(t *testing.T, flags ...string) (outcome, *results.Run) {
	t.Helper()
	return runWant(t, 0, append([]string{"--model", "twin", "--no-selftest"}, flags...)...)
}

// stallServer answers in about 10 ms, but measured request 4 (generation request 5,
// after one warm-up) waits 2 s before its first token.
func stallServer(stall bool) *fakeollama.Server {
	cfg := fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond, Gap: time.Millisecond}
	if stall {
		cfg.Fault, cfg.FaultFrom, cfg.FaultUntil, cfg.Stall = fakeollama.FaultStallFirst, 5, 6, 2*time.Second
	}
	return fakeollama.New(cfg)
}

// The coordinated-omission check. An open loop of 20 requests/s with one
// request in flight at most, against a server that stalls one request for 2 s: the
// requests due during the stall wait for the client (queue delay up to ~2 s), so the
// stall shows in latency counted from the schedule while TTFT from sending stays at
// the server's ~5 ms. A closed loop of the same server sends nothing while it stalls:
// no queue delay, TTFT from sending is fast again, and the stall shows only as lost
// throughput.
func TestStallOpenVersusClosedLoop(t *testing.T) {
	common := []string{"--no-cold", "--warmup", "1", "--runs", "30", "--max-tokens", "4", "--prompt-tokens", "16"}

	f := stallServer(true)
	defer f.Close()
	_, open := runOK(t, append(common, "--host", f.URL, "--rate", "20", "--concurrency", "1")...)
	if l := open.Levels[0]; l.Model != bench.LoadOpen || l.RatePerS != 20 || l.Concurrency != 1 {
		t.Errorf("open level %+v", l.LoadSpec)
	}
	var maxQ int64
	late := 0
	for _, s := range open.Samples {
		maxQ = max(maxQ, s.QueueDelayNs)
		if s.QueueDelayNs > int64(500*time.Millisecond) {
			late++
		}
		if s.ScheduledAtNs > s.SentAtNs {
			t.Fatalf("request %d sent before its schedule", s.Index)
		}
	}
	// Requests are due every 50 ms: about 40 fall due during the 2 s stall, all but
	// the last few of the remaining 25 wait over 500 ms.
	if maxQ < int64(1500*time.Millisecond) || late < 10 {
		t.Errorf("open loop: max queue delay %v, %d requests over 500 ms; want ≥ 1.5 s and ≥ 10", time.Duration(maxQ), late)
	}
	sched, ok := open.Summaries["ttft_from_scheduled_ns"]
	if !ok || sched.P90 < float64(time.Second) {
		t.Errorf("open loop: TTFT from schedule p90 %v, want ≥ 1 s (summary present %v)", time.Duration(sched.P90), ok)
	}
	if m := open.Summaries["ttft_ns"].Median; m > float64(200*time.Millisecond) {
		t.Errorf("open loop: TTFT from sending median %v, want the server's few ms", time.Duration(m))
	}

	g := stallServer(false)
	defer g.Close()
	_, fast := runOK(t, append(common, "--host", g.URL)...)
	h := stallServer(true)
	defer h.Close()
	_, closed := runOK(t, append(common, "--host", h.URL)...)
	for _, s := range closed.Samples {
		if s.QueueDelayNs != 0 {
			t.Fatalf("closed loop: request %d has queue delay %v", s.Index, time.Duration(s.QueueDelayNs))
		}
	}
	if _, ok := closed.Summaries["ttft_from_scheduled_ns"]; ok {
		t.Errorf("closed loop: a TTFT-from-schedule summary that only repeats TTFT")
	}
	if m := closed.Summaries["ttft_ns"].Median; m > float64(200*time.Millisecond) {
		t.Errorf("closed loop: TTFT median %v, want the server's few ms", time.Duration(m))
	}
	// 30 requests of ~10 ms take ~0.3 s; with a 2 s stall, ~2.3 s.
	if c, f := closed.Throughput.RequestsPerS, fast.Throughput.RequestsPerS; c > 0.5*f {
		t.Errorf("closed loop: %.1f requests/s with the stall, %.1f without; want under half", c, f)
	}
}

// maxOverlap is the most requests of ss in flight at once (sent..done).
func maxOverlap(ss []bench.Sample) int {
	best := 0
	for _, a := range ss {
		n := 0
		for _, b := range ss {
			if b.OK && b.SentAtNs <= a.SentAtNs && a.SentAtNs < b.SentAtNs+*b.E2ENs {
				n++
			}
		}
		best = max(best, n)
	}
	return best
}

// A concurrency sweep writes one file with a level per value: each level sent --runs
// requests with exactly that many in flight at its peak, each sample names its level,
// goodput is per level against --slo, and the peak level is named.
func TestConcurrencySweep(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 6, TTFT: 10 * time.Millisecond, Gap: 2 * time.Millisecond})
	defer f.Close()
	o, r := runOK(t, "--host", f.URL, "--concurrency", "1,2,4", "--runs", "8", "--warmup", "1", "--max-tokens", "6",
		"--prompt-tokens", "16", "--slo", "ttft_p95=2s,tpot=1s")
	if len(r.Levels) != 3 || len(r.Samples) != 24 {
		t.Fatalf("%d levels, %d samples; want 3 and 24", len(r.Levels), len(r.Samples))
	}
	for i, want := range []int{1, 2, 4} {
		l := r.Levels[i]
		var ss []bench.Sample
		for _, s := range r.Samples {
			if s.Level == i {
				ss = append(ss, s)
			}
		}
		if l.Concurrency != want || l.Requests != 8 || len(ss) != 8 || l.Throughput.Completed != 8 {
			t.Errorf("level %d: concurrency %d, %d requests, %d samples, %d completed", i, l.Concurrency, l.Requests, len(ss), l.Throughput.Completed)
		}
		if got := maxOverlap(ss); got != want {
			t.Errorf("level %d: at most %d requests in flight, want %d", i, got, want)
		}
		// Every request of this fast server meets objectives of seconds.
		if l.GoodputPerS == nil || l.SLO == nil || !l.SLO.Met || l.SLO.GoodRequests != 8 {
			t.Errorf("level %d: goodput %v slo %+v", i, l.GoodputPerS, l.SLO)
		} else if g := *l.GoodputPerS; g != l.Throughput.RequestsPerS {
			t.Errorf("level %d: goodput %.3f/s ≠ %.3f requests/s though every request met the SLO", i, g, l.Throughput.RequestsPerS)
		}
	}
	if r.Peak == nil || r.Peak.By != "goodput_per_s" {
		t.Fatalf("peak %+v", r.Peak)
	}
	for _, l := range r.Levels {
		if *l.GoodputPerS > r.Peak.Value {
			t.Errorf("level %d goodput %.3f above the peak's %.3f", l.Index, *l.GoodputPerS, r.Peak.Value)
		}
	}
	for _, want := range []string{"levels\n", "concurrency 4", "* peak goodput: level", "goodput/s"} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("table lacks %q:\n%s", want, o.stdout)
		}
	}
}

// A prompt-length sweep against a server whose TTFT is 40 ms + prompt tokens / 4000
// tokens/s gives back both figures within 5% (the fit check; the fixed part
// +15%, as it also carries loopback, HTTP and scheduling time).
func TestPromptSweepFitsPrefill(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 40 * time.Millisecond, PrefillPerS: 4000, Gap: time.Millisecond})
	defer f.Close()
	o, r := runOK(t, "--host", f.URL, "--prompt-tokens", "64,256,1024", "--runs", "4", "--warmup", "2", "--max-tokens", "4", "--num-ctx", "2048")
	if len(r.Levels) != 3 {
		t.Fatalf("%d levels", len(r.Levels))
	}
	for i, want := range []int{64, 256, 1024} {
		if l := r.Levels[i]; l.PromptTokens != want {
			t.Errorf("level %d: prompt tokens %d, want %d", i, l.PromptTokens, want)
		}
		if m := r.Levels[i].Summaries["prompt_tokens"].Median; m < 0.9*float64(want) || m > 1.1*float64(want) {
			t.Errorf("level %d: median prompt %v tokens, want %d ±10%% (calibrated per level)", i, m, want)
		}
	}
	// Each level is held against its own length (64 tokens is not 1024 tokens off).
	if hasWarning(r, "prompt_length_off_target") {
		t.Errorf("prompt_length_off_target on a calibrated sweep: %v", r.Warnings)
	}
	fit := r.PrefillFit
	if fit == nil {
		t.Fatalf("no prefill fit; warnings %v", r.Warnings)
	}
	// Scheduling delay on a busy machine (the other packages' tests run beside this
	// one) only adds to the fixed part: 5% below, 15% above.
	if d := fit.FixedNs/float64(40*time.Millisecond) - 1; d < -0.05 || d > 0.15 {
		t.Errorf("fixed %v, want 40 ms -5%%..+15%%", time.Duration(fit.FixedNs))
	}
	if d := fit.PrefillPerS/4000 - 1; d < -0.05 || d > 0.05 {
		t.Errorf("prefill %.0f tok/s, want 4000 ±5%%", fit.PrefillPerS)
	}
	if !strings.Contains(o.stdout, "prefill fit TTFT = ") {
		t.Errorf("table lacks the fit:\n%s", o.stdout)
	}
}

// Several --host flags measure the same workload on each server at once: every server
// gets every request of the level, the file keeps each server's figures, and the
// run's throughput is their total.
func TestFleet(t *testing.T) {
	a := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer a.Close()
	b := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 30 * time.Millisecond})
	defer b.Close()
	o, r := runOK(t, "--host", a.URL, "--host", b.URL, "--runs", "5", "--warmup", "1", "--max-tokens", "4", "--prompt-tokens", "16")
	if len(r.Fleet) != 2 || len(r.Options.Hosts) != 2 || len(r.Samples) != 10 {
		t.Fatalf("fleet %d, hosts %v, %d samples", len(r.Fleet), r.Options.Hosts, len(r.Samples))
	}
	for i, tg := range r.Fleet {
		if tg.Throughput.Completed != 5 {
			t.Errorf("server %d: %d completed, want 5", i, tg.Throughput.Completed)
		}
	}
	if r.Fleet[0].Summaries["ttft_ns"].Median >= r.Fleet[1].Summaries["ttft_ns"].Median {
		t.Errorf("server 0 (5 ms) not faster than server 1 (30 ms): %v vs %v", r.Fleet[0].Summaries["ttft_ns"].Median, r.Fleet[1].Summaries["ttft_ns"].Median)
	}
	if r.Throughput.Completed != 10 {
		t.Errorf("total completed %d", r.Throughput.Completed)
	}
	if !strings.Contains(o.stdout, "servers\n") || !strings.Contains(o.stdout, "2 servers at once") {
		t.Errorf("table lacks the servers:\n%s", o.stdout)
	}
}

// --duration measures for a time, not a count: a 400 ms level of two workers on a
// ~10 ms server completes many requests, sends none after 400 ms, and records why it
// stopped.
func TestDuration(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond, Gap: time.Millisecond})
	defer f.Close()
	_, r := runOK(t, "--host", f.URL, "--duration", "400ms", "--concurrency", "2", "--warmup", "1", "--max-tokens", "4", "--prompt-tokens", "16")
	if r.Stopping.Rule != "duration" || r.Throughput.Completed < 8 {
		t.Fatalf("rule %q, %d completed", r.Stopping.Rule, r.Throughput.Completed)
	}
	first := r.Samples[0].SentAtNs
	for _, s := range r.Samples {
		if s.SentAtNs-first > int64(400*time.Millisecond) {
			t.Errorf("request %d sent %v after the level began", s.Index, time.Duration(s.SentAtNs-first))
		}
	}
}

// Load flags are checked when parsed: one line, exit 2, nothing sent.
func TestLoadFlagErrors(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer f.Close()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--concurrency", "0"}, "--concurrency 0"},
		{[]string{"--concurrency", "1,x"}, `"x" is not a whole number`},
		{[]string{"--concurrency", "2,2"}, "listed twice"},
		{[]string{"--rate", "-1"}, "not in 0.001..10000"},
		{[]string{"--rate", "1e-10"}, "not in 0.001..10000"},
		{[]string{"--arrival", "poisson"}, "give --rate too"},
		{[]string{"--backend", "openai", "--api-key-env", "sk-live-SECRET123"}, "not the key"},
		{[]string{"--api-key-env", "KEY"}, "applies to --backend openai"},
		{[]string{"--rate", "fast"}, "not a rate"},
		{[]string{"--rate", "1", "--concurrency", "1,2"}, "sweep one of them"},
		{[]string{"--arrival", "bursty", "--rate", "1"}, `--arrival "bursty"`},
		{[]string{"--slo", "ttft=fast"}, "fast"},
		{[]string{"--runs", "auto", "--concurrency", "1,2"}, "--runs auto"},
		{[]string{"--duration", "-1s"}, "--duration"},
		{[]string{"--prompt-tokens", "64,0"}, "0 is not in 1..1048576"},
		{[]string{"--prompt-tokens", "64,128", "--concurrency", "1,2"}, "sweep --concurrency or --rate in another run"},
		{[]string{"--backend", "openai", "--host", ""}, "empty host"},
		{[]string{"--backend", "grpc"}, `--backend "grpc"`},
		{[]string{"--host", f.URL, "--host", f.URL}, "given twice"},
	} {
		args := append([]string{"run", "--model", "twin", "--out", filepath.Join(t.TempDir(), "r.json")}, tc.args...)
		if !strings.Contains(strings.Join(tc.args, " "), "--host") {
			args = append(args, "--host", f.URL)
		}
		o := runCLI(t, nil, args...)
		if o.code != 2 || !strings.Contains(o.stderr, tc.want) || strings.Count(strings.TrimSpace(o.stderr), "\n") > 0 {
			t.Errorf("%v: exit %d stderr %q; want 2 and one line with %q", tc.args, o.code, o.stderr, tc.want)
		}
	}
	if n := f.Requests(); n != 0 {
		t.Errorf("%d requests reached the server", n)
	}
}

// A sweep interrupted mid-way writes what it measured and exits 130, but does not
// offer --resume (continuing would change the schedule and the level's window) and
// keeps no journal; a journal of such a run given to --resume is refused with exit 2.
func TestInterruptedSweepIsNotResumable(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 100 * time.Millisecond})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cancelAt(ctx, cancel, f, 8)
	o := runCLICtx(ctx, nil, "run", "--model", "twin", "--host", f.URL, "--concurrency", "1,2", "--runs", "10", "--warmup", "1",
		"--prompt-tokens", "16", "--max-tokens", "4", "--no-selftest", "--out", out)
	if o.code != 130 || strings.Contains(o.stderr, "--resume") {
		t.Fatalf("exit %d stderr %q", o.code, o.stderr)
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.EndReason != bench.EndInterrupted || len(r.Samples) == 0 {
		t.Fatalf("end %q, %d samples", r.EndReason, len(r.Samples))
	}
	if _, err := os.Stat(out + ".journal"); !os.IsNotExist(err) {
		t.Errorf("journal left behind: %v", err)
	}

	// A journal of a sweep, as a SIGKILL (not an interrupt) would leave it: --resume
	// cannot continue it, and turns it into the run file instead, sending nothing
	// (issue 11, item 14: nothing could read such a journal).
	h, err := json.Marshal(bench.JournalHeader{Kind: bench.JournalKind, Version: bench.JournalVersion, RunID: r.RunID,
		StartedAt: time.Now(), Options: r.Options, Target: r.Target, PromptWords: r.Samples[0].PromptWords, Calibrated: true})
	if err != nil {
		t.Fatal(err)
	}
	text := append(h, '\n')
	for _, s := range r.Samples {
		line, _ := json.Marshal(map[string]any{"sample": s})
		text = append(append(text, line...), '\n')
	}
	if err := os.WriteFile(out+"2.journal", text, 0o644); err != nil {
		t.Fatal(err)
	}
	sent := f.Requests()
	o = runCLI(t, nil, "run", "--resume", out+"2.journal", "--no-selftest")
	if o.code != 130 || !strings.Contains(o.stderr, "cannot be resumed") || !strings.Contains(o.stderr, out+"2") {
		t.Fatalf("recovering a sweep's journal: exit %d stderr %q", o.code, o.stderr)
	}
	rec, err := results.ReadFile(out + "2")
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Samples) != len(r.Samples) || rec.RunID != r.RunID || rec.EndReason != bench.EndInterrupted || !hasWarning(rec, "recovered") ||
		len(rec.Levels) != len(r.Levels) || rec.Levels[0].Throughput.Completed != r.Levels[0].Throughput.Completed {
		t.Errorf("recovered %d samples (want %d), run %s, end %q, levels %d (level 0 completed %d, want %d)", len(rec.Samples), len(r.Samples), rec.RunID, rec.EndReason, len(rec.Levels), rec.Levels[0].Throughput.Completed, r.Levels[0].Throughput.Completed)
	}
	if f.Requests() != sent {
		t.Errorf("recovering sent %d requests", f.Requests()-sent)
	}
	if _, err := os.Stat(out + "2.journal"); !os.IsNotExist(err) {
		t.Errorf("journal left after recovery: %v", err)
	}
}

// Merging two runs of the same sweep (two machines) merges level by level: each
// level's requests, statistics and goodput come from both runs' requests of that
// level, and the peak is found again.
func TestMergeSweeps(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer f.Close()
	flags := []string{"--host", f.URL, "--concurrency", "1,2", "--runs", "4", "--warmup", "1", "--max-tokens", "4", "--prompt-tokens", "16", "--slo", "ttft=10s"}
	_, a := runOK(t, flags...)
	_, b := runOK(t, flags...)
	dir := t.TempDir()
	pa, pb, pm := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "m.json")
	for p, r := range map[string]*results.Run{pa: a, pb: b} {
		if err := results.WriteFile(p, r); err != nil {
			t.Fatal(err)
		}
	}
	if o := runCLI(t, nil, "merge", "--out", pm, pa, pb); o.code != 0 {
		t.Fatalf("merge: exit %d %s", o.code, o.stderr)
	}
	m, err := results.ReadFile(pm)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Levels) != 2 || m.Peak == nil {
		t.Fatalf("%d levels, peak %v", len(m.Levels), m.Peak)
	}
	for i, l := range m.Levels {
		if l.Requests != 8 || l.Throughput.Completed != 8 || l.Summaries["ttft_ns"].N != 8 || l.SLO == nil || l.SLO.GoodRequests != 8 {
			t.Errorf("level %d: %d requests, %d completed, ttft n %d, slo %+v", i, l.Requests, l.Throughput.Completed, l.Summaries["ttft_ns"].N, l.SLO)
		}
		want := a.Levels[i].Window.DurationNs + b.Levels[i].Window.DurationNs
		if l.Window.DurationNs != want {
			t.Errorf("level %d window %d, want Σ %d", i, l.Window.DurationNs, want)
		}
	}
}

// Two runs of one sweep are compared level by level as well as pooled, and a gate can
// name a level: a server made slower at concurrency 2 fails levels[1].ttft.
func TestCompareSweepsPerLevel(t *testing.T) {
	fast := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer fast.Close()
	slow := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 40 * time.Millisecond})
	defer slow.Close()
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	flags := []string{"--concurrency", "1,2", "--runs", "8", "--warmup", "1", "--max-tokens", "4", "--prompt-tokens", "16", "--no-selftest"}
	if o := runCLI(t, nil, append([]string{"run", "--model", "twin", "--host", fast.URL, "--out", pa}, flags...)...); o.code != 0 {
		t.Fatal(o.stderr)
	}
	if o := runCLI(t, nil, append([]string{"run", "--model", "twin", "--host", slow.URL, "--out", pb}, flags...)...); o.code != 0 {
		t.Fatal(o.stderr)
	}
	o := runCLI(t, nil, "compare", "--format", "json", "--fail-on", "levels[1].ttft:+20%", pa, pb)
	if o.code != 1 {
		t.Fatalf("compare: exit %d, want 1 (gate failed)\n%s\n%s", o.code, o.stderr, o.stdout)
	}
	var c results.Comparison
	if err := json.Unmarshal([]byte(o.stdout), &c); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, m := range c.Metrics {
		names[m.Metric] = true
	}
	for _, want := range []string{"ttft_ns", "levels[0].ttft_ns", "levels[1].ttft_ns", "levels[1].tpot_ns"} {
		if !names[want] {
			t.Errorf("comparison lacks %s (has %v)", want, names)
		}
	}
	if len(c.Gates) != 1 || c.Gates[0].Status != "fail" || c.Gates[0].Gate.Metric != "levels[1].ttft_ns" {
		t.Errorf("gates %+v", c.Gates)
	}
}

// A gate on a figure no run has (TTFT from the schedule in a closed loop) cannot be
// judged: under --strict (the default) it fails, saying it was not judged rather than
// that serving got slower, so a CI job cannot pass having tested nothing; with
// --strict=false it is skipped with its reason. A gate on a level the runs do not have
// is refused as bad input.
func TestGateOnMissingLevelIsSkipped(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer f.Close()
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for _, p := range []string{pa, pb} {
		if o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--concurrency", "1,2", "--runs", "6", "--warmup", "1",
			"--max-tokens", "4", "--prompt-tokens", "16", "--no-selftest", "--out", p); o.code != 0 {
			t.Fatal(o.stderr)
		}
	}
	o := runCLI(t, nil, "compare", "--fail-on", "ttft_from_scheduled:+5%", pa, pb)
	if o.code != 1 || strings.Count(o.stdout, "no run has values of it") != 1 || !strings.Contains(o.stderr, "yardstick: gate not judged (--strict=false skips it): ") {
		t.Errorf("strict: exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	o = runCLI(t, nil, "compare", "--strict=false", "--fail-on", "ttft_from_scheduled:+5%", pa, pb)
	if o.code != 0 || strings.Count(o.stdout, "no run has values of it") != 1 {
		t.Errorf("--strict=false: exit %d\n%s\n%s", o.code, o.stdout, o.stderr)
	}
	// A level the runs do not have is a mistake in the gate: bad input, exit 2.
	if o := runCLI(t, nil, "compare", "--fail-on", "levels[2].ttft:+10%", pa, pb); o.code != 2 || !strings.Contains(o.stderr, "has 2 level(s)") {
		t.Errorf("levels[2] of a 2-level sweep: exit %d %q", o.code, o.stderr)
	}
	if !strings.Contains(o.stdout, "level 1 (concurrency 2) TTFT") {
		t.Errorf("per-level rows do not name their load:\n%s", o.stdout)
	}
}

// Through the CLI, the OpenAI backend against a server that streams three tokens per
// chunk: output tokens are the server's usage (30), tokens per chunk 3, TPOT spans
// the 29 tokens after the first, ITL is per chunk (9 gaps) and a warning says so; the
// API key, read from the named variable, is sent and never written anywhere.
func TestOpenAIBackendThroughCLI(t *testing.T) {
	const key = "sk-test-secret-0123456789"
	f := fakeopenai.New(fakeopenai.Config{Models: []string{"m"}, TTFT: 5 * time.Millisecond, Gap: 2 * time.Millisecond,
		Tokens: 30, TokensPerChunk: 3, PromptTokens: 40, RequireKey: key})
	defer f.Close()
	out := filepath.Join(t.TempDir(), "run.json")
	o := runCLI(t, map[string]string{"MY_KEY": key}, "run", "--backend", "openai", "--api-key-env", "MY_KEY", "--host", f.URL,
		"--model", "m", "--runs", "6", "--warmup", "1", "--max-tokens", "30", "--prompt-tokens", "40", "--no-selftest", "--out", out)
	if o.code != 0 {
		t.Fatalf("exit %d: %s\n%s", o.code, o.stderr, o.stdout)
	}
	raw, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), key) || strings.Contains(o.stdout+o.stderr, key) {
		t.Fatal("the API key was written")
	}
	r, err := results.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Options.APIKeyEnv != "MY_KEY" || r.Target.Backend != "openai" || r.Cold != nil {
		t.Errorf("api_key_env %q backend %q cold %v", r.Options.APIKeyEnv, r.Target.Backend, r.Cold != nil)
	}
	for _, s := range r.Samples {
		if !s.OK || s.OutputTokens != 30 || s.TextChunks != 10 || *s.TokensPerChunk != 3 || len(s.ITLNs) != 9 ||
			*s.TPOTNs != (*s.E2ENs-*s.TTFTNs)/29 {
			t.Errorf("sample %d: ok %v output %d chunks %d itl %d", s.Index, s.OK, s.OutputTokens, s.TextChunks, len(s.ITLNs))
		}
	}
	if _, ok := r.Summaries["load_ns"]; ok {
		t.Errorf("a load_ns summary the OpenAI API never reported")
	}
	for _, w := range []string{"multi_token_chunks", "options_not_sent", "no_model_management"} {
		if !hasWarning(r, w) {
			t.Errorf("no %s warning: %v", w, r.Warnings)
		}
	}
	// With a wrong key: the server's 401 in one line, exit 1, the key not repeated.
	o = runCLI(t, map[string]string{"MY_KEY": "wrong-key-123"}, "run", "--backend", "openai", "--api-key-env", "MY_KEY",
		"--host", f.URL, "--model", "m", "--out", filepath.Join(t.TempDir(), "r.json"))
	if o.code != 1 || !strings.Contains(o.stderr, "401") || strings.Contains(o.stderr, "wrong-key-123") {
		t.Errorf("with a wrong key: exit %d %q", o.code, o.stderr)
	}
}

// --api-key-env naming a variable that is not set is refused before anything is sent,
// and the name is neither printed nor recorded: a pasted token looks like a name
// (issue 11, item 5).
func TestUnsetAPIKeyEnvIsRefusedUnrepeated(t *testing.T) {
	f := fakeopenai.New(fakeopenai.Config{Models: []string{"m"}, Tokens: 4, RequireKey: "secret-key-456"})
	defer f.Close()
	const token = "hf_AbCdEfGhIjKlMnOpQrStUv"
	out := filepath.Join(t.TempDir(), "r.json")
	o := runCLI(t, nil, "run", "--backend", "openai", "--api-key-env", token, "--host", f.URL, "--model", "m", "--out", out)
	if o.code != 2 || !strings.Contains(o.stderr, "not set in the environment") || strings.Contains(o.stdout+o.stderr, token) {
		t.Errorf("exit %d, stderr %q", o.code, o.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a run file was written: %v", err)
	}
}

// --duration bounds an open loop that the server cannot keep up with: at 20/s with one
// request in flight on a server that takes ~200 ms, most requests that fall due cannot
// be sent in time; the level still ends at its duration (plus the request in flight),
// and those never sent are counted as dropped, with a warning.
func TestDurationBoundsBackloggedOpenLoop(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 200 * time.Millisecond})
	defer f.Close()
	_, r := runOK(t, "--host", f.URL, "--rate", "20", "--concurrency", "1", "--duration", "1s", "--warmup", "0", "--no-cold",
		"--max-tokens", "4", "--prompt-tokens", "16", "--slo", "ttft_p50=10s")
	l := r.Levels[0]
	last := int64(0)
	for _, s := range r.Samples {
		last = max(last, s.SentAtNs-l.Window.StartNs)
	}
	// 20 due in 1 s, ~5 sent (one per 200 ms): the rest dropped, none sent after ~1 s.
	if last > int64(1100*time.Millisecond) {
		t.Errorf("a request sent %v into a 1 s level", time.Duration(last))
	}
	if l.Dropped < 10 || l.Dropped+l.Requests != 20 || !hasWarning(r, "dropped_requests") {
		t.Errorf("sent %d, dropped %d (want 20 due in all, most dropped); warnings %v", l.Requests, l.Dropped, r.Warnings)
	}
	// The dropped requests got no answer: they count against the SLO, whose p50
	// falls on one of them though every request sent was answered within 10 s.
	if l.SLO == nil || l.SLO.Requests != 20 || l.SLO.Dropped != l.Dropped || l.SLO.Met {
		t.Errorf("slo %+v", l.SLO)
	}
}

// In a run of several servers, one that stops answering is stopped alone after five
// failures in a row; the others are measured to the end.
func TestFleetDeadServerStopsAlone(t *testing.T) {
	good := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 20 * time.Millisecond})
	defer good.Close()
	bad := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 2})
	defer bad.Close()
	_, r := runWant(t, 1, "--model", "twin", "--host", good.URL, "--host", bad.URL, "--concurrency", "2", "--runs", "20",
		"--warmup", "1", "--max-tokens", "4", "--prompt-tokens", "16", "--no-selftest")
	if r.Fleet[0].Throughput.Completed != 20 || r.EndReason != bench.EndCompleted || !hasWarning(r, "server_aborted") {
		t.Errorf("healthy server completed %d of 20, end %q, warnings %v", r.Fleet[0].Throughput.Completed, r.EndReason, r.Warnings)
	}
	// The dead server's two workers may each have one request in flight when it is stopped.
	if f := r.Fleet[1].Throughput.Failed; f < 5 || f > 7 {
		t.Errorf("dead server: %d failed requests, want 5..7", f)
	}
}

// --max-errors N counts the failures of the whole run, across the levels of a sweep.
func TestMaxErrorsAcrossLevels(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 4, FaultUntil: 7})
	defer f.Close()
	// Generation requests 4..6 fail: after the cold request and one warm-up, measured
	// requests 2, 3 and 4 — two in level 0 (of 4 requests), one in level 1.
	_, r := runFailing(t, f, "measured requests failed", "--concurrency", "1,2,3", "--runs", "4", "--warmup", "1", "--prompt-tokens", "16", "--max-errors", "2")
	// Level 1 runs two at once: on a busy machine the healthy worker may finish the
	// level's other requests before the third failure is taken (they fail nothing:
	// requests 7 on succeed), but level 2 is never started.
	if r.EndReason != bench.EndErrors || r.Throughput.Failed != 3 || len(r.Levels) != 2 || len(r.Samples) > 8 || !hasWarning(r, "aborted") {
		t.Errorf("end %q, %d failed of %d, %d levels; want aborted after the third failure, in level 1", r.EndReason, r.Throughput.Failed, len(r.Samples), len(r.Levels))
	}
}

// A server stopped in one level of a prompt sweep stays stopped: it gets none of the
// next level's warm-ups, and the healthy server measures every level.
func TestFleetStoppedServerSkipsLaterWarmups(t *testing.T) {
	good := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer good.Close()
	// Cold request and two warm-ups succeed, every measured request fails.
	bad := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 3})
	defer bad.Close()
	_, r := runWant(t, 1, "--model", "twin", "--host", good.URL, "--host", bad.URL, "--prompt-tokens", "16,24", "--runs", "8",
		"--warmup", "2", "--max-tokens", "4", "--no-selftest")
	if len(r.Levels) != 2 || r.Fleet[0].Throughput.Completed != 16 {
		t.Fatalf("%d levels, healthy server completed %d of 16; warnings %v", len(r.Levels), r.Fleet[0].Throughput.Completed, r.Warnings)
	}
	for _, s := range r.Warmup {
		if s.Target == 1 && s.Level == 1 {
			t.Errorf("the stopped server got a level-1 warm-up")
		}
	}
	for _, s := range r.Samples {
		if s.Target == 1 && s.Level == 1 {
			t.Errorf("the stopped server got a level-1 request")
		}
	}
}

// Two prompt sweeps under different loads are not comparable: the load key names the
// load of every level, not only its prompt length.
func TestComparePromptSweepsOfOtherLoads(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, TTFT: 5 * time.Millisecond})
	defer f.Close()
	dir := t.TempDir()
	pa, pb := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	for p, c := range map[string]string{pa: "1", pb: "4"} {
		if o := runCLI(t, nil, "run", "--model", "twin", "--host", f.URL, "--prompt-tokens", "16,24", "--concurrency", c, "--runs", "4",
			"--warmup", "1", "--max-tokens", "4", "--no-selftest", "--out", p); o.code != 0 {
			t.Fatal(o.stderr)
		}
	}
	if o := runCLI(t, nil, "compare", pa, pb); o.code != 2 || !strings.Contains(o.stderr, "load") {
		t.Errorf("exit %d %q; want the load key to refuse", o.code, o.stderr)
	}
}
