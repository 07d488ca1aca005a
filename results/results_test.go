package results

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
)

var update = flag.Bool("update", false, "rewrite golden files")

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

func i64(v int64) *int64     { return &v }
func f64(v float64) *float64 { return &v }
func u64(v uint64) *uint64   { return &v }
func ms(v float64) int64     { return int64(v * 1e6) }

// fixture is a run of 8 measured requests with known timings: TTFT 100+i ms, 31 output
// tokens over 310 ms after the first (TPOT 10 ms), prefill 512 tokens in 50 ms.
func fixture() *bench.Result {
	opts := bench.DefaultOptions()
	opts.Model, opts.Host, opts.Runs, opts.Warmup = "qwen2.5:0.5b", "http://127.0.0.1:11434", 8, 1
	opts.PromptTokens, opts.MaxTokens = 512, 32
	_ = opts.Validate()
	began := time.Date(2026, 11, 29, 6, 0, 0, 0, time.UTC)
	res := &bench.Result{
		RunID: "0123456789abcdef", Options: opts, StartedAt: began, EndedAt: began.Add(10 * time.Second),
		EndReason:   bench.EndCompleted,
		PromptWords: 480,
		Target: bench.Target{Backend: "ollama", Host: opts.Host, ServerVersion: "0.17.4", Model: bench.ModelInfo{
			Name: "qwen2.5:0.5b", Digest: "sha256:a8b0c51577010a279d933d14c2a8ab4b268079d44c5c8830c0a93900f1827c67",
			Format: "gguf", Family: "qwen2", Architecture: "qwen2", ParameterSize: "494.03M", ParameterCount: 494032768,
			QuantizationLevel: "Q4_K_M", ContextLength: 32768,
			// 500 MB of weights, 12,288 KV bytes per context token, 360 M active parameters.
			Cost: &profiles.ModelCost{Architecture: "qwen2", WeightBytes: 500e6, ActiveWeightBytesPerToken: 500e6, KVBytesPerContextToken: 12288,
				ActiveParams: 360e6, KVCacheType: "f16"},
			// Qwen2.5-0.5B's config.json: hidden_size 896, vocab_size 151936, 14 heads.
			EmbeddingLength: 896, VocabSize: 151936, HeadCount: 14}},
		Energy: bench.Energy{Unavailable: []string{"rapl: no package counters (fixture)"}},
		Memory: bench.Memory{ModelSizeBytes: i64(995 << 20), ModelVRAMBytes: i64(0), ServerPID: 4242, ServerRSSPeakBytes: u64(1200 << 20), RSSSamples: 95, SampleIntervalNs: ms(100),
			Parallel: 4, ParallelSource: "server environment (OLLAMA_NUM_PARALLEL=4)", KVCacheType: "f16", KVCacheTypeSource: "default f16",
			RuntimeBaseBytes: u64(21 << 20), AvailableBytes: u64(22 << 30), AvailableSource: "fixture", SwappedInBytes: u64(0), SwappedOutBytes: u64(0)},
		Warmup:   []bench.Sample{},
		Warnings: []bench.Warning{},
	}
	cold := bench.Sample{Phase: bench.PhaseCold, OK: true, TTFTNs: i64(ms(900)), E2ENs: i64(ms(1250)), LoadNs: ms(700), ITLNs: []int64{}}
	res.Cold = &bench.ColdLoad{WasLoaded: true, UnloadNs: ms(40), Sample: cold}
	at := int64(0)
	for i := 0; i < 8; i++ {
		ttft := ms(100 + float64(i))
		itl := make([]int64, 31)
		for j := range itl {
			itl[j] = ms(10)
		}
		s := bench.Sample{Index: i, Phase: bench.PhaseMeasured, Nonce: "n", OK: true,
			ScheduledAtNs: at, SentAtNs: at, TTFTNs: i64(ttft), E2ENs: i64(ttft + ms(310)), ITLNs: itl,
			TPOTNs: i64(ms(10)), ClientGenPerS: f64(100), Chunks: 33, TextChunks: 32, TokensPerChunk: f64(1),
			PromptTokens: 512, OutputTokens: 32, ServerPromptEvalNs: ms(50), ServerEvalNs: ms(300),
			ServerPrefillPerS: f64(512 / 0.05), ServerGenPerS: f64(31 / 0.3), LoadNs: ms(2), ServerTotalNs: ttft + ms(309),
			OverheadNs: i64(ms(1)), DoneReason: "length"}
		res.Samples = append(res.Samples, s)
		at += ttft + ms(310)
	}
	res.Window = bench.Window{StartNs: 0, EndNs: at, DurationNs: at}
	return res
}

