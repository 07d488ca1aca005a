package results

import (
	"math"
	"slices"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// ObjectiveResult is how a group of measured requests did against one objective
// (bench.Objective). Values are in nanoseconds, TTFT and E2E counted from the scheduled
// send time, TPOT as is (bench.Objective.Value). A failed request (an error, a
// timeout, no first token) meets no objective: it counts as a value beyond every
// threshold.
type ObjectiveResult struct {
	Metric      string  `json:"metric"`
	Percentile  float64 `json:"percentile,omitempty"`
	ThresholdNs int64   `json:"threshold_ns"`
	// N is the number of successful samples that have the metric; Judged the requests
	// the objective judged (those, and the failed and dropped ones, beyond every value).
	N      int `json:"n"`
	Judged int `json:"judged"`
	// ObservedNs: for a percentile objective the nearest-rank percentile of the metric
	// over the measured requests, failed ones counting as beyond every value; for a
	// per-request objective, the worst value. Absent when that value is a failed
	// request's, or when no request has the metric.
	ObservedNs *int64 `json:"observed_ns,omitempty"`
	// MetFrac is the fraction of the requests the objective judges that are within the
	// threshold (≤); failed and dropped requests, and successful ones that sent no text
	// (no TTFT), are not within it. 0 without requests.
	MetFrac float64 `json:"met_frac"`
	// Met: a percentile objective is met when its percentile is within the threshold;
	// a per-request one when every request it judges is (MetFrac = 1).
	Met bool `json:"met"`
}

// SLOResult is how a group of measured requests did against an SLO.
type SLOResult struct {
	Objectives []ObjectiveResult `json:"objectives"`
	// Met is true when every objective is met.
	Met bool `json:"met"`
	// Requests is the number of requests evaluated: every measured request sent, and
	// the open loop's dropped ones (due but never sent). Failed counts those of them
	// that failed and Dropped the dropped: they met no objective.
	Requests int `json:"requests"`
	Failed   int `json:"failed"`
	Dropped  int `json:"dropped,omitempty"`
	// GoodRequests is the number of successful requests meeting every objective's
	// threshold (bench.SLO.Meets): the numerator of goodput_per_s (docs/metrics.md
	// "Aggregates").
	GoodRequests int `json:"good_requests"`
}

// EvaluateSLO holds the measured samples against slo (warm-up and cold ones are left
// out), with dropped more requests that fell due and were never sent (an open loop
// that could not keep up): a user of the schedule got no answer to them, so they count
// like failed requests, beyond every threshold. A TPOT objective does not judge a
// request of fewer than 2 output tokens (bench.Objective.Applies). It returns nil when
// slo has no objectives. A group without requests meets no objective.
func EvaluateSLO(slo bench.SLO, samples []bench.Sample, dropped int) *SLOResult {
	if !slo.IsSet() {
		return nil
	}
	var all []*bench.Sample
	for i := range samples {
		if s := &samples[i]; s.Phase == bench.PhaseMeasured {
			all = append(all, s)
		}
	}
	r := &SLOResult{Objectives: make([]ObjectiveResult, 0, len(slo.Objectives)), Met: true,
		Requests: len(all) + dropped, Dropped: dropped}
	for _, s := range all {
		switch {
		case !s.OK:
			r.Failed++
		case slo.Meets(s):
			r.GoodRequests++
		}
	}
	for _, o := range slo.Objectives {
		or := ObjectiveResult{Metric: o.Metric, Percentile: o.Percentile, ThresholdNs: int64(o.Threshold)}
		vals := make([]float64, 0, len(all)+dropped)
		within := 0
		for range dropped {
			vals = append(vals, math.Inf(1))
		}
		for _, s := range all {
			if !s.OK {
				vals = append(vals, math.Inf(1))
				continue
			}
			if !o.Applies(s) {
				continue
			}
			v, has := o.Value(s)
			if !has {
				vals = append(vals, math.Inf(1)) // no generated text: no first token
				continue
			}
			or.N++
			vals = append(vals, float64(v))
			if v <= int64(o.Threshold) {
				within++
			}
		}
		or.Judged = len(vals)
		if len(vals) == 0 && len(all) > 0 {
			// Nothing to judge: every request had fewer than 2 output tokens, so a TPOT
			// objective does not apply; it is not missed.
			or.MetFrac, or.Met = 1, true
		}
		if len(vals) > 0 {
			or.MetFrac = float64(within) / float64(len(vals))
			slices.Sort(vals)
			v := vals[len(vals)-1]
			if o.Percentile > 0 {
				v = stat.NearestRank(vals, o.Percentile)
			}
			if !math.IsInf(v, 1) {
				n := int64(v)
				or.ObservedNs = &n
			}
			if o.Percentile == 0 {
				or.Met = within == len(vals)
			} else {
				or.Met = or.ObservedNs != nil && *or.ObservedNs <= or.ThresholdNs
			}
		}
		r.Met = r.Met && or.Met
		r.Objectives = append(r.Objectives, or)
	}
	return r
}
