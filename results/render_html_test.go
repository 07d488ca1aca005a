package results

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
)

// htmlPages renders the four kinds of page the report has, from seeded runs: one run,
// a sweep of four concurrency levels with SLOs, a comparison of two runs (the second
// 15% slower), and a directory of five runs with one file that is not a run file.
func htmlPages(t testing.TB, dir string) map[string]string {
	t.Helper()
	pages := map[string]string{}
	write := func(kind string, render func(*bytes.Buffer) error) {
		var b bytes.Buffer
		if err := render(&b); err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		p := filepath.Join(dir, kind+".html")
		if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pages[kind] = p
	}
	one := htmlRunOf(htmlSpec{seed: 1, levels: []int{1}, perLevel: 60, runID: "one"})
	write("run", func(b *bytes.Buffer) error { return RenderRunHTML(b, "qwen3-30b-a3b.json", one) })
	sweep := htmlRunOf(htmlSpec{seed: 2, levels: []int{1, 2, 4, 8}, perLevel: 24, runID: "sweep", slo: "ttft_p95=4s,tpot=200ms"})
	write("sweep", func(b *bytes.Buffer) error { return RenderRunHTML(b, "sweep.json", sweep) })
	prompts := Build(sweepResult(3, "bench-01", 8), fixtureHardware(), fixtureMachine())
	write("prompt-sweep", func(b *bytes.Buffer) error { return RenderRunHTML(b, "prompts.json", prompts) })
	base := htmlRunOf(htmlSpec{seed: 4, levels: []int{1}, perLevel: 40, runID: "base"})
	slower := htmlRunOf(htmlSpec{seed: 6, levels: []int{1}, perLevel: 40, runID: "new", slow: 1.15})
	runs, labels := []*Run{base, slower}, []string{"base.json", "new.json"}
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	write("comparison", func(b *bytes.Buffer) error { return RenderComparisonHTML(b, c, runs) })
	hdir := filepath.Join(dir, "history")
	if err := os.MkdirAll(hdir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		r := htmlRunOf(htmlSpec{seed: uint64(10 + i), levels: []int{1}, perLevel: 20, runID: "h" + strconv.Itoa(i),
			slow: 1 + 0.04*float64(i), started: time.Date(2026, 11, 20+i, 3, 0, 0, 0, time.UTC)})
		if err := WriteFile(filepath.Join(hdir, "run-"+strconv.Itoa(i)+".json"), r); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(hdir, "notes.json"), []byte(`{"not": "a run"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	h, err := ReadHistory(hdir, "")
	if err != nil {
		t.Fatal(err)
	}
	write("history", func(b *bytes.Buffer) error { return RenderHistoryHTML(b, h) })
	return pages
}

// chartPoints reads each chart element's id and data-points from a page.
var chartRE = regexp.MustCompile(`<div class="chart" id="(chart-\d+)" data-points="(\d+)"`)

// Every kind of page holds the sections its kind promises, every chart has points,
// and the page loads nothing: no src or href but the empty data: icon.
func TestHTMLPagesHoldTheirCharts(t *testing.T) {
	pages := htmlPages(t, t.TempDir())
	// Why each list: a run has CDFs, a timeline and (with a model cost) a roofline; a
	// sweep adds the load curve; a comparison overlays CDFs and lists every verdict;
	// a history has one group (the five runs share model and machine) and lists the
	// unreadable file.
	want := map[string][]string{
		"run":   {`id="latency"`, `id="timeline"`, `id="roofline"`, "decode if all 128 experts were read"},
		"sweep": {`id="load"`, `id="roofline"`, "decode at concurrency 8", "SLO ttft_p95", "(peak)"},
		// A prompt-length sweep (merge_test.go's sweepResult: 256 and 1,024 tokens)
		// draws TTFT against prompt length with its fit; it has no model cost, so no
		// roofline.
		"prompt-sweep": {`id="load"`, "TTFT against prompt length", "prompt length (tokens)"},
		"comparison":   {`id="latency"`, `id="verdicts"`, "base.json (base)", "worse"},
		"history":      {`id="history-0"`, `id="unreadable"`, "notes.json", `id="history-metric"`},
	}
	for kind, p := range pages {
		page := pageHolding(t, kind, p, want[kind])
		if charts := chartRE.FindAllStringSubmatch(page, -1); len(charts) < 3 {
			t.Errorf("%s page has %d charts, want at least 3", kind, len(charts))
		}
		for _, ref := range regexp.MustCompile(`(?:src|href)="([^"]*)"`).FindAllStringSubmatch(page, -1) {
			if ref[1] != "data:," {
				t.Errorf("%s page refers to %q: it must load nothing", kind, ref[1])
			}
		}
	}
}

