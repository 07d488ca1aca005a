package profiles

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fakeDRM writes a /sys/class/drm tree: card1 a Radeon RX 7900 XTX without
// product_name (named by PCI id), card0 an Instinct MI300X with product_name,
// card2 an Intel GPU (skipped) and a connector directory (skipped).
func fakeDRM(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	card := func(name string, files map[string]string) {
		dir := filepath.Join(root, "class", "drm", name, "device")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for f, v := range files {
			os.WriteFile(filepath.Join(dir, f), []byte(v+"\n"), 0o444)
		}
	}
	card("card1", map[string]string{"vendor": "0x1002", "device": "0x744c", "revision": "0xc8",
		"mem_info_vram_total": "25753026560", "mem_info_vram_used": "1048576"})
	card("card0", map[string]string{"vendor": "0x1002", "device": "0x74a1", "revision": "0x00",
		"product_name": "AMD Instinct MI300X OAM", "mem_info_vram_total": "206141652992", "mem_info_vram_used": "0", "unique_id": "5f1c2a3b4c5d6e7f"})
	card("card2", map[string]string{"vendor": "0x8086", "device": "0x56a0"})
	card("card1-DP-1", map[string]string{"vendor": "0x1002"})
	card("card3", map[string]string{"vendor": "0x1002", "device": "0x1234", "revision": "0x01"})
	return root
}

func TestAMDGPUs(t *testing.T) {
	root := fakeDRM(t)
	gpus, err := AMDGPUs(filepath.Join(root, "class", "drm"))
	if err != nil {
		t.Fatal(err)
	}
	want := []GPU{
		{Vendor: "AMD", Name: "AMD Instinct MI300X OAM", Driver: "amdgpu", MemoryTotalBytes: 206141652992, Index: 0, UUID: "5f1c2a3b4c5d6e7f"},
		{Vendor: "AMD", Name: "AMD Radeon RX 7900 XTX", Driver: "amdgpu", MemoryTotalBytes: 25753026560, MemoryUsedBytes: 1 << 20, Index: 1},
		{Vendor: "AMD", Name: "AMD GPU 0x1234 rev 0x01", Driver: "amdgpu", Index: 3},
	}
	if !reflect.DeepEqual(gpus, want) {
		t.Errorf("got  %+v\nwant %+v", gpus, want)
	}
	m := MatchHardware(Hardware{GPUs: gpus})
	if m[1].Device == nil || m[1].Device.ID != "mi300x" || m[2].Device == nil || m[2].Device.ID != "rx-7900-xtx" || m[3].Device != nil {
		t.Errorf("matches %+v", m)
	}
	if gpus, err := AMDGPUs(filepath.Join(root, "nothing")); err != nil || len(gpus) != 0 || gpus == nil {
		t.Errorf("no drm dir: %v %v", gpus, err)
	}

	// Through DetectWith on linux.
	hw := DetectWith(context.Background(), Detector{SysfsRoot: root, GOOS: "linux", NvidiaSMI: "/nonexistent",
		Run: func(context.Context, string, ...string) ([]byte, error) { return nil, errors.New("not found") }})
	if len(hw.GPUs) != 3 || hw.GPUs[0].Name != "AMD Instinct MI300X OAM" {
		t.Errorf("GPUs %+v", hw.GPUs)
	}
}

// system_profiler output of an M3 Max MacBook Pro with an external display (trimmed
// to the fields read; macOS 14).
const fixtureSPDisplays = `{
  "SPDisplaysDataType" : [
    {
      "_name" : "Apple M3 Max",
      "spdisplays_mtlgpufamilysupport" : "spdisplays_metal3",
      "spdisplays_ndrvs" : [ { "_name" : "Color LCD" } ],
      "spdisplays_vendor" : "sppci_vendor_Apple",
      "sppci_bus" : "spdisplays_builtin",
      "sppci_cores" : "30",
      "sppci_device_type" : "spdisplays_gpu",
      "sppci_model" : "Apple M3 Max"
    }
  ]
}`

func TestDetectApple(t *testing.T) {
	var ran []string
	hw := DetectWith(context.Background(), Detector{GOOS: "darwin", NvidiaSMI: "/nonexistent",
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			ran = append(ran, name+" "+strings.Join(args, " "))
			switch name {
			case "sysctl":
				return []byte("Apple M3 Max\n38654705664\n"), nil
			case "system_profiler":
				return []byte(fixtureSPDisplays), nil
			}
			return nil, errors.New("not found")
		}})
	if !reflect.DeepEqual(ran[len(ran)-2:], []string{"sysctl -n machdep.cpu.brand_string hw.memsize", "system_profiler SPDisplaysDataType -json"}) {
		t.Errorf("ran %q", ran)
	}
	var apple *GPU
	for i := range hw.GPUs {
		if hw.GPUs[i].Vendor == "Apple" {
			apple = &hw.GPUs[i]
		}
	}
	if apple == nil || apple.Name != "Apple M3 Max" || apple.Cores != 30 || apple.MemoryTotalBytes != hw.MemoryTotalBytes {
		t.Fatalf("GPUs %+v (memory %d)", hw.GPUs, hw.MemoryTotalBytes)
	}
	m := MatchHardware(Hardware{CPUModel: "Apple M3 Max", GPUs: []GPU{*apple}})
	if m[0].Device == nil || m[0].Device.ID != "apple-m3-max" || m[1].Name != "Apple M3 Max 30-core GPU" || m[1].Device.ID != "apple-m3-max-30c" {
		t.Errorf("matches %+v", m)
	}
}

func TestParseSysctlAndSystemProfiler(t *testing.T) {
	b, m, err := ParseSysctl([]byte("Apple M1\n17179869184\n"))
	if err != nil || b != "Apple M1" || m != 16<<30 {
		t.Errorf("%q %d %v", b, m, err)
	}
	if _, _, err := ParseSysctl([]byte("Apple M1\n")); err == nil {
		t.Error("one line accepted")
	}
	if _, _, err := ParseSysctl([]byte("Apple M1\nlots\n")); err == nil {
		t.Error("bad size accepted")
	}
	// An Intel Mac with a discrete Radeon.
	gpus, err := ParseSystemProfilerDisplays([]byte(`{"SPDisplaysDataType":[{"_name":"Intel UHD Graphics 630","sppci_vendor":"sppci_vendor_intel","spdisplays_vram":"1536 MB"},{"sppci_model":"AMD Radeon Pro 5500M","sppci_vendor":"sppci_vendor_amd","spdisplays_vram":"8 GB"}]}`), 0)
	if err != nil || len(gpus) != 2 || gpus[1].Vendor != "AMD" || gpus[1].MemoryTotalBytes != 8<<30 || gpus[0].MemoryTotalBytes != 1536<<20 || gpus[1].Index != 1 {
		t.Errorf("%+v %v", gpus, err)
	}
	if gpus, err := ParseSystemProfilerDisplays([]byte("not json"), 0); err == nil || gpus == nil {
		t.Errorf("bad JSON: %v %v", gpus, err)
	}
}
