package results

import (
	"bytes"
	"strings"
	"testing"
)

// RenderRuns sets runs side by side, one line each, with each run's pooled medians
// and its file. A run without server timings shows the client's decode rate, marked
// so; a run whose token counts are estimated marks the figures built on them "≈".
func TestRenderRuns(t *testing.T) {
	native := Build(fixture(), fixtureHardware(), nil)
	v1 := Build(fixture(), fixtureHardware(), nil)
	v1.Target.Backend, v1.Target.Model.Name = "openai", "twin-v1"
	delete(v1.Summaries, "server_gen_per_s")
	v1.TokensEstimated = true
	var b bytes.Buffer
	if err := RenderRuns(&b, []*Run{native, v1}, []string{"a.json", ""}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "model ") {
		t.Fatalf("want a header and two rows:\n%s", b.String())
	}
	// The fixture: TTFT 100+i ms over 8 requests (median 103.5 ms, shown to three
	// figures as the run table shows it), TPOT 10 ms.
	for _, want := range []string{"qwen2.5:0.5b Q4_K_M", "ollama", "8/0", "104ms", "10.0ms", "a.json"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("row 1 lacks %q: %s", want, lines[1])
		}
	}
	for _, want := range []string{"twin-v1 Q4_K_M", "openai", "≈10.0ms", "client", "≈"} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("row 2 lacks %q: %s", want, lines[2])
		}
	}
	if !strings.HasSuffix(strings.TrimSpace(lines[2]), " -") {
		t.Errorf("row 2 has no file and should end in -: %s", lines[2])
	}
}
