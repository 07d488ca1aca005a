package profiles

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shirou/gopsutil/v4/cpu"
	"github.com/shirou/gopsutil/v4/host"
	"github.com/shirou/gopsutil/v4/mem"
)

// fixtureCSV is output of nvidia-smi with NvidiaSMIArgs on a two-GPU machine
// (the second line as a Grace Hopper style unified-memory GPU prints it).
const fixtureCSV = "0, GPU-5a9c1f2e-0b1d-4c6e-9a61-1f0a3e9b7c11, NVIDIA GeForce RTX 4090, 550.54.14, 24564, 1234\n" +
	"1, GPU-0d7e77aa-93c4-45f1-bf27-7d1a5b4c2e90, NVIDIA GH200 480GB, 550.54.14, [N/A], [N/A]\n"

func TestParseNvidiaSMI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []GPU
		wantErr string // substring; "" means no error
	}{
		{name: "empty", in: "", want: []GPU{}},
		{name: "blank lines", in: "\n \r\n", want: []GPU{}},
		{
			name: "one gpu",
			in:   "0, GPU-abc, Tesla T4, 535.104.05, 15360, 0\n",
			want: []GPU{{Vendor: "NVIDIA", Name: "Tesla T4", Driver: "535.104.05", MemoryTotalBytes: 15360 << 20, Index: 0, UUID: "GPU-abc"}},
		},
		{
			name: "two gpus, N/A memory, CRLF, no final newline",
			in:   "0, GPU-a, NVIDIA A100-SXM4-80GB, 550.1, 81920, 512\r\n1, GPU-b, NVIDIA GH200 480GB, [N/A], [N/A], [Not Supported]",
			want: []GPU{
				{Vendor: "NVIDIA", Name: "NVIDIA A100-SXM4-80GB", Driver: "550.1", MemoryTotalBytes: 81920 << 20, MemoryUsedBytes: 512 << 20, Index: 0, UUID: "GPU-a"},
				{Vendor: "NVIDIA", Name: "NVIDIA GH200 480GB", Index: 1, UUID: "GPU-b"},
			},
		},
		{
			name: "unit left in",
			in:   "3, [N/A], Jetson, 540.0, 8192 MiB, 100 MiB\n",
			want: []GPU{{Vendor: "NVIDIA", Name: "Jetson", Driver: "540.0", MemoryTotalBytes: 8192 << 20, MemoryUsedBytes: 100 << 20, Index: 3}},
		},
		{name: "too few fields on line 2", in: "0, GPU-a, T4, 535, 15360, 0\n1, GPU-b, T4, 535, 15360\n", wantErr: "line 2: 5 fields"},
		{name: "too many fields", in: "0, GPU-a, T4, 535, 15360, 0, 7\n", wantErr: "line 1: 7 fields"},
		{name: "no devices message", in: "No devices were found\n", wantErr: "line 1: 1 fields"},
		{name: "blank line counts", in: "\n\n0, a, b, c, d, e\n", wantErr: "line 3: memory.total"},
		{name: "index not a number", in: "x, GPU-a, T4, 535, 15360, 0\n", wantErr: "line 1: index"},
		{name: "index N/A", in: "[N/A], GPU-a, T4, 535, 15360, 0\n", wantErr: "line 1: index missing"},
		{name: "negative index", in: "-1, GPU-a, T4, 535, 15360, 0\n", wantErr: "line 1: index"},
		{name: "memory used not a number", in: "0, GPU-a, T4, 535, 15360, lots\n", wantErr: "line 1: memory.used"},
		{name: "fractional memory", in: "0, GPU-a, T4, 535, 15360.5, 0\n", wantErr: "line 1: memory.total"},
		{name: "memory overflow", in: "0, GPU-a, T4, 535, 18446744073709551615, 0\n", wantErr: "overflows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseNvidiaSMI([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("ParseNvidiaSMI(%q) error = %v, want one containing %q", tc.in, err, tc.wantErr)
				}
				if got != nil {
					t.Errorf("ParseNvidiaSMI(%q) returned %v with an error, want nil", tc.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNvidiaSMI(%q): %v", tc.in, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("ParseNvidiaSMI(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
			}
		})
	}
}

