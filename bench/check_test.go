package bench

import (
	"encoding/json"
	"strings"
	"testing"
)

// journalText is a journal of a resumable run: its header (edited by header) and one
// line per sample, each as a JSON object edited by its own function.
func journalText(t *testing.T, header func(*JournalHeader), lines ...func(map[string]any)) string {
	t.Helper()
	opts := DefaultOptions()
	opts.Model = "twin"
	h := JournalHeader{Kind: JournalKind, Version: JournalVersion, RunID: "r1", Options: opts, PromptWords: 100, Calibrated: true}
	if header != nil {
		header(&h)
	}
	b, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b) + "\n"
	for i, edit := range lines {
		e2e, ttft := int64(2e8), int64(1e8)
		s := Sample{Index: i, Phase: PhaseMeasured, OK: true, E2ENs: &e2e, TTFTNs: &ttft, OutputTokens: 8, Chunks: 9, TextChunks: 8}
		raw, _ := json.Marshal(s)
		var m map[string]any
		json.Unmarshal(raw, &m)
		if edit != nil {
			edit(m)
		}
		line, _ := json.Marshal(map[string]any{"sample": m})
		text += string(line) + "\n"
	}
	return text
}

// Hand-edited journals end in "file:line: what is wrong", never a panic, a negative
// allocation or a run no flag could start (issue 11, item 9).
func TestEditedJournalsAreRefusedByLine(t *testing.T) {
	set := func(k string, v any) func(map[string]any) { return func(m map[string]any) { m[k] = v } }
	cases := []struct {
		name   string
		header func(*JournalHeader)
		edit   func(map[string]any)
		want   string
	}{
		{"level 99", nil, set("level", 99), "j:3: level 99: the run has 1 level"},
		{"level -1", nil, set("level", -1), "j:3: level -1"},
		{"target 99", nil, set("target", 99), "j:3: target 99: the run has 1 server"},
		{"ok without e2e", nil, func(m map[string]any) { delete(m, "e2e_ns") }, "j:3: a successful request without e2e_ns"},
		{"negative ttft", nil, set("ttft_ns", -5), "j:3: ttft_ns -5: a duration must be in 0.."},
		{"tokens past any context", nil, set("output_tokens", 1<<40), "j:3: output_tokens"},
		{"unknown phase", nil, set("phase", "later"), `j:3: phase "later"`},
		// The client clock's order (ttft 1e8, e2e 2e8 in journalText).
		{"ttft after e2e", nil, set("ttft_ns", 3e8), "j:3: ttft_ns 300000000 after e2e_ns 200000000"},
		{"ttfa before ttft", nil, set("ttfa_ns", 5e7), "j:3: ttfa_ns 50000000 before ttft_ns 100000000"},
		{"ttfa after e2e", nil, set("ttfa_ns", 3e8), "j:3: ttfa_ns 300000000 after e2e_ns"},
		{"thinking span without thinking", nil, func(m map[string]any) { m["ttfa_ns"], m["thinking_ns"] = 1.5e8, 1e7 }, "j:3: thinking_ns without thinking chunks"},
		{"thinking span past the answer", nil, func(m map[string]any) {
			m["ttfa_ns"], m["thinking_ns"], m["thinking_chunks"], m["answer_chunks"] = 1.5e8, 1e10, 2, 6
		}, "j:3: thinking_ns 10000000000 longer than ttfa_ns − ttft_ns (50000000)"},
		{"prompt words -100", func(h *JournalHeader) { h.PromptWords = -100 }, nil, "j:1: header: prompt_words -100"},
		{"prompt words 1e9", func(h *JournalHeader) { h.PromptWords = 1e9 }, nil, "j:1: header: prompt_words 1000000000"},
		{"runs 1e9", func(h *JournalHeader) { h.Options.Runs = 1e9 }, nil, "j:1: header: options no run could have: --runs 1000000000"},
	}
	for _, tc := range cases {
		text := journalText(t, tc.header, nil, tc.edit)
		_, err := DecodeJournal("j", strings.NewReader(text))
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.name, err, tc.want)
		}
	}
	if _, err := DecodeJournal("j", strings.NewReader(journalText(t, nil, nil, nil))); err != nil {
		t.Errorf("an unedited journal: %v", err)
	}
}

