package bench

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func obj(metric string, p float64, d time.Duration) Objective {
	return Objective{Metric: metric, Percentile: p, Threshold: d}
}

func TestParseSLO(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []Objective
		// canon is what String writes back; it must parse to the same SLO.
		canon string
		why   string
	}{
		{"ttft_p95=500ms,tpot=50ms", []Objective{obj("ttft", 95, 500*time.Millisecond), obj("tpot", 0, 50*time.Millisecond)},
			"ttft_p95=500ms,tpot=50ms", "the brief's example: a percentile objective, then a per-request one, in the order written"},
		{" TTFT_P99.9 = 1.5s , E2E=2s ", []Objective{obj("ttft", 99.9, 1500*time.Millisecond), obj("e2e", 0, 2*time.Second)},
			"ttft_p99.9=1.5s,e2e=2s", "names are case-insensitive and spaces around items, names and values are dropped; 1.5s prints back as 1.5s"},
		{"e2e_p50=1m30s", []Objective{obj("e2e", 50, 90*time.Second)},
			"e2e_p50=1m30s", "any time.ParseDuration form: 1m30s is 90s, which Duration.String prints as 1m30s"},
		{"tpot_p100=20ms", []Objective{obj("tpot", 100, 20*time.Millisecond)},
			"tpot_p100=20ms", "100 is inside (0, 100]: the maximum, kept distinct from the per-request form"},
		{"tpot_p95.0=20ms", []Objective{obj("tpot", 95, 20*time.Millisecond)},
			"tpot_p95=20ms", "p95.0 is the percentile 95; canonical form writes the shortest decimal"},
		{"ttft_p0.5=1500us", []Objective{obj("ttft", 0.5, 1500*time.Microsecond)},
			"ttft_p0.5=1.5ms", "a percentile below 1 is allowed; 1500us is 1.5ms"},
		{"ttft=1ns,ttft_p99=1ns", []Objective{obj("ttft", 0, 1), obj("ttft", 99, 1)},
			"ttft=1ns,ttft_p99=1ns", "the same metric per request and at a percentile are two different objectives"},
	} {
		got, err := ParseSLO(tc.in)
		if err != nil {
			t.Errorf("ParseSLO(%q): %v (%s)", tc.in, err, tc.why)
			continue
		}
		if !reflect.DeepEqual(got.Objectives, tc.want) {
			t.Errorf("ParseSLO(%q) = %+v, want %+v (%s)", tc.in, got.Objectives, tc.want, tc.why)
		}
		if s := got.String(); s != tc.canon {
			t.Errorf("ParseSLO(%q).String() = %q, want %q (%s)", tc.in, s, tc.canon, tc.why)
		}
		back, err := ParseSLO(got.String())
		if err != nil || !reflect.DeepEqual(back, got) {
			t.Errorf("round trip of %q: ParseSLO(%q) = %+v, %v; want %+v", tc.in, got.String(), back, err, got)
		}
	}
}

