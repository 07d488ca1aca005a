package bench

import (
	"context"
	"encoding/json"
	"math/rand/v2"
	"net"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

func newFake(t *testing.T, cfg fakeollama.Config) (*fakeollama.Server, *Ollama) {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = []string{"twin"}
	}
	f := fakeollama.New(cfg)
	t.Cleanup(f.Close)
	u, err := ParseHost(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	return f, NewOllama(u)
}

func stream(t *testing.T, o *Ollama, model string, maxTokens int) Sample {
	t.Helper()
	var s Sample
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	o.Stream(ctx, time.Now(), Request{Model: model, System: "Request x.", User: "one two three", MaxTokens: maxTokens,
		Temperature: 0.8, NumCtx: 2048, KeepAlive: time.Minute}, &s)
	return s
}

// The fake sleeps TTFT before the first chunk and Gap between chunks, so the client
// cannot see them earlier: TTFT ≥ 40 ms is exact. The upper bounds allow 30 ms of
// loopback, scheduling and GC delay on a loaded two-core machine; the median gap is
// within 5 ms of the 10 ms schedule because a late chunk shortens the next gap as much
// as it lengthens its own.
func TestStreamTimingWithinTolerance(t *testing.T) {
	const (
		ttft   = 40 * time.Millisecond
		gap    = 10 * time.Millisecond
		tokens = 12
		slack  = 30 * time.Millisecond
	)
	_, o := newFake(t, fakeollama.Config{TTFT: ttft, Gap: gap, Tokens: tokens})
	s := stream(t, o, "twin", tokens)
	if !s.OK {
		t.Fatalf("sample failed: %s %s", s.ErrorKind, s.Error)
	}
	got, _ := s.TTFT()
	if got < ttft || got > ttft+slack {
		t.Errorf("TTFT = %v, want in [%v, %v]", got, ttft, ttft+slack)
	}
	if len(s.ITLNs) != tokens-1 {
		t.Fatalf("ITL gaps = %d, want %d (one per consecutive pair of %d chunks)", len(s.ITLNs), tokens-1, tokens)
	}
	itl := slices.Clone(s.ITLNs)
	slices.Sort(itl)
	if med := time.Duration(itl[len(itl)/2]); med < gap-5*time.Millisecond || med > gap+5*time.Millisecond {
		t.Errorf("median ITL = %v, want %v ± 5ms (gaps %v)", med, gap, s.ITLNs)
	}
	// TPOT spreads e2e − ttft over the 11 steps after the first token: ≈ the gap.
	if s.TPOTNs == nil {
		t.Fatal("TPOT missing")
	}
	if tp := time.Duration(*s.TPOTNs); tp < gap-2*time.Millisecond || tp > gap+slack/2 {
		t.Errorf("TPOT = %v, want ≈ %v", tp, gap)
	}
	if s.OutputTokens != tokens || s.TextChunks != tokens || *s.TokensPerChunk != 1 {
		t.Errorf("output_tokens=%d text_chunks=%d tokens_per_chunk=%v, want %d, %d, 1", s.OutputTokens, s.TextChunks, *s.TokensPerChunk, tokens, tokens)
	}
	if s.Chunks != tokens+1 {
		t.Errorf("chunks = %d, want %d text + 1 done", s.Chunks, tokens)
	}
	if s.DoneReason != "length" || s.StoppedEarly {
		t.Errorf("done_reason=%q stopped_early=%v, want length/false", s.DoneReason, s.StoppedEarly)
	}
	// Server rates from the done chunk: eval_duration spans the 11 gaps.
	if s.ServerGenPerS == nil || *s.ServerGenPerS < 50 || *s.ServerGenPerS > 101 {
		t.Errorf("server_gen_per_s = %v, want ≈ 100 (11 steps over ≥ 110 ms)", s.ServerGenPerS)
	}
	if s.OverheadNs == nil || *s.OverheadNs < 0 {
		t.Errorf("overhead_ns = %v, want ≥ 0 (client sees the end after the server does)", s.OverheadNs)
	}
}

// A server that sends three tokens per chunk: output tokens come from eval_count,
// ITL is per chunk, and tokens_per_chunk says so.
func TestStreamSeveralTokensPerChunk(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 9, TokensPerChunk: 3, Gap: time.Millisecond})
	s := stream(t, o, "twin", 9)
	if !s.OK || s.OutputTokens != 9 || s.TextChunks != 3 || len(s.ITLNs) != 2 || *s.TokensPerChunk != 3 {
		t.Fatalf("got ok=%v output=%d chunks=%d itl=%d tpc=%v; want 9 tokens in 3 chunks, 2 gaps, 3 per chunk",
			s.OK, s.OutputTokens, s.TextChunks, len(s.ITLNs), s.TokensPerChunk)
	}
}

