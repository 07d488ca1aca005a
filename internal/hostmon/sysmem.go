package hostmon

// The machine's memory around a run (docs/metrics.md, Memory): what was available
// when it started, whether it swapped while it ran, the model server's environment
// (where its parallelism is set) and, on an NVIDIA GPU, the device memory in use.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProcRoot is where the proc filesystem is mounted; tests point the readers below at
// a fixture directory instead.
const ProcRoot = "/proc"

// maxProcFile bounds what is read of one /proc file (environ, cmdline, meminfo,
// vmstat are a few KiB; a process may have a large environment, never this large).
const maxProcFile = 1 << 20

func readProcFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(io.LimitReader(f, maxProcFile+1)); err != nil {
		return nil, err
	}
	if buf.Len() > maxProcFile {
		return nil, fmt.Errorf("%s: longer than %d bytes", path, maxProcFile)
	}
	return buf.Bytes(), nil
}

// ProcessEnv returns the environment process pid started with (root/PID/environ:
// NUL-separated KEY=VALUE entries, proc(5)) and its arguments (root/PID/cmdline,
// NUL-separated). root is normally ProcRoot. Reading another user's environ needs
// the same user or root: the error then says permission denied. A later entry of
// the same key wins, as getenv's does not, but a process's initial environment has
// none.
func ProcessEnv(root string, pid int32) (env map[string]string, args []string, err error) {
	if pid <= 0 {
		return nil, nil, fmt.Errorf("process environment: pid %d", pid)
	}
	dir := filepath.Join(root, strconv.Itoa(int(pid)))
	b, err := readProcFile(filepath.Join(dir, "environ"))
	if err != nil {
		return nil, nil, fmt.Errorf("environment of process %d: %w", pid, err)
	}
	env = map[string]string{}
	for _, kv := range splitNUL(b) {
		if k, v, ok := strings.Cut(kv, "="); ok && k != "" {
			env[k] = v
		}
	}
	if c, err := readProcFile(filepath.Join(dir, "cmdline")); err == nil {
		args = splitNUL(c)
	}
	return env, args, nil
}

func splitNUL(b []byte) []string {
	var out []string
	for _, f := range bytes.Split(b, []byte{0}) {
		if len(f) > 0 {
			out = append(out, string(f))
		}
	}
	return out
}

// MemAvailable returns the kernel's estimate of the memory available for new work
// without swapping, in bytes: MemAvailable of root/meminfo (proc(5), Linux ≥ 3.14;
// the file gives kB, 1024 bytes).
func MemAvailable(root string) (uint64, error) {
	b, err := readProcFile(filepath.Join(root, "meminfo"))
	if err != nil {
		return 0, fmt.Errorf("available memory: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && f[0] == "MemAvailable:" {
			n, err := strconv.ParseUint(f[1], 10, 64)
			if err != nil || n > 1<<50 {
				return 0, fmt.Errorf("available memory: MemAvailable %q is not a size in kB", f[1])
			}
			unit := uint64(1024)
			if len(f) >= 3 && f[2] != "kB" {
				return 0, fmt.Errorf("available memory: MemAvailable in unknown unit %q", f[2])
			}
			return n * unit, nil
		}
	}
	return 0, errors.New("available memory: no MemAvailable line in meminfo (Linux before 3.14?)")
}

// SwapCounters are the pages swapped in and out since boot (root/vmstat pswpin and
// pswpout, proc(5)).
type SwapCounters struct{ InPages, OutPages uint64 }

// ReadSwapCounters reads root/vmstat's pswpin and pswpout. Both must be present.
func ReadSwapCounters(root string) (SwapCounters, error) {
	b, err := readProcFile(filepath.Join(root, "vmstat"))
	if err != nil {
		return SwapCounters{}, fmt.Errorf("swap counters: %w", err)
	}
	var c SwapCounters
	var seenIn, seenOut bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || (f[0] != "pswpin" && f[0] != "pswpout") {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 64)
		if err != nil {
			return SwapCounters{}, fmt.Errorf("swap counters: %s %q is not a count", f[0], f[1])
		}
		if f[0] == "pswpin" {
			c.InPages, seenIn = n, true
		} else {
			c.OutPages, seenOut = n, true
		}
	}
	if !seenIn || !seenOut {
		return SwapCounters{}, errors.New("swap counters: vmstat has no pswpin or pswpout line")
	}
	return c, nil
}

