package hostmon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// A RAPL package counter that wraps during the window: from 262,000,000,000 µJ to
// 1,000,000 µJ with a range of 262,143,328,850 µJ (a real max_energy_range_uj) is
// 143,328,850 + 1,000,000 µJ = 144.32885 J. Subdomains (core, dram) are not summed.
func TestRAPLWraparoundAndPackagesOnly(t *testing.T) {
	root := t.TempDir()
	old := RAPLRoot
	RAPLRoot = root
	defer func() { RAPLRoot = old }()
	pkg := filepath.Join(root, "intel-rapl:0")
	writeFile(t, filepath.Join(pkg, "name"), "package-0\n")
	writeFile(t, filepath.Join(pkg, "max_energy_range_uj"), "262143328850\n")
	writeFile(t, filepath.Join(pkg, "energy_uj"), "262000000000\n")
	writeFile(t, filepath.Join(root, "intel-rapl:0:0", "name"), "core\n")
	writeFile(t, filepath.Join(root, "intel-rapl:0:0", "max_energy_range_uj"), "100\n")
	writeFile(t, filepath.Join(root, "intel-rapl:0:0", "energy_uj"), "5\n")
	t.Setenv("PATH", t.TempDir()) // no nvidia-smi
	m := startEnergyMeter(context.Background(), time.Second)
	writeFile(t, filepath.Join(pkg, "energy_uj"), "1000000\n")
	e := m.Stop()
	if e.EnergyJ == nil || *e.EnergyJ < 144.32884 || *e.EnergyJ > 144.32886 {
		t.Fatalf("energy = %v, want 144.32885 J (sources %v, unavailable %v)", e.EnergyJ, e.Sources, e.Unavailable)
	}
	if len(e.Sources) != 1 || e.Sources[0] != "rapl:package-0" || e.AvgPowerW == nil {
		t.Errorf("sources %v power %v", e.Sources, e.AvgPowerW)
	}
}

// No counter: energy is absent (never 0) and the reason is recorded.
func TestEnergyUnavailableIsNotZero(t *testing.T) {
	old := RAPLRoot
	RAPLRoot = filepath.Join(t.TempDir(), "missing")
	defer func() { RAPLRoot = old }()
	t.Setenv("PATH", t.TempDir())
	e := startEnergyMeter(context.Background(), time.Second).Stop()
	if e.EnergyJ != nil || len(e.Unavailable) == 0 || !strings.Contains(e.Unavailable[0], "rapl") {
		t.Errorf("energy %v unavailable %v", e.EnergyJ, e.Unavailable)
	}
}

// A fake nvidia-smi reporting 100 W on each of two GPUs: 200 W integrated over the
// window gives 200 J per second of window, within the sampling jitter.
func TestNvidiaPowerIntegrated(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "nvidia-smi"), "#!/bin/sh\nprintf '100.00\\n100.00\\n'\n")
	if err := os.Chmod(filepath.Join(dir, "nvidia-smi"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	old := RAPLRoot
	RAPLRoot = filepath.Join(t.TempDir(), "missing")
	defer func() { RAPLRoot = old }()
	m := startEnergyMeter(context.Background(), 50*time.Millisecond)
	time.Sleep(300 * time.Millisecond)
	e := m.Stop()
	if e.AvgPowerW == nil || *e.AvgPowerW < 150 || *e.AvgPowerW > 201 {
		t.Fatalf("avg power = %v, want ≈ 200 W (sources %v, unavailable %v)", e.AvgPowerW, e.Sources, e.Unavailable)
	}
	if _, err := parsePowerDraw([]byte("[N/A]\n")); err == nil {
		t.Error("[N/A] power parsed")
	}
}