// fixtureMachine declares 20 GB/s and 1 TFLOP/s, a price of 0.50 per hour in EUR.
func fixtureMachine() *Machine {
	price := 0.5
	return &Machine{Profile: "fixture", ProfileSource: "test", MemoryBandwidthBytesPerS: 20e9, BandwidthSource: "declared in test",
		PeakFLOPS: 1e12, FLOPSSource: "declared in test", PricePerHour: &price, Currency: "EUR"}
}

func fixtureHardware() profiles.Hardware {
	return profiles.Hardware{Hostname: "bench-01", OS: "linux", Arch: "amd64", CPUModel: "AMD EPYC 7B13",
		CPUPhysicalCores: 2, CPULogicalCores: 2, MemoryTotalBytes: 24 << 30, GPUs: []profiles.GPU{}}
}

func buildFixture() *Run {
	r := Build(fixture(), fixtureHardware(), fixtureMachine())
	r.Tool.GoVersion = "go-test" // the one field that depends on the toolchain
	return r
}

func TestBuildThroughputAndSummaries(t *testing.T) {
	r := buildFixture()
	// 8 requests × 32 tokens over the window of Σ(ttft + 310 ms) = 8·410 + 28 ms = 3.308 s.
	wantTokPerS := 256 / 3.308
	if r.Throughput.Completed != 8 || r.Throughput.OutputTokens != 256 || !near(r.Throughput.OutputTokensPerS, wantTokPerS) {
		t.Errorf("throughput %+v, want 256 tokens at %v/s", r.Throughput, wantTokPerS)
	}
	if s := r.Summaries["itl_ns"]; s.N != 8*31 || s.Median != float64(ms(10)) {
		t.Errorf("itl_ns pools every gap: n=%d median=%v", s.N, s.Median)
	}
	if s := r.Summaries["ttft_ns"]; s.Min != float64(ms(100)) || s.Max != float64(ms(107)) || s.P50 != float64(ms(103)) {
		t.Errorf("ttft_ns %+v", s)
	}
	if r.Workload.Hash == "" || r.Cold == nil || *r.Cold.TTFTNs != ms(900) {
		t.Errorf("workload %+v cold %+v", r.Workload, r.Cold)
	}
	// The workload hash depends on the workload, not on the run.
	other := fixture()
	other.RunID = "ffff"
	if h := Build(other, fixtureHardware(), fixtureMachine()).Workload.Hash; h != r.Workload.Hash {
		t.Errorf("same workload, different hash: %s vs %s", h, r.Workload.Hash)
	}
	other.Options.Seed = 7
	if h := Build(other, fixtureHardware(), fixtureMachine()).Workload.Hash; h == r.Workload.Hash {
		t.Error("different seed, same workload hash")
	}
}