func TestParseSLOErrors(t *testing.T) {
	for _, tc := range []struct {
		in string
		// want are substrings of the error: the bad item and what is expected.
		want []string
		why  string
	}{
		{"ttft_p95=fast", []string{`--slo "ttft_p95=fast": "fast" is not a duration (e.g. 500ms)`}, "the brief's own example message"},
		{"ttft=500", []string{`"ttft=500"`, `"500" has no unit`, `500ms`}, "a bare number: Go would say 'missing unit', the user needs to be told to add one"},
		{"ttft=0.5", []string{`"0.5" has no unit`}, "a decimal without unit is a bare number too"},
		{"", []string{`--slo ""`, "no objectives", "ttft_p95=500ms"}, "an empty flag sets nothing: an error, not the zero SLO"},
		{"   ", []string{"no objectives"}, "only spaces is empty"},
		{"ttft=1s,,tpot=2ms", []string{`--slo "ttft=1s,,tpot=2ms"`, "item 2 is empty"}, "a doubled comma leaves an empty item, named by its place since it has no text"},
		{"ttft=1s,", []string{"item 2 is empty"}, "a trailing comma leaves an empty item"},
		{"ttft", []string{`"ttft"`, "no '='"}, "an objective needs its threshold"},
		{"ttft=", []string{"no duration"}, "nothing after '='"},
		{"itl=5ms", []string{`"itl=5ms"`, `unknown metric "itl"`, "ttft, tpot or e2e"}, "ITL is chunk-level, not an SLO metric here"},
		{"ttft_95=1s", []string{`"_95" is not a percentile`, "_p95"}, "the percentile needs its p"},
		{"ttft_p=1s", []string{`"_p" is not a percentile`}, "p without a number"},
		{"ttft_p-5=1s", []string{"not a percentile"}, "no sign: a percentile is in (0, 100]"},
		{"ttft_p1e2=1s", []string{"not a percentile"}, "no exponents: digits with an optional decimal part only"},
		{"ttft_p95.=1s", []string{"not a percentile"}, "a bare trailing dot is not a decimal part"},
		{"ttft_p0=1s", []string{"percentile 0 is out of range", "(0, 100]"}, "p0 would be the minimum: outside (0, 100]"},
		{"ttft_p100.5=1s", []string{"percentile 100.5 is out of range"}, "above 100"},
		{"ttft=0s", []string{`"0s" is not above zero`}, "a zero threshold can never be met"},
		{"ttft=-5ms", []string{`"-5ms" is not above zero`}, "a negative threshold can never be met"},
		{"ttft=500MS", []string{`"500MS" is not a duration`}, "units are Go's, case-sensitive"},
		{"ttft_p95=1s,TTFT_p95.0=2s", []string{`"TTFT_p95.0=2s"`, "ttft_p95 is given twice"}, "the same (metric, percentile) pair, written differently"},
		{"ttft=1s,ttft=2s", []string{"ttft is given twice"}, "two per-request TTFT thresholds contradict each other"},
		{"ttft=1s\nx", []string{`\n`}, "a newline in the input is quoted: the error stays one line"},
	} {
		_, err := ParseSLO(tc.in)
		if err == nil {
			t.Errorf("ParseSLO(%q) = nil error; want %q (%s)", tc.in, tc.want, tc.why)
			continue
		}
		msg := err.Error()
		if strings.Contains(msg, "\n") {
			t.Errorf("ParseSLO(%q): error is not one line: %q", tc.in, msg)
		}
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseSLO(%q) error %q lacks %q (%s)", tc.in, msg, w, tc.why)
			}
		}
	}
}

// TestSLOSetIsGeneric: *SLO is what urfave/cli's GenericFlag holds; Set replaces the
// value on success and keeps it on error, and String on nil or zero is "".
func TestSLOSetIsGeneric(t *testing.T) {
	var g interface {
		Set(string) error
		String() string
	} = &SLO{}
	if g.String() != "" {
		t.Errorf("zero SLO String() = %q, want \"\"", g.String())
	}
	if s := (*SLO)(nil).String(); s != "" {
		t.Errorf("nil *SLO String() = %q, want \"\"", s)
	}
	var s SLO
	if err := s.Set("ttft_p95=500ms"); err != nil || s.String() != "ttft_p95=500ms" || !s.IsSet() {
		t.Fatalf("Set: %v, %q, IsSet %v", err, s.String(), s.IsSet())
	}
	if err := s.Set("ttft_p95=fast"); err == nil || s.String() != "ttft_p95=500ms" {
		t.Errorf("bad Set: err %v, value %q; want an error and the value kept", err, s.String())
	}
	if err := s.Set("tpot=50ms"); err != nil || s.String() != "tpot=50ms" {
		t.Errorf("second Set: %v, %q; want it to replace the first", err, s.String())
	}
	if (SLO{}).IsSet() {
		t.Error("zero SLO IsSet() = true")
	}
}

