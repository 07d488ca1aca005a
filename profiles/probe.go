package profiles

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProbeResult is a measurement of host memory bandwidth by ProbeBandwidth.
//
// Bytes are counted as STREAM counts them (McCalpin, "STREAM: Sustainable Memory
// Bandwidth in High Performance Computers", www.cs.virginia.edu/stream): copy
// a[i] = b[i] moves 2 × 8 bytes per element, triad a[i] = b[i] + s·c[i] moves 3 × 8;
// the write-allocate read of a that most CPUs do for a store is not counted, so the
// figures are comparable with published STREAM results and a little below what the
// memory actually moved.
type ProbeResult struct {
	// CopyBytesPerS and TriadBytesPerS are the best (fastest) repetition of each
	// kernel, in bytes per second.
	CopyBytesPerS  float64 `json:"copy_bytes_per_s"`
	TriadBytesPerS float64 `json:"triad_bytes_per_s"`
	// BufferBytes is the size of all three arrays together, in bytes.
	BufferBytes int64 `json:"buffer_bytes"`
	// Threads is the number of goroutines that ran each kernel (ProbeOptions.Threads,
	// else GOMAXPROCS).
	Threads int `json:"threads"`
	// Repetitions is the number of timed repetitions of each kernel.
	Repetitions int `json:"repetitions"`
	// Duration is the wall time of the whole probe, allocation included.
	Duration time.Duration `json:"duration_ns"`
}

// ProbeOptions tunes ProbeBandwidth; the zero value is the default.
type ProbeOptions struct {
	// ArrayBytes is the size of each of the three arrays in bytes. 0: at least 4 ×
	// the last-level cache (STREAM's rule, so no repetition can be served from cache)
	// and at least MinProbeArrayBytes, at most MaxProbeArrayBytes.
	ArrayBytes int64
	// Threads is the number of goroutines; 0 means GOMAXPROCS.
	Threads int
}

// MinProbeArrayBytes and MaxProbeArrayBytes bound the default array size of the
// probe: three arrays of 64 MiB to 1 GiB each.
const (
	MinProbeArrayBytes = 64 << 20
	MaxProbeArrayBytes = 1 << 30
)

// ProbeBandwidth measures host memory bandwidth with STREAM's copy and triad
// kernels, run on all cores (GOMAXPROCS goroutines, each on its own slice of the
// arrays), over three float64 arrays each at least 4 × the last-level cache. It
// alternates the two kernels for about d after allocating and touching the arrays
// (at least two repetitions of each, so the first, which may still fault pages, is
// never the only one) and returns the best repetition of each. The arrays are freed
// and returned to the operating system before it returns, so a benchmark that
// follows does not pay for them. Errors: ctx done (ctx.Err()), d ≤ 0, kernels that
// left part of the arrays untouched (a bug).
func ProbeBandwidth(ctx context.Context, d time.Duration) (ProbeResult, error) {
	return ProbeBandwidthWith(ctx, d, ProbeOptions{})
}

// ProbeBandwidthWith is ProbeBandwidth with options.
func ProbeBandwidthWith(ctx context.Context, d time.Duration, o ProbeOptions) (res ProbeResult, err error) {
	if d <= 0 {
		return ProbeResult{}, fmt.Errorf("bandwidth probe: duration %v must be positive", d)
	}
	began := time.Now()
	threads := o.Threads
	if threads <= 0 {
		threads = runtime.GOMAXPROCS(0)
	}
	size := o.ArrayBytes
	if size <= 0 {
		size = defaultArrayBytes(lastLevelCacheBytes())
	}
	n := int(size / 8)
	if n < threads {
		n = threads
	}
	a, b, c := make([]float64, n), make([]float64, n), make([]float64, n)
	defer func() {
		a, b, c = nil, nil, nil
		debug.FreeOSMemory()
	}()
	chunks := split(n, threads)
	// Touch every page from the goroutine that will use it (first touch places the
	// page on that thread's NUMA node, as STREAM's OpenMP initialisation does).
	parallel(chunks, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			a[i], b[i], c[i] = 1, 2, 0
		}
	})
	res = ProbeResult{BufferBytes: 3 * int64(n) * 8, Threads: threads}
	const scalar = 3.0
	var bestCopy, bestTriad time.Duration
	start := time.Now()
	for rep := 0; ; rep++ {
		if err := ctx.Err(); err != nil {
			return ProbeResult{}, err
		}
		if rep >= 2 && time.Since(start) >= d {
			break
		}
		t0 := time.Now()
		parallel(chunks, func(lo, hi int) { copy(c[lo:hi], a[lo:hi]) })
		tc := time.Since(t0)
		t0 = time.Now()
		parallel(chunks, func(lo, hi int) { triad(a[lo:hi], b[lo:hi], c[lo:hi], scalar) })
		tt := time.Since(t0)
		if bestCopy == 0 || tc < bestCopy {
			bestCopy = tc
		}
		if bestTriad == 0 || tt < bestTriad {
			bestTriad = tt
		}
		res.Repetitions++
	}
	// Every element went through the same operations, so the ends of each array are
	// equal unless a chunk was missed.
	if a[0] != a[n-1] || c[0] != c[n-1] {
		return ProbeResult{}, errors.New("bandwidth probe: kernels did not cover the arrays")
	}
	res.CopyBytesPerS = 2 * 8 * float64(n) / bestCopy.Seconds()
	res.TriadBytesPerS = 3 * 8 * float64(n) / bestTriad.Seconds()
	res.Duration = time.Since(began)
	return res, nil
}

