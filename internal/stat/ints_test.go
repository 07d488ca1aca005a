package stat

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// SummarizeInt64s reads its values without holding them and must give what
// SummarizeOwned gives on a copy: every order statistic exactly (they are values of
// the set, found by rank), the moments exactly once rounded to whole numbers (the sums
// here are exact: integers below 2^53), and within 1e-12 unrounded.
func TestSummarizeInt64sMatchesOwned(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	gen := func(n int, f func() int64) []int64 {
		xs := make([]int64, n)
		for i := range xs {
			xs[i] = f()
		}
		return xs
	}
	cases := []struct {
		name string
		xs   []int64
	}{
		// Below smallN: the copy path, exact by construction.
		{"few", []int64{5, 3, 9}},
		{"one", []int64{42}},
		// Above smallN: selection. ITL-like gaps around 50 ms with a tail.
		{"itl-like", gen(smallN+12345, func() int64 { return 48_000_000 + rng.Int64N(4_000_000) + rng.Int64N(2)*rng.Int64N(3e9) })},
		// Every value equal: no bit to resolve.
		{"constant", gen(smallN+1, func() int64 { return 7 })},
		// Negative values and a range over 2^32: several passes, and the sign.
		{"signed-wide", gen(smallN*2, func() int64 { return rng.Int64N(1<<40) - 1<<39 })},
		// Many duplicates: ranks fall inside runs of equal values.
		{"duplicates", gen(smallN*3+1, func() int64 { return rng.Int64N(5) * 1000 })},
		// An even count, so the median interpolates between two orders.
		{"even", gen(smallN*2+2, func() int64 { return rng.Int64N(1_000_000) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := make([]float64, len(tc.xs))
			for i, x := range tc.xs {
				fs[i] = float64(x)
			}
			all := func(yield func(int64)) {
				for _, x := range tc.xs {
					yield(x)
				}
			}
			for _, integer := range []bool{true, false} {
				want, _ := SummarizeOwned(slices.Clone(fs), integer)
				got, ok := SummarizeInt64s(len(tc.xs), all, integer)
				if !ok {
					t.Fatal("no summary")
				}
				exact := func(name string, g, w float64) {
					if g != w {
						t.Errorf("integer=%v %s = %v, want %v", integer, name, g, w)
					}
				}
				exact("min", got.Min, want.Min)
				exact("max", got.Max, want.Max)
				exact("p50", got.P50, want.P50)
				exact("p90", got.P90, want.P90)
				exact("p95", got.P95, want.P95)
				exact("p99", got.P99, want.P99)
				exact("median", got.Median, want.Median)
				if (got.MedianCILo == nil) != (want.MedianCILo == nil) || got.MedianCILo != nil && (*got.MedianCILo != *want.MedianCILo || *got.MedianCIHi != *want.MedianCIHi) {
					t.Errorf("integer=%v median interval %v–%v, want %v–%v", integer, got.MedianCILo, got.MedianCIHi, want.MedianCILo, want.MedianCIHi)
				}
				exact("ci level", got.MedianCILevel, want.MedianCILevel)
				if got.N != want.N || got.Warning != want.Warning {
					t.Errorf("n %d warning %q, want %d %q", got.N, got.Warning, want.N, want.Warning)
				}
				close := func(name string, g, w float64) {
					if integer && g != w || math.Abs(g-w) > 1e-12*math.Max(1, math.Abs(w)) {
						t.Errorf("integer=%v %s = %v, want %v", integer, name, g, w)
					}
				}
				close("mean", got.Mean, want.Mean)
				close("stddev", got.Stddev, want.Stddev)
			}
		})
	}
}
