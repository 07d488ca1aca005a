package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Load models (Options.Concurrency, Options.RatePerS).
const (
	// LoadSequential sends one request at a time: the next when the last has ended.
	LoadSequential = "sequential"
	// LoadClosed runs Concurrency workers, each sending its next request when its last
	// one ends: the server's speed sets the request rate, so a stall shows in
	// throughput.
	LoadClosed = "closed"
	// LoadOpen sends requests when a Pacer says they are due, whatever the server is
	// doing; Concurrency > 0 caps the requests in flight (a request due while all are
	// busy waits, and its wait is queue delay), 0 leaves them uncapped.
	LoadOpen = "open"
)

// Arrival processes of the open loop (--arrival).
const (
	ArrivalConstant = "constant"
	ArrivalPoisson  = "poisson"
	// ArrivalTrace replays a trace's arrival times (Options.Trace, TracePacer).
	ArrivalTrace = "trace"
)

// MaxInFlight bounds the requests an uncapped open loop keeps in flight: a server that
// stops answering must not make the client open connections without end. A request
// due while this many are in flight waits, and its wait is queue delay.
const MaxInFlight = 4096

// LoadSpec is the load model of one level.
type LoadSpec struct {
	// Model is LoadSequential, LoadClosed or LoadOpen.
	Model string `json:"load"`
	// Concurrency is the number of closed-loop workers, or the open loop's cap on
	// requests in flight (0: uncapped, up to MaxInFlight).
	Concurrency int `json:"concurrency,omitempty"`
	// RatePerS is the open loop's mean arrival rate in requests per second.
	RatePerS float64 `json:"rate_per_s,omitempty"`
	// Arrival is the open loop's arrival process: ArrivalConstant, ArrivalPoisson or
	// ArrivalTrace.
	Arrival string `json:"arrival,omitempty"`
	// TraceSpeed is a trace replay's speed-up (Options.TraceSpeed).
	TraceSpeed float64 `json:"trace_speed,omitempty"`
}

// String describes the load for people: "sequential", "concurrency 4",
// "rate 2/s poisson (at most 8 in flight)".
func (l LoadSpec) String() string {
	switch l.Model {
	case LoadClosed:
		return fmt.Sprintf("concurrency %d", l.Concurrency)
	case LoadOpen:
		s := fmt.Sprintf("rate %g/s %s", l.RatePerS, l.Arrival)
		if l.Arrival == ArrivalTrace {
			s = fmt.Sprintf("trace replay ×%g", l.TraceSpeed)
		}
		if l.Concurrency > 0 {
			s += fmt.Sprintf(" (at most %d in flight)", l.Concurrency)
		}
		return s
	}
	return LoadSequential
}

// pacer returns the level's open-loop schedule; seed seeds a Poisson one.
func (l LoadSpec) pacer(seed int64) Pacer {
	if l.Arrival == ArrivalPoisson {
		return NewPoissonPacer(l.RatePerS, seed)
	}
	return ConstantPacer{RatePerS: l.RatePerS}
}

// job is one request a level issues: in the open loop, when it was due (an offset from
// the run's start); 0 in a closed loop, where due means sent.
type job struct {
	scheduledNs int64
	// k numbers the open loop's requests of a level from 0 (the pacer's k); 0 in a
	// closed loop.
	k uint64
}

// drive issues the requests of one level by its load model and returns once every
// request it issued has finished. do runs on a worker goroutine for each request.
// Issuing stops at lim, when ctx is done, or when halt is
// closed; requests in flight then still finish (do decides how long they may take).
// began is the run's clock origin. The structure is vegeta's attacker
// (lib/attack.go): one goroutine paces, workers measure, and drive returns only after
// the workers are done, so the caller closes its results channel in one place.
// In an open loop measured for lim.Duration, a request still waiting for a free slot
// when the duration is over (more than TimerSlack late) is not sent: drive returns how
// many were due before the end and never sent (0 otherwise).
func drive(ctx context.Context, began time.Time, spec LoadSpec, pacer Pacer, lim Limit, halt <-chan struct{}, do func(job)) (dropped int) {
	stopped := func() bool {
		select {
		case <-ctx.Done():
			return true
		case <-halt:
			return true
		default:
			return false
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	if spec.Model != LoadOpen {
		workers := max(1, spec.Concurrency)
		var issued atomic.Uint64
		for range workers {
			wg.Go(func() {
				for !stopped() {
					if !ClosedDue(lim, time.Since(start), issued.Add(1)-1) {
						return
					}
					do(job{})
				}
			})
		}
		wg.Wait()
		return 0
	}

	startNs := int64(start.Sub(began))
	// A request is sent once it holds one of the slots: --concurrency of them, or
	// MaxInFlight when uncapped.
	inFlight := spec.Concurrency
	if inFlight == 0 {
		inFlight = MaxInFlight
	}
	slots := make(chan struct{}, inFlight)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// The level's time ends at lim.Duration: a request that is due but cannot be sent
	// by then (all slots busy) waits no longer.
	var over <-chan time.Time
	if lim.Duration > 0 {
		end := time.NewTimer(lim.Duration + TimerSlack)
		defer end.Stop()
		over = end.C
	}
pacing:
	for hits := uint64(0); ; hits++ {
		wait, stop := Pace(pacer, lim, time.Since(start), hits)
		if stop {
			break
		}
		if wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-ctx.Done():
				break pacing
			case <-halt:
				break pacing
			}
		}
		j := job{scheduledNs: startNs + int64(pacer.At(hits)), k: hits}
		if stopped() {
			break // the select below would pick at random between the stop and a free slot
		}
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			break pacing
		case <-halt:
			break pacing
		case <-over:
			dropped = countDue(pacer, lim, hits)
			break pacing
		}
		if stopped() { // it stopped while the request waited for its slot
			<-slots
			break
		}
		wg.Go(func() {
			defer func() { <-slots }()
			do(j)
		})
	}
	wg.Wait()
	return dropped
}

// TimerSlack is how late past --duration an open loop may still send a request that
// was due before it: timer lateness (about a millisecond, see BenchmarkOpenLoopLateness),
// not a backlog.
const TimerSlack = 10 * time.Millisecond

// countDue counts the requests from hits on that the schedule has due within lim.
func countDue(p Pacer, lim Limit, hits uint64) int {
	n := 0
	for k := hits; ; k++ {
		if _, stop := Pace(p, lim, 0, k); stop {
			return n
		}
		n++
	}
}
