// Package runfixture builds run files for tests through the project's own path:
// seeded bench.Results of known shape, assembled by results.Build and written by
// results.WriteFile, so a test gets real run files without a server and without
// hand-written JSON.
package runfixture

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// Hosts and Models are what Run(i) cycles through: run i is on Hosts[i%3] and of
// Models[i%2].
var (
	Hosts  = []string{"bench-01", "bench-02", "gpu-box"}
	Models = []string{"qwen2.5:0.5b", "qwen3:0.6b"}
)

// Run builds run i (0 ≤ i): seeded by i, started i hours after 2026-12-01T00:00Z, on
// Hosts[i%3] with model Models[i%2]; every third run (i%3 == 2) is a concurrency sweep
// of levels 1 and 2, the others sequential; runs with odd i have one failed request
// (HTTP 500) among their perLevel requests per level. TTFT is about 100 ms (plus 30%
// per extra request in flight), decode 10 ms per token for 16 output tokens, with 8%
// log-normal jitter. The run carries a cold load, one warm-up request, the host's
// hardware and a machine profile of 20 GB/s.
func Run(i, perLevel int) *results.Run {
	rng := rand.New(rand.NewPCG(uint64(i), 5))
	jit := func() float64 { return math.Exp(0.08 * rng.NormFloat64()) }
	ms := func(v float64) int64 { return int64(v * 1e6) }
	i64 := func(v int64) *int64 { return &v }
	f64 := func(v float64) *float64 { return &v }
	host, model := Hosts[i%len(Hosts)], Models[i%len(Models)]
	levels := []int{1}
	if i%3 == 2 {
		levels = []int{1, 2}
	}
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup = model, "http://127.0.0.1:11434", perLevel, 1
	opts.Concurrency, opts.PromptTokens, opts.MaxTokens = levels, 128, 16
	if err := opts.Validate(); err != nil {
		panic(err) // the options above are valid
	}
	began := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)
	res := &bench.Result{RunID: fmt.Sprintf("run-%04d", i), Options: opts, StartedAt: began, EndReason: bench.EndCompleted,
		PromptWords: 100, Warmup: []bench.Sample{}, Warnings: []bench.Warning{},
		Target: bench.Target{Backend: "ollama", Host: opts.Host, ServerVersion: "0.24.0",
			Model: bench.ModelInfo{Name: model, Digest: fmt.Sprintf("sha256:%02x", i%2), Family: "qwen", QuantizationLevel: "Q8_0",
				ParameterSize: "0.5B", ParameterCount: 494032768}},
		Memory: bench.Memory{ServerRSSPeakBytes: new(uint64(900 << 20))},
	}
	request := func(phase bench.Phase, idx, level, inFlight int, at int64) bench.Sample {
		ttft := int64(float64(ms(100)) * (1 + 0.3*float64(inFlight-1)) * jit())
		itl := make([]int64, 15)
		var gen int64
		for j := range itl {
			itl[j] = int64(float64(ms(10)) * jit())
			gen += itl[j]
		}
		return bench.Sample{Index: idx, Phase: phase, Level: level, Nonce: fmt.Sprint(idx), OK: true, ScheduledAtNs: at, SentAtNs: at,
			TTFTNs: i64(ttft), E2ENs: i64(ttft + gen), ITLNs: itl, TPOTNs: i64(gen / 15), ClientGenPerS: f64(15 / (float64(gen) / 1e9)),
			Chunks: 17, TextChunks: 16, TokensPerChunk: f64(1), PromptTokens: 128, OutputTokens: 16,
			ServerPromptEvalNs: ttft - ms(2), ServerEvalNs: gen, ServerPrefillPerS: f64(128 / (float64(ttft-ms(2)) / 1e9)),
			ServerGenPerS: f64(15 / (float64(gen) / 1e9)), LoadNs: ms(1), ServerTotalNs: ttft + gen - ms(1), OverheadNs: i64(ms(1)),
			DoneReason: "length"}
	}
	cold := request(bench.PhaseCold, 0, 0, 1, 0)
	*cold.TTFTNs += ms(900)
	*cold.E2ENs += ms(900)
	res.Cold = &bench.ColdLoad{WasLoaded: true, UnloadNs: ms(30), Sample: cold}
	at := *cold.E2ENs
	w := request(bench.PhaseWarmup, 0, 0, 1, at)
	res.Warmup = append(res.Warmup, w)
	at += *w.E2ENs
	res.Window.StartNs = at
	for l, c := range levels {
		lv := bench.Level{Index: l, LoadSpec: bench.LoadSpec{Model: bench.LoadClosed, Concurrency: c}, PromptTokens: 128, Servers: 1,
			Window: bench.Window{StartNs: at}}
		if c == 1 {
			lv.LoadSpec.Model = bench.LoadSequential
		}
		free := make([]int64, c) // when each worker sends next
		for k := range free {
			free[k] = at
		}
		end := at
		for k := range perLevel {
			wk := k % c
			s := request(bench.PhaseMeasured, len(res.Samples), l, c, free[wk])
			if i%2 == 1 && k == perLevel/2 {
				s = bench.Sample{Index: s.Index, Phase: bench.PhaseMeasured, Level: l, Nonce: s.Nonce, SentAtNs: s.SentAtNs,
					ScheduledAtNs: s.SentAtNs, ITLNs: []int64{}, ErrorKind: bench.ErrHTTPStatus, Error: "HTTP 500", HTTPStatus: 500}
				free[wk] += ms(5)
			} else {
				free[wk] += *s.E2ENs
			}
			end = max(end, free[wk])
			res.Samples = append(res.Samples, s)
			lv.Requests++
		}
		lv.Window.EndNs, lv.Window.DurationNs = end, end-lv.Window.StartNs
		res.Levels = append(res.Levels, lv)
		at = end
	}
	res.Window.EndNs, res.Window.DurationNs = at, at-res.Window.StartNs
	res.EndedAt = began.Add(time.Duration(at))
	hw := profiles.Hardware{Hostname: host, OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC 7B13", CPUPhysicalCores: 2,
		CPULogicalCores: 2, MemoryTotalBytes: 24 << 30, GPUs: []profiles.GPU{}}
	m := &results.Machine{Profile: "fixture", ProfileSource: "test", MemoryBandwidthBytesPerS: 20e9, BandwidthSource: "declared in test",
		PeakFLOPS: 1e12, FLOPSSource: "declared in test"}
	r := results.Build(res, hw, m)
	r.Tool.GoVersion = "go-test" // the one field that depends on the toolchain
	return r
}

// WriteDir writes runs 0..n-1 (Run(i, perLevel)) into dir as run-NNNN.json and returns
// their paths in order.
func WriteDir(dir string, n, perLevel int) ([]string, error) {
	paths := make([]string, n)
	for i := range n {
		paths[i] = filepath.Join(dir, fmt.Sprintf("run-%04d.json", i))
		if err := results.WriteFile(paths[i], Run(i, perLevel)); err != nil {
			return nil, err
		}
	}
	return paths, nil
}