func TestStreamFaultsAreFailedSamples(t *testing.T) {
	cases := []struct {
		name  string
		cfg   fakeollama.Config
		model string
		kind  ErrorKind
		msg   string
	}{
		{"no done chunk", fakeollama.Config{Fault: fakeollama.FaultNoDone}, "twin", ErrNoDone, "without a done chunk"},
		{"error line mid-stream", fakeollama.Config{Fault: fakeollama.FaultErrorLine}, "twin", ErrStream, "error was encountered"},
		{"HTTP 500 with JSON error", fakeollama.Config{Fault: fakeollama.FaultHTTP500}, "twin", ErrHTTPStatus, "HTTP 500: llama runner process has terminated"},
		{"HTTP 500 with empty body", fakeollama.Config{Fault: fakeollama.FaultHTTP500Raw}, "twin", ErrHTTPStatus, "HTTP 500"},
		{"unknown model", fakeollama.Config{}, "nope", ErrHTTPStatus, "HTTP 404"},
		{"truncated JSON", fakeollama.Config{Fault: fakeollama.FaultBadJSON}, "twin", ErrDecode, "not JSON"},
		{"data after done", fakeollama.Config{Fault: fakeollama.FaultAfterDone}, "twin", ErrStream, "after the done chunk"},
		{"impossible figures", fakeollama.Config{Fault: fakeollama.FaultNegative}, "twin", ErrDecode, "eval_count -7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Tokens = 6
			_, o := newFake(t, tc.cfg)
			s := stream(t, o, tc.model, 6)
			if s.OK {
				t.Fatal("sample OK, want failed")
			}
			if tc.kind != "" && s.ErrorKind != tc.kind {
				t.Errorf("kind = %q, want %q (%s)", s.ErrorKind, tc.kind, s.Error)
			}
			if s.ErrorKind == "" || s.Error == "" {
				t.Errorf("failed sample without kind/message: %+v", s)
			}
			if !strings.Contains(s.Error, tc.msg) {
				t.Errorf("error %q does not contain %q", s.Error, tc.msg)
			}
			if s.E2ENs != nil || s.TTFTNs != nil || s.ServerGenPerS != nil {
				t.Errorf("failed sample carries timings: e2e=%v ttft=%v", s.E2ENs, s.TTFTNs)
			}
		})
	}
}

// A stream that stalls after its first chunk is cut by the request timeout and
// recorded as a timeout, though the official client returns no error for it.
func TestStreamStallIsTimeout(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 6, Fault: fakeollama.FaultStall, Stall: 5 * time.Second})
	var s Sample
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	o.Stream(ctx, time.Now(), Request{Model: "twin", User: "x", MaxTokens: 6, NumCtx: 64}, &s)
	if s.OK || s.ErrorKind != ErrTimeout {
		t.Errorf("kind %q (%s), want timeout", s.ErrorKind, s.Error)
	}
}

func TestRedactNeverLeaksPasswords(t *testing.T) {
	for _, in := range []string{
		"http://user:hunter2@127.0.0.1:9",
		"http://us@er:hunter2@127.0.0.1:abc", // does not parse: cut at the last @
		"http://user:hun@ter2@127.0.0.1:abc/x@y",
		"user:hunter2@127.0.0.1:abc",
	} {
		if r := Redact(in); strings.Contains(r, "hunter2") || strings.Contains(r, "ter2") {
			t.Errorf("Redact(%q) = %q", in, r)
		}
	}
	if r := Redact("http://127.0.0.1:9/a@b"); r != "http://127.0.0.1:9/a@b" {
		t.Errorf("an @ in the path was cut: %q", r)
	}
}

