package results

import (
	"bytes"
	"encoding/csv"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	east "github.com/yuin/goldmark/extension/ast"
	"github.com/yuin/goldmark/text"
	"golang.org/x/perf/benchfmt"

	"github.com/yardstick-dev/yardstick/bench"
)

// synthSweep is synthRun's requests at each closed-loop concurrency of conc, sp.n a
// level, one after another; at level l every duration is slow·(1 + l/2) (the loaded
// server is slower), so pooling the levels would mix distributions 1.5× apart.
func synthSweep(sp synth, conc []int) *Run {
	res := fixture()
	res.Options.Concurrency, res.Options.Runs = conc, sp.n
	res.RunID = sp.runID
	rng := rand.New(rand.NewPCG(sp.seed, 0x9e3779b97f4a7c15))
	jit := func() float64 { return math.Exp(sp.noise * rng.NormFloat64()) }
	res.Samples, res.Levels = nil, nil
	at := int64(0)
	for l, spec := range res.Options.Levels() {
		lv := bench.Level{Index: l, LoadSpec: spec.Load, PromptTokens: spec.PromptTokens, PromptWords: 480, Servers: 1}
		for i := 0; i < sp.n; i++ {
			s := synthSample(rng, jit, len(res.Samples), sp.slow*(1+0.5*float64(l)), at)
			s.Level = l
			res.Samples = append(res.Samples, s)
			lv.Requests++
			if i == 0 {
				lv.Window.StartNs = at
			}
			at += *s.E2ENs
		}
		lv.Window.EndNs, lv.Window.DurationNs = at, at-lv.Window.StartNs
		res.Levels = append(res.Levels, lv)
	}
	res.Window = bench.Window{StartNs: 0, EndNs: at, DurationNs: at}
	hw := fixtureHardware()
	if sp.host != "" {
		hw.Hostname = sp.host
	}
	r := Build(res, hw, fixtureMachine())
	r.Tool.GoVersion = "go-test"
	return r
}

// fixedSweeps are the run files of the sweep export tests: a concurrency sweep 1,2 of
// 10 seeded requests a level; new is 10% slower. go test ./results -update rewrites
// them from synthSweep.
func fixedSweeps(t *testing.T) ([]*Run, []string) {
	t.Helper()
	dir := filepath.Join("testdata", "export")
	files := []string{filepath.Join(dir, "sweep-base.json"), filepath.Join(dir, "sweep-new.json")}
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(files[0], synthSweep(synth{seed: 3, n: 10, slow: 1, noise: 0.03, runID: "sweepbase000000a"}, []int{1, 2})); err != nil {
			t.Fatal(err)
		}
		if err := WriteFile(files[1], synthSweep(synth{seed: 4, n: 10, slow: 1.1, noise: 0.03, runID: "sweepnew0000000b", host: "bench-02"}, []int{1, 2})); err != nil {
			t.Fatal(err)
		}
	}
	var runs []*Run
	for _, f := range files {
		r, err := ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		runs = append(runs, r)
	}
	return runs, []string{"sweep-base.json", "sweep-new.json"}
}

