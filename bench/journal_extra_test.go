package bench

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// A journal whose last line was torn by a crash is cut back to its last complete
// line before anything is appended, so it stays readable however often it is resumed.
func TestAppendJournalCutsTornLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json.journal")
	if err := os.WriteFile(path, []byte("{\"a\":1}\n{\"b\":2}\n{\"c\":"), 0o600); err != nil {
		t.Fatal(err)
	}
	j, err := AppendJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := j.writeLine(map[string]int{"d": 4}); err != nil {
		t.Fatal(err)
	}
	j.Close()
	b, _ := os.ReadFile(path)
	if string(b) != "{\"a\":1}\n{\"b\":2}\n{\"d\":4}\n" {
		t.Errorf("journal after append = %q", b)
	}
}

// Two processes cannot continue one journal at once, and a new run never overwrites
// an unfinished run's journal.
func TestJournalLockedAndNeverOverwritten(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json.journal")
	j, err := CreateJournal(path)
	if err != nil {
		t.Fatal(err)
	}
	defer j.Close()
	if _, err := CreateJournal(path); err == nil || !strings.Contains(err.Error(), "unfinished run") {
		t.Errorf("second create: %v", err)
	}
	if _, err := AppendJournal(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("append while locked: %v", err)
	}
}

// A second interrupt abandons the request in flight at once, however long --grace is.
func TestAbandonSkipsGrace(t *testing.T) {
	_, o := newFake(t, fakeollama.Config{Tokens: 4, Fault: fakeollama.FaultStallFirst, FaultFrom: 2, Stall: time.Minute})
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens, opts.PromptTokens = "twin", 5, 0, 4, 16
	opts.Grace = time.Hour
	ctx, cancel := context.WithCancel(context.Background())
	abandon := make(chan struct{})
	go func() {
		time.Sleep(300 * time.Millisecond) // request 2 (measured 1) is stalled by now
		cancel()
		time.Sleep(100 * time.Millisecond)
		close(abandon)
	}()
	start := time.Now()
	res, _ := RunDurable(ctx, []Backend{o}, opts, nil, Durable{Abandon: abandon})
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("run took %v after a second interrupt", took)
	}
	if res == nil || res.EndReason != EndInterrupted {
		t.Fatalf("result %+v", res)
	}
}
