package profiles

import (
	"encoding/json"
	"strings"
	"testing"
)

// An expectation written in the shared threshold syntax is the same expectation as
// with the older keys: the thresholds: items map one to one onto them.
func TestExpectationThresholdsCanonical(t *testing.T) {
	old := "expectations:\n  - model: m\n    min_server_gen_per_s: 20\n    max_ttft_p95: 150ms\n    min_decode_efficiency_frac: 0.4\n    min_headroom_frac: 0\n    max_predicted_error_frac: 0.15\n"
	canonical := "expectations:\n  - model: m\n    thresholds: [\"server_gen_per_s>=20\", \"ttft_p95<=150ms\", \"decode_efficiency_frac>=0.4\", \"memory.headroom_frac>=0\", \"predicted_error_frac<=0.15\"]\n"
	// Half and half: each figure once, by either spelling.
	mixed := "expectations:\n  - model: m\n    max_ttft_p95: 150ms\n    min_headroom_frac: 0\n    thresholds:\n      - server_gen>=20\n      - roofline.decode_efficiency_frac >= 0.4\n      - memory.predicted_error_frac<=0.15\n"
	var want string
	for i, doc := range []string{old, canonical, mixed} {
		p, err := ParseProfile("f.yaml", []byte(doc))
		if err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		b, _ := json.Marshal(p.Expectations)
		if i == 0 {
			want = string(b)
			continue
		}
		if string(b) != want {
			t.Errorf("%d: %s\nwant %s", i, b, want)
		}
	}
	for _, tc := range []struct{ name, doc, want string }{
		{"set twice, old key first", "expectations:\n  - model: m\n    max_ttft_p95: 1s\n    thresholds: [\"ttft_p95<=2s\"]\n",
			`f.yaml:4: thresholds: "ttft_p95<=2s": sets what line 3 already set (max_ttft_p95)`},
		{"set twice, thresholds first", "expectations:\n  - model: m\n    thresholds: [\"ttft_p95<=2s\"]\n    max_ttft_p95: 1s\n",
			"f.yaml:4: max_ttft_p95: already set by thresholds: at line 3"},
		{"wrong operator", "expectations:\n  - model: m\n    thresholds: [\"ttft_p95>=2s\"]\n", "ttft_p95 is held under a limit; write \"ttft_p95<=2s\""},
		{"not judged by check", "expectations:\n  - model: m\n    thresholds: [\"itl_p95<=2s\"]\n", "check does not judge itl_p95 (it judges server_gen_per_s>=…, ttft_p95<=…"},
		{"older spelling inside", "expectations:\n  - model: m\n    thresholds: [\"ttft_p95=2s\"]\n", "want METRIC<=LIMIT or METRIC>=LIMIT"},
		{"strict operator", "expectations:\n  - model: m\n    thresholds: [\"ttft_p95<2s\"]\n", "write <= or >="},
		// The limit goes through the older key's parser: its ranges and messages.
		{"bad duration", "expectations:\n  - model: m\n    thresholds: [\"ttft_p95<=fast\"]\n", "thresholds: ttft_p95: want a duration with a unit"},
		{"out of range", "expectations:\n  - model: m\n    thresholds: [\"decode_efficiency_frac>=1.5\"]\n", "1.5 is implausibly large (at most 1)"},
		{"not a list", "expectations:\n  - model: m\n    thresholds: ttft_p95<=2s\n", "thresholds: want a list of strings"},
		{"empty list, nothing set", "expectations:\n  - model: m\n    thresholds: []\n", "sets no threshold"},
	} {
		_, err := ParseProfile("f.yaml", []byte(tc.doc))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
