package results

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

// htmlSpec describes a run for the HTML report's tests: closed-loop levels of the
// given concurrencies, perLevel measured requests each, after a cold request and
// three warm-up requests, against a mixture of experts shaped like Qwen3-30B-A3B at
// 4.5 bits per weight (17 GB of weights of which 1.7 GB are read per token, 3 G active
// parameters, 128 experts of which 8 are used) on fixtureMachine (20 GB/s, 1 TFLOP/s).
//
// Every request has 128 prompt tokens and 32 output tokens. With c requests in
// flight, TTFT is 1.5 s × (1 + 0.3 (c − 1)) and each decode step 110 ms × (1 + 0.15
// (c − 1)), times slow, each figure times exp(0.08 N(0,1)): latency grows with load
// while throughput rises less than c-fold, the shape of a real server's load curve.
type htmlSpec struct {
	seed         uint64
	levels       []int
	perLevel     int
	slow         float64
	runID, model string
	started      time.Time
	slo          string
}

func moeCost() *profiles.ModelCost {
	return &profiles.ModelCost{Architecture: "qwen3moe", WeightBytes: 17e9, ActiveWeightBytesPerToken: 1.7e9,
		ExpertBytes: 16.2e9, ExpertParams: 28.9e9, ExpertCount: 128, ExpertUsedCount: 8,
		ActiveParams: 3e9, TotalParams: 30.5e9, KVBytesPerContextToken: 98304, KVCacheType: "f16", WeightType: "Q4_K", ComputePrecision: "int8"}
}

func htmlRunOf(sp htmlSpec) *Run {
	rng := rand.New(rand.NewPCG(sp.seed, 11))
	jit := func() float64 { return math.Exp(0.08 * rng.NormFloat64()) }
	if sp.slow == 0 {
		sp.slow = 1
	}
	if sp.model == "" {
		sp.model = "qwen3:30b-a3b"
	}
	if sp.started.IsZero() {
		sp.started = time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	}
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup = sp.model, "http://127.0.0.1:11434", sp.perLevel, 3
	opts.Concurrency, opts.PromptTokens, opts.MaxTokens = sp.levels, 128, 32
	if sp.slo != "" {
		opts.SLO, _ = bench.ParseSLO(sp.slo)
	}
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	res := &bench.Result{RunID: sp.runID, Options: opts, StartedAt: sp.started, EndReason: bench.EndCompleted, PromptWords: 100,
		Target: bench.Target{Backend: "ollama", Host: opts.Host, ServerVersion: "0.24.0",
			Model: bench.ModelInfo{Name: sp.model, Digest: "sha256:2ee832ce5c2b", QuantizationLevel: "Q4_K_M", ParameterSize: "30.5B",
				Family: "qwen3moe", ExpertCount: 128, ExpertUsedCount: 8, Cost: moeCost()}},
		Warmup: []bench.Sample{}, Warnings: []bench.Warning{}}
	request := func(phase bench.Phase, idx, level, c int, at int64) bench.Sample {
		load := float64(c - 1)
		ttft := int64(1.5e9 * (1 + 0.3*load) * sp.slow * jit())
		step := 110e6 * (1 + 0.15*load) * sp.slow * jit()
		itl := make([]int64, 31)
		var gen int64
		for j := range itl {
			itl[j] = int64(step * (0.9 + 0.2*rng.Float64()))
			gen += itl[j]
		}
		e2e := ttft + gen
		s := bench.Sample{Index: idx, Phase: phase, Level: level, Nonce: fmt.Sprint(idx), OK: true, ScheduledAtNs: at, SentAtNs: at,
			TTFTNs: i64(ttft), E2ENs: i64(e2e), ITLNs: itl, TPOTNs: i64(gen / 31), ClientGenPerS: f64(31 / (float64(gen) / 1e9)),
			Chunks: 33, TextChunks: 32, TokensPerChunk: f64(1), PromptTokens: 128, OutputTokens: 32,
			ServerPromptEvalNs: ttft - ms(5), ServerEvalNs: gen - ms(2), LoadNs: ms(1), ServerTotalNs: e2e - ms(3), OverheadNs: i64(ms(3)), DoneReason: "length"}
		s.ServerPrefillPerS = f64(128 / (float64(s.ServerPromptEvalNs) / 1e9))
		s.ServerGenPerS = f64(31 / (float64(s.ServerEvalNs) / 1e9))
		return s
	}
	cold := request(bench.PhaseCold, 0, 0, 1, 0)
	*cold.TTFTNs += 9e9
	*cold.E2ENs += 9e9
	res.Cold = &bench.ColdLoad{WasLoaded: true, UnloadNs: ms(300), Sample: cold}
	at := *cold.E2ENs + ms(50)
	for i := 0; i < 3; i++ {
		s := request(bench.PhaseWarmup, i, 0, 1, at)
		res.Warmup = append(res.Warmup, s)
		at += *s.E2ENs + ms(20)
	}
	res.Window.StartNs = at
	for l, c := range sp.levels {
		lv := bench.Level{Index: l, LoadSpec: bench.LoadSpec{Model: bench.LoadClosed, Concurrency: c}, PromptTokens: 128, Servers: 1,
			Window: bench.Window{StartNs: at}}
		if c == 1 {
			lv.LoadSpec.Model = bench.LoadSequential
		}
		free := make([]int64, c) // when each worker sends next
		for i := range free {
			free[i] = at
		}
		end := at
		for i := 0; i < sp.perLevel; i++ {
			w := i % c
			s := request(bench.PhaseMeasured, len(res.Samples), l, c, free[w])
			if sp.seed%2 == 1 && i == sp.perLevel/2 { // one failed request in odd-seeded runs
				s = bench.Sample{Index: s.Index, Phase: bench.PhaseMeasured, Level: l, Nonce: s.Nonce, SentAtNs: s.SentAtNs, ScheduledAtNs: s.SentAtNs,
					ITLNs: []int64{}, ErrorKind: bench.ErrHTTPStatus, Error: "HTTP 500: out of memory", HTTPStatus: 500}
				free[w] += ms(40)
			} else {
				free[w] += *s.E2ENs
				end = max(end, free[w])
			}
			res.Samples = append(res.Samples, s)
			lv.Requests++
		}
		lv.Window.EndNs, lv.Window.DurationNs = end, end-lv.Window.StartNs
		res.Levels = append(res.Levels, lv)
		at = end + ms(100)
	}
	res.Window.EndNs = at - ms(100)
	res.Window.DurationNs = res.Window.EndNs - res.Window.StartNs
	res.EndedAt = sp.started.Add(time.Duration(at))
	// The server's measured peak and the memory available before the load: the memory
	// section holds the prediction against them.
	peak, avail := uint64(18.4e9), uint64(22.5e9)
	res.Memory.ServerRSSPeakBytes, res.Memory.AvailableBytes = &peak, &avail
	r := Build(res, fixtureHardware(), fixtureMachine())
	r.Tool.GoVersion = "go-test"
	return r
}