// Strings from the server and the run file are escaped: a model named like a script
// and a warning carrying markup show as text.
func TestHTMLEscapesRunStrings(t *testing.T) {
	r := htmlRunOf(htmlSpec{seed: 2, levels: []int{1}, perLevel: 8, runID: "x", model: `evil</script><script>alert(1)</script>`})
	r.Warnings = append(r.Warnings, bench.Warning{Code: "test", Message: `<img src=x onerror=alert(2)>`})
	var b bytes.Buffer
	if err := RenderRunHTML(&b, `run<b>.json`, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, bad := range []string{"<script>alert(1)", "<img src=x", "run<b>.json"} {
		if strings.Contains(page, bad) {
			t.Errorf("page holds %q unescaped", bad)
		}
	}
	if !strings.Contains(page, "&lt;img src=x onerror=alert(2)&gt;") {
		t.Error("the warning is not shown escaped")
	}
}

// The page of a 1,000-request run is at most 2 MB (issue: "A 1,000-request run's page
// is at most 2 MB"): CDFs are cut to maxCDFPoints ranks, values to 5 digits.
func TestHTMLPageOf1000RequestsIsSmall(t *testing.T) {
	r := htmlRunOf(htmlSpec{seed: 3, levels: []int{1, 4}, perLevel: 500, runID: "big"})
	if len(r.Samples) != 1000 {
		t.Fatalf("%d samples", len(r.Samples))
	}
	var b bytes.Buffer
	if err := RenderRunHTML(&b, "big.json", r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 2<<20 {
		t.Errorf("page of 1,000 requests is %d bytes, over 2 MB", b.Len())
	}
	t.Logf("page of 1,000 requests (31,000 ITL gaps): %d bytes", b.Len())
}

// cdfIndexes keeps every rank of a small sample and bounds a large one, keeping the
// extremes and a dense tail.
func TestCDFIndexes(t *testing.T) {
	for _, tc := range []struct {
		n        int
		wantAll  bool // n ≤ maxCDFPoints: every rank is drawn
		minTail  int  // ranks at or above 0.99 (n−1) that must be kept
		maxCount int
	}{
		{n: 1, wantAll: true, maxCount: 1},
		{n: maxCDFPoints, wantAll: true, maxCount: maxCDFPoints},
		// 10,000 values: 300 evenly spread ranks (about 3 fall in the top 1%) and 100
		// tail ranks spread over the top 100: at least 90 distinct tail ranks.
		{n: 10000, minTail: 90, maxCount: maxCDFPoints},
		{n: 3_000_000, minTail: 90, maxCount: maxCDFPoints},
	} {
		idx := cdfIndexes(tc.n)
		if len(idx) > tc.maxCount {
			t.Errorf("n=%d: %d ranks, want at most %d", tc.n, len(idx), tc.maxCount)
		}
		if tc.wantAll && len(idx) != tc.n {
			t.Errorf("n=%d: %d ranks, want all", tc.n, len(idx))
		}
		if idx[0] != 0 || idx[len(idx)-1] != tc.n-1 {
			t.Errorf("n=%d: ranks %d…%d, want the first and the last", tc.n, idx[0], idx[len(idx)-1])
		}
		tail := 0
		for i, v := range idx {
			if i > 0 && v <= idx[i-1] {
				t.Fatalf("n=%d: ranks not strictly increasing at %d", tc.n, i)
			}
			if float64(v) >= 0.99*float64(tc.n-1) {
				tail++
			}
		}
		if tail < tc.minTail {
			t.Errorf("n=%d: %d ranks in the top 1%%, want at least %d", tc.n, tail, tc.minTail)
		}
	}
}

// A directory's unreadable files are listed with why, the rest read in start order;
// a directory without a run file is ErrNoRuns.
func TestReadHistory(t *testing.T) {
	dir := t.TempDir()
	late := htmlRunOf(htmlSpec{seed: 1, levels: []int{1}, perLevel: 6, runID: "late", started: time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)})
	early := htmlRunOf(htmlSpec{seed: 2, levels: []int{1}, perLevel: 6, runID: "early", started: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)})
	// Named so that directory order ("a" before "b") is the reverse of start order.
	if err := WriteFile(filepath.Join(dir, "a.json"), late); err != nil {
		t.Fatal(err)
	}
	if err := WriteFile(filepath.Join(dir, "b.json"), early); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{"c.json": "not json", "d.txt": "ignored: not *.json", "report.json": "skipped: the output"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h, err := ReadHistory(dir, filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.Runs) != 2 || h.Runs[0].Run.RunID != "early" || h.Runs[1].Run.RunID != "late" {
		t.Errorf("runs %v, want early then late", h.Runs)
	}
	if len(h.Unreadable) != 1 || filepath.Base(h.Unreadable[0].Path) != "c.json" {
		t.Errorf("unreadable %v, want c.json alone", h.Unreadable)
	}
	empty := t.TempDir()
	if _, err := ReadHistory(empty, ""); !errors.Is(err, ErrNoRuns) {
		t.Errorf("empty directory: %v, want ErrNoRuns", err)
	}
}

// A run whose every request failed draws nothing and says so; the page is still whole.
func TestHTMLRunOfFailuresOnly(t *testing.T) {
	r := htmlRunOf(htmlSpec{seed: 2, levels: []int{1}, perLevel: 6, runID: "failed"})
	for i := range r.Samples {
		r.Samples[i] = bench.Sample{Index: i, Phase: bench.PhaseMeasured, SentAtNs: r.Samples[i].SentAtNs, ITLNs: []int64{},
			ErrorKind: bench.ErrConnect, Error: "connection refused"}
	}
	r.Summaries = map[string]Summary{}
	r.Warmup, r.Cold, r.Roofline = nil, nil, nil // as Build leaves them without a completed request
	var b bytes.Buffer
	if err := RenderRunHTML(&b, "failed.json", r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if strings.Contains(page, `class="chart"`) {
		t.Error("a chart without points is on the page")
	}
	if !strings.Contains(page, "Nothing to draw") || !strings.Contains(page, "connection refused") {
		t.Error("the page does not say there is nothing to draw, or lacks the requests' errors")
	}
}

// Each metric's table label carries its unit once: a label that names its unit gets
// no suffix, one that does not gets it in parentheses, a duration none (its cells
// say ms or s).
func TestUnitSuffixOnce(t *testing.T) {
	for _, tc := range []struct{ metric, want string }{
		{"server_prefill_per_s", "prefill tok/s (server)"}, // "tok/s" is in the label
		{"server_gen_per_s", "decode tok/s (server)"},
		{"new_prefill_per_s", "new-token prefill tok/s"},
		{"new_prompt_tokens", "new prompt tokens"}, // "tokens" names tok
		{"prompt_tokens", "prompt tokens"},
		{"tokens_per_chunk", "tokens/chunk"},                   // tok/chunk spelled out
		{"ttft_ns", "TTFT"},                                    // a duration: the cells carry the unit
		{"server_rss_peak_bytes", "server_rss_peak_bytes (B)"}, // no label: the unit is added
	} {
		if got := label(tc.metric) + unitSuffix(tc.metric); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.metric, got, tc.want)
		}
	}
	// And over every metric the Figures table lists: no unit twice.
	for _, m := range MetricOrder {
		got := label(m) + unitSuffix(m)
		if u := metricUnit(m); u != "" && strings.Count(strings.ReplaceAll(got, "tokens", "tok"), u) > 1 {
			t.Errorf("%s: %q names its unit %s twice", m, got, u)
		}
	}
}

