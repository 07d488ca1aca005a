package hostmon

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	gnet "github.com/shirou/gopsutil/v4/net"
	"github.com/shirou/gopsutil/v4/process"
)

// Helper process tree for the memory tests: the test binary re-executed with
// procmemHelperEnv=LEVEL runs TestProcmemHelperProcess only, which holds a
// touched ballast of procmemBallast bytes, starts LEVEL-1 below itself, listens
// on 127.0.0.1:0 when it is the top, prints "ready PORT PID PID...", and ends
// when its standard input closes (or after procmemHelperLife at the latest),
// ending its own child first.
const (
	procmemHelperEnv  = "YARDSTICK_PROCMEM_HELPER"
	procmemTopEnv     = "YARDSTICK_PROCMEM_HELPER_TOP"
	procmemBallast    = 16 << 20
	procmemHelperLife = 60 * time.Second
)

func TestProcmemHelperProcess(t *testing.T) {
	level, err := strconv.Atoi(os.Getenv(procmemHelperEnv))
	if err != nil || level < 1 {
		t.Skip("helper process for the memory tests; runs only when re-executed")
	}
	os.Exit(procmemHelperMain(level, os.Getenv(procmemTopEnv) == "1"))
}

func procmemHelperMain(level int, top bool) int {
	ballast := make([]byte, procmemBallast)
	for i := 0; i < len(ballast); i += 512 {
		ballast[i] = byte(i>>9) | 1
	}
	fail := func(err error) int {
		fmt.Fprintln(os.Stderr, "procmem helper:", err)
		return 1
	}
	pids := []string{strconv.Itoa(os.Getpid())}
	var child *exec.Cmd
	var childIn io.WriteCloser
	if level > 1 {
		child = exec.Command(os.Args[0], "-test.run=^TestProcmemHelperProcess$")
		child.Env = append(procmemEnvWithout(os.Environ(), procmemHelperEnv, procmemTopEnv), procmemHelperEnv+"="+strconv.Itoa(level-1))
		child.Stderr = os.Stderr
		var err error
		if childIn, err = child.StdinPipe(); err != nil {
			return fail(err)
		}
		out, err := child.StdoutPipe()
		if err != nil {
			return fail(err)
		}
		if err := child.Start(); err != nil {
			return fail(err)
		}
		defer func() {
			childIn.Close()
			done := make(chan struct{})
			go func() { child.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				child.Process.Kill() // by PID: the one this helper started
				<-done
			}
		}()
		fields, err := procmemReadReady(out, 30*time.Second)
		if err != nil {
			return fail(err)
		}
		pids = append(pids, fields[1:]...)
	}
	port := 0
	if top {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return fail(err)
		}
		defer ln.Close()
		port = ln.Addr().(*net.TCPAddr).Port
	}
	fmt.Printf("ready %d %s\n", port, strings.Join(pids, " "))
	eof := make(chan struct{})
	go func() { io.Copy(io.Discard, os.Stdin); close(eof) }()
	select {
	case <-eof:
	case <-time.After(procmemHelperLife):
	}
	runtime.KeepAlive(ballast)
	return 0
}

func procmemEnvWithout(env []string, names ...string) []string {
	out := env[:0:0]
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}

// procmemReadReady reads the helper's "ready PORT PID..." line and returns
// its fields after "ready".
func procmemReadReady(r io.Reader, timeout time.Duration) ([]string, error) {
	type result struct {
		line string
		err  error
	}
	ch := make(chan result, 1)
	go func() {
		br := bufio.NewReader(r)
		for i := 0; i < 100; i++ { // skip anything the test framework printed
			line, err := br.ReadString('\n')
			if strings.HasPrefix(line, "ready ") || err != nil {
				ch <- result{line, err}
				return
			}
		}
		ch <- result{"", errors.New("no ready line in 100 lines")}
	}()
	select {
	case res := <-ch:
		f := strings.Fields(res.line)
		if len(f) < 3 || f[0] != "ready" {
			return nil, fmt.Errorf("helper said %q (%v)", res.line, res.err)
		}
		return f[1:], nil
	case <-time.After(timeout):
		return nil, errors.New("helper not ready in time")
	}
}

type procmemTree struct {
	port int
	pids []int32 // top helper, its child, its grandchild
}

