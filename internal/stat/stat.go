// Package stat is yardstick's one place for order statistics: the Summary of a metric
// (nearest-rank percentiles, the median and its confidence interval, mean, deviation),
// the median alone, and the relative width of the median's interval that --runs auto
// stops on. Every figure in a run file, a merge, a comparison and bench's own
// diagnosis comes from here, so they agree to the last digit (docs/metrics.md,
// "Aggregates").
package stat

import (
	"cmp"
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
// every statistic to a whole number (half away from zero), for _ns metrics: the one
// place yardstick rounds a statistic. It returns false for an empty xs.
func Summarize(xs []float64, integer bool) (Summary, bool) {
	return SummarizeOwned(slices.Clone(xs), integer)
}

// SummarizeOwned is Summarize on a slice the caller gives up: it is sorted in place
// and shared by both libraries, so a pooled metric of millions of values (itl_ns) is
// held once, not once per statistic (montanaflynn/stats copies unsorted input;
// benchmath sorts its own).
func SummarizeOwned(xs []float64, integer bool) (Summary, bool) {
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
	s.Min, s.Max = xs[0], xs[len(xs)-1]
	s.P50 = NearestRank(xs, 50)
	s.P90 = NearestRank(xs, 90)
	s.P95 = NearestRank(xs, 95)
	s.P99 = NearestRank(xs, 99)
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

// NearestRank is montanaflynn/stats PercentileNearestRank (v0.14.0, percentile.go) on
// an already sorted, non-empty slice: the library copies its input on every call,
// which for the pooled ITL of a long run is a hundred megabytes each time. Same
// formula: the value of ordinal rank ⌈n·p/100⌉ (the first for rank 0, the last for
// p = 100); p in [0, 100]. A test holds the two equal.
func NearestRank[T cmp.Ordered](sorted []T, p float64) T {
	n := len(sorted)
	if p >= 100 {
		return sorted[n-1]
	}
	or := int(math.Ceil(float64(n) * p / 100))
	if or <= 0 {
		return sorted[0]
	}
	return sorted[min(or, n)-1]
}

// Median is the sample median of xs (any order; not modified): the middle value, or
// the mean of the middle two when len(xs) is even, as Summary.Median; 0 for an empty
// xs.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	c := slices.Clone(xs)
	slices.Sort(c)
	if len(c)%2 == 1 {
		return c[len(c)/2]
	}
	return (c[len(c)/2-1] + c[len(c)/2]) / 2
}

// MedianCIHalfWidthFrac returns the half width of the CILevel confidence interval of
// the median of xs over the median (order statistics, benchmath AssumeNothing, as
// Summarize computes it), or false with fewer than 6 values or a zero median: the
// precision --runs auto stops on.
func MedianCIHalfWidthFrac(xs []float64) (float64, bool) {
	s, ok := Summarize(xs, false)
	if !ok || s.MedianCILo == nil || s.Median == 0 {
		return 0, false
	}
	return (*s.MedianCIHi - *s.MedianCILo) / 2 / math.Abs(s.Median), true
}
