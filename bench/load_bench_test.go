package bench

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"
)

// BenchmarkOpenLoopLateness measures how late the open loop sends requests against its
// own schedule when nothing else holds it back: 1000 requests/s, constant arrivals, an
// instant request, no cap. Its lateness is the floor of every queue_delay_ns the open
// loop reports. It prints the p50 and p99 lateness (ns) of b.N requests.
func BenchmarkOpenLoopLateness(b *testing.B) {
	for _, capped := range []int{0, 8} {
		name := "uncapped"
		if capped > 0 {
			name = "cap8"
		}
		b.Run(name, func(b *testing.B) {
			began := time.Now()
			var mu sync.Mutex
			late := make([]int64, 0, b.N)
			spec := LoadSpec{Model: LoadOpen, Concurrency: capped, RatePerS: 1000, Arrival: ArrivalConstant}
			b.ResetTimer()
			drive(context.Background(), began, spec, spec.pacer(1), Limit{Requests: uint64(b.N)}, nil, func(j job) {
				d := int64(time.Since(began)) - j.scheduledNs
				mu.Lock()
				late = append(late, d)
				mu.Unlock()
			})
			b.StopTimer()
			slices.Sort(late)
			b.ReportMetric(float64(late[len(late)/2]), "p50-late-ns")
			b.ReportMetric(float64(late[len(late)*99/100]), "p99-late-ns")
		})
	}
}

// BenchmarkClosedLoopDispatch is the closed loop's own cost per request (ns/op, with
// allocations) with 8 workers and an instant request: what the engine adds between
// one request's end and the next one's start.
func BenchmarkClosedLoopDispatch(b *testing.B) {
	b.ReportAllocs()
	spec := LoadSpec{Model: LoadClosed, Concurrency: 8}
	drive(context.Background(), time.Now(), spec, nil, Limit{Requests: uint64(b.N)}, nil, func(job) {})
}
