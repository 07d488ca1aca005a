package main

import (
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// --think high reaches the server as Ollama's think level, is recorded in the run
// file's options and workload, and a thinking model's answer gets its own rows.
func TestThinkLevelRecorded(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 6, ThinkingTokens: 3, ThinkPause: 20 * time.Millisecond, Gap: time.Millisecond})
	defer f.Close()
	o, r := runOK(t, "--host", f.URL, "--think", "high", "--no-cold", "--warmup", "1", "--runs", "6", "--max-tokens", "16", "--prompt-tokens", "32")
	if r.Options.Think != bench.ThinkHigh || r.Workload.Think != bench.ThinkHigh {
		t.Errorf("options think %q, workload think %q; want high", r.Options.Think, r.Workload.Think)
	}
	for i, b := range f.Bodies {
		if b["think"] != "high" {
			t.Errorf("request %d sent think %v, want \"high\"", i, b["think"])
		}
	}
	for _, row := range []string{"TTFA (first answer)", "TPOT (answer)", "seed 42, think high\n"} {
		if !strings.Contains(o.stdout, row) {
			t.Errorf("table lacks %q:\n%s", row, o.stdout)
		}
	}
}