// Each level's sub-benchmark name carries only the load figure that differs between
// the levels, as "/key=value".
func TestLevelKeys(t *testing.T) {
	seq := LevelRef{LoadSpec: bench.LoadSpec{Model: bench.LoadSequential, Concurrency: 1}, PromptTokens: 512}
	closed := func(c int) LevelRef {
		return LevelRef{LoadSpec: bench.LoadSpec{Model: bench.LoadClosed, Concurrency: c}, PromptTokens: 512}
	}
	open := func(r float64) LevelRef {
		return LevelRef{LoadSpec: bench.LoadSpec{Model: bench.LoadOpen, Concurrency: 8, RatePerS: r, Arrival: bench.ArrivalPoisson}, PromptTokens: 512}
	}
	prompt := func(p int) LevelRef { l := seq; l.PromptTokens = p; return l }
	for _, tc := range []struct {
		name   string
		levels []LevelRef
		want   []string
	}{
		// One level: plain names, comparable with any other run of one level.
		{"one level", []LevelRef{closed(4)}, []string{""}},
		{"no levels recorded", nil, []string{""}},
		// Sequential is one worker: concurrency=1 beside the closed loops' counts.
		{"concurrency sweep", []LevelRef{seq, closed(2), closed(4)}, []string{"/concurrency=1", "/concurrency=2", "/concurrency=4"}},
		// The cap (8) and the arrival are the same at every level: only the rate names it.
		{"rate sweep", []LevelRef{open(0.5), open(1.5)}, []string{"/rate=0.5", "/rate=1.5"}},
		// Prompt lengths vary, the load does not.
		{"prompt sweep", []LevelRef{prompt(128), prompt(512), prompt(2048)}, []string{"/prompt_tokens=128", "/prompt_tokens=512", "/prompt_tokens=2048"}},
	} {
		if got := levelKeys(tc.levels); !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

// readBench reads benchstat-format text with benchfmt's own Reader, as benchstat does:
// each benchmark's full name to its values as written. A syntax error fails the test.
func readBench(t *testing.T, text []byte) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	rd := benchfmt.NewReader(bytes.NewReader(text), "bench.txt")
	for rd.Scan() {
		switch rec := rd.Result().(type) {
		case *benchfmt.SyntaxError:
			t.Fatalf("benchfmt: %v", rec)
		case *benchfmt.Result:
			for _, v := range rec.Values {
				// The Reader tidies units (ns to sec); the value as written is OrigValue.
				x := v.Value
				if v.OrigUnit != "" {
					x = v.OrigValue
				}
				out[rec.Name.String()] = append(out[rec.Name.String()], x)
			}
		}
	}
	if err := rd.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// A sweep's benchstat output holds each level's own values under its own name and no
// pooled benchmark: TTFT/concurrency=2 is exactly level 1's TTFTs, ITL one median
// gap per request of the level.
func TestBenchstatSweepKeepsLevelsApart(t *testing.T) {
	runs, labels := fixedSweeps(t)
	c, err := Compare(runs[:1], labels[:1], CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderBenchstat(&b, c); err != nil {
		t.Fatal(err)
	}
	got := readBench(t, b.Bytes())
	for name := range got {
		if !strings.Contains(name, "/concurrency=") {
			t.Errorf("%s: a benchmark without its level pools the levels", name)
		}
	}
	for l, key := range []string{"/concurrency=1", "/concurrency=2"} {
		var ttft []float64
		ss := levelSamples(runs[0].Samples, l)
		for _, s := range ss {
			ttft = append(ttft, float64(*s.TTFTNs))
		}
		if !slices.Equal(got["TTFT"+key], ttft) {
			t.Errorf("TTFT%s = %v, want level %d's %v", key, got["TTFT"+key], l, ttft)
		}
		if itl := got["ITL"+key]; len(itl) != len(ss) || !slices.Equal(itl, perRequestMedianITL(ss)) {
			t.Errorf("ITL%s has %d values, want one median gap for each of %d requests", key, len(itl), len(ss))
		}
	}
	golden(t, filepath.Join("export", "sweep-base.benchstat.txt"), b.Bytes())
}

// The real benchstat (golang.org/x/perf/cmd/benchstat at go.mod's version) compares
// two runs of one sweep level by level: a row per level, n the level's requests (10,
// not the 20 of both levels pooled), and each level's change that of compare's
// levels[N].ttft_ns.
func TestRealBenchstatComparesSweepByLevel(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run golang.org/x/perf/cmd/benchstat")
	}
	runs, labels := fixedSweeps(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := realBenchstat(t, runs, labels)
	for l, key := range []string{"concurrency=1", "concurrency=2"} {
		// "TTFT/concurrency=2   150.3m ± 3%   163.1m ± 2%   +8.52% (p=0.000 n=10)"
		re := regexp.MustCompile(`(?m)^TTFT/` + key + `\s.*\s([+-][0-9.]+)% \(p=[0-9.]+ n=([0-9]+)\)`)
		mm := re.FindStringSubmatch(text)
		if mm == nil {
			t.Errorf("no row TTFT/%s with a change in benchstat's output:\n%s", key, text)
			continue
		}
		m := metric(t, c, "levels["+strconv.Itoa(l)+"].ttft_ns")
		got, _ := strconv.ParseFloat(mm[1], 64)
		if want := 100 * *m.Deltas[0].Frac; mathAbs(got-want) > 0.01 {
			t.Errorf("TTFT/%s: benchstat %+.2f%%, compare %+.2f%%", key, got, want)
		}
		if n, _ := strconv.Atoi(mm[2]); n != 10 || n != m.TestedN[0] {
			t.Errorf("TTFT/%s: benchstat n=%d, want the level's 10 requests (compare tested %v)", key, n, m.TestedN)
		}
	}
	if regexp.MustCompile(`(?m)^TTFT\s`).MatchString(text) {
		t.Errorf("benchstat shows a pooled TTFT row:\n%s", text)
	}
	t.Logf("benchstat output:\n%s", text)
}

// Units come from each name's unit suffix; requests are not tokens.
func TestMetricUnit(t *testing.T) {
	for name, want := range map[string]string{
		"ttft_ns":                "ns",
		"requests_per_s":         "req/s", // completed requests / window
		"goodput_per_s":          "req/s", // requests meeting every SLO / window
		"output_tokens_per_s":    "tok/s",
		"server_gen_per_s":       "tok/s",
		"decode_ceiling_per_s":   "tok/s",
		"bandwidth_bytes_per_s":  "B/s",
		"prompt_tokens":          "tok",
		"tokens_per_chunk":       "tok/chunk",
		"server_rss_peak_bytes":  "B",
		"decode_efficiency_frac": "frac",
		"j_per_output_token":     "J/tok",
		"cost_per_mtok":          "cost/Mtok",
		"mean_decoding_streams":  "",
		"answer_tokens":          "tok",
		"e2e_from_scheduled_ns":  "ns",
	} {
		if got := metricUnit(name); got != want {
			t.Errorf("metricUnit(%s) = %q, want %q", name, got, want)
		}
	}
}

// Numbers are plain decimals that read back to the same float64; only magnitudes below
// 1e-6 (p-values) use an exponent.
func TestCSVNum(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{
		{11618998.5, "11618998.5"}, // the 1.16189985e+07
		{98819146, "98819146"},
		{1e9, "1000000000"},
		{0, "0"},
		{-0.0975, "-0.0975"},
		{0.9586105346679688, "0.9586105346679688"},
		{1.7410666924619626e-10, "1.7410666924619626e-10"},
	} {
		got := csvNum(tc.v)
		if got != tc.want {
			t.Errorf("csvNum(%v) = %s, want %s", tc.v, got, tc.want)
		}
		if back, err := strconv.ParseFloat(got, 64); err != nil || back != tc.v {
			t.Errorf("csvNum(%v) = %s reads back as %v (%v)", tc.v, got, back, err)
		}
	}
}

// The CSV of a sweep comparison has, for each level's metric, a row per run with the
// level's load in its own columns and the bare metric name; every number is plain.
func TestCSVSweepRowsCarryLoad(t *testing.T) {
	runs, labels := fixedSweeps(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderComparisonCSV(&b, c); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("export", "sweep.csv"), b.Bytes())
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	perLevel := map[string]int{}
	for _, row := range rows[1:] {
		get := func(h string) string { return row[col[h]] }
		if strings.Contains(get("metric"), "levels[") {
			t.Errorf("metric %s keeps the level in its name", get("metric"))
		}
		for i, cell := range row {
			// A p-value below 1e-6 is the one number written with an exponent.
			if i != col["p_value"] && strings.ContainsAny(cell, "eE") && regexp.MustCompile(`^-?[0-9.]+[eE]`).MatchString(cell) {
				t.Errorf("%s: %s %s is written with an exponent", get("metric"), rows[0][i], cell)
			}
		}
		if get("metric") == "requests_per_s" && get("unit") != "req/s" {
			t.Errorf("requests_per_s in %q", get("unit"))
		}
		switch lv := get("level"); lv {
		case "":
			// Over the whole sweep: no one load.
			if get("load") != "" || get("concurrency") != "" {
				t.Errorf("pooled row %s has load %q %q", get("metric"), get("load"), get("concurrency"))
			}
		case "0", "1":
			want := map[string][2]string{"0": {"sequential", "1"}, "1": {"closed", "2"}}[lv]
			if get("load") != want[0] || get("concurrency") != want[1] || get("target_prompt_tokens") != "512" {
				t.Errorf("level %s row %s: load %q concurrency %q prompt %q, want %v 512", lv, get("metric"), get("load"), get("concurrency"), get("target_prompt_tokens"), want)
			}
			perLevel[get("metric")+"@"+lv]++
			if get("metric") == "ttft_ns" && get("n") != "10" {
				t.Errorf("level %s ttft_ns n = %s, want the level's 10 requests", lv, get("n"))
			}
		default:
			t.Errorf("level %q", lv)
		}
	}
	for _, key := range []string{"ttft_ns@0", "ttft_ns@1", "e2e_ns@1", "requests_per_s@0", "output_tokens_per_s@1"} {
		if perLevel[key] != 2 {
			t.Errorf("%s: %d rows, want one per run", key, perLevel[key])
		}
	}
}

// Python's csv module reads the CSV as Go wrote it: the header and every row have the
// same number of fields, and every number column parses with float().
func TestCSVReadsInPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	runs, labels := fixedSweeps(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f := filepath.Join(t.TempDir(), "sweep.csv")
	var b bytes.Buffer
	if err := RenderComparisonCSV(&b, c); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	script := `
import csv, sys
text = ("level concurrency rate_per_s target_prompt_tokens n median median_ci_lo median_ci_hi "
        "median_ci_level mean p90 p95 p99 min max change_frac p_value tested_n").split()
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
for r in rows:
    assert None not in r and None not in r.values(), r
    for k in text:
        if r[k] != "":
            float(r[k])
print(len(rows))
`
	out, err := exec.Command(py, "-c", script, f).CombinedOutput()
	if err != nil {
		t.Fatalf("python3: %v\n%s", err, out)
	}
	if n, _ := strconv.Atoi(strings.TrimSpace(string(out))); n != strings.Count(b.String(), "\n")-1 {
		t.Errorf("python read %s rows, Go wrote %d", out, strings.Count(b.String(), "\n")-1)
	}
}

// The per-request CSV has a row per request (cold, warm-ups, measured, in that order)
// and a column for every field of a sample in the run file but the gap list itl_ns
// (summarized as itl_count, itl_median_ns and itl_max_ns): a field added to
// bench.Sample fails here until it is written or deliberately left out. A failed
// request has empty timings, not zeros.
func TestSamplesCSV(t *testing.T) {
	res := fixture()
	res.Warmup = []bench.Sample{{Index: 0, Phase: bench.PhaseWarmup, OK: true, TTFTNs: i64(ms(120)), E2ENs: i64(ms(500)), PromptTokens: 512, OutputTokens: 32}}
	res.Samples[3] = bench.Sample{Index: 3, Phase: bench.PhaseMeasured, Nonce: "n", SentAtNs: res.Samples[3].SentAtNs, ScheduledAtNs: res.Samples[3].ScheduledAtNs,
		OK: false, ErrorKind: bench.ErrHTTPStatus, Error: "500 Internal Server Error: \"model failed\", retry", HTTPStatus: 500}
	r := Build(res, fixtureHardware(), fixtureMachine())
	r.Tool.GoVersion = "go-test"
	var b bytes.Buffer
	if err := RenderSamplesCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	golden(t, filepath.Join("export", "samples.csv"), b.Bytes())
	rows, err := csv.NewReader(bytes.NewReader(b.Bytes())).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		if _, dup := col[h]; dup {
			t.Errorf("column %s twice", h)
		}
		col[h] = i
	}
	// Every JSON field of a sample is a column (itl_ns as its count, median and max):
	// read from the type, so a field added to bench.Sample without a column fails here.
	st := reflect.TypeOf(bench.Sample{})
	for i := 0; i < st.NumField(); i++ {
		name, _, _ := strings.Cut(st.Field(i).Tag.Get("json"), ",")
		if name == "" || name == "-" || name == "itl_ns" {
			continue
		}
		if _, ok := col[name]; !ok {
			t.Errorf("sample field %s has no column", name)
		}
	}
	// 1 cold + 1 warm-up + 8 measured.
	if len(rows) != 1+1+1+8 {
		t.Fatalf("%d rows", len(rows))
	}
	phases := []string{}
	for _, row := range rows[1:] {
		phases = append(phases, row[col["phase"]])
	}
	if want := []string{"cold", "warmup", "measured"}; phases[0] != want[0] || phases[1] != want[1] || phases[2] != want[2] {
		t.Errorf("phases %v", phases)
	}
	// Measured request 2 (row 1+2+2): TTFT 102 ms, its 31 gaps of 10 ms.
	ok := rows[1+2+2]
	if ok[col["ttft_ns"]] != "102000000" || ok[col["itl_count"]] != "31" || ok[col["itl_median_ns"]] != "10000000" || ok[col["level"]] != "0" || ok[col["load"]] != "sequential" {
		t.Errorf("request 2: ttft %s, itl %s × %s, level %s %s", ok[col["ttft_ns"]], ok[col["itl_count"]], ok[col["itl_median_ns"]], ok[col["level"]], ok[col["load"]])
	}
	bad := rows[1+2+3]
	if bad[col["ok"]] != "false" || bad[col["error_kind"]] != "http_status" || bad[col["http_status"]] != "500" || bad[col["ttft_ns"]] != "" || bad[col["e2e_ns"]] != "" || !strings.Contains(bad[col["error"]], `"model failed", retry`) {
		t.Errorf("failed request: %v", bad)
	}
}

// gfmTables parses markdown as GitHub-flavoured markdown (goldmark with its GFM table
// extension) and returns each table as rows of cell texts, the header first.
func gfmTables(t *testing.T, md []byte) [][][]string {
	t.Helper()
	p := goldmark.New(goldmark.WithExtensions(extension.GFM)).Parser()
	doc := p.Parse(text.NewReader(md))
	var tables [][][]string
	err := ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering || n.Kind() != east.KindTable {
			return ast.WalkContinue, nil
		}
		var rows [][]string
		for r := n.FirstChild(); r != nil; r = r.NextSibling() {
			var cells []string
			for c := r.FirstChild(); c != nil; c = c.NextSibling() {
				var b strings.Builder
				_ = ast.Walk(c, func(x ast.Node, in bool) (ast.WalkStatus, error) {
					switch x := x.(type) {
					case *ast.Text:
						if in {
							b.Write(x.Value(md))
						}
					case *ast.String:
						if in {
							b.Write(x.Value)
						}
					}
					return ast.WalkContinue, nil
				})
				cells = append(cells, b.String())
			}
			rows = append(rows, cells)
		}
		tables = append(tables, rows)
		return ast.WalkSkipChildren, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tables
}

// The markdown of a sweep holds the per-level table the terminal shows, and a GFM
// renderer reads it as a table: the terminal's header, one row per level with its
// load, the peak's mark as text (an unescaped * could open emphasis). In a comparison each run gets its own.
func TestMarkdownSweepLevelTable(t *testing.T) {
	runs, labels := fixedSweeps(t)
	for _, tc := range []struct {
		name   string
		runs   []*Run
		tables int // levels tables
	}{{"sweep-report.md", runs[:1], 1}, {"sweep-compare.md", runs, 2}} {
		c, err := Compare(tc.runs, labels[:len(tc.runs)], CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderComparisonMarkdown(&b, c); err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("export", tc.name), b.Bytes())
		head, rows, _ := levelTable(tc.runs[0])
		found := 0
		for _, tab := range gfmTables(t, b.Bytes()) {
			if tab[0][0] != "level" {
				continue
			}
			found++
			if len(tab[0]) != len(head) || tab[0][1] != "load" || tab[0][len(head)-1] != "SLO" {
				t.Errorf("%s: levels header %q, want the terminal's %q", tc.name, tab[0], head)
			}
			if len(tab) != 1+len(rows) {
				t.Fatalf("%s: %d level rows, want %d", tc.name, len(tab)-1, len(rows))
			}
			for i, row := range tab[1:] {
				if len(row) != len(head) {
					t.Errorf("%s: level %d has %d cells, header %d", tc.name, i, len(row), len(head))
				}
				if want := []string{"sequential", "concurrency 2"}[i]; row[1] != want {
					t.Errorf("%s: level %d load %q, want %q", tc.name, i, row[1], want)
				}
			}
		}
		// The peak level (of output throughput without --slo) is marked *, as text: the
		// rendered page has the cell "*N" and no emphasis.
		var page bytes.Buffer
		if err := goldmark.New(goldmark.WithExtensions(extension.GFM)).Convert(b.Bytes(), &page); err != nil {
			t.Fatal(err)
		}
		for _, r := range tc.runs {
			re := regexp.MustCompile(`<td[^>]*>\*` + strconv.Itoa(r.Peak.Level) + `</td>`)
			if !re.Match(page.Bytes()) || strings.Contains(page.String(), "<em>") {
				t.Errorf("%s: no peak cell *%d as text in the rendered page:\n%s", tc.name, r.Peak.Level, page.String())
			}
		}
		if found != tc.tables {
			t.Errorf("%s: %d levels tables, want %d:\n%s", tc.name, found, tc.tables, b.String())
		}
	}
}

// compare tests ITL on one median gap per request, so the n it prints beside the
// p-value counts the 20 requests of each fixed run, while the median and its n are
// over all 620 gaps (20 requests × 31 gaps).
func TestCompareITLPrintsTestedN(t *testing.T) {
	runs, labels := fixedRuns(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m := metric(t, c, "itl_ns")
	if m.Stats[0].N != 620 || !slices.Equal(m.TestedN, []int{20, 20}) {
		t.Errorf("itl_ns: summary n %d, tested %v; want 620 and [20 20]", m.Stats[0].N, m.TestedN)
	}
	var b bytes.Buffer
	if err := RenderComparisonTable(&b, c); err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile(`(?m)^ITL.*$`).FindString(b.String())
	if !strings.Contains(row, "n=20)") || strings.Contains(row, "n=620)") {
		t.Errorf("ITL row %q, want the tested n=20", row)
	}
}

// A run file without levels[] (written before them) gets its levels from its options,
// so its exports still name each level's load.
func TestLevelRefsFromOptions(t *testing.T) {
	r := buildFixture()
	r.Levels = nil
	r.Options.Concurrency = []int{1, 4}
	got := levelRefs(r)
	want := []LevelRef{
		{Index: 0, LoadSpec: bench.LoadSpec{Model: bench.LoadSequential, Concurrency: 1}, PromptTokens: 512},
		{Index: 1, LoadSpec: bench.LoadSpec{Model: bench.LoadClosed, Concurrency: 4}, PromptTokens: 512},
	}
	if !slices.Equal(got, want) {
		t.Errorf("levelRefs = %+v, want %+v", got, want)
	}
	if keys := levelKeys(got); !slices.Equal(keys, []string{"/concurrency=1", "/concurrency=4"}) {
		t.Errorf("levelKeys = %q", keys)
	}
}