func FuzzParseNvidiaSMI(f *testing.F) {
	f.Add([]byte(fixtureCSV))
	f.Add([]byte(""))
	f.Add([]byte("0, GPU-a, T4, 535, 15360 MiB, [N/A]\r\n"))
	f.Add([]byte("No devices were found"))
	f.Add([]byte("1,,,,,\n\n2,a,b,c,1,2"))
	f.Fuzz(func(t *testing.T, data []byte) {
		gpus, err := ParseNvidiaSMI(data)
		if err != nil {
			if gpus != nil {
				t.Fatalf("gpus %v returned with error %v", gpus, err)
			}
			if !strings.HasPrefix(err.Error(), "line ") {
				t.Fatalf("error %q does not start with a line number", err)
			}
			return
		}
		if gpus == nil {
			t.Fatal("nil slice without error")
		}
		for _, g := range gpus {
			if g.Vendor != "NVIDIA" || g.Index < 0 || g.MemoryTotalBytes%(1<<20) != 0 || g.MemoryUsedBytes%(1<<20) != 0 {
				t.Fatalf("implausible GPU %+v from %q", g, data)
			}
			if strings.ContainsAny(g.Name+g.UUID+g.Driver, ",\n") {
				t.Fatalf("field holds a separator: %+v", g)
			}
		}
		if len(gpus) > strings.Count(string(data), "\n")+1 {
			t.Fatalf("%d GPUs from %d lines", len(gpus), strings.Count(string(data), "\n")+1)
		}
	})
}

// fakeNvidiaSMI writes an executable nvidia-smi shell script into a new
// temporary directory and returns the directory. The script prints stdout when
// called with exactly NvidiaSMIArgs, else fails.
func fakeNvidiaSMI(t *testing.T, body string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("fake nvidia-smi is a shell script")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"if [ \"$#\" -ne 2 ] || [ \"$1\" != '" + NvidiaSMIArgs[0] + "' ] || [ \"$2\" != '" + NvidiaSMIArgs[1] + "' ]; then\n" +
		"  echo \"unexpected arguments: $*\" >&2; exit 2\nfi\n" + body
	if err := os.WriteFile(filepath.Join(dir, "nvidia-smi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// printfLines is a shell command printing each line of text (printf is a
// shell builtin, so the script needs nothing from PATH).
func printfLines(text string) string {
	var b strings.Builder
	b.WriteString("printf '%s\\n'")
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		b.WriteString(" '" + line + "'")
	}
	return b.String() + "\n"
}

func TestDetectFakeNvidiaSMIOnPath(t *testing.T) {
	dir := fakeNvidiaSMI(t, printfLines(fixtureCSV))
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))

	hw := Detect(context.Background())
	want, err := ParseNvidiaSMI([]byte(fixtureCSV))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(hw.GPUs, want) {
		t.Fatalf("GPUs = %+v, want %+v (warnings %q)", hw.GPUs, want, hw.Warnings)
	}
	if hw.GPUs[0].Name != "NVIDIA GeForce RTX 4090" || hw.GPUs[0].MemoryTotalBytes != 24564*(1<<20) {
		t.Errorf("first GPU = %+v", hw.GPUs[0])
	}
	for _, w := range hw.Warnings {
		if strings.Contains(w, "nvidia") {
			t.Errorf("unexpected GPU warning %q", w)
		}
	}
}

