package results

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/internal/junitschema"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// Every comparison's JUnit validates against the Jenkins schema (internal/junitschema:
// its reading of the vendored XSD, and xmllint --schema when installed).
func TestJUnitValidates(t *testing.T) {
	runs, labels := fixedRuns(t)
	for _, tc := range []struct {
		name  string
		runs  int
		gates string
	}{{"gated, one failing", 2, "server_gen_per_s:-5%,ttft_p95:+20%"}, {"no gates", 2, ""}, {"one run", 1, ""},
		{"unjudged gate (strict)", 2, "load:+0%"}, {"skipped gate (lenient)", 2, "load:+0%"}} {
		gates, err := ParseGates(tc.gates)
		if err != nil {
			t.Fatal(err)
		}
		c, err := Compare(runs[:tc.runs], labels[:tc.runs], CompareOptions{Gates: gates, Lenient: strings.Contains(tc.name, "lenient")})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderComparisonJUnit(&b, c); err != nil {
			t.Fatal(err)
		}
		if err := junitschema.ValidateAll(b.Bytes()); err != nil {
			t.Errorf("%s: %v\n%s", tc.name, err, b.String())
		}
	}
}

// benchstat (golang.org/x/perf/cmd/benchstat, at the version in go.mod) reads the
// benchstat output of two runs and reports the same change as Compare: for every
// metric yardstick calls significant, benchstat's "vs base" cell holds the same
// percentage, hence the same direction, and the same n as the test compare ran. ITL
// is written one value per request (its median gap), so its change is that of the
// median of those medians, and its n counts requests (20), not gaps (620).
func TestBenchstatReadsOutputAndAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go run golang.org/x/perf/cmd/benchstat")
	}
	runs, labels := fixedRuns(t)
	c, err := Compare(runs, labels, CompareOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := realBenchstat(t, runs, labels)
	checked := 0
	for _, m := range c.Metrics {
		name, ok := benchName[m.Metric]
		d := m.Deltas[0]
		if !ok || !d.Significant || d.Frac == nil {
			continue
		}
		// benchstat row: "TTFT   98.82m ± 2%   111.73m ± 3%   +13.07% (p=0.000 n=20)"
		re := regexp.MustCompile(`(?m)^` + name + `\s.*\s([+-][0-9.]+)% \(p=[0-9.]+ n=([0-9]+)\)`)
		mm := re.FindStringSubmatch(text)
		if mm == nil {
			t.Errorf("%s: no change in benchstat's output:\n%s", name, text)
			continue
		}
		got, _ := strconv.ParseFloat(mm[1], 64)
		want := 100 * *d.Frac
		if m.Metric == "itl_ns" {
			want = 100 * (stat.Median(perRequestMedianITL(runs[1].Samples))/stat.Median(perRequestMedianITL(runs[0].Samples)) - 1)
		}
		if (got > 0) != (want > 0) || mathAbs(got-want) > 0.01 {
			t.Errorf("%s: benchstat says %+.2f%%, yardstick %+.2f%%", name, got, want)
		}
		if n, _ := strconv.Atoi(mm[2]); n != m.TestedN[0] || n != m.TestedN[1] {
			t.Errorf("%s: benchstat tested n=%d, compare %v", name, n, m.TestedN)
		}
		checked++
	}
	if checked < 5 {
		t.Errorf("only %d metrics checked against benchstat:\n%s", checked, text)
	}
	t.Logf("benchstat output:\n%s", text)
}

func mathAbs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

// perfVersion is the version of golang.org/x/perf required by go.mod.
func perfVersion(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`golang.org/x/perf (v\S+)`).FindSubmatch(b)
	if m == nil {
		t.Fatal("go.mod does not require golang.org/x/perf")
	}
	return string(m[1])
}

// realBenchstat writes each run's benchstat text (RenderBenchstat of a one-run
// comparison) to a file and returns what the real benchstat, at the golang.org/x/perf
// version of go.mod, prints for them side by side. It skips when the module proxy
// cannot serve benchstat.
func realBenchstat(t *testing.T, runs []*Run, labels []string) string {
	t.Helper()
	dir := t.TempDir()
	var files []string
	for i := range runs {
		one, err := Compare(runs[i:i+1], labels[i:i+1], CompareOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := RenderBenchstat(&b, one); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(dir, strings.TrimSuffix(labels[i], ".json")+".txt")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	version := perfVersion(t)
	cmd := exec.Command("go", append([]string{"run", "golang.org/x/perf/cmd/benchstat@" + version}, files...)...)
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "proxy") || strings.Contains(string(out), "dial tcp") || strings.Contains(string(out), "no required module") {
			t.Skipf("benchstat@%s cannot be fetched here: %s", version, out)
		}
		t.Fatalf("benchstat: %v\n%s", err, out)
	}
	return string(out)
}
