package hostmon

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// testdata/proc/4242 holds an Ollama server's environ and cmdline as the kernel
// writes them: NUL-terminated entries.
func TestProcessEnv(t *testing.T) {
	env, args, err := ProcessEnv("testdata/proc", 4242)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"HOME": "/home/ollama", "OLLAMA_NUM_PARALLEL": "4", "OLLAMA_KV_CACHE_TYPE": "q8_0", "EMPTY": "", "PATH": "/usr/bin:/bin"}
	if !reflect.DeepEqual(env, want) {
		t.Errorf("env = %v, want %v", env, want)
	}
	if !reflect.DeepEqual(args, []string{"ollama", "serve"}) {
		t.Errorf("args = %q, want [ollama serve]", args)
	}
	// No such process: the error names it.
	if _, _, err := ProcessEnv("testdata/proc", 4243); err == nil || !strings.Contains(err.Error(), "process 4243") {
		t.Errorf("missing process: err = %v", err)
	}
	if _, _, err := ProcessEnv("testdata/proc", 0); err == nil {
		t.Error("pid 0: no error")
	}
}

// An environ the caller may not read (another user's process) is an error, not an
// empty environment.
func TestProcessEnvUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads every file")
	}
	root := t.TempDir()
	dir := filepath.Join(root, "7")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "environ"), "A=1\x00")
	if err := os.Chmod(filepath.Join(dir, "environ"), 0); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ProcessEnv(root, 7); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Errorf("err = %v, want permission denied", err)
	}
}

func TestMemAvailable(t *testing.T) {
	got, err := MemAvailable("testdata/proc")
	if err != nil {
		t.Fatal(err)
	}
	// MemAvailable: 23878348 kB, kB being 1024 bytes in proc(5).
	if want := uint64(23878348) * 1024; got != want {
		t.Errorf("MemAvailable = %d, want %d", got, want)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "meminfo"), "MemTotal: 100 kB\nMemFree: 50 kB\n")
	if _, err := MemAvailable(dir); err == nil || !strings.Contains(err.Error(), "no MemAvailable") {
		t.Errorf("old kernel: err = %v", err)
	}
	writeFile(t, filepath.Join(dir, "meminfo"), "MemAvailable: lots kB\n")
	if _, err := MemAvailable(dir); err == nil {
		t.Error("bad number: no error")
	}
}

func TestSwapCounters(t *testing.T) {
	before, err := ReadSwapCounters("testdata/proc")
	if err != nil {
		t.Fatal(err)
	}
	after, err := ReadSwapCounters("testdata/proc-after")
	if err != nil {
		t.Fatal(err)
	}
	if before != (SwapCounters{InPages: 120, OutPages: 4000}) || after != (SwapCounters{InPages: 125, OutPages: 4100}) {
		t.Fatalf("counters %+v, %+v", before, after)
	}
	// 5 pages in and 100 out between the fixtures, at 4096 bytes a page.
	s := SwapBetween(before, after, 4096)
	if s.InBytes != 5*4096 || s.OutBytes != 100*4096 {
		t.Errorf("SwapBetween = %+v, want 20480 in, 409600 out", s)
	}
	// A counter that went backwards counts nothing rather than wrapping around.
	if s := SwapBetween(after, before, 4096); s.InBytes != 0 || s.OutBytes != 0 {
		t.Errorf("backwards = %+v, want zeros", s)
	}
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "vmstat"), "pswpin 3\n")
	if _, err := ReadSwapCounters(dir); err == nil {
		t.Error("vmstat without pswpout: no error")
	}
	// StartSwap over an unchanging file sees no swapping; over a missing one, an error.
	if s := StartSwap("testdata/proc").Stop(); s.Err != nil || s.InBytes != 0 || s.OutBytes != 0 {
		t.Errorf("unchanged = %+v", s)
	}
	if s := StartSwap(t.TempDir()).Stop(); s.Err == nil {
		t.Error("missing vmstat: no error")
	}
}

func TestParseMemoryUsed(t *testing.T) {
	// Two GPUs using 1024 and 512 MiB: 1536 MiB in bytes.
	got, err := parseMemoryUsed([]byte("1024\n512\n"))
	if err != nil || got != 1536<<20 {
		t.Errorf("= %d, %v; want %d", got, err, 1536<<20)
	}
	for _, bad := range []string{"", "[N/A]\n", "-3\n"} {
		if _, err := parseMemoryUsed([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// A fake nvidia-smi reporting 2000 MiB: the sampler's peak is that, from at least one
// sample.
func TestDeviceMemorySampler(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nvidia-smi"), "#!/bin/sh\nprintf '2000\\n'\n")
	if err := os.Chmod(filepath.Join(dir, "nvidia-smi"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	s := StartDeviceMemory(t.Context(), 0)
	if s == nil {
		t.Fatal("no sampler with nvidia-smi on PATH")
	}
	d := s.Stop()
	if d.Err != nil || d.Samples < 1 || d.PeakUsedBytes != 2000<<20 {
		t.Errorf("= %+v, want 2000 MiB from ≥1 sample", d)
	}
	t.Setenv("PATH", t.TempDir())
	if StartDeviceMemory(t.Context(), 0) != nil {
		t.Error("a sampler without nvidia-smi")
	}
}

// A child this test starts is counted; after it ends, it is not.
func TestChildCount(t *testing.T) {
	before, err := ChildCount(t.Context(), int32(os.Getpid()))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip("no sleep binary:", err)
	}
	during, err := ChildCount(t.Context(), int32(os.Getpid()))
	_ = cmd.Process.Kill() // the process this test started, by its PID
	_ = cmd.Wait()
	if err != nil || during != before+1 {
		t.Errorf("children with one started: %d (%v), before %d", during, err, before)
	}
	if after, _ := ChildCount(t.Context(), int32(os.Getpid())); after != before {
		t.Errorf("children after it ended: %d, before %d", after, before)
	}
	if _, err := ChildCount(t.Context(), 1<<30); err == nil {
		t.Error("no process: no error")
	}
}
