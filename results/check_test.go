package results

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/profiles"

	"github.com/yardstick-dev/yardstick/internal/junitschema"
)

// checkFixture is the memory fixture run (buildFixture) and a profile whose one
// expectation has a threshold met (ttft p95 under 1 h), one failed (a decode rate of
// 1e9 tok/s, above any machine) and one the run cannot judge (its memory has no
// predicted error once that figure is removed).
func checkFixture(t *testing.T) (*Run, profiles.Profile) {
	t.Helper()
	r := buildFixture()
	r.Memory.PredictedErrorFrac, r.Memory.PredictedErrorUnavailable = nil, "no prediction for this architecture"
	hour, gen, perr := time.Hour, 1e9, 0.2
	return r, profiles.Profile{Name: "ci", Source: "ci.yaml", Expectations: []profiles.Expectation{
		{Model: "qwen2.5:*", MaxTTFTP95: &hour, MinServerGenPerS: &gen, MaxPredictedErrorFrac: &perr}}}
}

// Strict (the default) fails a line the run cannot judge; lenient skips it. The
// counts follow the statuses either way.
func TestCheckStrictAndLenient(t *testing.T) {
	r, p := checkFixture(t)
	for _, tc := range []struct {
		name                    string
		opts                    CheckOptions
		passed, failed, skipped int
		unjudged                string
	}{
		{"strict", CheckOptions{}, 1, 2, 0, "fail"},
		{"lenient", CheckOptions{Lenient: true}, 1, 1, 1, "skip"},
	} {
		c, err := CheckWith(r, p, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		if c.Passed != tc.passed || c.Failed != tc.failed || c.Skipped != tc.skipped || c.Strict == tc.opts.Lenient {
			t.Errorf("%s: passed %d failed %d skipped %d strict %v, want %d %d %d", tc.name, c.Passed, c.Failed, c.Skipped, c.Strict, tc.passed, tc.failed, tc.skipped)
		}
		// Lines come in the order of CheckWith: gen rate, ttft, predicted error.
		if l := c.Lines[2]; l.Judged || l.Value != nil || l.Status != tc.unjudged || !strings.Contains(l.Measured, "no prediction") {
			t.Errorf("%s: unjudged line %+v", tc.name, l)
		}
		if l := c.Lines[1]; !l.Judged || !l.Pass || l.Status != "pass" || l.Value == nil || l.Limit != 3600e9 {
			t.Errorf("%s: ttft line %+v", tc.name, l)
		}
	}
}

// A run in which no measured request succeeded fails check, lenient or not, even when
// a threshold judged from elsewhere (memory headroom) passed: a gate must not pass a
// run that measured nothing.
func TestCheckFailsARunWithNoSuccess(t *testing.T) {
	r, p := checkFixture(t)
	r.Throughput.Failed += r.Throughput.Completed
	r.Throughput.Completed = 0
	for _, lenient := range []bool{false, true} {
		c, err := CheckWith(r, p, CheckOptions{Lenient: lenient})
		if err != nil {
			t.Fatal(err)
		}
		last := c.Lines[len(c.Lines)-1]
		if last.What != "measured requests ok" || last.Status != "fail" || !last.Judged || c.Failed == 0 {
			t.Errorf("lenient %v: last line %+v, failed %d: want a judged failure", lenient, last, c.Failed)
		}
	}
	// A run with successes has no such line.
	r2, _ := checkFixture(t)
	c, err := CheckWith(r2, p, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range c.Lines {
		if l.What == "measured requests ok" {
			t.Errorf("a run with %d successes got %+v", r2.Throughput.Completed, l)
		}
	}
}

// check --format junit: the report holds one test case per threshold and validates
// against the Jenkins schema (internal/junitschema), strict and lenient, passing and not.
func TestCheckJUnitValidates(t *testing.T) {
	r, p := checkFixture(t)
	hour := time.Hour
	allMet := profiles.Profile{Name: "ok", Source: "ok.yaml", Expectations: []profiles.Expectation{{Model: "qwen2.5:*", MaxTTFTP95: &hour}}}
	for _, tc := range []struct {
		name                      string
		p                         profiles.Profile
		opts                      CheckOptions
		tests, failures, skipped  int
		notJudged, belowThreshold bool
	}{
		{"strict", p, CheckOptions{}, 3, 2, 0, true, true},
		{"lenient", p, CheckOptions{Lenient: true}, 3, 1, 1, false, true},
		{"all met", allMet, CheckOptions{}, 1, 0, 0, false, false},
	} {
		c, err := CheckWith(r, tc.p, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderCheckJUnit(&b, "run.json", r, c); err != nil {
			t.Fatal(err)
		}
		doc := b.String()
		if err := junitschema.ValidateAll(b.Bytes()); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, doc)
		}
		want := []string{
			`tests="` + strconv.Itoa(tc.tests) + `"`, `failures="` + strconv.Itoa(tc.failures) + `"`, `skipped="` + strconv.Itoa(tc.skipped) + `"`,
		}
		for _, w := range want {
			if !strings.Contains(doc, w) {
				t.Errorf("%s: no %s in\n%s", tc.name, w, doc)
			}
		}
		if strings.Contains(doc, `type="not_judged"`) != tc.notJudged || strings.Contains(doc, `type="below_expectation"`) != tc.belowThreshold {
			t.Errorf("%s: failure types\n%s", tc.name, doc)
		}
	}
}

// check --format json: the lines with their machine-readable limits and values, and
// the tally; --format markdown: a table row per line and the verdict in the heading.
func TestCheckJSONAndMarkdown(t *testing.T) {
	r, p := checkFixture(t)
	c, err := Check(r, p)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := RenderCheckJSON(&b, "run.json", r, c); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Kind          string `json:"kind"`
		SchemaVersion int    `json:"schema_version"`
		RunFile       string `json:"run_file"`
		Strict        bool   `json:"strict"`
		Failed        int    `json:"failed"`
		Lines         []struct {
			What   string   `json:"what"`
			Limit  float64  `json:"limit"`
			Value  *float64 `json:"value"`
			Judged bool     `json:"judged"`
			Status string   `json:"status"`
		} `json:"lines"`
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Kind != CheckKind || got.SchemaVersion != 1 || got.RunFile != "run.json" || !got.Strict || got.Failed != 2 || len(got.Lines) != 3 {
		t.Errorf("json %+v", got)
	}
	if l := got.Lines[0]; l.What != "server_gen_per_s median" || l.Limit != 1e9 || l.Value == nil || l.Status != "fail" {
		t.Errorf("first line %+v", l)
	}
	b.Reset()
	if err := RenderCheckMarkdown(&b, "run.json", r, c); err != nil {
		t.Fatal(err)
	}
	md := b.String()
	for _, w := range []string{"### yardstick check qwen2.5:0.5b: failed", "| expectation | threshold | measured | result |",
		"| ttft_ns p95 | &lt;= 1h0m0s |", "| **FAIL** |", "2 of 3 expectations failed (1 not judged, failed by the strict rule)."} {
		if !strings.Contains(md, w) {
			t.Errorf("markdown lacks %q:\n%s", w, md)
		}
	}
}

// A rate in a check line has four significant digits and no exponent.
func TestRate4(t *testing.T) {
	for v, want := range map[float64]string{12.345: "12.35", 1234.5: "1234", 12345.6: "12346", 1e9: "1000000000", 0.5: "0.5"} {
		if got := rate4(v); got != want {
			t.Errorf("rate4(%g) = %q, want %q", v, got, want)
		}
	}
}

// A threshold the run has no figure for says why: here the model fits in the
// last-level cache, so the roofline gives no decode efficiency.
func TestCheckSaysWhyNotMeasured(t *testing.T) {
	r, _ := checkFixture(t)
	if r.Roofline == nil {
		t.Fatal("the fixture has no roofline")
	}
	r.Roofline.DecodeEfficiencyFrac, r.Roofline.FitsInLLC = nil, true
	eff := 0.5
	p := profiles.Profile{Name: "ci", Source: "ci.yaml", Expectations: []profiles.Expectation{{Model: "*", MinDecodeEfficiencyFrac: &eff}}}
	c, err := CheckWith(r, p, CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if l := c.Lines[0]; l.Judged || !strings.Contains(l.Measured, "last-level cache") {
		t.Errorf("line %+v: want not judged, saying the model fits in the last-level cache", l)
	}
	var b bytes.Buffer
	if err := RenderCheck(&b, "run.json", r, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "not measured:\n  decode_efficiency_frac: the bytes read per token fit in the last-level cache") {
		t.Errorf("table does not say why:\n%s", b.String())
	}
}
