package results

import (
	"strings"

	"github.com/yardstick-dev/yardstick/internal/stat"
)

// CILevel is the confidence level of every median interval: 95%.
const CILevel = stat.CILevel

// Summary describes one metric over the successful measured requests of a run
// (internal/stat.Summary: nearest-rank percentiles, the median and its 95% interval by
// order statistics, mean, sample deviation, CV; _ns metrics rounded to whole ns).
type Summary = stat.Summary

// Summarize computes the Summary of xs (any order; xs is not modified). integer rounds
// every statistic to a whole number, for _ns metrics. It returns false for an empty xs.
func Summarize(xs []float64, integer bool) (Summary, bool) { return stat.Summarize(xs, integer) }

// summaryOf is the Summary of metric name's values xs, which it sorts in place: _ns
// metrics are rounded to whole nanoseconds, everything else is kept exact. Build,
// Merge, the levels and Compare all summarize through it.
func summaryOf(name string, xs []float64) (Summary, bool) {
	return stat.SummarizeOwned(xs, strings.HasSuffix(name, "_ns"))
}
