package hostmon

// Resident memory of the model server's process tree (docs/metrics.md, Memory:
// server_rss_peak_bytes). Ollama serves from one process and runs each loaded
// model in a child process ("ollama runner ..."), so the server's memory is the
// sum over the whole tree, sampled while the run goes on.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// resolveTimeout bounds the name lookup FindServerPID makes for a host name
// other than localhost or this machine's own name.
const resolveTimeout = 2 * time.Second

// FindServerPID finds the PID of the process listening on the TCP port of
// hostURL when the host is this machine (loopback or one of this machine's
// addresses); ok=false when it is remote or cannot be found (e.g. no
// permission to read other processes' sockets).
//
// The port is hostURL's, else 80 for http and 443 for https. An IP literal is
// classified without any network traffic: loopback, unspecified (0.0.0.0, ::)
// and the addresses of this machine's interfaces are local. "localhost" and
// this machine's host name are local. Any other name is resolved (which may
// ask DNS, bounded by a short timeout); it is local when it resolves to one of
// those addresses, and an unresolvable name gives ok=false.
//
// The listening socket is found among this machine's TCP sockets (gopsutil
// net.Connections, from /proc/net/tcp{,6} and /proc/*/fd on Linux). A listener
// bound to the host's address wins over one bound to a wildcard address
// (0.0.0.0 or ::). A socket whose owner cannot be read (another user's process,
// when not root) does not count.
//
// err is non-nil only when the question could not be asked: a nil or
// malformed URL, or the socket table could not be read.
func FindServerPID(ctx context.Context, hostURL *url.URL) (pid int32, ok bool, err error) {
	if hostURL == nil {
		return 0, false, errors.New("find server pid: nil host URL")
	}
	port, err := procmemURLPort(hostURL)
	if err != nil {
		return 0, false, fmt.Errorf("find server pid: %w", err)
	}
	targets, local := procmemLocalTargets(ctx, hostURL.Hostname())
	if !local {
		return 0, false, nil
	}
	conns, err := gnet.ConnectionsWithContext(ctx, "tcp")
	if err != nil {
		return 0, false, fmt.Errorf("find server pid: listing TCP sockets: %w", err)
	}
	pid, ok = procmemPickListener(conns, port, targets)
	return pid, ok, nil
}

// procmemURLPort returns the TCP port of u: its explicit port, else the
// scheme's default.
func procmemURLPort(u *url.URL) (uint32, error) {
	p := u.Port()
	if p == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			return 443, nil
		case "http", "":
			return 80, nil
		default:
			return 0, fmt.Errorf("no port in %q and no default for scheme %q", u.Host, u.Scheme)
		}
	}
	n, err := strconv.ParseUint(p, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("port %q must be in 1..65535", p)
	}
	return uint32(n), nil
}

// procmemLoopbacks are the addresses a client reaches for "localhost" or an
// unspecified address.
var procmemLoopbacks = []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}

// procmemLocalTargets reports whether host names this machine and, if so,
// the local addresses a client connecting to it would reach.
func procmemLocalTargets(ctx context.Context, host string) ([]netip.Addr, bool) {
	host = strings.TrimSuffix(strings.TrimSpace(host), ".")
	if host == "" {
		return nil, false
	}
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.WithZone("").Unmap()
		switch {
		case a.IsUnspecified():
			return procmemLoopbacks, true // connecting to 0.0.0.0 or :: reaches this machine
		case a.IsLoopback():
			return []netip.Addr{a}, true
		case procmemIsInterfaceAddr(a, procmemInterfaceAddrs()):
			return []netip.Addr{a}, true
		}
		return nil, false
	}
	lower := strings.ToLower(host)
	if lower == "localhost" || strings.HasSuffix(lower, ".localhost") {
		return procmemLoopbacks, true
	}
	ifaddrs := procmemInterfaceAddrs()
	self, _ := os.Hostname()
	isSelf := self != "" && strings.EqualFold(host, self)
	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	defer cancel()
	ips, err := net.DefaultResolver.LookupNetIP(rctx, "ip", host)
	if err != nil {
		if isSelf {
			return append(append([]netip.Addr{}, procmemLoopbacks...), ifaddrs...), true
		}
		return nil, false
	}
	var targets []netip.Addr
	for _, a := range ips {
		a = a.WithZone("").Unmap()
		if a.IsLoopback() || a.IsUnspecified() || procmemIsInterfaceAddr(a, ifaddrs) {
			targets = append(targets, a)
		}
	}
	if len(targets) == 0 && isSelf {
		return append(append([]netip.Addr{}, procmemLoopbacks...), ifaddrs...), true
	}
	return targets, len(targets) > 0
}

