package bench

import (
	"math"
	"testing"
	"time"
)

// Pace is a pure function of (elapsed, hits): these rows drive it with made-up clocks.
func TestPace(t *testing.T) {
	c2 := ConstantPacer{RatePerS: 2} // due at 0, 0.5 s, 1 s, 1.5 s, ...
	for _, tc := range []struct {
		name     string
		p        Pacer
		lim      Limit
		elapsed  time.Duration
		hits     uint64
		wantWait time.Duration
		wantStop bool
	}{
		// The first request of a level is due at once.
		{"first at start", c2, Limit{Requests: 5}, 0, 0, 0, false},
		// Request 3 is due at 1.5 s; at 1.2 s that is 300 ms away.
		{"early: wait", c2, Limit{Requests: 5}, 1200 * time.Millisecond, 3, 300 * time.Millisecond, false},
		// At 2 s request 3 is 500 ms late: a negative wait, sent at once, its schedule kept.
		{"late: negative wait", c2, Limit{Requests: 5}, 2 * time.Second, 3, -500 * time.Millisecond, false},
		// Five sent of five: stop.
		{"count reached", c2, Limit{Requests: 5}, 3 * time.Second, 5, 0, true},
		// Request 4 would be due at 2 s, not before a 2 s duration: stop.
		{"due at the duration", c2, Limit{Duration: 2 * time.Second}, 1900 * time.Millisecond, 4, 0, true},
		// Request 3, due at 1.5 s, is inside a 2 s duration even when the client is late.
		{"inside the duration", c2, Limit{Duration: 2 * time.Second}, 2100 * time.Millisecond, 3, -600 * time.Millisecond, false},
		// Whichever limit comes first ends it: 2 requests before 10 s.
		{"count before duration", c2, Limit{Requests: 2, Duration: 10 * time.Second}, time.Second, 2, 0, true},
		// 0.5/s: request 1 due at 2 s.
		{"slow rate", ConstantPacer{RatePerS: 0.5}, Limit{Requests: 3}, 0, 1, 2 * time.Second, false},
	} {
		w, s := Pace(tc.p, tc.lim, tc.elapsed, tc.hits)
		if w != tc.wantWait || s != tc.wantStop {
			t.Errorf("%s: Pace = %v, %v; want %v, %v", tc.name, w, s, tc.wantWait, tc.wantStop)
		}
	}
}

func TestClosedDue(t *testing.T) {
	for _, tc := range []struct {
		lim     Limit
		elapsed time.Duration
		hits    uint64
		want    bool
	}{
		{Limit{Requests: 3}, time.Hour, 2, true},                          // the third of three
		{Limit{Requests: 3}, 0, 3, false},                                 // all sent
		{Limit{Duration: time.Second}, 999 * time.Millisecond, 1e6, true}, // no count limit
		{Limit{Duration: time.Second}, time.Second, 0, false},             // time is up
		{Limit{Requests: 10, Duration: time.Second}, 2 * time.Second, 1, false},
	} {
		if got := ClosedDue(tc.lim, tc.elapsed, tc.hits); got != tc.want {
			t.Errorf("ClosedDue(%+v, %v, %d) = %v, want %v", tc.lim, tc.elapsed, tc.hits, got, tc.want)
		}
	}
}

// A Poisson schedule is the seed's alone (the same on every machine and whatever order
// At is asked in), its gaps average 1/rate, and their coefficient of variation is 1,
// as exponential gaps' is.
func TestPoissonPacer(t *testing.T) {
	a, b := NewPoissonPacer(4, 42), NewPoissonPacer(4, 42)
	if a.At(0) != 0 {
		t.Errorf("At(0) = %v, want 0", a.At(0))
	}
	at100 := a.At(100)
	for k := uint64(100); k > 0; k-- { // b asked backwards after one jump
		if k == 100 {
			_ = b.At(100)
		}
		if a.At(k) != b.At(k) {
			t.Fatalf("same seed, At(%d) %v vs %v", k, a.At(k), b.At(k))
		}
	}
	if c := NewPoissonPacer(4, 43); c.At(100) == at100 {
		t.Errorf("seeds 42 and 43 gave the same schedule")
	}
	const n = 20000
	var sum, sumSq float64
	for k := uint64(1); k <= n; k++ {
		g := (a.At(k) - a.At(k-1)).Seconds()
		if g < 0 {
			t.Fatalf("gap %d negative", k)
		}
		sum += g
		sumSq += g * g
	}
	mean := sum / n
	cv := math.Sqrt(sumSq/n-mean*mean) / mean
	// 20000 exponential gaps: the mean's standard error is 0.7%, the CV's about 1%.
	if math.Abs(mean-0.25)/0.25 > 0.03 {
		t.Errorf("mean gap %.4f s, want 0.25 s ±3%%", mean)
	}
	if math.Abs(cv-1) > 0.05 {
		t.Errorf("gap CV %.3f, want 1 ±0.05", cv)
	}
}
