package calib

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
)

// SelftestOptions sets what Selftest measures. Zero values take the defaults named.
type SelftestOptions struct {
	// Streams lists the concurrencies at which timing error is measured, each in
	// [1, 1024] (default 1, 16).
	Streams []int
	// Requests is the number of requests each stream sends per concurrency (default 20).
	Requests int
	// TTFT, Gap and Tokens are the calibrated schedule of the timing measurement
	// (defaults 5 ms, 2 ms, 16 chunks).
	TTFT, Gap time.Duration
	Tokens    int
	// IngestRequests and IngestTokens size the zero-delay ingest measurement, one stream
	// (defaults 20 requests of 2000 tokens).
	IngestRequests, IngestTokens int
	// Budget bounds the whole self-test (0: no bound). When it runs out, no new request
	// is sent, requests in flight finish, and the result says Truncated.
	Budget time.Duration
}

// SelftestResult is this machine's harness overhead and timing error: how much of a
// figure that yardstick measures is the client's own. Every duration is in
// nanoseconds of the process's monotonic clock.
type SelftestResult struct {
	GoVersion  string `json:"go_version"`
	GOOS       string `json:"goos"`
	GOARCH     string `json:"goarch"`
	NumCPU     int    `json:"num_cpu"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	// LoadAvg1m is the 1-minute load average when the test started (Linux only): a
	// busy machine makes every figure worse.
	LoadAvg1m *float64 `json:"load_avg_1m,omitempty"`
	// Ingest is what one stream can take in at zero delay.
	Ingest IngestResult `json:"ingest"`
	// Accuracy has one entry per concurrency.
	Accuracy   []AccuracyResult `json:"accuracy"`
	DurationNs int64            `json:"duration_ns"`
	// Truncated is set when Budget ran out before every planned request was sent.
	Truncated bool `json:"truncated,omitempty"`
}

// IngestResult is the client's capacity and cost, measured by streaming from the
// calibrated server at zero delay through bench.Ollama.Stream, one request at a time.
// The server runs in the same process: CPU time and allocations include its share
// (small: it writes pre-rendered chunks in 32 KiB batches).
type IngestResult struct {
	Requests int `json:"requests"`
	Tokens   int `json:"tokens"`
	// TokensPerS is tokens ingested and recorded per second of wall time.
	TokensPerS float64 `json:"tokens_per_s"`
	// WallPerTokenNs is its inverse: wall time per chunk (one token each).
	WallPerTokenNs int64 `json:"wall_per_token_ns"`
	// CPUPerTokenNs is process CPU time (user + system, every thread) per token; absent
	// where getrusage is not available.
	CPUPerTokenNs *int64 `json:"cpu_per_token_ns,omitempty"`
	// AllocPerTokenBytes and AllocsPerToken are heap bytes and objects allocated per
	// token (runtime.MemStats TotalAlloc and Mallocs). The official client allocates an
	// 8 MB line buffer per request (api/client.go, v0.17.4), which dominates short
	// requests.
	AllocPerTokenBytes int64   `json:"alloc_per_token_bytes"`
	AllocsPerToken     float64 `json:"allocs_per_token"`
}

// AccuracyResult is the timing error at one concurrency: what bench.Ollama.Stream
// measured against what the calibrated server did, in nanoseconds. Error percentiles
// are of absolute values (nearest rank); see Errors for the definitions.
type AccuracyResult struct {
	Streams  int `json:"streams"`
	Requests int `json:"requests"`
	Failed   int `json:"failed"`
	// TTFTNs and GapNs are the server's nominal schedule.
	TTFTNs int64 `json:"ttft_ns"`
	GapNs  int64 `json:"gap_ns"`
	// TTFT error: client TTFT − (server's first chunk flush − request receipt).
	TTFTErrP50Ns  int64   `json:"ttft_err_p50_ns"`
	TTFTErrP99Ns  int64   `json:"ttft_err_p99_ns"`
	TTFTErrMaxNs  int64   `json:"ttft_err_max_ns"`
	TTFTErrMeanNs float64 `json:"ttft_err_mean_ns"`
	// ITL error: client gap − server gap between the same two chunks.
	ITLErrP50Ns int64 `json:"itl_err_p50_ns"`
	ITLErrP99Ns int64 `json:"itl_err_p99_ns"`
	// Delivery: client receipt − server flush of each chunk.
	DeliveryP50Ns int64 `json:"delivery_p50_ns"`
	DeliveryP99Ns int64 `json:"delivery_p99_ns"`
	// RequestP50Ns: server receipt − client send (building, writing and reading the
	// request).
	RequestP50Ns int64 `json:"request_p50_ns"`
	// ServerLate: how late the server kept its schedule (not an error of the client).
	ServerLateP50Ns int64 `json:"server_late_p50_ns"`
	ServerLateP99Ns int64 `json:"server_late_p99_ns"`
}

// QuickSelftest is Selftest bounded to about 300 ms, for the start of every run: 5
// requests of 1000 tokens at zero delay, then 1 and 16 streams of requests of 8 chunks
// (TTFT 2 ms, gap 1 ms).
func QuickSelftest(ctx context.Context) (SelftestResult, error) {
	return Selftest(ctx, SelftestOptions{
		Streams: []int{1, 16}, Requests: 8, TTFT: 2 * time.Millisecond, Gap: time.Millisecond, Tokens: 8,
		IngestRequests: 5, IngestTokens: 1000, Budget: 300 * time.Millisecond,
	})
}

// Selftest measures the harness on this machine against calibrated servers it runs
// on loopback in this process: first ingest capacity and cost at zero delay, then
// timing error at each concurrency. It returns an error for a concurrency outside
// [1, 1024], when a server cannot be started, when an ingest request fails (the
// zero-delay stream must work for its figures to mean anything), or when ctx is
// canceled, with what was measured so far; failed requests of the timing
// measurement are counted in the result.
func Selftest(ctx context.Context, opts SelftestOptions) (SelftestResult, error) {
	if len(opts.Streams) == 0 {
		opts.Streams = []int{1, 16}
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&opts.Requests, 20)
	def(&opts.Tokens, 16)
	def(&opts.IngestRequests, 20)
	def(&opts.IngestTokens, 2000)
	if opts.TTFT <= 0 {
		opts.TTFT = 5 * time.Millisecond
	}
	if opts.Gap <= 0 {
		opts.Gap = 2 * time.Millisecond
	}
	for _, n := range opts.Streams {
		if n <= 0 || n > 1024 {
			return SelftestResult{}, fmt.Errorf("selftest: %d streams: must be in [1, 1024]", n)
		}
	}
	start := time.Now()
	var until time.Time
	if opts.Budget > 0 {
		until = start.Add(opts.Budget)
	}
	res := SelftestResult{
		GoVersion: runtime.Version(), GOOS: runtime.GOOS, GOARCH: runtime.GOARCH,
		NumCPU: runtime.NumCPU(), GOMAXPROCS: runtime.GOMAXPROCS(0),
	}
	if la, ok := loadAvg1(); ok {
		res.LoadAvg1m = &la
	}

	// Ingest: zero delay, one stream. The ingest phase gets at most a third of the
	// budget so that the timing phases always run.
	ingUntil := until
	if !until.IsZero() {
		ingUntil = start.Add(opts.Budget / 3)
	}
	ing, err := Ingest(ctx, opts.IngestRequests, opts.IngestTokens, ingUntil)
	if err != nil {
		return res, err
	}
	res.Ingest = ing
	res.Truncated = ing.Requests < opts.IngestRequests

	for _, n := range opts.Streams {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		s, err := Start(Config{TTFT: opts.TTFT, Gap: opts.Gap, Tokens: opts.Tokens})
		if err != nil {
			return res, err
		}
		smps := Drive(ctx, s, bench.NewOllama(s.URL()), n, opts.Requests, until)
		recs := s.Records()
		s.Close()
		if len(smps) < n*opts.Requests {
			res.Truncated = true
		}
		e := Compare(smps, recs)
		ttft, itl, del, req, late := Summarize(e.TTFT), Summarize(e.ITL), Summarize(e.Delivery), Summarize(e.Request), Summarize(Lateness(recs))
		res.Accuracy = append(res.Accuracy, AccuracyResult{
			Streams: n, Requests: len(smps), Failed: e.Failed,
			TTFTNs: int64(opts.TTFT), GapNs: int64(opts.Gap),
			TTFTErrP50Ns: ttft.AbsP50, TTFTErrP99Ns: ttft.AbsP99, TTFTErrMaxNs: ttft.AbsMax, TTFTErrMeanNs: ttft.MeanSig,
			ITLErrP50Ns: itl.AbsP50, ITLErrP99Ns: itl.AbsP99,
			DeliveryP50Ns: del.AbsP50, DeliveryP99Ns: del.AbsP99,
			RequestP50Ns:    req.AbsP50,
			ServerLateP50Ns: late.AbsP50, ServerLateP99Ns: late.AbsP99,
		})
	}
	res.DurationNs = int64(time.Since(start))
	return res, ctx.Err()
}

// Ingest streams requests of tokens chunks each from a zero-delay calibrated server
// through bench.Ollama.Stream, one after another, and returns the rate and cost. No
// request is sent after until (when not zero). A failed request is an error: the
// server cannot fail, so the client or the machine is broken.
func Ingest(ctx context.Context, requests, tokens int, until time.Time) (IngestResult, error) {
	s, err := Start(Config{Tokens: tokens, MaxRecords: -1})
	if err != nil {
		return IngestResult{}, err
	}
	defer s.Close()
	client := bench.NewOllama(s.URL())
	req := bench.Request{Model: DefaultModel, System: "ingest", User: "calibration", MaxTokens: tokens, Seed: 1, Temperature: 0.8, NumCtx: 4096}
	// One request first, not counted: it opens the connection.
	var warm bench.Sample
	client.Stream(ctx, s.Epoch(), req, &warm)
	if !warm.OK {
		return IngestResult{}, fmt.Errorf("selftest: the calibrated server's stream failed: %s", warm.Error)
	}

	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	cpu0, cpuOK := processCPU()
	t0 := time.Now()
	var r IngestResult
	for range requests {
		if ctx.Err() != nil || (!until.IsZero() && time.Now().After(until)) {
			break
		}
		var smp bench.Sample
		client.Stream(ctx, s.Epoch(), req, &smp)
		if !smp.OK {
			return r, fmt.Errorf("selftest: the calibrated server's stream failed: %s", smp.Error)
		}
		r.Requests++
		r.Tokens += smp.TextChunks
	}
	wall := time.Since(t0)
	cpu1, _ := processCPU()
	runtime.ReadMemStats(&ms1)
	if r.Tokens == 0 {
		return r, ctx.Err()
	}
	tok := float64(r.Tokens)
	r.TokensPerS = tok / wall.Seconds()
	r.WallPerTokenNs = int64(float64(wall) / tok)
	if cpuOK {
		c := int64(float64(cpu1-cpu0) / tok)
		r.CPUPerTokenNs = &c
	}
	r.AllocPerTokenBytes = int64(float64(ms1.TotalAlloc-ms0.TotalAlloc) / tok)
	r.AllocsPerToken = float64(ms1.Mallocs-ms0.Mallocs) / tok
	return r, nil
}