// startProcmemTree starts a three-process helper tree and ends it when the
// test ends.
func startProcmemTree(t *testing.T) procmemTree {
	t.Helper()
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("process tree test needs Linux or macOS")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestProcmemHelperProcess$")
	cmd.Env = append(procmemEnvWithout(os.Environ(), procmemHelperEnv, procmemTopEnv), procmemHelperEnv+"=3", procmemTopEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		in.Close() // the helpers end their children, then themselves
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("helper %d did not end; killing it", cmd.Process.Pid)
			cmd.Process.Kill()
			<-done
		}
	})
	fields, err := procmemReadReady(out, 60*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	var tree procmemTree
	tree.port, _ = strconv.Atoi(fields[0])
	for _, f := range fields[1:] {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad pid %q", f)
		}
		tree.pids = append(tree.pids, int32(n))
	}
	if len(tree.pids) != 3 || tree.pids[0] != int32(cmd.Process.Pid) || tree.port == 0 {
		t.Fatalf("helper tree %+v, top pid %d", tree, cmd.Process.Pid)
	}
	return tree
}

func procmemRSS(t *testing.T, pid int32) uint64 {
	t.Helper()
	p, err := process.NewProcess(pid)
	if err != nil {
		t.Fatal(err)
	}
	mi, err := p.MemoryInfo()
	if err != nil {
		t.Fatal(err)
	}
	return mi.RSS
}

// TestProcmemHelperTree runs the checks that need a real process tree on one
// helper tree (starting one costs about a second under -race).
func TestProcmemHelperTree(t *testing.T) {
	tree := startProcmemTree(t)
	t.Run("TreeRSSIncludesDescendants", func(t *testing.T) { testTreeRSSIncludesDescendants(t, tree) })
	t.Run("FindServerPIDOtherProcess", func(t *testing.T) { testFindServerPIDOtherProcess(t, tree) })
	t.Run("RSSSamplerRealTree", func(t *testing.T) { testRSSSamplerRealTree(t, tree) })
}

func testTreeRSSIncludesDescendants(t *testing.T, tree procmemTree) {
	ctx := context.Background()

	var sum uint64
	for _, pid := range tree.pids {
		sum += procmemRSS(t, pid)
	}
	top := procmemRSS(t, tree.pids[0])
	got, err := TreeRSS(ctx, tree.pids[0])
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("tree RSS %d bytes (%.1f MiB); top %d, sum of the three %d", got, float64(got)/(1<<20), top, sum)
	if got < 3*procmemBallast {
		t.Errorf("tree RSS %d < three ballasts %d", got, 3*procmemBallast)
	}
	if got < top+2*procmemBallast {
		t.Errorf("tree RSS %d does not include the descendants (top alone %d)", got, top)
	}
	// The helpers are idle: the tree is the sum of its three processes, give
	// or take what their runtimes do meanwhile.
	const slack = 8 << 20
	if got+slack < sum || got > sum+slack {
		t.Errorf("tree RSS %d, sum of processes %d", got, sum)
	}

	// A subtree counts only its own processes.
	sub, err := TreeRSS(ctx, tree.pids[1])
	if err != nil {
		t.Fatal(err)
	}
	if sub >= got || sub < 2*procmemBallast {
		t.Errorf("subtree RSS %d, whole tree %d", sub, got)
	}
}

