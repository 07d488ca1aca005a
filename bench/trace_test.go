package bench

import (
	"context"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/fakeollama"
)

// Every bad line is refused with the file and line and what is wrong, on one line.
func TestParseTraceBadInput(t *testing.T) {
	ok := `{"timestamp": 0, "input_length": 600, "output_length": 8, "hash_ids": [0, 1]}`
	for _, c := range []struct {
		name, text, want string
	}{
		{"not JSON", ok + "\nhello\n", "t.jsonl:2: not a JSON object"},
		{"two values", ok + " {}\n", "t.jsonl:1: more than one JSON value"},
		{"no timestamp", `{"input_length": 1, "output_length": 1, "hash_ids": [0]}`, "t.jsonl:1: timestamp is missing"},
		{"no input_length", `{"timestamp": 0, "output_length": 1, "hash_ids": [0]}`, "t.jsonl:1: input_length is missing"},
		{"no output_length", `{"timestamp": 0, "input_length": 1, "hash_ids": [0]}`, "t.jsonl:1: output_length is missing"},
		{"no hash_ids", `{"timestamp": 0, "input_length": 1, "output_length": 1}`, "t.jsonl:1: hash_ids is missing"},
		{"fractional length", `{"timestamp": 0, "input_length": 1.5, "output_length": 1, "hash_ids": [0]}`, "t.jsonl:1: input_length 1.5: must be a whole number in 1..1048576"},
		{"zero output", `{"timestamp": 0, "input_length": 1, "output_length": 0, "hash_ids": [0]}`, "t.jsonl:1: output_length 0: must be a whole number"},
		{"negative timestamp", `{"timestamp": -5, "input_length": 1, "output_length": 1, "hash_ids": [0]}`, "t.jsonl:1: timestamp -5"},
		{"hash ids a string", `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": "0"}`, `t.jsonl:1: hash_ids "0": must be a list of whole numbers`},
		{"a list, not an object", `[1, 2]`, "t.jsonl:1: not a JSON object"},
		// 600 tokens are two 512-token blocks.
		{"too few hash ids", `{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [0]}`, "t.jsonl:1: 1 hash_ids for input_length 600: a line names one per 512-token block, 2 here"},
		{"backwards", ok + "\n\n" + strings.Replace(ok, `"timestamp": 0`, `"timestamp": 5000`, 1) + "\n" + strings.Replace(ok, `"timestamp": 0`, `"timestamp": 4999`, 1),
			"t.jsonl:4: timestamp 4999 is before line 3's 5000: a trace's timestamps must not go backwards"},
		{"empty", "\n  \n", "t.jsonl: no request in the trace"},
		{"line too long", `{"timestamp": 0, "hash_ids": [` + strings.Repeat("1,", MaxTraceLineBytes/2) + `1]}`, "t.jsonl:1: line longer than"},
	} {
		_, err := ParseTrace(strings.NewReader(c.text), "t.jsonl")
		if err == nil || !strings.HasPrefix(err.Error(), c.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: %v, want one line starting %q", c.name, err, c.want)
		}
	}
}

// A good trace keeps its lines, numbers them as the file does (blank lines count) and
// ignores fields it does not know.
func TestParseTrace(t *testing.T) {
	text := `{"timestamp": 0, "input_length": 512, "output_length": 3, "hash_ids": [7]}

{"timestamp": 250, "input_length": 513, "output_length": 4, "hash_ids": [7, 9], "session": "x"}
`
	got, err := ParseTrace(strings.NewReader(text), "t")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Line != 1 || got[1].Line != 3 || got[1].TimestampMs != 250 || got[1].InputLength != 513 ||
		got[1].OutputLength != 4 || len(got[1].HashIDs) != 2 || got[1].HashIDs[1] != 9 {
		t.Errorf("parsed %+v", got)
	}
}

