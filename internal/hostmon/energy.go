package hostmon

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Energy is the energy the machine used over the measured window, from the best
// counter available (docs/metrics.md "Energy and cost"). A counter that cannot be read is
// reported as unavailable with the reason, never as 0.
type Energy struct {
	// Sources lists the counters summed, e.g. "rapl:package-0", "nvidia-smi power.draw".
	Sources []string `json:"sources,omitempty"`
	// EnergyJ is joules over the window; absent when nothing could be read.
	EnergyJ *float64 `json:"energy_j,omitempty"`
	// AvgPowerW = EnergyJ / window.
	AvgPowerW *float64 `json:"avg_power_w,omitempty"`
	// Unavailable says, per counter, why it could not be read.
	Unavailable []string `json:"unavailable,omitempty"`
}

// RAPLRoot is where Linux exposes RAPL energy counters (powercap framework,
// Documentation/power/powercap/powercap.rst).
var RAPLRoot = "/sys/class/powercap"

type raplDomain struct {
	name     string
	path     string  // energy_uj
	maxRange float64 // max_energy_range_uj, µJ
}

// raplPackages finds the package-level RAPL domains (intel-rapl:N, whose name file
// says package-N; AMD Zen exposes the same files through the same driver).
func raplPackages(root string) ([]raplDomain, error) {
	dirs, err := filepath.Glob(filepath.Join(root, "intel-rapl:*"))
	if err != nil {
		return nil, err
	}
	var out []raplDomain
	for _, d := range dirs {
		if strings.Count(filepath.Base(d), ":") != 1 {
			continue // a subdomain (core, uncore, dram)
		}
		name, err := os.ReadFile(filepath.Join(d, "name"))
		if err != nil || !strings.HasPrefix(strings.TrimSpace(string(name)), "package") {
			continue
		}
		mr, err := readFloat(filepath.Join(d, "max_energy_range_uj"))
		if err != nil {
			return nil, err
		}
		out = append(out, raplDomain{name: strings.TrimSpace(string(name)), path: filepath.Join(d, "energy_uj"), maxRange: mr})
	}
	return out, nil
}

func readFloat(path string) (float64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	return strconv.ParseFloat(strings.TrimSpace(string(b)), 64)
}

// raplDelta returns the µJ between two readings of a counter that wraps at maxRange.
func raplDelta(before, after, maxRange float64) float64 {
	if after >= before {
		return after - before
	}
	return after + maxRange - before
}

// energyMeter reads RAPL at both ends of the window and samples NVIDIA power between.
type energyMeter struct {
	began   time.Time
	rapl    []raplDomain
	start   []float64
	reasons []string

	gpu      *powerSampler
	gpuStart time.Time
}

func startEnergyMeter(ctx context.Context, every time.Duration) *energyMeter {
	m := &energyMeter{began: time.Now()}
	doms, err := raplPackages(RAPLRoot)
	switch {
	case err != nil:
		m.reasons = append(m.reasons, "rapl: "+err.Error())
	case len(doms) == 0:
		m.reasons = append(m.reasons, "rapl: no package counters under "+RAPLRoot+" (not exposed on this machine or in this VM)")
	}
	for _, d := range doms {
		v, err := readFloat(d.path)
		if err != nil {
			m.reasons = append(m.reasons, fmt.Sprintf("rapl %s: %v (reading energy_uj needs root on recent kernels)", d.name, err))
			continue
		}
		m.rapl = append(m.rapl, d)
		m.start = append(m.start, v)
	}
	if path, err := exec.LookPath("nvidia-smi"); err == nil {
		m.gpu = newPowerSampler(path, every)
		m.gpu.start(ctx)
	}
	return m
}

func (m *energyMeter) Stop() Energy {
	var e Energy
	e.Unavailable = append(e.Unavailable, m.reasons...)
	var gpuJ, gpuSpan float64
	var gpuN int
	var gpuErr error
	if m.gpu != nil {
		gpuJ, gpuSpan, gpuN, gpuErr = m.gpu.stop()
	}
	window := time.Since(m.began).Seconds()
	total, ok := 0.0, false
	for i, d := range m.rapl {
		v, err := readFloat(d.path)
		if err != nil {
			e.Unavailable = append(e.Unavailable, fmt.Sprintf("rapl %s: %v", d.name, err))
			continue
		}
		total += raplDelta(m.start[i], v, d.maxRange) / 1e6
		e.Sources = append(e.Sources, "rapl:"+d.name)
		ok = true
	}
	if m.gpu != nil {
		if gpuErr != nil {
			e.Unavailable = append(e.Unavailable, "nvidia-smi power.draw: "+gpuErr.Error())
		} else if gpuSpan > 0 {
			// The samples span slightly less than the window (the first one lands after
			// it opens): the mean power over the span is charged for the whole window.
			total += gpuJ / gpuSpan * window
			e.Sources = append(e.Sources, fmt.Sprintf("nvidia-smi power.draw (%d samples)", gpuN))
			ok = true
		}
	}
	if ok && window > 0 {
		p := total / window
		e.EnergyJ, e.AvgPowerW = &total, &p
	}
	return e
}

// powerSampler integrates GPU board power (nvidia-smi --query-gpu=power.draw, watts,
// summed over GPUs) over time with the trapezoid rule.
type powerSampler struct {
	path  string
	every time.Duration
	mu    sync.Mutex
	joule float64
	n     int
	first time.Time
	last  time.Time
	lastW float64
	err   error
	done  chan struct{}
	wg    sync.WaitGroup
}

func newPowerSampler(path string, every time.Duration) *powerSampler {
	return &powerSampler{path: path, every: every, done: make(chan struct{})}
}

func (p *powerSampler) sample(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(c, p.path, "--query-gpu=power.draw", "--format=csv,noheader,nounits").Output()
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	if err != nil {
		p.err = err
		return
	}
	w, err := parsePowerDraw(out)
	if err != nil {
		p.err = err
		return
	}
	if p.n > 0 {
		p.joule += (w + p.lastW) / 2 * now.Sub(p.last).Seconds()
	} else {
		p.first = now
	}
	p.last, p.lastW = now, w
	p.n++
}

// parsePowerDraw sums one watts figure per line; "[N/A]" lines are an error.
func parsePowerDraw(out []byte) (float64, error) {
	sc := bufio.NewScanner(bytes.NewReader(out))
	total, n := 0.0, 0
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		w, err := strconv.ParseFloat(line, 64)
		if err != nil {
			return 0, fmt.Errorf("power.draw %q is not a number", line)
		}
		total += w
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("nvidia-smi printed no power.draw")
	}
	return total, nil
}

func (p *powerSampler) start(ctx context.Context) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		every(ctx, p.every, p.done, func() { p.sample(ctx) })
	}()
}

// stop takes a last sample and returns the joules integrated between the first and
// last samples, that span in seconds, and the sample count; an error when fewer than
// two samples were read.
func (p *powerSampler) stop() (float64, float64, int, error) {
	close(p.done)
	p.wg.Wait()
	p.sample(context.Background())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.n < 2 {
		if p.err != nil {
			return 0, 0, p.n, p.err
		}
		return 0, 0, p.n, fmt.Errorf("fewer than two power samples")
	}
	return p.joule, p.last.Sub(p.first).Seconds(), p.n, nil
}