func TestBuildOffloadOnlyWithGPU(t *testing.T) {
	hw := fixtureHardware()
	if r := Build(fixture(), hw, fixtureMachine()); r.Memory.OffloadFrac != nil {
		t.Errorf("offload_frac without a GPU: %v", *r.Memory.OffloadFrac)
	}
	hw.GPUs = []profiles.GPU{{Vendor: "nvidia", Name: "NVIDIA GeForce RTX 4090", MemoryTotalBytes: 24 << 30}}
	res := fixture()
	res.Memory.ModelVRAMBytes = i64(*res.Memory.ModelSizeBytes / 4)
	r := Build(res, hw, fixtureMachine())
	if r.Memory.OffloadFrac == nil || !near(*r.Memory.OffloadFrac, 0.75) {
		t.Fatalf("offload_frac = %v, want 0.75", r.Memory.OffloadFrac)
	}
	found := false
	for _, w := range r.Warnings {
		found = found || w.Code == "partial_offload"
	}
	if !found {
		t.Error("no partial_offload warning")
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (go test ./results -update to accept):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestRenderTableGolden(t *testing.T) {
	var b bytes.Buffer
	if err := RenderTable(&b, buildFixture()); err != nil {
		t.Fatal(err)
	}
	golden(t, "table.golden", b.Bytes())
}

func TestRunJSONGolden(t *testing.T) {
	b, err := json.MarshalIndent(buildFixture(), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "run.golden.json", append(b, '\n'))
}

func TestWriteFileAtomicAndReadBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "run.json")
	r := buildFixture()
	if err := WriteFile(path, r); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the run file (no temp left)", len(entries))
	}
	back, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.RunID != r.RunID || len(back.Samples) != 8 || back.Summaries["ttft_ns"].N != 8 {
		t.Errorf("read back %s with %d samples", back.RunID, len(back.Samples))
	}
	// A newer schema is refused by name.
	b, _ := os.ReadFile(path)
	newer := bytes.Replace(b, []byte(`"schema_version": 1`), []byte(`"schema_version": 99`), 1)
	np := filepath.Join(dir, "newer.json")
	_ = os.WriteFile(np, newer, 0o644)
	if _, err := ReadFile(np); err == nil || !strings.Contains(err.Error(), "schema version 99 is newer") {
		t.Errorf("newer schema: err = %v", err)
	}
	_ = os.WriteFile(np, []byte(`{"kind":"something"}`), 0o644)
	if _, err := ReadFile(np); err == nil || !strings.Contains(err.Error(), "not a yardstick run file") {
		t.Errorf("other kind: err = %v", err)
	}
	// Writing into a directory that cannot exist fails without leaving anything.
	if err := WriteFile(filepath.Join(path, "x.json"), r); err == nil {
		t.Error("writing under a file succeeded")
	}
}

func TestDefaultPathCannotEscape(t *testing.T) {
	at := time.Date(2026, 11, 29, 6, 1, 2, 0, time.UTC)
	cases := map[string]string{
		"qwen2.5:0.5b":           "yardstick-qwen2.5-0.5b-20261129T060102Z-0123abcd.json",
		"../../etc/passwd":       "yardstick-etc-passwd-20261129T060102Z-0123abcd.json",
		"hf.co/org/model:Q4_K_M": "yardstick-hf.co-org-model-Q4_K_M-20261129T060102Z-0123abcd.json",
		"..":                     "yardstick-model-20261129T060102Z-0123abcd.json",
	}
	for model, want := range cases {
		if got := DefaultPath("out", model, at, "0123abcdef"); got != filepath.Join("out", want) {
			t.Errorf("DefaultPath(%q) = %s, want out/%s", model, got, want)
		}
	}
}

// Every measured request has 512 prompt and 32 output tokens: mean decode context is
// 512 + 31/2 = 527.5 tokens, so a token reads 500 MB + 527.5 × 12,288 B = 506,481,920 B;
// at 20 GB/s the ceiling is 39.49 tokens/s and the measured 103.3 tokens/s median is
// 261.6% of it (the fixture is not a real machine). Declaring twice the bandwidth halves
// the efficiency.
func TestRooflineInRunMovesWithDeclaredBandwidth(t *testing.T) {
	r := buildFixture()
	rl := r.Roofline
	if rl == nil || rl.BytesPerToken != 506481920 || rl.MeanContextTokens != 527.5 {
		t.Fatalf("roofline %+v", rl)
	}
	want := (31 / 0.3) / (20e9 / 506481920.0)
	if rl.DecodeEfficiencyFrac == nil || !near(*rl.DecodeEfficiencyFrac, want) || rl.BandwidthSource != "declared in test" {
		t.Errorf("decode efficiency %v, want %v", rl.DecodeEfficiencyFrac, want)
	}
	// Prefill: 1 TFLOP/s / (2 × 360 M) = 1388.9 tokens/s; measured 10240 tokens/s.
	if !near(rl.PrefillCeilingPerS, 1e12/720e6) || !near(*rl.PrefillEfficiencyFrac, 10240/(1e12/720e6)) {
		t.Errorf("prefill ceiling %v efficiency %v", rl.PrefillCeilingPerS, *rl.PrefillEfficiencyFrac)
	}
	m := fixtureMachine()
	m.MemoryBandwidthBytesPerS = 40e9
	r2 := Build(fixture(), fixtureHardware(), m)
	if !near(*r2.Roofline.DecodeEfficiencyFrac, want/2) {
		t.Errorf("at 40 GB/s efficiency %v, want %v", *r2.Roofline.DecodeEfficiencyFrac, want/2)
	}
	if !hasWarning(r, "above_ceiling") {
		t.Errorf("efficiency over 100%% without a warning: %v", r.Warnings)
	}
	if r3 := Build(fixture(), fixtureHardware(), nil); r3.Roofline == nil || r3.Roofline.DecodeEfficiencyFrac != nil {
		t.Errorf("no machine: roofline %+v", r3.Roofline)
	}
}

