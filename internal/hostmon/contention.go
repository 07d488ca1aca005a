package hostmon

import (
	"context"
	"os"
	"runtime"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/process"
)

// HostCPU is how the machine's CPU was used during the measured window, so a reader
// can tell a slow server from a busy machine. Fractions are of the window's whole
// CPU capacity (window × logical cores), 0..1. Sources: system-wide CPU times
// (/proc/stat through gopsutil cpu.Times) and per-process user+system times
// (/proc/PID/stat through gopsutil process.Times), read at both ends of the window.
type HostCPU struct {
	LogicalCores int   `json:"logical_cores"`
	WindowNs     int64 `json:"window_ns"`
	// BusyFrac is all non-idle, non-iowait CPU time (steal excluded).
	BusyFrac float64 `json:"busy_frac"`
	// ServerFrac is the server process tree's share; absent when it is not local.
	ServerFrac *float64 `json:"server_frac,omitempty"`
	// HarnessFrac is yardstick's own share.
	HarnessFrac float64 `json:"harness_frac"`
	// OtherFrac = busy − server − harness: everything else on the machine; absent when
	// the server is not local. Above results.OtherBusyWarnFrac the run gets a host_busy warning.
	OtherFrac *float64 `json:"other_frac,omitempty"`
	// StealFrac is time the hypervisor gave to other guests.
	StealFrac float64 `json:"steal_frac"`
	// SplitUnavailable says why ServerFrac and OtherFrac are absent.
	SplitUnavailable string `json:"split_unavailable,omitempty"`
}

// SplitProcessesChanged is HostCPU.SplitUnavailable when the server's process tree
// changed during the window: a model runner started or exited (another model loaded,
// this one reloaded or unloaded), which takes its CPU time out of reach and is itself
// a sign that the server did other work.
const SplitProcessesChanged = "server processes started or exited during the window, so their CPU time cannot be attributed"

type cpuSnapshot struct {
	at                time.Time
	busy, steal, self float64 // seconds
	server            map[int32]float64
	serverOK          bool
}

func takeCPUSnapshot(ctx context.Context, serverPID int32) (cpuSnapshot, bool) {
	s := cpuSnapshot{at: time.Now()}
	ts, err := cpu.TimesWithContext(ctx, false)
	if err != nil || len(ts) == 0 {
		return s, false
	}
	t := ts[0]
	s.busy = t.User + t.System + t.Nice + t.Irq + t.Softirq
	s.steal = t.Steal
	if me, err := process.NewProcessWithContext(ctx, int32(os.Getpid())); err == nil {
		if pt, err := me.TimesWithContext(ctx); err == nil {
			s.self = pt.User + pt.System
		}
	}
	if serverPID > 0 {
		if v, err := TreeCPUSeconds(ctx, serverPID); err == nil {
			s.server, s.serverOK = v, true
		}
	}
	return s, true
}

func hostCPUBetween(a, b cpuSnapshot) *HostCPU {
	window := b.at.Sub(a.at)
	cores := runtime.NumCPU()
	capacity := window.Seconds() * float64(cores)
	if capacity <= 0 {
		return nil
	}
	frac := func(v float64) float64 { return max(0, min(1, v/capacity)) }
	h := &HostCPU{
		LogicalCores: cores,
		WindowNs:     int64(window),
		BusyFrac:     frac(b.busy - a.busy),
		HarnessFrac:  frac(b.self - a.self),
		StealFrac:    frac(b.steal - a.steal),
	}
	switch {
	case !a.serverOK || !b.serverOK:
		h.SplitUnavailable = "the server is not a readable process on this machine"
	case !samePIDs(a.server, b.server):
		// A runner that started and exited inside the window took its CPU time with it.
		h.SplitUnavailable = SplitProcessesChanged
	default:
		server := frac(CPUSecondsSince(a.server, b.server))
		other := max(0, h.BusyFrac-server-h.HarnessFrac)
		h.ServerFrac, h.OtherFrac = &server, &other
	}
	return h
}

func samePIDs(a, b map[int32]float64) bool {
	if len(a) != len(b) {
		return false
	}
	for pid := range a {
		if _, ok := b[pid]; !ok {
			return false
		}
	}
	return true
}
