package threshold

import "testing"

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		in     string
		want   Term
		ok     bool
		hasErr bool
	}{
		{"ttft_p95<=500ms", Term{"ttft_p95", "<=", "500ms"}, true, false},
		// Spaces around the parts are dropped; the name is lower-cased as every
		// metric name is.
		{" TTFT_P95 <= +10% ", Term{"ttft_p95", "<=", "+10%"}, true, false},
		{"server_gen_per_s>=-5%", Term{"server_gen_per_s", ">=", "-5%"}, true, false},
		// The older spellings are not this syntax: ok false, no error, for the caller.
		{"ttft_p95=500ms", Term{}, false, false},
		{"ttft_p95:+10%", Term{}, false, false},
		// A strict comparison is refused: a threshold includes its limit.
		{"ttft_p95<500ms", Term{}, false, true},
		{"a<=1>=2", Term{}, false, true},
		{"a<=<=2", Term{}, false, true},
		{"<=500ms", Term{}, false, true},
		{"ttft<=", Term{}, false, true},
	} {
		got, ok, err := Split(tc.in)
		if got != tc.want || ok != tc.ok || (err != nil) != tc.hasErr {
			t.Errorf("Split(%q) = %+v, %v, %v; want %+v, %v, error %v", tc.in, got, ok, err, tc.want, tc.ok, tc.hasErr)
		}
	}
	if !(Term{Op: "<="}).Upper() || (Term{Op: ">="}).Upper() {
		t.Error("Upper")
	}
}