// 0.50 EUR per hour at 256 tokens / 3.308 s: 10⁶ tokens take 12,921.9 s = 3.589 h,
// 1.7947 EUR. Without a price, 200 W at 0.30 per kWh: 0.7178 kWh, 0.2153.
// Energy that could not be read stays absent, never 0.
func TestCostPerMillionTokens(t *testing.T) {
	r := buildFixture()
	want := 0.5 * (1e6 / (256 / 3.308)) / 3600
	if r.Energy.CostPerMTok == nil || !near(*r.Energy.CostPerMTok, want) || r.Energy.Currency != "EUR" {
		t.Errorf("cost %v %s, want %v EUR", r.Energy.CostPerMTok, r.Energy.Currency, want)
	}
	if r.Energy.EnergyJ != nil || r.Energy.JPerOutputToken != nil || len(r.Energy.Unavailable) == 0 {
		t.Errorf("unreadable energy reported: %+v", r.Energy)
	}
	m := fixtureMachine()
	w, kwh := 200.0, 0.30
	m.PricePerHour, m.Watts, m.EnergyPricePerKWh = nil, &w, &kwh
	r2 := Build(fixture(), fixtureHardware(), m)
	want2 := 200 * (1e6 / (256 / 3.308)) / 3.6e6 * 0.30
	if r2.Energy.CostPerMTok == nil || !near(*r2.Energy.CostPerMTok, want2) || r2.Energy.CostSource != "profile watts × profile energy_price_per_kwh" {
		t.Errorf("watts cost %v (%s), want %v", r2.Energy.CostPerMTok, r2.Energy.CostSource, want2)
	}
	res := fixture()
	j := 512.0
	p := 150.0
	res.Energy = bench.Energy{Sources: []string{"rapl:package-0"}, EnergyJ: &j, AvgPowerW: &p}
	r3 := Build(res, fixtureHardware(), m)
	if !near(*r3.Energy.JPerOutputToken, 2) || !strings.HasPrefix(r3.Energy.CostSource, "measured average power") {
		t.Errorf("J/token %v source %s", *r3.Energy.JPerOutputToken, r3.Energy.CostSource)
	}
}

func hasWarning(r *Run, code string) bool {
	for _, w := range r.Warnings {
		if string(w.Code) == code {
			return true
		}
	}
	return false
}

// FuzzDecodeRun: any bytes give a run or an error naming the file, never a panic; a
// run that decodes has a samples array and a supported schema version.
func FuzzDecodeRun(f *testing.F) {
	b, err := json.Marshal(buildFixture())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"kind":"yardstick.run","schema_version":1,"samples":[]}`))
	f.Add([]byte(`{"kind":"yardstick.run","schema_version":2}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeRun("f.json", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.json") {
				t.Errorf("error does not name the file: %v", err)
			}
			return
		}
		if r.Samples == nil || r.SchemaVersion > SchemaVersion || r.Kind != Kind {
			t.Errorf("accepted a run without samples or of another kind/version: %+v", r.SchemaVersion)
		}
	})
}