// A sample that failed may lack every figure; one that succeeded with output must
// have its TTFT.
func TestSampleCheckOnOutcomes(t *testing.T) {
	failed := Sample{Phase: PhaseMeasured, ErrorKind: ErrHTTPStatus}
	if err := failed.Check(1, 1); err != nil {
		t.Errorf("a failed sample: %v", err)
	}
	e2e := int64(5)
	noText := Sample{Phase: PhaseMeasured, OK: true, E2ENs: &e2e, OutputTokens: 50}
	if err := noText.Check(1, 1); err == nil || !strings.Contains(err.Error(), "no ttft_ns") {
		t.Errorf("output tokens without TTFT: %v", err)
	}
}

// A journal of a run that cannot be resumed becomes the result the engine would have
// returned: its samples, levels up to the last one measured with windows as the engine
// draws them, interrupted, and a recovered warning; one with no measured request too.
func TestRecoveredFromJournal(t *testing.T) {
	text := journalText(t, func(h *JournalHeader) { h.Options.Concurrency = []int{1, 2, 4} }, func(m map[string]any) {
		m["sent_at_ns"] = 1000
	}, func(m map[string]any) {
		m["sent_at_ns"], m["level"], m["index"] = 5000, 1, 1
	})
	d, err := DecodeJournal("j", strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	res := d.Recovered()
	if len(res.Samples) != 2 || len(res.Levels) != 2 || res.EndReason != EndInterrupted || res.Levels[1].Requests != 1 {
		t.Fatalf("samples %d levels %d end %q", len(res.Samples), len(res.Levels), res.EndReason)
	}
	// Each level: first send to last done (sent + 2e8 e2e); the run: the sum of the
	// levels' durations, at most its span (here the levels overlap: the span).
	if w := res.Levels[0].Window; w.StartNs != 1000 || w.EndNs != 1000+2e8 || w.DurationNs != 2e8 {
		t.Errorf("level 0 window %+v", w)
	}
	if res.Window.StartNs != 1000 || res.Window.EndNs != 5000+2e8 || res.Window.DurationNs != 4000+2e8 {
		t.Errorf("run window %+v", res.Window)
	}
	codes := map[Code]bool{}
	for _, w := range res.Warnings {
		codes[w.Code] = true
	}
	if !codes[CodeRecovered] || !codes[CodeInterrupted] {
		t.Errorf("warnings %v", res.Warnings)
	}
	empty, err := DecodeJournal("j", strings.NewReader(journalText(t, func(h *JournalHeader) { h.Options.Concurrency = []int{1, 2} })))
	if err != nil {
		t.Fatal(err)
	}
	if res := empty.Recovered(); len(res.Levels) != 0 || len(res.Samples) != 0 || res.Window.DurationNs != 0 {
		t.Errorf("an empty journal: %d levels, window %+v", len(res.Levels), res.Window)
	}
}

// The check every request passes on the collector allocates nothing when it passes.
func TestCheckFiguresAllocatesNothing(t *testing.T) {
	e2e, ttft, tpot := int64(2e8), int64(1e8), int64(1e6)
	gen := 50.0
	s := Sample{Phase: PhaseMeasured, OK: true, E2ENs: &e2e, TTFTNs: &ttft, TPOTNs: &tpot, ServerGenPerS: &gen,
		ITLNs: make([]int64, 128), OutputTokens: 129, Chunks: 130, TextChunks: 129}
	if n := testing.AllocsPerRun(100, func() {
		if err := s.checkFigures(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%v allocations per check", n)
	}
}