func TestRunSequentialAgainstFake(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 8, Gap: time.Millisecond, PromptTokensPerWord: 1.3, TemplateTokens: 25, Synthetic: true})
	opts := DefaultOptions()
	opts.Model = "twin"
	opts.Runs, opts.Warmup = 6, 2
	opts.PromptTokens, opts.MaxTokens = 200, 8
	var events []Event
	res, err := Run(context.Background(), o, opts, func(e Event) { events = append(events, e) })
	if err != nil {
		t.Fatal(err)
	}
	if f.Requests() != 1+2+6 {
		t.Errorf("server saw %d generation requests, want 1 cold + 2 warm-up + 6 measured", f.Requests())
	}
	if len(events) != 9 || res.Cold == nil || len(res.Warmup) != 2 || len(res.Samples) != 6 {
		t.Fatalf("events=%d cold=%v warmup=%d samples=%d", len(events), res.Cold != nil, len(res.Warmup), len(res.Samples))
	}
	if res.Target.ServerVersion != "0.17.4" || res.Target.Model.Synthetic == nil || res.Target.Model.Digest == "" ||
		res.Target.Model.ContextLength != 32768 || res.Target.Model.ParameterCount != 494032768 {
		t.Errorf("target not recorded: %+v", res.Target)
	}
	// The fake counts 1.3 tokens per word plus 25 for the template: calibration on the
	// cold and warm-up requests must bring measured prompts within 2% of 200 tokens.
	nonces := map[string]bool{}
	for _, s := range res.Samples {
		if !s.OK {
			t.Fatalf("sample %d failed: %s", s.Index, s.Error)
		}
		if d := s.PromptTokens - 200; d < -4 || d > 4 {
			t.Errorf("sample %d prompt_tokens = %d, want 200 ± 4", s.Index, s.PromptTokens)
		}
		nonces[s.Nonce] = true
	}
	if len(nonces) != 6 {
		t.Errorf("nonces not unique: %v", nonces)
	}
	// Every request carries the options explicitly.
	body := f.Bodies[len(f.Bodies)-1]
	op := body["options"].(map[string]any)
	if op["num_ctx"] != float64(4096) || op["num_predict"] != float64(8) || op["seed"] != float64(42) || op["temperature"] != 0.8 {
		t.Errorf("options sent = %v", op)
	}
	if body["think"] != false {
		t.Errorf("think sent = %v, want false", body["think"])
	}
	if res.Window.DurationNs <= 0 || res.Memory.ModelSizeBytes == nil || *res.Memory.ModelSizeBytes != 600000000 {
		t.Errorf("window=%+v memory=%+v", res.Window, res.Memory)
	}
	if !hasWarning(res, "synthetic_weights") {
		t.Errorf("no synthetic_weights warning: %v", res.Warnings)
	}
	// The fake's server is this test process: its RSS is sampled.
	if res.Memory.ServerRSSPeakBytes == nil || *res.Memory.ServerRSSPeakBytes == 0 {
		t.Errorf("server RSS not sampled: %+v", res.Memory)
	}
}

func hasWarning(r *Result, code string) bool {
	for _, w := range r.Warnings {
		if string(w.Code) == code {
			return true
		}
	}
	return false
}

func TestRunRecordsFailuresAndKeepsGoing(t *testing.T) {
	// Requests 0 (cold) and 1 (warm-up) succeed; measured requests 0 and 1 fail.
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Fault: fakeollama.FaultNoDone, FaultFrom: 2, FaultUntil: 4})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "twin", 5, 1, 4, 32
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	ok := 0
	for _, s := range res.Samples {
		if s.OK {
			ok++
		}
	}
	if len(res.Samples) != 5 || ok != 3 || res.Samples[0].ErrorKind != ErrNoDone {
		t.Errorf("samples=%d ok=%d first=%q, want 5, 3, no_done", len(res.Samples), ok, res.Samples[0].ErrorKind)
	}
	if !hasWarning(res, "failed_requests") || res.EndReason != EndCompleted {
		t.Errorf("warnings=%v end=%s", res.Warnings, res.EndReason)
	}
}