// The header's "held against" gives the peak the prefill ceiling used (the model's
// compute precision's: int8 for a quantized model), not the machine's FP32 peak.
func TestHTMLHeldAgainstThePrefillPeak(t *testing.T) {
	r := buildFixture()
	if r.Roofline == nil || r.Environment.Machine == nil {
		t.Fatal("the fixture has no roofline or machine")
	}
	r.Roofline.PeakFLOPS, r.Roofline.ComputePrecision, r.Roofline.FLOPSSource = 1.18e12, "int8", "int8 source"
	r.Environment.Machine.PeakFLOPS, r.Environment.Machine.FLOPSSource = 2.94e11, "fp32 source"
	var b bytes.Buffer
	if err := RenderRunHTML(&b, "run.json", r); err != nil {
		t.Fatal(err)
	}
	if page := b.String(); !strings.Contains(page, "peak 1.18 TOP/s int8 (int8 source)") || strings.Contains(page, "fp32 source") {
		t.Errorf("held against does not give the int8 peak the prefill ceiling used")
	}
}

// pageHolding reads the page of kind at path and checks it holds every string of want
// and that none of its charts is empty; it returns the page.
func pageHolding(t *testing.T, kind, path string, want []string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)
	for _, w := range want {
		if !strings.Contains(page, w) {
			t.Errorf("%s page lacks %q", kind, w)
		}
	}
	for _, c := range chartRE.FindAllStringSubmatch(page, -1) {
		if c[2] == "0" {
			t.Errorf("%s page: %s has no points", kind, c[1])
		}
	}
	return page
}