func TestSLOJSONRoundTrip(t *testing.T) {
	in, err := ParseSLO("ttft_p99.9=500ms,tpot=50ms,e2e_p50=2s")
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	// An array of objectives, thresholds in ns, percentile omitted for per request.
	const want = `[{"metric":"ttft","percentile":99.9,"threshold_ns":500000000},{"metric":"tpot","threshold_ns":50000000},{"metric":"e2e","percentile":50,"threshold_ns":2000000000}]`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant      %s", b, want)
	}
	var out SLO
	if err := json.Unmarshal(b, &out); err != nil || !reflect.DeepEqual(out, in) {
		t.Errorf("Unmarshal = %+v, %v; want %+v", out, err, in)
	}

	// Inside a struct too (as a run file's options hold it), and the zero SLO as [].
	type holder struct {
		SLO SLO `json:"slo"`
	}
	for _, h := range []holder{{in}, {}} {
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatal(err)
		}
		var back holder
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, h) {
			t.Errorf("holder %s: back %+v, %v; want %+v", b, back, err, h)
		}
	}
	if b, _ := json.Marshal(SLO{}); string(b) != "[]" {
		t.Errorf("zero SLO marshals to %s, want []", b)
	}

	// MarshalJSON writes threshold_ns from Threshold, the value Go code uses.
	if b, _ := json.Marshal(SLO{Objectives: []Objective{{Metric: "ttft", Threshold: time.Second}}}); !strings.Contains(string(b), `"threshold_ns":1000000000`) {
		t.Errorf("threshold_ns not from Threshold: %s", b)
	}

	// A file that breaks ParseSLO's rules is corrupt.
	for _, bad := range []string{
		`[{"metric":"itl","threshold_ns":1}]`,
		`[{"metric":"TTFT","threshold_ns":1}]`,
		`[{"metric":"ttft","threshold_ns":0}]`,
		`[{"metric":"ttft","percentile":101,"threshold_ns":1}]`,
		`[{"metric":"ttft","percentile":-1,"threshold_ns":1}]`,
		`[{"metric":"ttft","threshold_ns":1},{"metric":"ttft","threshold_ns":2}]`,
		`{"metric":"ttft"}`,
	} {
		var s SLO
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("Unmarshal(%s) = nil error", bad)
		}
	}
}

func TestSLOMeets(t *testing.T) {
	ms := func(v int64) *int64 { v *= int64(time.Millisecond); return &v }
	slo, err := ParseSLO("ttft_p95=500ms,tpot=50ms,e2e=5s")
	if err != nil {
		t.Fatal(err)
	}
	good := Sample{OK: true, TTFTNs: ms(400), TPOTNs: ms(40), E2ENs: ms(4000), OutputTokens: 10}
	for _, tc := range []struct {
		name string
		edit func(*Sample)
		want bool
		why  string
	}{
		{"within every threshold", func(*Sample) {}, true, "400 ≤ 500, 40 ≤ 50, 4000 ≤ 5000"},
		{"queue delay pushes TTFT over", func(s *Sample) { s.QueueDelayNs = int64(150 * time.Millisecond) },
			false, "latency counts from the schedule: 400 ms + 150 ms late = 550 ms > 500 ms, though the server answered in 400"},
		{"queue delay within the margin", func(s *Sample) { s.QueueDelayNs = int64(100 * time.Millisecond) },
			true, "400 + 100 = 500 ms: at the threshold is within it, and 4000 + 100 ≤ 5000 for E2E"},
		{"queue delay pushes E2E over", func(s *Sample) { s.TTFTNs, s.E2ENs = ms(100), ms(4800); s.QueueDelayNs = int64(300 * time.Millisecond) },
			false, "TTFT 100 + 300 = 400 is within, but E2E 4800 + 300 = 5100 > 5000"},
		{"negative queue delay does not help", func(s *Sample) { s.TTFTNs = ms(600); s.QueueDelayNs = -int64(200 * time.Millisecond) },
			false, "sent before its time is taken as on time: 600 ms stays 600 > 500"},
		{"TPOT is not shifted by the queue", func(s *Sample) { s.TPOTNs = ms(50); s.QueueDelayNs = int64(90 * time.Millisecond) },
			true, "TPOT is a per-token rate: 50 ≤ 50 whatever the lateness; TTFT 490, E2E 4090 are within"},
		{"TPOT over", func(s *Sample) { s.TPOTNs = ms(51) }, false, "51 > 50"},
		{"failed sample", func(s *Sample) { s.OK = false }, false, "a failed request is never good, whatever its timings"},
		{"one output token: no TPOT", func(s *Sample) { s.TPOTNs = nil; s.OutputTokens = 1 },
			true, "TPOT is undefined with < 2 tokens: the TPOT objective does not judge it (vLLM counts it as 0), and TTFT and E2E are within"},
		{"no text at all", func(s *Sample) { s.TTFTNs = nil }, false, "no TTFT: the TTFT objective is not met"},
	} {
		s := good
		tc.edit(&s)
		if got := slo.Meets(&s); got != tc.want {
			t.Errorf("%s: Meets = %v, want %v (%s)", tc.name, got, tc.want, tc.why)
		}
	}
	if !(SLO{}).Meets(&good) || (SLO{}).Meets(&Sample{}) || slo.Meets(nil) {
		t.Error("no objectives: every successful sample meets them, a failed one or nil does not")
	}
}