func TestRunAbortsAfterConsecutiveFailures(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 1})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "twin", 50, 0, 4, 32
	res, err := Run(context.Background(), o, opts, nil)
	if err == nil || !strings.Contains(err.Error(), "all 5 measured requests sent (of 50 asked) failed") {
		t.Fatalf("err = %v, want all 5 failed", err)
	}
	if res.EndReason != EndErrors || len(res.Samples) != MaxConsecutiveFailures {
		t.Errorf("end=%s samples=%d", res.EndReason, len(res.Samples))
	}
}

func TestRunFailsFastWithOneClearError(t *testing.T) {
	// A port nothing listens on: bind one, then close it.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close()
	_, live := newFake(t, fakeollama.Config{Tokens: 4})
	_, failing := newFake(t, fakeollama.Config{Tokens: 4, Fault: fakeollama.FaultHTTP500})
	u, _ := ParseHost(closed)
	cases := []struct {
		name  string
		o     *Ollama
		model string
		want  string
	}{
		{"unreachable host", NewOllama(u), "twin", "cannot reach Ollama at http://" + closed},
		{"unknown model", live, "nope:1b", `model "nope:1b" not found`},
		{"server error on first request", failing, "twin", "HTTP 500: llama runner process has terminated"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := DefaultOptions()
			opts.Model, opts.Runs = tc.model, 2
			res, err := Run(context.Background(), tc.o, opts, nil)
			if err == nil || res != nil {
				t.Fatalf("err=%v res=%v, want an error and no result", err, res)
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q: want one line containing %q", err, tc.want)
			}
		})
	}
}

