package results

import (
	"fmt"
	"strings"
	"testing"
)

// The threshold syntax every command shares (internal/threshold) gives the same gates
// as the older METRIC:±N%: <= bounds a rise, >= a fall. Only Spec, the gate as
// written, differs.
func TestParseGatesCanonical(t *testing.T) {
	for _, tc := range []struct{ canonical, old string }{
		{"ttft_p95<=+10%", "ttft_p95:+10%"},
		// <= with an unsigned percentage is a rise: ttft_p95<=10% is +10%.
		{"ttft_p95<=10%", "ttft_p95:+10%"},
		{"server_gen_per_s>=-5%", "server_gen_per_s:-5%"},
		{"server_gen_per_s>=-5%,ttft_p95<=+10%", "server_gen_per_s:-5%,ttft_p95:+10%"},
		// A neutral metric takes either direction, as its operator says.
		{"output_tokens_mean>=-1%", "output_tokens_mean:-1%"},
		{"levels[1].ttft_p95<=+20%", "levels[1].ttft_p95:+20%"},
		// The spellings mix in one list.
		{" TTFT_P99 <= +2.5% ,e2e:+50%", "ttft_p99:+2.5%,e2e:+50%"},
	} {
		a, errA := ParseGates(tc.canonical)
		b, errB := ParseGates(tc.old)
		if errA != nil || errB != nil || len(a) != len(b) {
			t.Errorf("ParseGates(%q) = %+v, %v; ParseGates(%q) = %+v, %v", tc.canonical, a, errA, tc.old, b, errB)
			continue
		}
		for i := range a {
			a[i].Spec, b[i].Spec = "", ""
		}
		if fmt.Sprint(a) != fmt.Sprint(b) {
			t.Errorf("ParseGates(%q) = %+v, want %+v", tc.canonical, a, b)
		}
	}
	for in, want := range map[string]string{
		// An absolute limit is not a change against the base.
		"ttft_p95<=500ms": "an absolute limit such as 500ms belongs in --slo or a profile's expectations",
		// The operator and the sign must agree.
		"ttft_p95<=-10%":              "would demand a fall",
		"server_gen_per_s>=+5%":       "would demand a rise",
		"server_gen_per_s>=5%":        "would demand a rise",
		"ttft_p95<+10%":               "write <= or >=",
		"server_gen_per_s<=+5%":       "would fail on an improvement",
		"ttft>=-5%":                   "lower is better",
		"ttft_p95<=+10%,ttft_p95:+5%": "gated twice",
	} {
		// Each error starts with the offending term, quoted.
		if _, err := ParseGates(in); err == nil || !strings.Contains(err.Error(), want) || !strings.HasPrefix(err.Error(), `"`) {
			t.Errorf("ParseGates(%q): %v, want an error with %q", in, err, want)
		}
	}
}

// A gate written in the shared syntax keeps its operator in markdown: a code span shows
// "&lt;" as written, so the spec is not HTML-escaped there.
func TestMarkdownGateSpecInCodeSpan(t *testing.T) {
	runs, labels := fixedRuns(t)
	gates, err := ParseGates("ttft_p95<=+20%")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Compare(runs, labels, CompareOptions{Gates: gates})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := RenderComparisonMarkdown(&b, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "| `ttft_p95<=+20%` |") {
		t.Errorf("markdown:\n%s", b.String())
	}
}
