package stat

import (
	"math"
	"math/bits"

	"github.com/aclements/go-moremath/stats"
)

// SummarizeInt64s is the Summary of n integer values that are read, not held: all
// calls its yield with every value, in any order but the same set each time, and is
// called a few times (two passes for the moments, then one per 16 bits of the values'
// range for the order statistics). Nothing the size of n is allocated: this is how a
// pooled metric of tens of millions of values (a long run's itl_ns) is summarized
// without a sorted copy (docs/performance.md, "Memory: a 100,000-request run").
//
// The order statistics are found by radix selection (each pass counts the next 16 bits
// of value − min among the values that share the bits already found), so every
// percentile, the median and its interval are exactly SummarizeOwned's: nearest rank
// for P50…P99, the R8 quantile for the median (go-moremath stats.Sample.Quantile, as
// benchmath AssumeNothing computes it) and its CILevel interval at the orders of
// go-moremath's QuantileCI. The mean and deviation are summed in all's order, not in
// sorted order: equal to SummarizeOwned's while the sums are exact (integer values
// summing below 2^53), within rounding otherwise, and the same after the rounding of
// integer. n must be the number of values all yields; it returns false for n = 0.
// Below smallN values it copies them and calls SummarizeOwned, which is then exact to
// the last digit.
func SummarizeInt64s(n int, all func(yield func(int64)), integer bool) (Summary, bool) {
	if n <= 0 {
		return Summary{}, false
	}
	if n < smallN {
		xs := make([]float64, 0, n)
		all(func(x int64) { xs = append(xs, float64(x)) })
		return SummarizeOwned(xs, integer)
	}
	lo, hi := int64(math.MaxInt64), int64(math.MinInt64)
	var sum float64
	all(func(x int64) {
		lo, hi = min(lo, x), max(hi, x)
		sum += float64(x)
	})
	s := Summary{N: n, Min: float64(lo), Max: float64(hi)}
	s.Mean = sum / float64(n)
	if n > 1 {
		var dev float64
		all(func(x int64) {
			d := float64(x) - s.Mean
			dev += d * d
		})
		s.Stddev = math.Sqrt(dev / float64(n-1))
	}
	if s.Mean != 0 {
		cv := s.Stddev / math.Abs(s.Mean)
		s.CV = &cv
	}

	// The 0-based ranks wanted: nearest rank ⌈n·p/100⌉ − 1 (NearestRank), the two
	// orders the R8 median interpolates between, and the interval's orders.
	nearest := func(p float64) int { return max(0, min(int(math.Ceil(float64(n)*p/100)), n)-1) }
	r8 := 1/3.0 + 0.5*(float64(n)+1/3.0) // go-moremath stats.Sample.Quantile, q = 0.5
	kf, frac := math.Modf(r8)
	k := int(kf)
	ci := stats.QuantileCI(n, 0.5, CILevel)
	ranks := []int{nearest(50), nearest(90), nearest(95), nearest(99), max(0, min(k, n)-1), min(k, n-1)}
	ciOK := ci.LoOrder >= 1 && ci.HiOrder <= n
	if ciOK {
		ranks = append(ranks, ci.LoOrder-1, ci.HiOrder-1)
	}
	v := selectRanks(all, lo, hi, ranks)
	s.P50, s.P90, s.P95, s.P99 = float64(v[0]), float64(v[1]), float64(v[2]), float64(v[3])
	switch {
	case k <= 0:
		s.Median = float64(lo)
	case k >= n:
		s.Median = float64(hi)
	default:
		a, b := float64(v[4]), float64(v[5])
		s.Median = a + frac*(b-a)
	}
	if ciOK {
		l, h := float64(v[6]), float64(v[7])
		s.MedianCILo, s.MedianCIHi = &l, &h
		s.MedianCILevel = ci.Confidence
	}
	if integer {
		for _, p := range []*float64{&s.Mean, &s.Stddev, &s.Min, &s.P50, &s.P90, &s.P95, &s.P99, &s.Max, &s.Median, s.MedianCILo, s.MedianCIHi} {
			if p != nil {
				*p = math.Round(*p)
			}
		}
	}
	return s, true
}

// smallN is the count below which SummarizeInt64s copies the values: 512 KiB of
// float64, less than selection's counting tables.
const smallN = 1 << 16

// selectRanks returns the values of the given 0-based ranks (each in [0, n)) among the
// values all yields, whose least is lo and greatest hi, by radix selection on
// u = value − lo: each pass resolves the next 16 bits of every rank's value, counting
// those bits among the values that share the bits resolved so far.
func selectRanks(all func(yield func(int64)), lo, hi int64, ranks []int) []int64 {
	type target struct {
		prefix uint64 // the bits of u resolved so far
		rank   int    // the rank among the values with that prefix
	}
	ts := make([]target, len(ranks))
	for i, r := range ranks {
		ts[i].rank = r
	}
	for shift := bits.Len64(uint64(hi) - uint64(lo)); shift > 0; {
		d := min(16, shift)
		shift -= d
		var prefixes []uint64
		for _, t := range ts {
			if !containsU64(prefixes, t.prefix) {
				prefixes = append(prefixes, t.prefix)
			}
		}
		hist := make([][]int, len(prefixes))
		for g := range hist {
			hist[g] = make([]int, 1<<d)
		}
		mask := uint64(1)<<d - 1
		all(func(x int64) {
			u := uint64(x) - uint64(lo)
			p := u >> (shift + d) // 0 once every bit is in the digit (a shift of 64)
			for g, q := range prefixes {
				if q == p {
					hist[g][u>>shift&mask]++
					return
				}
			}
		})
		for i := range ts {
			h := hist[indexU64(prefixes, ts[i].prefix)]
			digit := 0
			for ts[i].rank >= h[digit] {
				ts[i].rank -= h[digit]
				digit++
			}
			ts[i].prefix = ts[i].prefix<<d | uint64(digit)
		}
	}
	out := make([]int64, len(ts))
	for i, t := range ts {
		out[i] = int64(uint64(lo) + t.prefix)
	}
	return out
}

func containsU64(xs []uint64, x uint64) bool { return indexU64(xs, x) >= 0 }

func indexU64(xs []uint64, x uint64) int {
	for i, v := range xs {
		if v == x {
			return i
		}
	}
	return -1
}
