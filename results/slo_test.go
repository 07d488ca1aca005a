package results

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
)

// sloSmp is a successful measured sample with TTFT, TPOT and E2E in milliseconds and
// its queue delay; tpotMs < 0 means one output token, so no TPOT.
func sloSmp(ttftMs, tpotMs, e2eMs, queueMs int64) bench.Sample {
	p := func(v int64) *int64 { v *= int64(time.Millisecond); return &v }
	s := bench.Sample{Phase: bench.PhaseMeasured, OK: true, TTFTNs: p(ttftMs), E2ENs: p(e2eMs),
		QueueDelayNs: queueMs * int64(time.Millisecond), OutputTokens: 10}
	if tpotMs >= 0 {
		s.TPOTNs = p(tpotMs)
	} else {
		s.OutputTokens = 1
	}
	return s
}

// sloTen is ten requests, i = 1..10: TTFT i×100 ms, TPOT i×10 ms, E2E i s, on time;
// plus a warm-up and a cold request with values that would change every figure if they
// were counted.
func sloTen() []bench.Sample {
	var ss []bench.Sample
	for i := int64(1); i <= 10; i++ {
		ss = append(ss, sloSmp(i*100, i*10, i*1000, 0))
	}
	warm := sloSmp(99_000, 990, 99_000, 0)
	warm.Phase = bench.PhaseWarmup
	cold := sloSmp(50_000, 990, 99_000, 0)
	cold.Phase = bench.PhaseCold
	return append(ss, warm, cold)
}

// sloFailed is a measured request that timed out; its stale timings must not count.
func sloFailed() bench.Sample {
	f := sloSmp(1, 1, 1, 0)
	f.OK, f.ErrorKind = false, bench.ErrTimeout
	return f
}