// A broken run file is reported at its line and column, counted the way editors do.
func TestDecodeRunNamesLineAndColumn(t *testing.T) {
	for _, tc := range []struct {
		name, text, want string
	}{
		// "}" where a value should be: line 3, column 9 (after `  "x": `, 8 bytes).
		{"syntax", "{\n  \"kind\": \"yardstick.run\",\n  \"x\": }\n", "r.json:3:9: not a yardstick run file: invalid JSON"},
		// run_id holds a number: the decoder's offset is just after the value, on line 4.
		{"type", "{\n  \"kind\": \"yardstick.run\",\n  \"schema_version\": 1,\n  \"run_id\": 7\n}\n", "r.json:4:14: field run_id holds number"},
		// Cut off after line 2: the end of the file is line 3, column 1.
		{"truncated", "{\n  \"kind\": \"yardstick.run\",\n", "r.json:3:1: not a yardstick run file: the JSON ends early"},
	} {
		_, err := DecodeRun("r.json", []byte(tc.text))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want it to start with %q", tc.name, err, tc.want)
		}
	}
	if l, c := LineCol([]byte("ab\ncd"), 4); l != 2 || c != 2 {
		t.Errorf("LineCol = %d:%d, want 2:2", l, c)
	}
}

// A run file whose figures do not follow from its samples, or whose samples are
// impossible, or whose schema version is not one this build writes, is refused with
// the field that is wrong (issue 11, items 9 and 14: check once said "3 of 3 met" of a
// file whose requests all failed, and schema_version -5 was read).
func TestDecodeRunRefusesInconsistentFiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(r *Run)
		want string
	}{
		{"schema -5", func(r *Run) { r.SchemaVersion = -5 }, "schema version -5: must be 1..1"},
		{"all failed, summaries kept", func(r *Run) {
			for i := range r.Samples {
				r.Samples[i].OK = false
			}
		}, "but 0 of the samples succeeded"},
		{"a summary over more values than measured", func(r *Run) {
			s := r.Summaries["ttft_ns"]
			s.N++
			r.Summaries["ttft_ns"] = s
		}, "summaries.ttft_ns has n"},
		{"level 99", func(r *Run) { r.Samples[0].Level = 99 }, "samples[0]: level 99"},
		{"ok without e2e", func(r *Run) { r.Samples[1].E2ENs = nil }, "samples[1]: a successful request without e2e_ns"},
		// The roofline figures follow from the rest of the file (break-it round: check
		// once passed a forged efficiency beside fits_in_llc).
		{"fits in LLC with an efficiency", func(r *Run) { r.Roofline.FitsInLLC = true }, "roofline: fits_in_llc with a decode_efficiency_frac"},
		{"negative efficiency", func(r *Run) { e := -2.0; r.Roofline.DecodeEfficiencyFrac = &e }, "roofline.decode_efficiency_frac -2"},
		// Memory figures follow from each other (break-it round: check passed a gate
		// on an edited headroom).
		{"headroom edited", func(r *Run) { h := int64(-5e9); r.Memory.HeadroomBytes = &h }, "memory.headroom_bytes -5000000000"},
		{"prediction error edited", func(r *Run) { f := 0.001; r.Memory.PredictedErrorFrac = &f }, "memory.predicted_error_frac 0.001"},
		{"predicted parts edited", func(r *Run) { r.Memory.Predicted.TotalBytes = 0 }, "memory.predicted: total_bytes 0"},
		{"slots edited", func(r *Run) { r.Memory.Predicted.Parallel = -3 }, "memory.predicted: -3 slot(s)"},
		{"occupancy edited", func(r *Run) { r.Levels[1].MeanDecodingStreams = 50 }, "levels[1]: mean_requests_in_flight"},
		{"level efficiency edited", func(r *Run) { e := 5.0; r.Levels[1].Roofline.DecodeEfficiencyFrac = &e }, "levels[1].roofline {"},
		{"level ceiling edited", func(r *Run) { r.Levels[0].Roofline.DecodeCeilingPerS = 1 }, "the run's roofline and the level's samples give"},
	} {
		r := buildFixture()
		if strings.HasPrefix(tc.want, "levels[") || strings.Contains(tc.want, "level's samples") {
			r = Build(concurrencySweep(denseCost()), fixtureHardware(), fixtureMachine())
		}
		tc.edit(r)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeRun("f.json", b); err == nil || !strings.HasPrefix(err.Error(), "f.json: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	for _, r := range []*Run{buildFixture(), Build(concurrencySweep(denseCost()), fixtureHardware(), fixtureMachine())} {
		b, _ := json.Marshal(r)
		if _, err := DecodeRun("f.json", b); err != nil {
			t.Errorf("a built run: %v", err)
		}
	}
}