// FuzzParseSLO: ParseSLO never panics; whatever it accepts, String writes in a form
// it reads back to an equal SLO (and String is then a fixed point), and every error is
// one line.
func FuzzParseSLO(f *testing.F) {
	for _, seed := range []string{
		"ttft_p95=500ms,tpot=50ms",
		"TTFT_P99.9 = 1.5s , e2e=2s",
		"e2e_p50=1m30s",
		"ttft_p0.0000001=1ns",
		"tpot_p100=2562047h47m16.854775807s",
		"ttft_p95=fast",
		"ttft=500",
		"ttft=1s,,",
		"ttft_p95=1s,ttft_p95.0=2s",
		"ttft_p1e2=1s",
		"ttft=1.5µs,tpot=3μs",
		"",
		"=",
		"_p=",
		"ttft_p95<=500ms,tpot<=50ms",
		"ttft>=1s,e2e<2s",
		"<=",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseSLO(in)
		if err != nil {
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("ParseSLO(%q): error of more than one line: %q", in, err)
			}
			return
		}
		if !s.IsSet() {
			t.Fatalf("ParseSLO(%q) accepted no objectives", in)
		}
		canon := s.String()
		back, err := ParseSLO(canon)
		if err != nil {
			t.Fatalf("ParseSLO(%q) ok, but its String %q does not parse: %v", in, canon, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("ParseSLO(%q) = %+v; String %q parses to %+v", in, s, canon, back)
		}
		if back.String() != canon {
			t.Fatalf("String not a fixed point: %q then %q", canon, back.String())
		}
	})
}

// The threshold syntax every command shares (internal/threshold), metric[_pP]<=duration,
// reads as the older metric[_pP]=duration does; a lower bound or a strict comparison
// is refused, since an objective is an upper bound that includes its limit.
func TestParseSLOCanonical(t *testing.T) {
	for _, tc := range []struct{ canonical, old string }{
		{"ttft_p95<=500ms", "ttft_p95=500ms"},
		{"ttft_p95<=500ms, tpot<=50ms,e2e_p99.9<=2s", "ttft_p95=500ms,tpot=50ms,e2e_p99.9=2s"},
		// The two spellings mix in one list.
		{"TTFT_p95 <= 500ms,tpot=50ms", "ttft_p95=500ms,tpot=50ms"},
	} {
		a, errA := ParseSLO(tc.canonical)
		b, errB := ParseSLO(tc.old)
		if errA != nil || errB != nil || a.String() != b.String() {
			t.Errorf("ParseSLO(%q) = %v (%v), want ParseSLO(%q) = %v (%v)", tc.canonical, a.String(), errA, tc.old, b.String(), errB)
		}
	}
	for _, tc := range []struct{ in, want string }{
		{"ttft_p95>=500ms", "an objective bounds a latency from above; write \"ttft_p95<=500ms\""},
		{"ttft_p95<500ms", "write <= or >="},
		{"ttft<=fast", `"fast" is not a duration`},
		{"ttft_p95<=500ms,ttft_p95=1s", "ttft_p95 is given twice"},
	} {
		if _, err := ParseSLO(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "--slo ") {
			t.Errorf("ParseSLO(%q): %v, want an error with %q", tc.in, err, tc.want)
		}
	}
}
