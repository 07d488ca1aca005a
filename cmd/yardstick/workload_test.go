package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// writeTrace writes text as a trace file in a temporary directory and returns its path.
func writeTrace(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trace.jsonl")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Bad conversation and trace input is exit 2 and one line, and nothing is sent: the
// fake server sees no request, and no run file is written.
func TestConversationAndTraceBadInput(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 2})
	defer f.Close()
	line := `{"timestamp": 0, "input_length": 100, "output_length": 4, "hash_ids": [1]}`
	bad := writeTrace(t, line+"\n{\"timestamp\": 10, \"input_length\": \"many\"}\n")
	backwards := writeTrace(t, strings.Replace(line, `"timestamp": 0`, `"timestamp": 900`, 1)+"\n"+line+"\n")
	empty := writeTrace(t, "\n")
	good := writeTrace(t, line+"\n")
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"zero turns", []string{"--turns", "0"}, "--turns 0: must be in 1..1000"},
		{"turns not a number", []string{"--turns", "few"}, `--turns "few": want a number of turns, or all`},
		{"turns all without a dataset", []string{"--turns", "all"}, "--turns all takes every turn of a dataset's conversations"},
		{"too many turns", []string{"--turns", "5000"}, "--turns 5000: must be in 1..1000"},
		{"think time alone", []string{"--think-time", "1s"}, "--think-time 1s applies to conversations"},
		{"history beyond the context", []string{"--turns", "20", "--num-ctx", "2048"}, "--num-ctx 2048 cannot hold 20 turns"},
		{"trace line that does not parse", []string{"--trace", bad}, bad + ":2: input_length \"many\""},
		{"trace going backwards", []string{"--trace", backwards}, backwards + ":2: timestamp 0 is before line 1's 900"},
		{"empty trace", []string{"--trace", empty}, empty + ": no request in the trace"},
		{"missing trace", []string{"--trace", filepath.Join(t.TempDir(), "none.jsonl")}, "--trace: "},
		{"trace speed alone", []string{"--trace-speed", "2"}, "--trace-speed applies to a trace replay"},
		{"trace speed 0", []string{"--trace", good, "--trace-speed", "0"}, "--trace-speed 0: must be in (0, 1e6]"},
		{"trace with a rate", []string{"--trace", good, "--rate", "2"}, "--trace with --rate"},
		{"trace with turns", []string{"--trace", good, "--turns", "2"}, "--turns with --trace"},
		// good has one line: asking for 3 sent 1 while the header and run file said 3.
		{"more runs than trace lines", []string{"--trace", good, "--runs", "3"}, "--runs 3: " + good + " has 1 lines"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			o := runCLI(t, nil, append([]string{"run", "--model", "twin", "--host", f.URL, "--out-dir", dir, "--no-selftest"}, tc.args...)...)
			lines := strings.Split(strings.TrimRight(o.stderr, "\n"), "\n")
			if o.code != 2 || len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
				t.Errorf("exit %d, stderr %q; want 2 and one line containing %q", o.code, o.stderr, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 || f.Requests() != 0 {
				t.Errorf("%d files written, %d requests sent after bad input", len(entries), f.Requests())
			}
		})
	}
}

// A conversation run from the command line: the run file records --turns and
// --think-time, its samples carry conversation and turn, it summarizes by turn, and the
// table shows the turns.
func TestConversationRun(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Gap: time.Millisecond, PrefillPerS: 50000, CacheSlots: 1})
	defer f.Close()
	o, r := runOK(t, "--host", f.URL, "--no-cold", "--warmup", "1", "--turns", "3", "--runs", "6", "--think-time", "5ms",
		"--prompt-tokens", "30", "--max-tokens", "4", "--quiet")
	if r.Options.Turns != 3 || r.Options.ThinkTime != 5*time.Millisecond || r.Workload.Turns != 3 {
		t.Errorf("options %d turns, think %v; workload %d turns", r.Options.Turns, r.Options.ThinkTime, r.Workload.Turns)
	}
	if len(r.Samples) != 6 || len(r.Turns) != 3 || r.Turns[2].Requests != 2 {
		t.Fatalf("%d samples, turns %+v", len(r.Samples), r.Turns)
	}
	for i, s := range r.Samples {
		if s.Conversation != i/3+1 || s.Turn != i%3+1 {
			t.Errorf("sample %d: conversation %d turn %d", i, s.Conversation, s.Turn)
		}
	}
	if !strings.Contains(o.stdout, "by turn (medians)") || !strings.Contains(o.stdout, "new-token prefill") {
		t.Errorf("table without the turns:\n%s", o.stdout)
	}
}

// A trace replay from the command line replays every line by default and records the
// file, its hash and the speed.
func TestTraceRun(t *testing.T) {
	f := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Gap: time.Millisecond})
	defer f.Close()
	path := writeTrace(t, `{"timestamp": 0, "input_length": 40, "output_length": 4, "hash_ids": [1]}
{"timestamp": 100, "input_length": 60, "output_length": 3, "hash_ids": [1]}
{"timestamp": 200, "input_length": 30, "output_length": 2, "hash_ids": [2]}
`)
	_, r := runOK(t, "--host", f.URL, "--no-cold", "--warmup", "2", "--trace", path, "--trace-speed", "2", "--quiet")
	if len(r.Samples) != 3 || r.Options.Runs != 3 || r.Options.TraceFile != path || len(r.Options.TraceSHA256) != 64 ||
		r.Workload.TraceSHA256 != r.Options.TraceSHA256 || r.Options.TraceSpeed != 2 {
		t.Fatalf("%d samples; options runs %d file %q sha %q speed %v", len(r.Samples), r.Options.Runs, r.Options.TraceFile, r.Options.TraceSHA256, r.Options.TraceSpeed)
	}
	if l := r.Levels[0]; l.Model != bench.LoadOpen || l.Arrival != bench.ArrivalTrace || l.TraceSpeed != 2 {
		t.Errorf("level %+v", l.LoadSpec)
	}
	for _, s := range r.Samples {
		if s.TraceLine == 0 || s.MaxTokensAsked != s.OutputTokens || s.CacheSuspect {
			t.Errorf("sample %d: line %d, output %d of %d asked, cache_suspect %v", s.Index, s.TraceLine, s.OutputTokens, s.MaxTokensAsked, s.CacheSuspect)
		}
	}
}