// Request k is due at its timestamp less the first's, divided by the speed.
func TestTracePacer(t *testing.T) {
	reqs := []TraceRequest{{TimestampMs: 1000}, {TimestampMs: 1000}, {TimestampMs: 1500}, {TimestampMs: 4000}}
	p := NewTracePacer(reqs, 2)
	for k, want := range []time.Duration{0, 0, 250 * time.Millisecond, 1500 * time.Millisecond, 1500 * time.Millisecond} {
		if got := p.At(uint64(k)); got != want {
			t.Errorf("At(%d) = %v, want %v (the last repeats past the end)", k, got, want)
		}
	}
}

// The calibration's line through points of tokens = 1.4 × words + 60 is that line; a
// single prompt length gives its ratio; an implausible slope falls back to it.
func TestTraceCalibration(t *testing.T) {
	for _, c := range []struct {
		name             string
		points           [][2]float64
		perWord, overhad float64
	}{
		{"line", [][2]float64{{128, 1.4*128 + 60}, {70, 1.4*70 + 60}, {71, 1.4*71 + 60}}, 1.4, 60},
		{"one length", [][2]float64{{100, 150}, {105, 158}}, 158.0 / 105, 0},
		{"none", nil, 1, 0},
		// A line falling with words is noise, not a tokenizer: the last ratio.
		{"falling", [][2]float64{{100, 200}, {200, 150}}, 150.0 / 200, 0},
	} {
		pw, oh := traceCalibration(c.points)
		if math.Abs(pw-c.perWord) > 1e-9 || math.Abs(oh-c.overhad) > 1e-6 {
			t.Errorf("%s: %.4f tokens/word + %.2f, want %.4f + %.2f", c.name, pw, oh, c.perWord, c.overhad)
		}
	}
}

// Requests that share leading hash ids share their text up to the first id they do
// not share; a partial last block is a prefix of the same id's full block; the word
// counts follow the calibration (1 token a word, 12 of overhead in block 0).
func TestTracePromptsSharePrefixes(t *testing.T) {
	tr := &traceReplay{seed: 3, tokensPerWord: 1, overheadTokens: 12, blockWords: 512, firstWords: 500, blocks: map[int64]string{}}
	a, wa := tr.prompt(TraceRequest{InputLength: 1100, HashIDs: []int64{4, 5, 6}})
	b, wb := tr.prompt(TraceRequest{InputLength: 1024, HashIDs: []int64{4, 5}})
	c, _ := tr.prompt(TraceRequest{InputLength: 300, HashIDs: []int64{4}})
	d, _ := tr.prompt(TraceRequest{InputLength: 600, HashIDs: []int64{8, 5}})
	// 500 + 512 + (1100 − 1024) words; 500 + 512.
	if wa != 500+512+76 || wb != 500+512 || len(strings.Fields(a)) != wa || len(strings.Fields(b)) != wb {
		t.Fatalf("words %d %d (fields %d %d)", wa, wb, len(strings.Fields(a)), len(strings.Fields(b)))
	}
	if !strings.HasPrefix(a, b+" ") {
		t.Error("[4 5 6] does not start with [4 5]")
	}
	// 300 tokens less 12 of overhead: 288 words of block 4.
	if !strings.HasPrefix(b, c+" ") || len(strings.Fields(c)) != 288 {
		t.Errorf("[4] of 300 tokens (%d words) is not a prefix of [4 5]", len(strings.Fields(c)))
	}
	if strings.HasPrefix(d, strings.Join(strings.Fields(a)[:20], " ")) {
		t.Error("[8 5] starts with [4]'s text")
	}
}