func TestTreeRSSThisProcess(t *testing.T) {
	got, err := TreeRSS(context.Background(), int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	self := procmemRSS(t, int32(os.Getpid()))
	t.Logf("RSS of this test process tree: %d bytes (%.1f MiB)", got, float64(got)/(1<<20))
	if got == 0 || got+(4<<20) < self {
		t.Errorf("TreeRSS(self) = %d, process RSS %d", got, self)
	}
}

func TestTreeRSSErrors(t *testing.T) {
	if _, err := TreeRSS(context.Background(), procmemGonePID(t)); err == nil {
		t.Error("TreeRSS of an ended process: no error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TreeRSS(ctx, int32(os.Getpid())); !errors.Is(err, context.Canceled) {
		t.Errorf("TreeRSS with a cancelled context: %v", err)
	}
}

// procmemGonePID returns the PID of a process this test started and reaped.
func procmemGonePID(t *testing.T) int32 {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return int32(cmd.Process.Pid)
}

func TestFindServerPIDHTTPTest(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler()) // listens on 127.0.0.1
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(u.Host)
	for _, raw := range []string{srv.URL, "http://localhost:" + port, "http://0.0.0.0:" + port} {
		u, _ := url.Parse(raw)
		pid, ok, err := FindServerPID(context.Background(), u)
		if err != nil || !ok || pid != int32(os.Getpid()) {
			t.Errorf("FindServerPID(%s) = %d, %v, %v; want %d, true, nil", raw, pid, ok, err, os.Getpid())
		}
	}
}

func testFindServerPIDOtherProcess(t *testing.T, tree procmemTree) {
	u := &url.URL{Scheme: "http", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(tree.port))}
	pid, ok, err := FindServerPID(context.Background(), u)
	if err != nil || !ok || pid != tree.pids[0] {
		t.Fatalf("FindServerPID(%s) = %d, %v, %v; want %d", u, pid, ok, err, tree.pids[0])
	}
	// What a run does with it: the server's tree memory.
	rss, err := TreeRSS(context.Background(), pid)
	if err != nil || rss < 3*procmemBallast {
		t.Errorf("TreeRSS(server) = %d, %v", rss, err)
	}
}