// procmemInterfaceAddrs returns the addresses of this machine's network
// interfaces (no traffic: read from the kernel).
func procmemInterfaceAddrs() []netip.Addr {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var out []netip.Addr
	for _, a := range addrs {
		var ip net.IP
		switch v := a.(type) {
		case *net.IPNet:
			ip = v.IP
		case *net.IPAddr:
			ip = v.IP
		}
		if na, ok := netip.AddrFromSlice(ip); ok {
			out = append(out, na.Unmap())
		}
	}
	return out
}

func procmemIsInterfaceAddr(a netip.Addr, ifaddrs []netip.Addr) bool {
	for _, b := range ifaddrs {
		if a == b {
			return true
		}
	}
	return false
}

// procmemPickListener returns the PID owning a LISTEN socket on port that a
// client connecting to one of targets would reach: a socket bound to a target
// address first, else one bound to a wildcard address. Among equals the lowest
// PID wins, so the answer does not depend on the order of conns. Sockets with
// an unknown owner (PID 0) are skipped.
func procmemPickListener(conns []gnet.ConnectionStat, port uint32, targets []netip.Addr) (int32, bool) {
	var exact, wildcard []int32
	for _, c := range conns {
		if c.Status != "LISTEN" || c.Laddr.Port != port || c.Pid <= 0 {
			continue
		}
		a, err := netip.ParseAddr(c.Laddr.IP)
		if err != nil {
			continue
		}
		a = a.WithZone("").Unmap()
		switch {
		case a.IsUnspecified():
			wildcard = append(wildcard, c.Pid)
		case procmemIsInterfaceAddr(a, targets):
			exact = append(exact, c.Pid)
		}
	}
	for _, pids := range [][]int32{exact, wildcard} {
		if len(pids) > 0 {
			sort.Slice(pids, func(i, j int) bool { return pids[i] < pids[j] })
			return pids[0], true
		}
	}
	return 0, false
}

// maxTreeProcs bounds the walk of a process tree.
const maxTreeProcs = 4096

// TreeRSS returns the summed resident set size in bytes of pid and all its
// descendants (gopsutil process MemoryInfo RSS, from /proc/PID/statm on
// Linux). Pages shared between processes are counted once per process, as RSS
// does. A descendant that exits during the walk is left out; pid itself must
// be readable, else the error says why.
func TreeRSS(ctx context.Context, pid int32) (uint64, error) {
	var total uint64
	err := walkTree(ctx, pid, func(p *process.Process, root bool) error {
		mi, err := p.MemoryInfoWithContext(ctx)
		if err != nil {
			if root {
				return fmt.Errorf("tree rss: memory of process %d: %w", pid, err)
			}
			return nil // exited meanwhile
		}
		total += mi.RSS
		return nil
	})
	if err != nil {
		return 0, err
	}
	return total, nil
}

// TreeCPUSeconds returns the user+system CPU time, in seconds, that pid and each of
// its living descendants have used, by PID (gopsutil process Times, /proc/PID/stat on
// Linux). Compare two readings per PID (CPUSecondsSince): a process that exits between
// them would otherwise take its whole lifetime's CPU time out of the sum.
func TreeCPUSeconds(ctx context.Context, pid int32) (map[int32]float64, error) {
	total := map[int32]float64{}
	err := walkTree(ctx, pid, func(p *process.Process, root bool) error {
		t, err := p.TimesWithContext(ctx)
		if err != nil {
			if root {
				return fmt.Errorf("tree cpu: process %d: %w", pid, err)
			}
			return nil
		}
		total[p.Pid] = t.User + t.System
		return nil
	})
	return total, err
}

// CPUSecondsSince returns the CPU seconds the processes of now used since before:
// for each PID in now, its time minus its time in before (0 for a new process).
func CPUSecondsSince(before, now map[int32]float64) float64 {
	var d float64
	for pid, t := range now {
		d += max(0, t-before[pid])
	}
	return d
}