func TestEvaluateSLO(t *testing.T) {
	ms := func(v int64) int64 { return v * int64(time.Millisecond) }
	pms := func(v int64) *int64 { v *= int64(time.Millisecond); return &v }
	withQueue := sloTen()
	withQueue[4].QueueDelayNs = ms(600) // i = 5: TTFT 500 + 600 = 1100 ms, E2E 5000 + 600 = 5600 ms
	noTPOT := []bench.Sample{sloSmp(100, 10, 1000, 0), sloSmp(100, 20, 1000, 0), sloSmp(100, 30, 1000, 0), sloSmp(100, -1, 1000, 0)}

	for _, tc := range []struct {
		name    string
		slo     string
		samples []bench.Sample
		want    []ObjectiveResult
		met     bool
		good    int
		reqs    int
		failed  int
		dropped int
	}{
		{
			name: "percentiles and per request", slo: "ttft_p90=900ms,ttft_p95=900ms,ttft=1s,tpot_p50=50ms,e2e=5s", samples: sloTen(),
			want: []ObjectiveResult{
				// p90 of 10 is rank ⌈9⌉ = 9: 900 ms ≤ 900 ms; 100..900 are within: 9/10.
				{Metric: "ttft", Percentile: 90, ThresholdNs: ms(900), Judged: 10, N: 10, ObservedNs: pms(900), MetFrac: 0.9, Met: true},
				// p95 of 10 is rank ⌈9.5⌉ = 10: 1000 ms > 900 ms, though 9/10 are within.
				{Metric: "ttft", Percentile: 95, ThresholdNs: ms(900), Judged: 10, N: 10, ObservedNs: pms(1000), MetFrac: 0.9},
				// per request: the worst is 1000 ms ≤ 1 s, all within.
				{Metric: "ttft", ThresholdNs: ms(1000), Judged: 10, N: 10, ObservedNs: pms(1000), MetFrac: 1, Met: true},
				// p50 of 10 is rank 5: 50 ms ≤ 50 ms (at the threshold is within); 10..50: 5/10.
				{Metric: "tpot", Percentile: 50, ThresholdNs: ms(50), Judged: 10, N: 10, ObservedNs: pms(50), MetFrac: 0.5, Met: true},
				// per request: the worst is 10 s > 5 s; 1..5 s are within: 5/10.
				{Metric: "e2e", ThresholdNs: ms(5000), Judged: 10, N: 10, ObservedNs: pms(10000), MetFrac: 0.5},
			},
			// Good: TTFT ≤ 900 (i ≤ 9), TPOT ≤ 50 (i ≤ 5), E2E ≤ 5 s (i ≤ 5): i = 1..5.
			met: false, good: 5, reqs: 10,
		},
		{
			name: "queue delay counts from the schedule", slo: "ttft=1s,e2e_p50=6s", samples: withQueue,
			want: []ObjectiveResult{
				// i = 5 was sent 600 ms late: its user waited 1100 ms for the first token.
				{Metric: "ttft", ThresholdNs: ms(1000), Judged: 10, N: 10, ObservedNs: pms(1100), MetFrac: 0.9},
				// E2E from schedule, sorted: 1, 2, 3, 4, 5.6, 6, ..., 10 s; rank 5 is 5.6 s ≤ 6 s;
				// within: 1, 2, 3, 4, 5.6, 6 s = 6/10.
				{Metric: "e2e", Percentile: 50, ThresholdNs: ms(6000), Judged: 10, N: 10, ObservedNs: pms(5600), MetFrac: 0.6, Met: true},
			},
			// Good: E2E ≤ 6 s is i = 1..6, but i = 5 misses TTFT: 1, 2, 3, 4, 6.
			met: false, good: 5, reqs: 10,
		},
		{
			name: "extreme percentiles", slo: "ttft_p99.9=1s,ttft_p0.5=100ms", samples: sloTen(),
			want: []ObjectiveResult{
				// ⌈10 × 0.999⌉ = 10: the maximum.
				{Metric: "ttft", Percentile: 99.9, ThresholdNs: ms(1000), Judged: 10, N: 10, ObservedNs: pms(1000), MetFrac: 1, Met: true},
				// ⌈10 × 0.005⌉ = 1: the minimum; only 100 ms is within 100 ms.
				{Metric: "ttft", Percentile: 0.5, ThresholdNs: ms(100), Judged: 10, N: 10, ObservedNs: pms(100), MetFrac: 0.1, Met: true},
			},
			met: true, good: 1, reqs: 10,
		},
		{
			name: "a request without TPOT", slo: "tpot=40ms,tpot_p50=40ms", samples: noTPOT,
			want: []ObjectiveResult{
				// The one-token request has no TPOT: a TPOT objective does not judge it
				// (vLLM counts its TPOT as 0), so the three that have one decide: all
				// within 40 ms, the worst 30 ms.
				{Metric: "tpot", ThresholdNs: ms(40), Judged: 3, N: 3, ObservedNs: pms(30), MetFrac: 1, Met: true},
				// The percentile is over the same 3: rank ⌈1.5⌉ = 2 is 20 ms.
				{Metric: "tpot", Percentile: 50, ThresholdNs: ms(40), Judged: 3, N: 3, ObservedNs: pms(20), MetFrac: 1, Met: true},
			},
			met: true, good: 4, reqs: 4,
		},
		{
			name: "dropped requests count like failed ones", slo: "ttft_p50=1s,e2e=10s", samples: sloTen(),
			want: []ObjectiveResult{
				// 20 requests were due: 10 answered (100..1000 ms), 10 never sent. p50 is
				// rank 10 of 20: 1000 ms ≤ 1 s, met; 10 of 20 within.
				{Metric: "ttft", Percentile: 50, ThresholdNs: ms(1000), Judged: 20, N: 10, ObservedNs: pms(1000), MetFrac: 0.5, Met: true},
				// Per request: the dropped ones got no answer at all.
				{Metric: "e2e", ThresholdNs: ms(10000), Judged: 20, N: 10, MetFrac: 0.5},
			},
			met: false, good: 10, reqs: 20, dropped: 10,
		},
		{
			name: "nothing for a TPOT objective to judge", slo: "tpot=1ms", samples: []bench.Sample{sloSmp(100, -1, 1000, 0), sloSmp(200, -1, 2000, 0)},
			want: []ObjectiveResult{
				// Both requests had one output token: no TPOT, the objective does not apply,
				// so it is not missed.
				{Metric: "tpot", ThresholdNs: ms(1), MetFrac: 1, Met: true},
			},
			met: true, good: 2, reqs: 2,
		},
		{
			name: "a failed request misses every objective", slo: "ttft_p90=1s,ttft_p95=1s,e2e=10s", samples: append(sloTen(), sloFailed()),
			want: []ObjectiveResult{
				// 11 measured: 100..1000 ms and the failure, beyond every value. p90 is rank
				// ⌈9.9⌉ = 10: 1000 ms ≤ 1 s; 10 of 11 within.
				{Metric: "ttft", Percentile: 90, ThresholdNs: ms(1000), Judged: 11, N: 10, ObservedNs: pms(1000), MetFrac: 10.0 / 11, Met: true},
				// p95 is rank ⌈10.45⌉ = 11: the failure; no value to show, not met.
				{Metric: "ttft", Percentile: 95, ThresholdNs: ms(1000), Judged: 11, N: 10, MetFrac: 10.0 / 11},
				// Per request: every successful one is within 10 s, the failure is not.
				{Metric: "e2e", ThresholdNs: ms(10000), Judged: 11, N: 10, MetFrac: 10.0 / 11},
			},
			met: false, good: 10, reqs: 11, failed: 1,
		},
		{
			name: "no successful measured request", slo: "ttft_p50=1h,e2e=1h", samples: append(sloTen()[10:], sloFailed()),
			want: []ObjectiveResult{
				// Only warm-up, cold and failed requests: nothing shows the objectives met.
				{Metric: "ttft", Percentile: 50, ThresholdNs: int64(time.Hour), Judged: 1},
				{Metric: "e2e", ThresholdNs: int64(time.Hour), Judged: 1},
			},
			met: false, good: 0, reqs: 1, failed: 1,
		},
	} {
		slo, err := bench.ParseSLO(tc.slo)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		r := EvaluateSLO(slo, tc.samples, tc.dropped)
		if r == nil {
			t.Fatalf("%s: nil result", tc.name)
		}
		if !reflect.DeepEqual(r.Objectives, tc.want) {
			t.Errorf("%s: objectives\n got %+v\nwant %+v", tc.name, r.Objectives, tc.want)
		}
		if r.Met != tc.met || r.GoodRequests != tc.good || r.Requests != tc.reqs || r.Failed != tc.failed || r.Dropped != tc.dropped {
			t.Errorf("%s: met %v, good %d, requests %d, failed %d; want %v, %d, %d, %d", tc.name, r.Met, r.GoodRequests, r.Requests, r.Failed, tc.met, tc.good, tc.reqs, tc.failed)
		}
	}
}

func TestEvaluateSLOUnsetIsNil(t *testing.T) {
	// No --slo: no SLO section in the run file, not an empty one that reads as "met".
	if r := EvaluateSLO(bench.SLO{}, sloTen(), 0); r != nil {
		t.Errorf("EvaluateSLO(zero SLO) = %+v, want nil", r)
	}
}

func TestSLOResultJSONNames(t *testing.T) {
	slo, _ := bench.ParseSLO("ttft_p95=500ms,tpot=50ms")
	b, err := json.Marshal(EvaluateSLO(slo, sloTen(), 0))
	if err != nil {
		t.Fatal(err)
	}
	// snake_case with the unit in the name; percentile absent for a per-request objective.
	for _, want := range []string{`"threshold_ns":500000000`, `"observed_ns":`, `"met_frac":`, `"good_requests":`, `"percentile":95`, `{"metric":"tpot","threshold_ns":50000000`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("%s lacks %s", b, want)
		}
	}
}
