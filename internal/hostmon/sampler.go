// Package hostmon watches the machine while a run measures: the model server's memory
// (the resident set of its process tree), the energy the machine used (RAPL package
// counters, nvidia-smi power draw) and who used the CPU (the server, yardstick,
// everything else). Each watcher is a Sampler, started by its Start function before
// the first measured request and stopped after the last; Stop returns what it saw,
// with the reason for anything it could not read (docs/metrics.md "Memory", "Energy
// and cost"). Nothing here prints.
package hostmon

import (
	"context"
	"time"
)

// Sampler is one watcher of the host, running from its Start function until Stop,
// which ends it and returns what it saw. Stop is called once.
type Sampler[T any] interface {
	Stop() T
}

// RSS is what the server-memory sampler saw: the largest resident set of the process
// tree in bytes, the number of successful samples, and, when none succeeded, why.
type RSS struct {
	PeakBytes uint64
	Samples   int
	Err       error
}

type rssSampler struct{ s *RSSSampler }

func (r rssSampler) Stop() RSS {
	peak, n, err := r.s.Stop()
	return RSS{PeakBytes: peak, Samples: n, Err: err}
}

// StartRSS samples the resident set of the process tree rooted at pid every interval
// (RSSSampler) until Stop or until ctx is done.
func StartRSS(ctx context.Context, pid int32, every time.Duration) Sampler[RSS] {
	s := NewRSSSampler(pid, every)
	s.Start(ctx)
	return rssSampler{s}
}

// StartEnergy reads the RAPL package counters now and at Stop, and samples NVIDIA GPU
// power every interval between, when nvidia-smi is installed.
func StartEnergy(ctx context.Context, every time.Duration) Sampler[Energy] {
	return startEnergyMeter(ctx, every)
}

type cpuWindow struct {
	ctx       context.Context
	serverPID int32
	start     cpuSnapshot
	ok        bool
}

// StartCPU takes the machine's, yardstick's and the server tree's (serverPID; 0: not
// local) CPU times now; Stop takes them again and returns the shares of the window
// (HostCPU), or nil when either reading failed. Stop reads even after ctx is canceled:
// an interrupted run still gets its figures.
func StartCPU(ctx context.Context, serverPID int32) Sampler[*HostCPU] {
	s, ok := takeCPUSnapshot(ctx, serverPID)
	return &cpuWindow{ctx: context.WithoutCancel(ctx), serverPID: serverPID, start: s, ok: ok}
}

func (w *cpuWindow) Stop() *HostCPU {
	end, ok := takeCPUSnapshot(w.ctx, w.serverPID)
	if !ok || !w.ok {
		return nil
	}
	return hostCPUBetween(w.start, end)
}
