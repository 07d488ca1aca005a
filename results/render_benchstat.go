package results

import (
	"fmt"
	"io"
	"strconv"
	"strings"
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
// (golang.org/design/14313-benchmark-format), so that benchstat reads yardstick runs:
// one line per measured value, "BenchmarkTTFT 1 104000000 ns", with unit metadata
// lines saying that ns (durations) are better lower and tok/s (rates) better higher.
// ITL has one line per chunk gap. Machine and model are in comment lines (benchfmt
// ignores them), not in configuration lines, so that runs from different machines land
// in one benchstat table. With one run the output is that run alone: write two runs to
// two files and compare them with `benchstat base.txt new.txt`. With several runs each
// run's block starts with a "run: LABEL" configuration line: compare them with
// `benchstat -col run FILE`.
func RenderBenchstat(w io.Writer, c *Comparison) error {
	var b strings.Builder
	for _, u := range benchUnits {
		fmt.Fprintf(&b, "Unit %s better=%s\n", u.unit, u.better)
	}
	for i, r := range c.Runs {
		b.WriteString("\n")
		fmt.Fprintf(&b, "# yardstick run %s: %s\n", r.RunID, runLine(r))
		if len(c.Runs) > 1 {
			fmt.Fprintf(&b, "run: %s\n", r.Label)
		}
		if i >= len(c.raw) {
			continue
		}
		for _, m := range c.Metrics {
			name, ok := benchName[m.Metric]
			if !ok {
				continue
			}
			for _, v := range c.raw[i][m.Metric] {
				fmt.Fprintf(&b, "Benchmark%s 1 %s %s\n", name, strconv.FormatFloat(v, 'f', -1, 64), m.Unit)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
