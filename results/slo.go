package results

import (
	"slices"

	"github.com/yardstick-dev/yardstick/bench"
)

// ObjectiveResult is how a group of measured requests did against one objective
// (bench.Objective). Values are in nanoseconds, TTFT and E2E counted from the scheduled
// send time, TPOT as is (bench.Objective.Value).
type ObjectiveResult struct {
	Metric      string  `json:"metric"`
	Percentile  float64 `json:"percentile,omitempty"`
	ThresholdNs int64   `json:"threshold_ns"`
	// N is the number of successful samples that have the metric (TPOT needs two
	// output tokens): ObservedNs is over these, and is 0 when N is 0.
	N int `json:"n"`
	// ObservedNs: for a percentile objective the nearest-rank percentile of the metric
	// over the successful samples (nearestRank, as every percentile of Summary); for a
	// per-request objective, the worst (max) value.
	ObservedNs int64 `json:"observed_ns"`
	// MetFrac is the fraction of successful samples within the threshold (≤); a sample
	// lacking the metric is not within it. 0 when there are no successful samples.
	MetFrac float64 `json:"met_frac"`
	// Met: a percentile objective is met when ObservedNs ≤ ThresholdNs; a per-request
	// one when every successful sample is within the threshold (MetFrac = 1). Never
	// met without a successful sample that has the metric.
	Met bool `json:"met"`
}

// SLOResult is how a group of measured requests did against an SLO.
type SLOResult struct {
	Objectives []ObjectiveResult `json:"objectives"`
	// Met is true when every objective is met.
	Met bool `json:"met"`
	// Requests is the number of successful measured samples evaluated.
	Requests int `json:"requests"`
	// GoodRequests is the number of them meeting every objective's threshold
	// (bench.SLO.Meets): the numerator of goodput_per_s (METRICS.md "Aggregates").
	GoodRequests int `json:"good_requests"`
}

// EvaluateSLO holds samples against slo. Only measured, successful samples count
// (warm-up, cold and failed ones are left out: failures are counted in throughput).
// It returns nil when slo has no objectives. A group without successful samples meets
// no objective.
func EvaluateSLO(slo bench.SLO, samples []bench.Sample) *SLOResult {
	if !slo.IsSet() {
		return nil
	}
	var ok []*bench.Sample
	for i := range samples {
		if s := &samples[i]; s.Phase == bench.PhaseMeasured && s.OK {
			ok = append(ok, s)
		}
	}
	r := &SLOResult{Objectives: make([]ObjectiveResult, 0, len(slo.Objectives)), Met: true, Requests: len(ok)}
	for _, s := range ok {
		if slo.Meets(s) {
			r.GoodRequests++
		}
	}
	for _, o := range slo.Objectives {
		or := ObjectiveResult{Metric: o.Metric, Percentile: o.Percentile, ThresholdNs: int64(o.Threshold)}
		vals := make([]float64, 0, len(ok))
		within := 0
		for _, s := range ok {
			v, has := o.Value(s)
			if !has {
				continue
			}
			vals = append(vals, float64(v))
			if v <= int64(o.Threshold) {
				within++
			}
		}
		or.N = len(vals)
		if len(ok) > 0 {
			or.MetFrac = float64(within) / float64(len(ok))
		}
		if len(vals) > 0 {
			slices.Sort(vals)
			if o.Percentile == 0 {
				or.ObservedNs = int64(vals[len(vals)-1])
				or.Met = within == len(ok)
			} else {
				or.ObservedNs = int64(nearestRank(vals, o.Percentile))
				or.Met = or.ObservedNs <= or.ThresholdNs
			}
		}
		r.Met = r.Met && or.Met
		r.Objectives = append(r.Objectives, or)
	}
	return r
}