// A replay sends each line at its time (scheduled = the run's level start + the
// trace's offset), asks its output length and records its line and asked lengths;
// lines sharing a first hash id send the same text before their first different id.
func TestTraceReplayAgainstFake(t *testing.T) {
	f, o := newFake(t, fakeollama.Config{Tokens: 8, Gap: time.Millisecond, TemplateTokens: 10})
	text := `{"timestamp": 100, "input_length": 600, "output_length": 3, "hash_ids": [1, 2]}
{"timestamp": 300, "input_length": 700, "output_length": 5, "hash_ids": [1, 3]}
{"timestamp": 300, "input_length": 50, "output_length": 2, "hash_ids": [4]}
{"timestamp": 700, "input_length": 80, "output_length": 4, "hash_ids": [5]}
`
	trace, err := ParseTrace(strings.NewReader(text), "t.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	opts := DefaultOptions()
	opts.Model, opts.Warmup, opts.SkipColdLoad = "twin", 2, true
	opts.Trace, opts.TraceFile, opts.TraceSpeed, opts.Runs = trace, "t.jsonl", 1, 4
	opts.Concurrency = []int{0}
	res, err := Run(context.Background(), o, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Samples) != 4 || len(res.Levels) != 1 || res.Levels[0].Arrival != ArrivalTrace || len(res.Warmup) != 2+2 {
		t.Fatalf("%d samples, %d warm-ups (2 and 2 calibrating blocks), levels %+v", len(res.Samples), len(res.Warmup), res.Levels)
	}
	// Lines 2 and 3 are due at once: their samples may be numbered in either order.
	byLine := map[int]Sample{}
	for _, s := range res.Samples {
		byLine[s.TraceLine] = s
	}
	start := byLine[1].ScheduledAtNs
	for _, q := range trace {
		s := byLine[q.Line]
		due := start + int64(time.Duration(q.TimestampMs-100)*time.Millisecond)
		// The open loop's lateness is timer slack on a busy machine: 50 ms is generous.
		if !s.OK || s.TraceLine != q.Line || s.ScheduledAtNs != due || s.QueueDelayNs < 0 || s.QueueDelayNs > int64(50*time.Millisecond) {
			t.Errorf("line %d: ok %v line %d scheduled %d (want %d) queue delay %v", q.Line, s.OK, s.TraceLine, s.ScheduledAtNs, due, time.Duration(s.QueueDelayNs))
		}
		if s.OutputTokens != q.OutputLength || s.MaxTokensAsked != q.OutputLength || s.PromptTokensAsked != q.InputLength {
			t.Errorf("line %d: output %d asked %d, prompt asked %d", q.Line, s.OutputTokens, s.MaxTokensAsked, s.PromptTokensAsked)
		}
		// The fake counts a token a word and 10 for the template: the two calibration
		// requests find that line (with the 2-word system message), so the prompts are
		// as long as asked but for rounding.
		if d := s.PromptTokens - q.InputLength; d < -1 || d > 1 {
			t.Errorf("line %d: prompt %d tokens, asked %d", q.Line, s.PromptTokens, q.InputLength)
		}
	}
	users := map[int]string{}
	for _, body := range f.Bodies[len(f.Bodies)-4:] {
		_, contents := messagesOf(body)
		n := len(strings.Fields(contents[1]))
		users[n] = contents[1]
	}
	var first, second string
	for _, u := range users {
		if len(strings.Fields(u)) > 400 {
			if first == "" {
				first = u
			} else {
				second = u
			}
		}
	}
	// Lines 1 and 2 share block 1 and differ after it.
	shared := 0
	fa, fb := strings.Fields(first), strings.Fields(second)
	for shared < min(len(fa), len(fb)) && fa[shared] == fb[shared] {
		shared++
	}
	if shared < 300 || shared == min(len(fa), len(fb)) {
		t.Errorf("lines 1 and 2 share %d leading words of %d and %d", shared, len(fa), len(fb))
	}
}

// Trace options that cannot run are refused on one line.
func TestTraceOptionsRefused(t *testing.T) {
	trace := []TraceRequest{{Line: 3, InputLength: 4000, OutputLength: 200, HashIDs: make([]int64, 8)}}
	base := DefaultOptions()
	base.Model, base.Trace, base.TraceFile, base.TraceSpeed, base.Concurrency = "twin", trace, "t.jsonl", 1, []int{0}
	base.NumCtx = 8192
	checkRefused(t, base, []refusal{
		{"beyond num_ctx", func(o *Options) { o.NumCtx = 4096 }, "t.jsonl:3: input_length 4000 + output_length 200 is more than --num-ctx 4096"},
		{"speed 0", func(o *Options) { o.TraceSpeed = 0 }, "--trace-speed 0: must be in (0, 1e6]"},
		{"speed NaN", func(o *Options) { o.TraceSpeed = math.NaN() }, "--trace-speed NaN"},
		{"speed without trace", func(o *Options) { o.Trace, o.TraceFile, o.Concurrency = nil, "", []int{1} }, "--trace-speed 1 applies to a trace replay"},
		{"with rate", func(o *Options) { o.RatePerS = []float64{2} }, "--trace with --rate"},
		{"with turns", func(o *Options) { o.Turns = 2 }, "--turns with --trace"},
		// 9e12 ms (the largest timestamp ParseTrace takes is 9.2e12) at speed 0.001
		// is 9e21 ns, past a Duration's 9.2e18: the due time wrapped to −292 years and
		// drive waited forever. At speed 1 the same gap (285 years) still fits.
		{"replay past a Duration", func(o *Options) {
			o.Trace = append(slices.Clone(trace), TraceRequest{Line: 4, TimestampMs: 9e12, InputLength: 4000, OutputLength: 200, HashIDs: make([]int64, 8)})
			o.TraceSpeed = 0.001
		}, "t.jsonl:4: timestamp 9000000000000 is 9000000000000 ms after line 3's: at --trace-speed 0.001"},
		// 1e12 ms is 31.7 years at speed 1: it fits a Duration but no run should wait it.
		{"replay over MaxTraceReplay", func(o *Options) {
			o.Trace = append(slices.Clone(trace), TraceRequest{Line: 4, TimestampMs: 1e12, InputLength: 4000, OutputLength: 200, HashIDs: make([]int64, 8)})
			o.TraceSpeed = 1
		}, "the replay would last 277778h0m0s, over 168h0m0s"},
	})
}

// Whatever the bytes, ParseTrace returns requests that keep its promises (in order, at
// least one, lengths in range, one hash id per block) or one line naming the file.
func FuzzParseTrace(f *testing.F) {
	f.Add([]byte(`{"timestamp": 0, "input_length": 600, "output_length": 8, "hash_ids": [0, 1]}` + "\n"))
	f.Add([]byte("{\"timestamp\": 5, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [3]}\n\n{\"timestamp\": 4}"))
	f.Add([]byte("[]\n{}\nnull"))
	f.Fuzz(func(t *testing.T, b []byte) {
		reqs, err := ParseTrace(strings.NewReader(string(b)), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error %q", err)
			}
			return
		}
		if len(reqs) == 0 {
			t.Fatal("no request and no error")
		}
		for i, q := range reqs {
			if q.InputLength < 1 || q.OutputLength < 1 || len(q.HashIDs) != (q.InputLength+TraceBlockTokens-1)/TraceBlockTokens ||
				(i > 0 && (q.TimestampMs < reqs[i-1].TimestampMs || q.Line <= reqs[i-1].Line)) {
				t.Fatalf("request %d: %+v", i, q)
			}
		}
	})
}

// The trace the README replays (datasets/trace-small.jsonl) parses: six lines, in time
// order, the second sharing the first's block 0.
func TestShippedTraceParses(t *testing.T) {
	f, err := os.Open("../datasets/trace-small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseTrace(f, "datasets/trace-small.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 6 || tr[1].HashIDs[0] != tr[0].HashIDs[0] {
		t.Errorf("trace %+v: want 6 lines, the second sharing the first's block 0", tr)
	}
}