func TestDetectNvidiaSMIFailureIsAWarning(t *testing.T) {
	tests := []struct {
		name, body, want string
	}{
		{"exit status", "echo 'NVIDIA-SMI has failed because it could not communicate with the NVIDIA driver.' >&2\nexit 9\n", "could not communicate"},
		{"bad output", "printf 'No devices were found\\n'\n", "line 1"},
		{"hangs", "exec sleep 30\n", "no answer within"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := fakeNvidiaSMI(t, tc.body)
			start := time.Now()
			hw := DetectWith(context.Background(), Detector{
				NvidiaSMI: filepath.Join(dir, "nvidia-smi"),
				Timeout:   300 * time.Millisecond,
			})
			if d := time.Since(start); d > 10*time.Second {
				t.Errorf("Detect took %v despite a 300ms command timeout", d)
			}
			if hw.GPUs == nil || len(hw.GPUs) != 0 {
				t.Errorf("GPUs = %#v, want an empty non-nil slice", hw.GPUs)
			}
			if !containsWarning(hw.Warnings, tc.want) {
				t.Errorf("warnings %q lack %q", hw.Warnings, tc.want)
			}
			if hw.CPUModel == "" || hw.MemoryTotalBytes == 0 {
				t.Errorf("a GPU failure hid the rest: %+v", hw)
			}
		})
	}
}

