package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/perf/benchfmt"

	"github.com/yardstick-dev/yardstick/bench"
)

// benchName is the Go benchmark name of each metric in the benchstat format.
var benchName = map[string]string{
	"ttft_ns": "TTFT", "tpot_ns": "TPOT", "itl_ns": "ITL", "e2e_ns": "E2E",
	"server_prefill_per_s": "PrefillServer", "server_gen_per_s": "DecodeServer", "client_gen_per_s": "DecodeClient",
	"prompt_tokens": "PromptTokens", "output_tokens": "OutputTokens", "tokens_per_chunk": "TokensPerChunk",
	"overhead_ns": "Overhead", "load_ns": "Load", "queue_delay_ns": "QueueDelay",
}

// benchUnits are the units written, with the direction benchstat is told
// (golang.org/x/perf/benchfmt unit metadata "better=").
var benchUnits = []struct{ unit, better string }{{"ns", "lower"}, {"tok/s", "higher"}}

// RenderBenchstat writes the runs' raw per-request values in the Go benchmark format
// (golang.org/design/14313-benchmark-format) through golang.org/x/perf/benchfmt's
// Writer, so that benchstat reads yardstick runs: one line per request and metric,
// "BenchmarkTTFT 1 1.04e+08 ns", with unit metadata lines saying that ns (durations)
// are better lower and tok/s (rates) better higher. ITL has one line per request, its
// median chunk gap: the gaps within one request are not independent draws, so
// benchstat's test counts requests, as compare's does (MetricComparison.TestedN).
//
// A sweep's levels are sub-benchmarks, never pooled: each level's values are named
// with the load that differs between the run's levels, "TTFT/concurrency=2",
// "TTFT/rate=1.5", "TTFT/prompt_tokens=512" (levelKeys), so `benchstat base.txt
// new.txt` compares two runs of one sweep level by level, and `benchstat -col
// /concurrency sweep.txt` sets one run's levels side by side. A run of one level has
// plain names, comparable with any other run of one level.
//
// Machine and model are in comment lines (benchfmt ignores them), not in
// configuration lines, so that runs from different machines land in one benchstat
// table. With one run the output is that run alone: write two runs to two files and
// compare them with `benchstat base.txt new.txt`. With several runs each run's block
// starts with a "run: LABEL" configuration line: compare them with `benchstat -col run
// FILE`. Errors are w's.
func RenderBenchstat(w io.Writer, c *Comparison) error {
	bw := benchfmt.NewWriter(w)
	for _, u := range benchUnits {
		m := &benchfmt.UnitMetadata{UnitMetadataKey: benchfmt.UnitMetadataKey{Unit: u.unit, Key: "better"}, OrigUnit: u.unit, Value: u.better}
		if err := bw.Write(m); err != nil {
			return err
		}
	}
	for i, r := range c.Runs {
		res := &benchfmt.Result{Iters: 1}
		// The Writer flushes each record, so a comment written between records lands
		// where it is meant.
		// One line: a line break in a model or host name would end the comment.
		comment := strings.Join(strings.Fields(runLine(r)), " ")
		if _, err := fmt.Fprintf(w, "\n# yardstick run %s: %s\n", r.RunID, comment); err != nil {
			return err
		}
		if len(c.Runs) > 1 {
			// A file configuration line, "run: LABEL" (SetConfig would make it internal,
			// never written); a line break would end it, so none is kept.
			label := strings.Join(strings.Fields(r.Label), " ")
			res.Config = []benchfmt.Config{{Key: "run", Value: []byte(label), File: true}}
		}
		if i >= len(c.src) {
			continue
		}
		keys := levelKeys(r.Levels)
		for l, key := range keys {
			ss := c.src[i].Samples
			if len(keys) > 1 {
				ss = levelSamples(ss, l)
			}
			vals := MetricValues(ss)
			vals["itl_ns"] = perRequestMedianITL(ss)
			for _, m := range MetricOrder {
				name, ok := benchName[m]
				if !ok {
					continue
				}
				res.Name = benchfmt.Name(name + key)
				unit := metricUnit(m)
				for _, v := range vals[m] {
					res.Values = append(res.Values[:0], benchfmt.Value{Value: v, Unit: unit})
					if err := bw.Write(res); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// levelSamples returns the samples of level l.
func levelSamples(ss []bench.Sample, l int) []bench.Sample {
	var out []bench.Sample
	for _, s := range ss {
		if s.Level == l {
			out = append(out, s)
		}
	}
	return out
}

// levelKeys returns, for each level, its sub-benchmark name suffix: "/KEY=VALUE" for
// each load figure that differs between the levels, in the order concurrency (the
// closed loop's workers, 1 for sequential, or the open loop's cap), rate (the open
// loop's requests per second, %g), arrival, prompt_tokens (the target length). A run
// of one level (or none recorded) gets one empty suffix. Keys and values hold no
// space or slash, as the benchmark format asks of a name.
func levelKeys(levels []LevelRef) []string {
	if len(levels) < 2 {
		return []string{""}
	}
	conc := func(l LevelRef) string {
		if l.Model == bench.LoadSequential {
			return "1"
		}
		return strconv.Itoa(l.Concurrency)
	}
	rate := func(l LevelRef) string {
		if l.Model != bench.LoadOpen {
			return ""
		}
		return strconv.FormatFloat(l.RatePerS, 'g', -1, 64)
	}
	dims := []struct {
		key string
		of  func(LevelRef) string
	}{
		{"concurrency", conc},
		{"rate", rate},
		{"arrival", func(l LevelRef) string { return l.Arrival }},
		{"prompt_tokens", func(l LevelRef) string { return strconv.Itoa(l.PromptTokens) }},
	}
	out := make([]string, len(levels))
	for _, d := range dims {
		varies := false
		for _, l := range levels[1:] {
			varies = varies || d.of(l) != d.of(levels[0])
		}
		if !varies {
			continue
		}
		for i, l := range levels {
			v := d.of(l)
			if v == "" {
				v = "none"
			}
			out[i] += "/" + d.key + "=" + v
		}
	}
	return out
}
