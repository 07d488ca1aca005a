package stat

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/montanaflynn/stats"
)

func seq(n int) []float64 {
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64(n - i) // descending: Summarize must not depend on order
	}
	return xs
}

// Expected values for 1..n: nearest-rank percentile p is the ⌈p·n/100⌉-th value; the
// 95% median interval is [x(j), x(n+1−j)] with j the largest rank whose binomial
// (n, ½) tail P(B < j) ≤ 2.5%: n=10 gives j=2 (P(B≤1) = 11/1024), coverage
// 1 − 22/1024 = 0.9785; n=20 gives j=6 (P(B≤5) = 0.0207), coverage 0.9586.
func TestSummarizeKnownValues(t *testing.T) {
	cases := []struct {
		n                          int
		mean, sd, p50, p90, p99    float64
		median, lo, hi, confidence float64
	}{
		{10, 5.5, 3.0276503540974917, 5, 9, 10, 5.5, 2, 9, 0.978515625},
		{20, 10.5, 5.916079783099616, 10, 18, 20, 10.5, 6, 15, 0.9586105346679688},
		{6, 3.5, 1.8708286933869707, 3, 6, 6, 3.5, 1, 6, 0.96875},
	}
	for _, c := range cases {
		s, ok := Summarize(seq(c.n), false)
		if !ok {
			t.Fatal("no summary")
		}
		if s.N != c.n || s.Mean != c.mean || !near(s.Stddev, c.sd) || s.P50 != c.p50 || s.P90 != c.p90 || s.P99 != c.p99 || s.Min != 1 || s.Max != float64(c.n) {
			t.Errorf("n=%d: got %+v", c.n, s)
		}
		if s.Median != c.median || s.MedianCILo == nil || *s.MedianCILo != c.lo || *s.MedianCIHi != c.hi || !near(s.MedianCILevel, c.confidence) || s.Warning != "" {
			t.Errorf("n=%d: median %v CI %v..%v at %v, want %v CI %v..%v at %v", c.n, s.Median, s.MedianCILo, s.MedianCIHi, s.MedianCILevel, c.median, c.lo, c.hi, c.confidence)
		}
		if cv := c.sd / c.mean; s.CV == nil || !near(*s.CV, cv) {
			t.Errorf("n=%d: CV %v, want %v", c.n, s.CV, cv)
		}
	}
}

// Five samples cannot give a 95% interval for the median (the widest, [x(1), x(5)],
// covers 1 − 2/32 = 93.75%): no bounds, a warning instead.
func TestSummarizeTooFewSamplesWarns(t *testing.T) {
	s, _ := Summarize(seq(5), false)
	if s.MedianCILo != nil || s.MedianCIHi != nil || !strings.Contains(s.Warning, "need >= 6 samples") {
		t.Errorf("n=5: CI %v..%v warning %q; want none and a warning", s.MedianCILo, s.MedianCIHi, s.Warning)
	}
	if _, ok := Summarize(nil, false); ok {
		t.Error("empty input gave a summary")
	}
	one, _ := Summarize([]float64{7}, false)
	if one.Stddev != 0 || one.P99 != 7 || one.Median != 7 {
		t.Errorf("n=1: %+v", one)
	}
}

func TestSummarizeRoundsNanoseconds(t *testing.T) {
	s, _ := Summarize([]float64{1, 2}, true)
	if s.Mean != 2 || s.Median != 2 { // 1.5 rounds half away from zero
		t.Errorf("integer summary mean=%v median=%v, want 2, 2", s.Mean, s.Median)
	}
}

// NearestRank is montanaflynn/stats' PercentileNearestRank without its copy: the same
// value for every percentile on seeded random data of several sizes.
func TestNearestRankMatchesLibrary(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 5, 10, 99, 1000} {
		xs := make([]float64, n)
		for i := range xs {
			xs[i] = rng.NormFloat64()
		}
		sorted := slices.Clone(xs)
		slices.Sort(sorted)
		for _, p := range []float64{0, 1, 50, 90, 95, 99, 99.9, 100} {
			want, _ := stats.PercentileNearestRank(xs, p)
			if got := NearestRank(sorted, p); got != want {
				t.Errorf("n=%d p=%v: %v, library %v", n, p, got, want)
			}
		}
	}
}

func near(a, b float64) bool { d := a - b; return d < 1e-9 && d > -1e-9 }

// Median is the mean of the middle two for an even count, the middle value otherwise,
// and the same as Summary.Median.
func TestMedianAgreesWithSummary(t *testing.T) {
	for _, xs := range [][]float64{{3}, {4, 1}, {5, 1, 3}, {9, 1, 2, 8}, seq(11), seq(20)} {
		s, _ := Summarize(xs, false)
		if m := Median(xs); m != s.Median {
			t.Errorf("%v: Median %v, Summary.Median %v", xs, m, s.Median)
		}
	}
	if m := Median([]float64{9, 1, 2, 8}); m != 5 {
		t.Errorf("median of 9 1 2 8 = %v, want 5", m)
	}
	if Median(nil) != 0 {
		t.Error("median of nothing is not 0")
	}
}

// 1..20: the 95% interval is [6, 15] around 10.5 (TestSummarizeKnownValues), a half
// width of 4.5 / 10.5; five values have no interval.
func TestMedianCIHalfWidthFrac(t *testing.T) {
	if h, ok := MedianCIHalfWidthFrac(seq(20)); !ok || !near(h, 4.5/10.5) {
		t.Errorf("1..20: %v %v, want %v", h, ok, 4.5/10.5)
	}
	if _, ok := MedianCIHalfWidthFrac(seq(5)); ok {
		t.Error("five values gave an interval")
	}
	if _, ok := MedianCIHalfWidthFrac(make([]float64, 10)); ok {
		t.Error("a zero median gave a relative width")
	}
}

// Integer nearest rank over int64 is what calib's error percentiles use.
func TestNearestRankIntegers(t *testing.T) {
	xs := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	if NearestRank(xs, 50) != 5 || NearestRank(xs, 99) != 10 || NearestRank(xs, 0) != 1 || NearestRank(xs, 91) != 10 || NearestRank(xs, 90) != 9 {
		t.Errorf("nearest ranks of 1..10: p50 %d p90 %d p91 %d p99 %d", NearestRank(xs, 50), NearestRank(xs, 90), NearestRank(xs, 91), NearestRank(xs, 99))
	}
}
