package bench

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Pacer is an open-loop arrival schedule: At(k) is when request k (from 0) of a level
// is due, as an offset from the level's start. It is a pure function of k, so a
// schedule never depends on how fast the server answers; a late client only shows as
// queue delay (sent − scheduled), never as a shifted schedule (coordinated omission,
// Gil Tene, "How NOT to Measure Latency", 2015). The pacing shape follows
// tsenart/vegeta lib/pacer.go; At(0) is 0 for every pacer, so a level starts at once.
type Pacer interface {
	At(k uint64) time.Duration
	// String names the schedule for messages: "constant 2/s", "poisson 2/s seed 42".
	String() string
}

// ConstantPacer schedules requests evenly: request k is due at k / RatePerS seconds.
type ConstantPacer struct {
	// RatePerS is the arrival rate in requests per second, > 0.
	RatePerS float64
}

// At returns k / RatePerS seconds.
func (p ConstantPacer) At(k uint64) time.Duration {
	return time.Duration(float64(k) / p.RatePerS * 1e9)
}

func (p ConstantPacer) String() string { return fmt.Sprintf("constant %g/s", p.RatePerS) }

// PoissonPacer schedules a Poisson process: gaps between consecutive requests are
// independent and exponentially distributed with mean 1/RatePerS, drawn from a PCG
// generator seeded with Seed, so the same seed gives the same schedule on every
// machine (math/rand/v2 ExpFloat64). This is what vLLM's benchmark_serving and NVIDIA
// AIPerf call a Poisson request rate. Not safe for concurrent use: one pacing goroutine
// owns it.
type PoissonPacer struct {
	RatePerS float64
	Seed     int64
	rng      *rand.Rand
	due      []time.Duration // due[k] = At(k), extended on demand
}

// NewPoissonPacer returns a Poisson schedule of ratePerS (> 0) requests per second.
func NewPoissonPacer(ratePerS float64, seed int64) *PoissonPacer {
	return &PoissonPacer{RatePerS: ratePerS, Seed: seed,
		rng: rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)), due: []time.Duration{0}}
}

// At returns the sum of the first k exponential gaps.
func (p *PoissonPacer) At(k uint64) time.Duration {
	for uint64(len(p.due)) <= k {
		gap := p.rng.ExpFloat64() / p.RatePerS * 1e9
		p.due = append(p.due, p.due[len(p.due)-1]+time.Duration(gap))
	}
	return p.due[k]
}

func (p *PoissonPacer) String() string {
	return fmt.Sprintf("poisson %g/s seed %d", p.RatePerS, p.Seed)
}

// Limit ends a level: after Requests requests (0: no count limit), or, when Duration
// is positive, once the next request would be due at or after Duration from the
// level's start. At least one of the two must be set.
type Limit struct {
	Requests uint64
	Duration time.Duration
}

// Pace says what to do about request hits (the number already scheduled) when elapsed
// has passed since the level began: wait this long, then send it; stop instead when
// the limit is reached. A wait of zero or less means the request is already due, late
// by −wait: it is sent at once and its scheduled time stays At(hits). Pure: table
// tests drive it with made-up clocks.
func Pace(p Pacer, lim Limit, elapsed time.Duration, hits uint64) (wait time.Duration, stop bool) {
	if lim.Requests > 0 && hits >= lim.Requests {
		return 0, true
	}
	due := p.At(hits)
	if lim.Duration > 0 && due >= lim.Duration {
		return 0, true
	}
	return due - elapsed, false
}

// ClosedDue says whether a closed-loop worker may send another request when elapsed
// has passed since the level began and hits requests were already sent: not after
// lim.Requests, and not once lim.Duration has passed. Pure, like Pace.
func ClosedDue(lim Limit, elapsed time.Duration, hits uint64) bool {
	if lim.Requests > 0 && hits >= lim.Requests {
		return false
	}
	return lim.Duration <= 0 || elapsed < lim.Duration
}

// MinRate and MaxRate bound --rate, in requests per second: one request in 1000 s (a
// slower schedule is not a load) to 10000/s (beyond what one client process paces
// within its timer granularity).
const (
	MinRate = 0.001
	MaxRate = 10000.0
)

// validRate reports whether r is a usable arrival rate: MinRate ≤ r ≤ MaxRate.
func validRate(r float64) bool { return !math.IsNaN(r) && r >= MinRate && r <= MaxRate }