// A multi-turn run against the real Ollama (YARDSTICK_E2E_HOST; skipped without one):
// every sample carries its conversation and turn, the prompt grows turn by turn with
// the history, each turn's new tokens and their prefill rate are recorded, and the run
// summarizes by turn.
func TestEndToEndConversation(t *testing.T) {
	model := "yardstick-e2e-tiny:q8_0"
	host := e2eModel(t, model)
	o, r := runWant(t, 0, "--model", model, "--host", host, "--turns", "3", "--runs", "6", "--warmup", "1",
		"--prompt-tokens", "64", "--max-tokens", "16", "--num-ctx", "1024", "--quiet")
	t.Logf("\n%s", o.stdout)
	if len(r.Samples) != 6 || len(r.Turns) != 3 {
		t.Fatalf("%d samples, %d turns summarized", len(r.Samples), len(r.Turns))
	}
	prev := map[int]bench.Sample{}
	for _, s := range r.Samples {
		if !s.OK || s.Conversation < 1 || s.Turn < 1 || s.NewPromptTokens <= 0 || s.NewPrefillPerS == nil {
			t.Errorf("sample %d: ok %v (%s) conversation %d turn %d new tokens %d new prefill %v",
				s.Index, s.OK, s.Error, s.Conversation, s.Turn, s.NewPromptTokens, s.NewPrefillPerS)
			continue
		}
		if p, ok := prev[s.Conversation]; ok {
			// Turn k holds turn k−1's prompt and reply and a new user message.
			if s.Turn != p.Turn+1 || s.PromptTokens <= p.PromptTokens+p.OutputTokens || s.HistoryTokens != p.PromptTokens+p.OutputTokens {
				t.Errorf("conversation %d turn %d: prompt %d history %d after turn %d's prompt %d and output %d",
					s.Conversation, s.Turn, s.PromptTokens, s.HistoryTokens, p.Turn, p.PromptTokens, p.OutputTokens)
			}
		}
		prev[s.Conversation] = s
	}
	if m := r.Turns; m[2].Summaries["prompt_tokens"].Median <= m[0].Summaries["prompt_tokens"].Median {
		t.Errorf("turn 3's median prompt %v is not above turn 1's %v", m[2].Summaries["prompt_tokens"].Median, m[0].Summaries["prompt_tokens"].Median)
	}
	if r.ConversationCache == nil || r.ConversationCache.Judged+r.ConversationCache.Unjudged != 4 {
		t.Errorf("conversation cache %+v, want the 4 later turns judged or counted unjudged", r.ConversationCache)
	}
}

// A trace replay against the real Ollama: each line is scheduled at its timestamp's
// offset (here at 4× speed) and sent within the open loop's lateness, and asks its
// lengths.
func TestEndToEndTraceReplay(t *testing.T) {
	model := "yardstick-e2e-tiny:q8_0"
	host := e2eModel(t, model)
	trace := filepath.Join("testdata", "trace-small.jsonl")
	o, r := runWant(t, 0, "--model", model, "--host", host, "--trace", trace, "--trace-speed", "4", "--warmup", "2",
		"--prompt-tokens", "128", "--max-tokens", "8", "--num-ctx", "2048", "--quiet")
	t.Logf("\n%s", o.stdout)
	f, err := os.Open(trace)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines, err := bench.ParseTrace(f, trace)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Samples) != len(lines) {
		t.Fatalf("%d samples for %d lines", len(r.Samples), len(lines))
	}
	byLine := map[int]bench.Sample{}
	for _, s := range r.Samples {
		byLine[s.TraceLine] = s
	}
	first := byLine[lines[0].Line].ScheduledAtNs
	for _, q := range lines {
		s := byLine[q.Line]
		due := first + int64(time.Duration(q.TimestampMs-lines[0].TimestampMs)*time.Millisecond/4)
		// The client's lateness is timer slack, a millisecond on an idle machine: 250 ms
		// allows for a machine shared with other work.
		if !s.OK || s.ScheduledAtNs != due || s.QueueDelayNs < 0 || s.QueueDelayNs > int64(250*time.Millisecond) {
			t.Errorf("line %d: ok %v (%s), scheduled %d want %d, queue delay %v", q.Line, s.OK, s.Error, s.ScheduledAtNs, due, time.Duration(s.QueueDelayNs))
		}
		if s.PromptTokensAsked != q.InputLength || s.MaxTokensAsked != q.OutputLength || s.PromptTokens <= 0 {
			t.Errorf("line %d: asked %d/%d, got prompt %d", q.Line, s.PromptTokensAsked, s.MaxTokensAsked, s.PromptTokens)
		}
	}
}