func TestRunInterrupted(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Gap: 5 * time.Millisecond})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "twin", 1000, 0, 4, 16
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Run(ctx, o, opts, func(e Event) {
		if e.Phase == PhaseMeasured && e.Done == 3 {
			cancel()
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.EndReason != EndInterrupted || len(res.Samples) != 3 || !hasWarning(res, "interrupted") {
		t.Errorf("end=%s samples=%d warnings=%v, want interrupted after 3", res.EndReason, len(res.Samples), res.Warnings)
	}
}

func TestParseHost(t *testing.T) {
	cases := []struct{ in, want, err string }{
		{"127.0.0.1:11434", "http://127.0.0.1:11434", ""},
		{"localhost", "http://localhost:11434", ""}, // Ollama's rule: bare host gets 11434
		{"http://gpu-box", "http://gpu-box:80", ""}, // a scheme means its own default port
		{"https://example.com/ollama/", "https://example.com:443/ollama", ""},
		{"http://user:secret@127.0.0.1:9/", "http://user:secret@127.0.0.1:9", ""},
		{"[::1]:8080", "http://[::1]:8080", ""},
		{"", "", "empty"},
		{"ftp://x", "", "scheme"},
		{"http://h:99999", "", "port"},
	}
	for _, tc := range cases {
		u, err := ParseHost(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("ParseHost(%q) err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || u.String() != tc.want {
			t.Errorf("ParseHost(%q) = %v, %v; want %s", tc.in, u, err, tc.want)
		}
	}
	if r := Redact("http://user:secret@127.0.0.1:9"); strings.Contains(r, "secret") || strings.Contains(r, "user") {
		t.Errorf("Redact left credentials: %s", r)
	}
	_ = url.URL{}
}

// A --host that does not parse, or carries a query or fragment, is refused with a line
// that repeats neither its password nor its query: both are where secrets travel
// (issue 11, item 6). A query was once dropped silently.
func TestParseHostErrorsKeepSecrets(t *testing.T) {
	for _, tc := range []struct{ in, secret, want string }{
		{"http://u:pa/ss@h:1", "pa/ss", "percent-encoded"},
		{"http://u:pa%zzss@h:1", "pa%zzss", "percent-encoded"},
		{"http://127.0.0.1:11434/?token=abc123", "abc123", "query string"},
		{"http://127.0.0.1:11434#abc123", "abc123", "query string"},
		{"127.0.0.1:11434?token=abc123", "abc123", "query string"},
	} {
		_, err := ParseHost(tc.in)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.secret) {
			t.Errorf("ParseHost(%q) err = %v, want %q without %q", tc.in, err, tc.want, tc.secret)
		}
	}
}

func TestWorkloadDeterministicAndCalibrates(t *testing.T) {
	a, b := NewWorkload(7, "run-a", 100), NewWorkload(7, "run-b", 100)
	_, ua := a.Prompt(3)
	_, ub := b.Prompt(3)
	sa, _ := a.Prompt(3)
	sb, _ := b.Prompt(3)
	if ua != ub {
		t.Error("same seed and index gave different prompt bodies")
	}
	if sa == sb {
		t.Error("different runs share a nonce")
	}
	if _, u4 := a.Prompt(4); u4 == ua {
		t.Error("different indices gave the same prompt")
	}
	// tokens = 1.5·words + 20: the proportional first step lands within 20%, the
	// line through two observations further apart is exact.
	w := NewWorkload(1, "r", 320)
	tok := func(words int) int { return int(1.5*float64(words)) + 20 }
	w.Calibrate(320, tok(320), 320)
	w.Calibrate(w.Words, tok(w.Words), 320)
	if got := tok(w.Words); got < 310 || got > 330 {
		t.Errorf("after two steps prompt = %d tokens (words %d), want 320 ± 10", got, w.Words)
	}
	w2 := NewWorkload(1, "r", 320)
	w2.Calibrate(100, tok(100), 320)
	w2.Calibrate(300, tok(300), 320)
	if got := tok(w2.Words); got < 318 || got > 322 {
		t.Errorf("line through 100 and 300 words: %d tokens (words %d), want 320 ± 2", got, w2.Words)
	}
	// The case seen on a real twin: 256 words → 354 tokens, then 185 → 311. The line
	// through them has a slope of 0.61 tokens/word against 1.68 observed and would aim
	// at 94 words (≈ 176 tokens); the proportional step aims at 152 words.
	w4 := NewWorkload(1, "r", 256)
	w4.Calibrate(256, 354, 256)
	if w4.Words != 185 {
		t.Fatalf("first step %d words, want 185", w4.Words)
	}
	w4.Calibrate(185, 311, 256)
	if w4.Words < 140 || w4.Words > 160 {
		t.Errorf("implausible slope followed: %d words, want the proportional ≈152", w4.Words)
	}
	// Two near observations with tokenizer noise (the second prompt's words happen to
	// tokenize longer) must not extrapolate: the step stays proportional.
	w3 := NewWorkload(1, "r", 256)
	w3.Calibrate(256, 300, 256) // → 218 words
	w3.Calibrate(w3.Words, 300, 256)
	if w3.Words < 150 || w3.Words > 220 {
		t.Errorf("noisy near observations gave %d words, want a proportional step (≈186)", w3.Words)
	}
}

// --runs auto on a steady server (every request decodes at exactly 100 tokens/s):
// the interval of the median is zero wide once it exists, so the run stops at the
// minimum of 6. On a noisy one (decode steps drawn from 5..50 ms with a fixed seed)
// the interval stays far wider than ±2%, so the run goes to its cap of 15 and says so.
func TestRunsAutoStopsEarlyOnlyWhenSteady(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	steps := make([]time.Duration, 64)
	for i := range steps {
		steps[i] = time.Duration(5+rng.IntN(46)) * time.Millisecond
	}
	for _, tc := range []struct {
		name   string
		step   func(n int) time.Duration
		runs   int
		reason string
	}{
		{"steady", func(int) time.Duration { return 10 * time.Millisecond }, 6, StopPrecision},
		{"noisy", func(n int) time.Duration { return steps[n%len(steps)] }, 15, StopCap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, o := newFake(t, fakeollama.Config{Tokens: 8, ReportedStep: tc.step})
			opts := DefaultOptions()
			opts.Model, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "twin", 0, 8, 16
			opts.RunsAuto, opts.Runs = true, 15
			res, err := Run(context.Background(), o, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Samples) != tc.runs || res.Stopping.Reason != tc.reason || res.Stopping.AchievedFrac == nil {
				t.Errorf("%d samples, stopping %+v; want %d and %s", len(res.Samples), res.Stopping, tc.runs, tc.reason)
			}
			if tc.reason == StopCap && !hasWarning(res, "precision_not_reached") {
				t.Errorf("no precision_not_reached warning: %v", res.Warnings)
			}
		})
	}
}

// FuzzParseHost: any string gives a URL with http(s), a host and a port in range, or
// an error; redacting the URL removes exactly its user:password part.
func FuzzParseHost(f *testing.F) {
	for _, s := range []string{"127.0.0.1:11434", "localhost", "http://u:pw@h:1/x", "https://[::1]", "ftp://x", "", "h:99999", "http://a@b@c:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseHost(s)
		if err != nil {
			return
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.Port() == "" {
			t.Errorf("ParseHost(%q) = %v", s, u)
		}
		// Redacting removes the user:password part and nothing else: the same text
		// may stand in the path (a fuzzer found ":pw@" there), where it is no credential.
		if r := Redact(u.String()); u.User != nil {
			bare := *u
			bare.User = nil
			if r != bare.String() {
				t.Errorf("Redact(%q) = %q, want %q", u, r, bare.String())
			}
		}
	})
}

// --max-errors values: what each tolerates, and that options carry them through JSON
// (the run file and the journal a resumed run reads its options from).
func TestErrorLimit(t *testing.T) {
	for _, tc := range []struct {
		in      string
		asked   int
		allowed int
	}{
		{"0", 10, 0}, {"7", 10, 7}, {"20%", 10, 2}, {"25%", 10, 2}, {"100%", 3, 3}, {" 5 % ", 100, 5},
	} {
		var l ErrorLimit
		if err := l.Set(tc.in); err != nil {
			t.Fatalf("%q: %v", tc.in, err)
		}
		if got := l.Allowed(tc.asked); got != tc.allowed {
			t.Errorf("%q of %d allows %d, want %d", tc.in, tc.asked, got, tc.allowed)
		}
		o := DefaultOptions()
		o.Model, o.MaxErrors = "m", l
		b, _ := json.Marshal(o)
		var back Options
		if err := json.Unmarshal(b, &back); err != nil || back.MaxErrors != l {
			t.Errorf("%q through JSON: %+v, %v (%s)", tc.in, back.MaxErrors, err, b)
		}
	}
	for _, bad := range []string{"", "-1", "x", "0%", "101%", "NaN%", "1e9", "+3", "1e2%", "5.%", ".5%", "0x10", "1_000"} {
		var l ErrorLimit
		if l.Set(bad) == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if b, _ := json.Marshal(DefaultOptions()); strings.Contains(string(b), "max_errors") {
		t.Errorf("unset limit written: %s", b)
	}
}

// The done chunk is decoded once, into chatLine, cached count included; a cached
// count of another type is ignored (nil), not a failure of the done chunk, as when it
// was decoded apart.
func TestChatLineCachedCount(t *testing.T) {
	for _, tc := range []struct {
		field string
		want  *int
	}{
		{``, nil}, // absent: a server before v0.33.3
		{`,"prompt_eval_cached_count":null`, nil},   // null reads as absent
		{`,"prompt_eval_cached_count":0`, ptr(0)},   // 0 is a count, not absence
		{`,"prompt_eval_cached_count":12`, ptr(12)}, // the figure itself
		{`,"prompt_eval_cached_count":"12"`, nil},   // a string: ignored, the chunk stands
		{`,"prompt_eval_cached_count":1.5`, nil},    // not an integer: ignored
	} {
		line := `{"model":"m","message":{"role":"assistant","content":""},"done":true,"eval_count":3,"prompt_eval_count":20` + tc.field + `}`
		var cl chatLine
		if err := json.Unmarshal([]byte(line), &cl); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		got := cl.CachedCount.n
		if (got == nil) != (tc.want == nil) || (got != nil && *got != *tc.want) {
			t.Errorf("%s: cached %v, want %v", line, pv(got), pv(tc.want))
		}
		if cl.EvalCount != 3 || cl.PromptEvalCount != 20 || !cl.Done {
			t.Errorf("%s: the rest of the done chunk decoded as %+v", line, cl.Metrics)
		}
	}
}
