package hostmon

import (
	"runtime"
	"testing"
	"time"
)

// A runner that exits between the two readings must not subtract its lifetime's CPU
// time: only processes alive at the end count, each against its own earlier reading.
func TestCPUSecondsSinceIgnoresExitedProcesses(t *testing.T) {
	before := map[int32]float64{1: 10, 2: 50} // 2 is an old runner, about to exit
	now := map[int32]float64{1: 12, 3: 1.5}   // 3 is a runner started in between
	if got := CPUSecondsSince(before, now); got != 3.5 {
		t.Errorf("CPUSecondsSince = %v, want 2 + 1.5", got)
	}
}

// Over a 2 s window on this machine's cores, fractions are of window × cores; other =
// busy − server − harness.
func TestHostCPUBetween(t *testing.T) {
	t0 := time.Unix(0, 0)
	cores := float64(runtimeNumCPU())
	a := cpuSnapshot{at: t0, busy: 100, self: 1, server: map[int32]float64{7: 5}, serverOK: true}
	b := cpuSnapshot{at: t0.Add(2 * time.Second), busy: 100 + 1.6*cores, self: 1 + 0.04*cores,
		server: map[int32]float64{7: 5 + 1.2*cores}, serverOK: true}
	h := hostCPUBetween(a, b)
	if !approx(h.BusyFrac, 0.8) || !approx(*h.ServerFrac, 0.6) || !approx(h.HarnessFrac, 0.02) || !approx(*h.OtherFrac, 0.18) {
		t.Errorf("got busy %v server %v harness %v other %v; want 0.8, 0.6, 0.02, 0.18", h.BusyFrac, *h.ServerFrac, h.HarnessFrac, *h.OtherFrac)
	}
	b.serverOK = false
	if h := hostCPUBetween(a, b); h.ServerFrac != nil || h.OtherFrac != nil {
		t.Error("server share reported without a local server")
	}
}

func approx(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }
func runtimeNumCPU() int       { return runtime.NumCPU() }
