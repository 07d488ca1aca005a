package results

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/montanaflynn/stats"
	"golang.org/x/perf/benchmath"
)

// CILevel is the confidence level of every median interval: 95%.
const CILevel = 0.95

// Summary describes one metric over the successful measured requests of a run. Its
// values are in the metric's unit, named by the metric (…_ns: nanoseconds, rounded to
// whole ns; …_per_s: per second; …_tokens: tokens).
//
// Percentiles are nearest-rank (montanaflynn/stats PercentileNearestRank: the smallest
// observed value with at least p% of observations at or below it), so every percentile
// is a value that was measured. P50 is that nearest-rank median; MedianCILo/Hi bound the
// true median at MedianCILevel by order statistics (golang.org/x/perf/benchmath
// AssumeNothing, as benchstat computes it), which needs n ≥ 6 at 95%: below that the
// bounds are absent and Warning says so. Stddev is the sample standard deviation (n−1)
// and CV = stddev / mean (absent when the mean is 0).
type Summary struct {
	N      int      `json:"n"`
	Mean   float64  `json:"mean"`
	Stddev float64  `json:"stddev"`
	CV     *float64 `json:"cv,omitempty"`
	Min    float64  `json:"min"`
	P50    float64  `json:"p50"`
	P90    float64  `json:"p90"`
	P95    float64  `json:"p95"`
	P99    float64  `json:"p99"`
	Max    float64  `json:"max"`
	// Median is the sample median (mean of the middle two when n is even): the centre of
	// the confidence interval.
	Median        float64  `json:"median"`
	MedianCILo    *float64 `json:"median_ci_lo,omitempty"`
	MedianCIHi    *float64 `json:"median_ci_hi,omitempty"`
	MedianCILevel float64  `json:"median_ci_level,omitempty"`
	Warning       string   `json:"warning,omitempty"`
}

// Summarize computes the Summary of xs (any order; xs is not modified). integer rounds
// every statistic to a whole number, for _ns metrics. It returns false for an empty xs.
func Summarize(xs []float64, integer bool) (Summary, bool) {
	return summarizeOwned(slices.Clone(xs), integer)
}

// summarizeOwned is Summarize on a slice the caller gives up: it is sorted in place
// and shared by both libraries, so a pooled metric of millions of values (itl_ns) is
// held once, not once per statistic (montanaflynn/stats copies unsorted input;
// benchmath sorts its own).
func summarizeOwned(xs []float64, integer bool) (Summary, bool) {
	if len(xs) == 0 {
		return Summary{}, false
	}
	slices.Sort(xs)
	data := stats.Float64Data(xs)
	var s Summary
	s.N = len(data)
	// Errors below only come from empty input, excluded above.
	s.Mean, _ = data.Mean()
	if s.N > 1 {
		s.Stddev, _ = data.StandardDeviationSample()
	}
	s.Min, _ = data.Min()
	s.Max, _ = data.Max()
	s.P50 = nearestRank(xs, 50)
	s.P90 = nearestRank(xs, 90)
	s.P95 = nearestRank(xs, 95)
	s.P99 = nearestRank(xs, 99)
	if s.Mean != 0 {
		cv := s.Stddev / math.Abs(s.Mean)
		s.CV = &cv
	}

	sample := benchmath.NewSample(xs, &benchmath.DefaultThresholds) // already sorted
	sum := benchmath.AssumeNothing.Summary(sample, CILevel)
	s.Median = sum.Center
	if !math.IsInf(sum.Lo, 0) && !math.IsInf(sum.Hi, 0) && !math.IsNaN(sum.Lo) && !math.IsNaN(sum.Hi) {
		lo, hi := sum.Lo, sum.Hi
		s.MedianCILo, s.MedianCIHi = &lo, &hi
		s.MedianCILevel = sum.Confidence
	}
	var ws []string
	for _, w := range sum.Warnings {
		ws = append(ws, w.Error())
	}
	s.Warning = strings.Join(ws, "; ")

	if integer {
		for _, p := range []*float64{&s.Mean, &s.Stddev, &s.Min, &s.P50, &s.P90, &s.P95, &s.P99, &s.Max, &s.Median, s.MedianCILo, s.MedianCIHi} {
			if p != nil {
				*p = math.Round(*p)
			}
		}
	}
	return s, true
}

func (s Summary) String() string {
	return fmt.Sprintf("n=%d p50=%g mean=%g", s.N, s.P50, s.Mean)
}

// nearestRank is montanaflynn/stats PercentileNearestRank (v0.14.0, percentile.go) on
// an already sorted slice: the library copies its input on every call, which for the
// pooled ITL of a long run is a hundred megabytes each time. Same formula: the value
// of ordinal rank ⌈n·p/100⌉ (the first for rank 0, the last for p = 100). A test holds
// the two equal.
func nearestRank(sorted []float64, p float64) float64 {
	n := len(sorted)
	if p == 100 {
		return sorted[n-1]
	}
	or := int(math.Ceil(float64(n) * p / 100))
	if or == 0 {
		return sorted[0]
	}
	return sorted[or-1]
}
