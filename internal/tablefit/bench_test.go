package tablefit

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkFitList fits a list of 1000 runs (yardstick ls over a large directory) to
// 80 columns.
func BenchmarkFitList(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(strings.SplitAfter(listTable, "\n")[0])
	for i := range 1000 {
		fmt.Fprintf(&sb, "2026-11-29 06:%02d\tbench-%03d\tqwen2.5-coder:7b-instruct Q4_K_M\t%d/0\t98.%dms\t101.%d\truns/2026/yardstick-qwen2.5-coder-7b-20261129T060000Z-%016x.json\n",
			i%60, i, i, i%10, i%10, i)
	}
	text := sb.String()
	b.ResetTimer()
	for b.Loop() {
		w := NewWriter(discard{}, 80, listLayout(), 0, 0, 2, ' ', 0)
		fmt.Fprint(w, text)
		_ = w.Flush()
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