// Swap is the machine's swap activity over a window, in bytes (pages × the page
// size); Err says why it is unknown.
type Swap struct {
	InBytes, OutBytes uint64
	Err               error
}

// SwapBetween returns the bytes swapped in and out between two readings; a counter
// that went backwards (a counter reset, which Linux does not do) counts 0.
func SwapBetween(before, after SwapCounters, pageBytes uint64) Swap {
	d := func(a, b uint64) uint64 {
		if b < a {
			return 0
		}
		return b - a
	}
	return Swap{InBytes: d(before.InPages, after.InPages) * pageBytes, OutBytes: d(before.OutPages, after.OutPages) * pageBytes}
}

type swapWindow struct {
	root  string
	start SwapCounters
	err   error
}

// StartSwap reads the swap counters under root (normally ProcRoot) now; Stop reads
// them again and returns the bytes swapped in between.
func StartSwap(root string) Sampler[Swap] {
	c, err := ReadSwapCounters(root)
	return &swapWindow{root: root, start: c, err: err}
}

func (w *swapWindow) Stop() Swap {
	if w.err != nil {
		return Swap{Err: w.err}
	}
	end, err := ReadSwapCounters(w.root)
	if err != nil {
		return Swap{Err: err}
	}
	return SwapBetween(w.start, end, uint64(os.Getpagesize()))
}

// DeviceMemory is the GPU memory the device-memory sampler saw in use: the peak,
// summed over GPUs, in bytes, and the number of samples; Err says why there is none.
type DeviceMemory struct {
	PeakUsedBytes uint64
	Samples       int
	Source        string
	Err           error
}

// StartDeviceMemory samples NVIDIA GPU memory in use (nvidia-smi
// --query-gpu=memory.used, MiB, summed over GPUs) every interval until Stop; nil
// when nvidia-smi is not installed.
func StartDeviceMemory(ctx context.Context, interval time.Duration) Sampler[DeviceMemory] {
	path, err := exec.LookPath("nvidia-smi")
	if err != nil {
		return nil
	}
	s := &deviceMemSampler{path: path, stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		every(ctx, max(interval, 100*time.Millisecond), s.stop, func() { s.sample(ctx) })
	}()
	return s
}

type deviceMemSampler struct {
	path       string
	mu         sync.Mutex
	peak       uint64
	n          int
	err        error
	stop, done chan struct{}
	once       sync.Once
}

func (s *deviceMemSampler) sample(ctx context.Context) {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(c, s.path, "--query-gpu=memory.used", "--format=csv,noheader,nounits").Output()
	var used uint64
	if err == nil {
		used, err = parseMemoryUsed(out)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.err = err
		return
	}
	s.n++
	s.peak = max(s.peak, used)
}

// parseMemoryUsed sums nvidia-smi's memory.used lines (MiB, one per GPU) into bytes.
func parseMemoryUsed(out []byte) (uint64, error) {
	var total uint64
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		v, err := strconv.ParseFloat(line, 64)
		if err != nil || v < 0 || v > 1<<30 {
			return 0, fmt.Errorf("nvidia-smi memory.used %q is not MiB", line)
		}
		total += uint64(v * (1 << 20))
		n++
	}
	if n == 0 {
		return 0, errors.New("nvidia-smi memory.used: no GPU listed")
	}
	return total, nil
}

func (s *deviceMemSampler) Stop() DeviceMemory {
	s.once.Do(func() { close(s.stop) })
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	d := DeviceMemory{PeakUsedBytes: s.peak, Samples: s.n, Source: "nvidia-smi memory.used"}
	if s.n == 0 {
		d.Err = s.err
		if d.Err == nil {
			d.Err = errors.New("no sample taken")
		}
	}
	return d
}