// triad is STREAM's triad kernel: a[i] = b[i] + s·c[i].
func triad(a, b, c []float64, s float64) {
	b, c = b[:len(a)], c[:len(a)]
	i := 0
	for ; i+4 <= len(a); i += 4 {
		a[i] = b[i] + s*c[i]
		a[i+1] = b[i+1] + s*c[i+1]
		a[i+2] = b[i+2] + s*c[i+2]
		a[i+3] = b[i+3] + s*c[i+3]
	}
	for ; i < len(a); i++ {
		a[i] = b[i] + s*c[i]
	}
}

// split cuts [0, n) into k nearly equal [lo, hi) ranges.
func split(n, k int) [][2]int {
	out := make([][2]int, k)
	for i := range k {
		out[i] = [2]int{i * n / k, (i + 1) * n / k}
	}
	return out
}

// parallel runs f on every chunk, one goroutine each, and waits for all.
func parallel(chunks [][2]int, f func(lo, hi int)) {
	var wg sync.WaitGroup
	for _, ch := range chunks {
		wg.Go(func() { f(ch[0], ch[1]) })
	}
	wg.Wait()
}

// defaultArrayBytes is 4 × llc clamped to [MinProbeArrayBytes, MaxProbeArrayBytes];
// llc 0 (unknown) gives 256 MiB.
func defaultArrayBytes(llc int64) int64 {
	if llc <= 0 {
		return 256 << 20
	}
	return min(max(4*llc, MinProbeArrayBytes), MaxProbeArrayBytes)
}

// lastLevelCacheBytes sums the distinct highest-level caches of the machine from
// Linux sysfs (/sys/devices/system/cpu/cpu*/cache/index*/{level,size,
// shared_cpu_list}); 0 when unreadable (other systems).
func lastLevelCacheBytes() int64 {
	return lastLevelCacheBytesIn("/sys/devices/system/cpu")
}

func lastLevelCacheBytesIn(root string) int64 {
	dirs, _ := filepath.Glob(filepath.Join(root, "cpu[0-9]*", "cache", "index[0-9]*"))
	type key struct {
		level  int
		shared string
	}
	sizes := map[key]int64{}
	top := 0
	for _, dir := range dirs {
		read := func(name string) string {
			b, _ := os.ReadFile(filepath.Join(dir, name))
			return strings.TrimSpace(string(b))
		}
		if t := read("type"); t == "Instruction" {
			continue
		}
		level, err := strconv.Atoi(read("level"))
		if err != nil {
			continue
		}
		size := parseCacheSize(read("size"))
		if size <= 0 {
			continue
		}
		sizes[key{level, read("shared_cpu_list")}] = size
		top = max(top, level)
	}
	var total int64
	for k, s := range sizes {
		if k.level == top {
			total += s
		}
	}
	return total
}

// parseCacheSize parses sysfs cache sizes: "32768K", "2M", "512".
func parseCacheSize(s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1<<10, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1<<20, strings.TrimSuffix(s, "M")
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 {
		return 0
	}
	return v * mult
}