func TestFindServerPIDNotFound(t *testing.T) {
	// A loopback port nobody listens on (anymore).
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()

	start := time.Now()
	for _, raw := range []string{
		fmt.Sprintf("http://127.0.0.1:%d", port),
		"http://192.0.2.1:11434",      // TEST-NET-1: remote, never contacted
		"https://[2001:db8::1]:11434", // documentation range, remote
		"http://198.51.100.7",         // TEST-NET-2, default port
	} {
		u, _ := url.Parse(raw)
		pid, ok, err := FindServerPID(context.Background(), u)
		if err != nil || ok || pid != 0 {
			t.Errorf("FindServerPID(%s) = %d, %v, %v; want 0, false, nil", raw, pid, ok, err)
		}
	}
	// IP literals are classified locally: nothing waits on the network.
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestFindServerPIDBadInput(t *testing.T) {
	if _, ok, err := FindServerPID(context.Background(), nil); err == nil || ok {
		t.Errorf("nil URL: ok %v err %v", ok, err)
	}
	u := &url.URL{Scheme: "http", Host: "127.0.0.1:99999"}
	if _, ok, err := FindServerPID(context.Background(), u); err == nil || ok {
		t.Errorf("bad port: ok %v err %v", ok, err)
	}
}

func TestProcmemLocalTargets(t *testing.T) {
	ctx := context.Background()
	for _, h := range []string{"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "localhost", "LOCALHOST", "ollama.localhost", "::ffff:127.0.0.1"} {
		if _, local := procmemLocalTargets(ctx, h); !local {
			t.Errorf("%q not local", h)
		}
	}
	for _, h := range []string{"192.0.2.1", "2001:db8::1", "", "203.0.113.9"} {
		if _, local := procmemLocalTargets(ctx, h); local {
			t.Errorf("%q local", h)
		}
	}
	for _, a := range procmemInterfaceAddrs() {
		if _, local := procmemLocalTargets(ctx, a.String()); !local {
			t.Errorf("interface address %s not local", a)
		}
	}
	// This machine's own name is local, whatever it resolves to (a lookup
	// not in /etc/hosts is bounded by resolveTimeout).
	if name, err := os.Hostname(); err == nil && name != "" {
		if targets, local := procmemLocalTargets(ctx, name); !local || len(targets) == 0 {
			t.Errorf("own host name %q: targets %v, local %v", name, targets, local)
		}
	}
}

func TestProcmemPickListener(t *testing.T) {
	ls := func(ip string, port uint32, pid int32) gnet.ConnectionStat {
		return gnet.ConnectionStat{Status: "LISTEN", Laddr: gnet.Addr{IP: ip, Port: port}, Pid: pid}
	}
	lo := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.IPv6Loopback()}
	lan := []netip.Addr{netip.MustParseAddr("10.0.0.5")}
	tests := []struct {
		name    string
		conns   []gnet.ConnectionStat
		targets []netip.Addr
		want    int32
		wantOK  bool
	}{
		{"loopback v4", []gnet.ConnectionStat{ls("127.0.0.1", 11434, 10)}, lo, 10, true},
		{"loopback v6", []gnet.ConnectionStat{ls("::1", 11434, 11)}, lo, 11, true},
		{"any v4", []gnet.ConnectionStat{ls("0.0.0.0", 11434, 12)}, lo, 12, true},
		{"any v6", []gnet.ConnectionStat{ls("::", 11434, 13)}, lan, 13, true},
		{"v4-mapped", []gnet.ConnectionStat{ls("::ffff:127.0.0.1", 11434, 14)}, lo, 14, true},
		{"other port", []gnet.ConnectionStat{ls("127.0.0.1", 8080, 15)}, lo, 0, false},
		{"not listening", []gnet.ConnectionStat{{Status: "ESTABLISHED", Laddr: gnet.Addr{IP: "127.0.0.1", Port: 11434}, Pid: 16}}, lo, 0, false},
		{"owner unknown", []gnet.ConnectionStat{ls("0.0.0.0", 11434, 0)}, lo, 0, false},
		{"bound elsewhere", []gnet.ConnectionStat{ls("10.0.0.5", 11434, 17)}, lo, 0, false},
		{"lan address", []gnet.ConnectionStat{ls("127.0.0.1", 11434, 18), ls("10.0.0.5", 11434, 19)}, lan, 19, true},
		{"exact beats wildcard", []gnet.ConnectionStat{ls("0.0.0.0", 11434, 20), ls("127.0.0.1", 11434, 30)}, lo, 30, true},
		{"lowest pid among equals", []gnet.ConnectionStat{ls("0.0.0.0", 11434, 40), ls("::", 11434, 21)}, lo, 21, true},
		{"bad address", []gnet.ConnectionStat{ls("not-an-ip", 11434, 22)}, lo, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := procmemPickListener(tc.conns, 11434, tc.targets)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %d, %v; want %d, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestProcmemURLPort(t *testing.T) {
	for raw, want := range map[string]uint32{"http://h:11434": 11434, "http://h": 80, "https://h": 443, "HTTPS://h/x": 443} {
		u, _ := url.Parse(raw)
		if got, err := procmemURLPort(u); err != nil || got != want {
			t.Errorf("%s: %d, %v; want %d", raw, got, err, want)
		}
	}
	for _, raw := range []string{"http://h:0", "ftp://h"} {
		u, _ := url.Parse(raw)
		if _, err := procmemURLPort(u); err == nil {
			t.Errorf("%s: no error", raw)
		}
	}
}

func testRSSSamplerRealTree(t *testing.T, tree procmemTree) {
	single, err := TreeRSS(context.Background(), tree.pids[0])
	if err != nil {
		t.Fatal(err)
	}
	s := NewRSSSampler(tree.pids[0], 10*time.Millisecond)
	s.Start(context.Background())
	time.Sleep(300 * time.Millisecond)
	peak, n, err := s.Stop()
	t.Logf("sampler: peak %d bytes over %d samples; single sample %d", peak, n, single)
	if err != nil || n < 2 {
		t.Fatalf("Stop = %d, %d, %v; want ≥ 2 samples", peak, n, err)
	}
	// The helpers are idle, but a Go runtime may hand a little memory back
	// between two readings.
	if peak+(4<<20) < single || peak < 3*procmemBallast {
		t.Errorf("peak %d below a single sample %d", peak, single)
	}
}

// fakeSamples returns a sample function that yields vals in turn (then the
// last one), with errs[i] as the error of call i when set, and counts calls.
type fakeSamples struct {
	mu      sync.Mutex
	vals    []uint64
	errs    map[int]error
	failAll error // when set, every call fails with it
	calls   int
}

func (f *fakeSamples) sample(ctx context.Context, pid int32) (uint64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	i := f.calls
	f.calls++
	if f.failAll != nil {
		return 0, fmt.Errorf("call %d: %w", i, f.failAll)
	}
	if err := f.errs[i]; err != nil {
		return 0, err
	}
	if i >= len(f.vals) {
		i = len(f.vals) - 1
	}
	return f.vals[i], nil
}

func (f *fakeSamples) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// sampleFake starts a sampler on f every millisecond and waits (at most 5 s) until it
// has taken calls samples.
func sampleFake(ctx context.Context, f *fakeSamples, calls int) *RSSSampler {
	s := NewRSSSampler(1, time.Millisecond)
	s.sample = f.sample
	s.Start(ctx)
	for i := 0; f.count() < calls && i < 5000; i++ {
		time.Sleep(time.Millisecond)
	}
	return s
}

func TestRSSSamplerPeakIsMaximum(t *testing.T) {
	f := &fakeSamples{vals: []uint64{5, 9, 3, 7}}
	s := sampleFake(context.Background(), f, 6)
	peak, n, err := s.Stop()
	if err != nil || peak != 9 || n < 4 || n != f.count() {
		t.Errorf("Stop = %d, %d, %v; want 9, %d (≥ 4), nil", peak, n, err, f.count())
	}
}

func TestRSSSamplerFirstSampleAtOnce(t *testing.T) {
	f := &fakeSamples{vals: []uint64{42}}
	s := NewRSSSampler(1, time.Hour)
	s.sample = f.sample
	s.Start(context.Background())
	s.Start(context.Background()) // a second Start does nothing
	peak, n, err := s.Stop()
	if peak != 42 || n != 1 || err != nil {
		t.Errorf("Stop = %d, %d, %v; want 42, 1, nil", peak, n, err)
	}
	// Stop again: same answer, no panic.
	if p2, n2, err2 := s.Stop(); p2 != peak || n2 != n || err2 != err {
		t.Errorf("second Stop = %d, %d, %v", p2, n2, err2)
	}
	if f.count() != 1 {
		t.Errorf("%d samples taken after Stop; want 1", f.count())
	}
}

func TestRSSSamplerErrors(t *testing.T) {
	boom := errors.New("boom")
	// Every sample fails: the last error is returned.
	f := &fakeSamples{vals: []uint64{1}, failAll: boom}
	s := sampleFake(context.Background(), f, 3)
	peak, n, err := s.Stop()
	last := fmt.Sprintf("call %d: boom", f.count()-1)
	if n != 0 || peak != 0 || !errors.Is(err, boom) || err.Error() != last {
		t.Errorf("all failing: Stop = %d, %d, %v; want 0, 0, %q", peak, n, err, last)
	}

	// Some samples fail: no error.
	f = &fakeSamples{vals: []uint64{8}, errs: map[int]error{0: boom}}
	s = NewRSSSampler(1, time.Millisecond)
	s.sample = f.sample
	s.Start(context.Background())
	for i := 0; f.count() < 3 && i < 5000; i++ {
		time.Sleep(time.Millisecond)
	}
	if peak, n, err := s.Stop(); err != nil || peak != 8 || n < 1 {
		t.Errorf("some failing: Stop = %d, %d, %v", peak, n, err)
	}

	// A real process that has ended.
	s = NewRSSSampler(procmemGonePID(t), time.Hour)
	s.Start(context.Background())
	if peak, n, err := s.Stop(); err == nil || n != 0 || peak != 0 {
		t.Errorf("ended process: Stop = %d, %d, %v", peak, n, err)
	}

	// Stop before Start.
	if _, _, err := NewRSSSampler(1, 0).Stop(); err == nil {
		t.Error("Stop before Start: no error")
	}
}

func TestRSSSamplerEndsOnContextCancel(t *testing.T) {
	f := &fakeSamples{vals: []uint64{1, 2, 3}}
	ctx, cancel := context.WithCancel(context.Background())
	s := sampleFake(ctx, f, 2)
	cancel()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Fatal("sampling goroutine still running after cancel")
	}
	after := f.count()
	time.Sleep(20 * time.Millisecond)
	if f.count() != after {
		t.Error("samples taken after cancel")
	}
	if peak, n, err := s.Stop(); err != nil || n != after || peak == 0 {
		t.Errorf("Stop after cancel = %d, %d, %v", peak, n, err)
	}
}

func TestRSSSamplerThisProcess(t *testing.T) {
	s := NewRSSSampler(int32(os.Getpid()), 5*time.Millisecond)
	s.Start(context.Background())
	time.Sleep(30 * time.Millisecond)
	peak, n, err := s.Stop()
	if err != nil || n < 1 || peak == 0 {
		t.Errorf("Stop = %d, %d, %v", peak, n, err)
	}
	select {
	case <-s.done:
	default:
		t.Error("goroutine alive after Stop")
	}
}