// walkTree calls fn for pid, then for each descendant breadth first, at most
// maxTreeProcs processes. fn's error stops the walk. A descendant that exits
// during the walk is skipped; pid itself must exist.
func walkTree(ctx context.Context, pid int32, fn func(p *process.Process, root bool) error) error {
	root, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return fmt.Errorf("process %d: %w", pid, err)
	}
	if err := fn(root, true); err != nil {
		return err
	}
	seen := map[int32]bool{pid: true}
	queue := []*process.Process{root}
	for len(queue) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		p := queue[0]
		queue = queue[1:]
		kids, err := p.ChildrenWithContext(ctx)
		if err != nil && !errors.Is(err, process.ErrorNoChildren) {
			if p == root {
				return fmt.Errorf("children of process %d: %w", pid, err)
			}
			continue // a descendant that went away
		}
		for _, k := range kids {
			if seen[k.Pid] || len(seen) >= maxTreeProcs {
				continue
			}
			seen[k.Pid] = true
			if err := fn(k, false); err != nil {
				return err
			}
			queue = append(queue, k)
		}
	}
	return nil
}

// DefaultRSSInterval is the sampling interval NewRSSSampler uses for an
// interval ≤ 0.
const DefaultRSSInterval = 250 * time.Millisecond

// RSSSampler samples TreeRSS(pid) every interval from Start until Stop; Stop
// returns the peak bytes, the number of samples and the last error if every
// sample failed.
//
// Start takes the first sample at once, then one per interval (a tick missed
// while a sample is being taken is dropped). The sampling goroutine ends on
// Stop or when Start's context is done. Methods are safe for concurrent use.
type RSSSampler struct {
	pid      int32
	interval time.Duration
	sample   func(context.Context, int32) (uint64, error) // TreeRSS; replaced in tests

	mu       sync.Mutex
	started  bool
	stop     chan struct{} // closed by Stop
	done     chan struct{} // closed when the goroutine has ended
	stopOnce sync.Once
	peak     uint64
	samples  int   // successful samples
	lastErr  error // last failed sample's error
}

// NewRSSSampler returns a sampler of the process tree rooted at pid, sampling
// every interval (DefaultRSSInterval when interval ≤ 0).
func NewRSSSampler(pid int32, interval time.Duration) *RSSSampler {
	if interval <= 0 {
		interval = DefaultRSSInterval
	}
	return &RSSSampler{pid: pid, interval: interval, sample: TreeRSS}
}

// Start begins sampling: the first sample at once, in the background, then
// one every interval until Stop or until ctx is done. Calls after the first
// do nothing.
func (s *RSSSampler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return
	}
	s.started = true
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go s.loop(ctx)
}

func (s *RSSSampler) loop(ctx context.Context) {
	defer close(s.done)
	every(ctx, s.interval, s.stop, func() { s.take(ctx) })
}

// every calls f at once, then once per interval, until stop is closed or ctx is done;
// a tick that comes while f runs is dropped. The samplers of a run (server memory,
// GPU power) share it.
func every(ctx context.Context, interval time.Duration, stop <-chan struct{}, f func()) {
	f()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-ctx.Done():
			return
		case <-t.C:
			select {
			case <-stop:
				return
			default:
			}
			f()
		}
	}
}

func (s *RSSSampler) take(ctx context.Context) {
	v, err := s.sample(ctx, s.pid)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.lastErr = err
		return
	}
	s.samples++
	if v > s.peak {
		s.peak = v
	}
}

// Stop ends sampling, waits for the sampling goroutine to end, and returns
// the largest tree RSS seen in bytes, the number of successful samples, and,
// when no sample succeeded, the last sample's error. Calling Stop again
// returns the same values; Stop before Start returns an error.
func (s *RSSSampler) Stop() (peakBytes uint64, samples int, err error) {
	s.mu.Lock()
	if !s.started {
		s.mu.Unlock()
		return 0, 0, errors.New("rss sampler: Stop before Start")
	}
	stop, done := s.stop, s.done
	s.mu.Unlock()
	s.stopOnce.Do(func() { close(stop) })
	<-done
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.samples == 0 {
		err = s.lastErr
		if err == nil {
			err = errors.New("rss sampler: no sample taken")
		}
	}
	return s.peak, s.samples, err
}

// ChildCount returns the number of pid's direct children (gopsutil process Children,
// /proc on Linux); 0 when it has none.
func ChildCount(ctx context.Context, pid int32) (int, error) {
	p, err := process.NewProcessWithContext(ctx, pid)
	if err != nil {
		return 0, fmt.Errorf("process %d: %w", pid, err)
	}
	kids, err := p.ChildrenWithContext(ctx)
	if err != nil && !errors.Is(err, process.ErrorNoChildren) {
		return 0, fmt.Errorf("children of process %d: %w", pid, err)
	}
	return len(kids), nil
}
