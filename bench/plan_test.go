package bench

import (
	"testing"
	"time"
)

func TestPlannedRequests(t *testing.T) {
	base := DefaultOptions() // ollama, 3 warm-ups, 10 runs, one sequential level
	tests := []struct {
		name    string
		edit    func(*Options)
		servers int
		want    int
	}{
		// 1 cold + 3 warm-ups + 10 measured.
		{"default", func(*Options) {}, 1, 14},
		// Each server gets the whole workload: 2 × 14.
		{"two servers", func(*Options) {}, 2, 28},
		// No cold request without model management or with --no-cold.
		{"openai", func(o *Options) { o.Backend = "openai" }, 1, 13},
		{"no cold", func(o *Options) { o.SkipColdLoad = true }, 1, 13},
		// A concurrency sweep warms up once: 1 + 3 + 4 levels × 10.
		{"concurrency sweep", func(o *Options) { o.Concurrency = []int{1, 2, 4, 8} }, 1, 44},
		// A prompt sweep warms up before each level: 1 + 3 × 3 + 3 × 10.
		{"prompt sweep", func(o *Options) { o.PromptTokensSweep = []int{128, 256, 512} }, 1, 40},
		// A duration bounds the run: unknown.
		{"duration", func(o *Options) { o.Duration = time.Minute }, 1, -1},
	}
	for _, tt := range tests {
		o := base
		o.Concurrency = append([]int(nil), base.Concurrency...)
		tt.edit(&o)
		if got := o.PlannedRequests(tt.servers); got != tt.want {
			t.Errorf("%s: PlannedRequests(%d) = %d, want %d", tt.name, tt.servers, got, tt.want)
		}
	}
}
