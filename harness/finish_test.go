package harness

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/results"
)

// When the run file and its fallback both fail, the error points at the journal only
// as far as the journal is whole: one that stopped early (a journal_failed warning) is
// not said to hold every completed request.
func TestWriteFailedSaysOnlyWhatTheJournalHolds(t *testing.T) {
	for _, tc := range []struct {
		name     string
		warnings []bench.Warning
		want     string
		wantNot  string
	}{
		{"whole journal", nil, "every completed request is in", "stopped early"},
		{"journal failed", []bench.Warning{{Code: bench.CodeJournalFailed, Message: "write: no space left on device"}},
			"stopped early", "every completed request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			// A regular file where a directory should be: the run file and the
			// fallback in TMPDIR both fail.
			blocker := filepath.Join(dir, "file")
			if err := os.WriteFile(blocker, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			t.Setenv("TMPDIR", blocker)
			j, err := bench.CreateJournal(filepath.Join(dir, "run.json.journal"))
			if err != nil {
				t.Fatal(err)
			}
			run := &results.Run{RunID: "r1", Warnings: tc.warnings}
			o := finish(run, filepath.Join(blocker, "run.json"), j, bench.Options{Runs: 2}, nil)
			if o.Status != WriteFailed || o.Err == nil {
				t.Fatalf("status %v err %v, want WriteFailed", o.Status, o.Err)
			}
			msg := o.Err.Error()
			if !strings.Contains(msg, tc.want) || strings.Contains(msg, tc.wantNot) {
				t.Errorf("error %q: want %q in it and not %q", msg, tc.want, tc.wantNot)
			}
		})
	}
}