func TestDetectNoNvidiaSMI(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	hw := Detect(context.Background())
	if hw.GPUs == nil || len(hw.GPUs) != 0 {
		t.Errorf("GPUs = %#v, want empty non-nil", hw.GPUs)
	}
	if containsWarning(hw.Warnings, "nvidia") {
		t.Errorf("no nvidia-smi must not warn: %q", hw.Warnings)
	}
	b, err := json.Marshal(hw)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"gpus":[]`) {
		t.Errorf("JSON %s lacks \"gpus\":[]", b)
	}
}

func TestDetectInjectedRunner(t *testing.T) {
	var gotName string
	var gotArgs []string
	hw := DetectWith(context.Background(), Detector{
		NvidiaSMI: "/opt/fake/nvidia-smi",
		Run: func(ctx context.Context, name string, args ...string) ([]byte, error) {
			if _, ok := ctx.Deadline(); !ok {
				t.Error("runner context has no deadline")
			}
			gotName, gotArgs = name, args
			return []byte("0, GPU-x, Tesla V100-SXM2-16GB, 470.1, 16160, 3\n"), nil
		},
	})
	if gotName != "/opt/fake/nvidia-smi" || !reflect.DeepEqual(gotArgs, NvidiaSMIArgs) {
		t.Errorf("ran %q %q", gotName, gotArgs)
	}
	if len(hw.GPUs) != 1 || hw.GPUs[0].Name != "Tesla V100-SXM2-16GB" || hw.GPUs[0].MemoryUsedBytes != 3<<20 {
		t.Errorf("GPUs = %+v", hw.GPUs)
	}
}

func TestDetectThisMachine(t *testing.T) {
	hw := Detect(context.Background())
	if hw.CPUModel == "" {
		t.Error("empty CPU model")
	}
	if hw.CPULogicalCores <= 0 {
		t.Errorf("logical cores = %d", hw.CPULogicalCores)
	}
	if hw.CPUPhysicalCores < 0 || hw.CPUPhysicalCores > hw.CPULogicalCores {
		t.Errorf("physical cores = %d, logical %d", hw.CPUPhysicalCores, hw.CPULogicalCores)
	}
	if hw.MemoryTotalBytes == 0 || hw.MemoryAvailableBytes > hw.MemoryTotalBytes {
		t.Errorf("memory total %d available %d", hw.MemoryTotalBytes, hw.MemoryAvailableBytes)
	}
	if hw.OS != runtime.GOOS || hw.Arch != runtime.GOARCH || hw.Hostname == "" {
		t.Errorf("os %q arch %q hostname %q", hw.OS, hw.Arch, hw.Hostname)
	}
	if hw.CPUSIMD == nil || hw.GPUs == nil {
		t.Error("nil slices")
	}
	// CPUID answers on every x86 CPU: a vendor, a family and a microarchitecture name
	// ("unknown" for a model not in the tables, never empty).
	if runtime.GOARCH == "amd64" && (hw.CPUVendor == "" || hw.CPUFamily == 0 || hw.CPUMicroarch == "") {
		t.Errorf("CPUID description missing: vendor %q family %d microarch %q", hw.CPUVendor, hw.CPUFamily, hw.CPUMicroarch)
	}
	b, _ := json.MarshalIndent(hw, "", "  ")
	t.Logf("%s", b)
}

func TestDetectPartialFailures(t *testing.T) {
	boom := errors.New("boom")
	hw := DetectWith(context.Background(), Detector{
		NvidiaSMI: "/nonexistent/nvidia-smi-for-test",
		Run: func(context.Context, string, ...string) ([]byte, error) {
			return nil, errors.New("exec: no such file")
		},
		cpuInfo:   func(context.Context) ([]cpu.InfoStat, error) { return nil, boom },
		cpuCounts: func(context.Context, bool) (int, error) { return 0, boom },
		virtMem:   func(context.Context) (*mem.VirtualMemoryStat, error) { return nil, boom },
		hostInfo: func(context.Context) (*host.InfoStat, error) {
			return &host.InfoStat{Hostname: "h1", OS: "linux", Platform: "debian"}, errors.New("platform version unreadable")
		},
	})
	if hw.Hostname != "h1" || hw.Platform != "debian" {
		t.Errorf("partial host info lost: %+v", hw)
	}
	if hw.CPULogicalCores != runtime.NumCPU() {
		t.Errorf("logical cores fallback = %d, want runtime.NumCPU %d", hw.CPULogicalCores, runtime.NumCPU())
	}
	for _, want := range []string{"host info: platform version", "cpu info: boom", "cpu physical cores: boom", "cpu logical cores: boom", "memory: boom", "nvidia gpus:"} {
		if !containsWarning(hw.Warnings, want) {
			t.Errorf("warnings %q lack %q", hw.Warnings, want)
		}
	}
	if hw.GPUs == nil || hw.CPUSIMD == nil {
		t.Error("nil slices")
	}
}

func TestSIMDFeatures(t *testing.T) {
	tests := []struct {
		name   string
		flags  [][]string
		goarch string
		want   []string
	}{
		{"none", nil, "amd64", []string{}},
		{"x86 server", [][]string{{"fpu", "sse2", "avx", "avx2", "fma", "f16c", "avx512f", "avx512_bf16", "amx_tile", "amx_int8", "avx_vnni", "avx512_vnni"}}, "amd64",
			[]string{"avx", "avx2", "avx512f", "avx512_vnni", "avx512_bf16", "avx_vnni", "amx", "fma", "f16c"}},
		{"only common to all cpus", [][]string{{"avx", "avx2", "fma"}, {"avx", "fma"}, nil}, "amd64", []string{"avx", "fma"}},
		{"macOS spelling", [][]string{{"avx1.0", "fma", "f16c"}, {"avx2"}}, "amd64", []string{}},
		{"macOS spelling one cpu", [][]string{{"avx1.0", "avx2", "fma", "f16c", "avx512f"}}, "amd64", []string{"avx", "avx2", "avx512f", "fma", "f16c"}},
		{"linux arm64", [][]string{{"fp", "asimd", "sve", "sve2"}}, "arm64", []string{"neon", "sve"}},
		// The int8 dot products the prefill ceiling counts (docs/metrics.md).
		{"linux arm64 dot products", [][]string{{"fp", "asimd", "asimddp", "i8mm"}}, "arm64", []string{"neon", "dotprod", "i8mm"}},
		{"arm64 without flags", nil, "arm64", []string{"neon"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var infos []cpu.InfoStat
			for _, f := range tc.flags {
				infos = append(infos, cpu.InfoStat{Flags: f})
			}
			if got := simdFeatures(infos, tc.goarch); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func containsWarning(ws []string, sub string) bool {
	for _, w := range ws {
		if strings.Contains(w, sub) {
			return true
		}
	}
	return false
}
