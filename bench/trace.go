package bench

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Trace replay (docs/metrics.md, Trace replay): the requests of a Mooncake trace
// (Mooncake's FAST'25 request traces, github.com/kvcache-ai/Mooncake, JSON Lines of
// timestamp, input_length, output_length and hash_ids) sent as an open loop at the
// trace's arrival times, each asking the trace's lengths, each prompt built from text
// blocks named by the line's hash ids so that requests sharing hash ids share a real
// prompt prefix.

// TraceBlockTokens is the length of a Mooncake hash block in tokens: a trace line's
// hash_ids name the consecutive 512-token blocks of its prompt, the last one partial
// (Mooncake's trace format: ceil(input_length / 512) ids per line).
const TraceBlockTokens = 512

// MaxTraceLineBytes bounds one line of a trace file: a line of 1 MiB holds some 100,000
// hash ids, a prompt of 50 million tokens.
const MaxTraceLineBytes = 1 << 20

// TraceRequest is one line of a trace: when it arrives, the prompt and output lengths
// it asks, and the blocks its prompt is made of.
type TraceRequest struct {
	// Line is its line in the file, from 1.
	Line int
	// TimestampMs is its arrival time in milliseconds from the trace's origin.
	TimestampMs int64
	// InputLength and OutputLength are the prompt and output lengths in tokens (≥ 1).
	InputLength  int
	OutputLength int
	// HashIDs names the prompt's TraceBlockTokens-token blocks in order; equal ids are
	// equal text.
	HashIDs []int64
}

// MaxTraceReplay is the longest replay a trace may ask (its span divided by
// --trace-speed): a span of days is more likely a trace in microseconds read as
// milliseconds, or a typo, than a benchmark, and it would leave the run silent for
// that long.
const MaxTraceReplay = 7 * 24 * time.Hour

// ParseTrace reads a Mooncake trace: one JSON object a line with timestamp
// (milliseconds, ≥ 0, never less than the line before's), input_length and
// output_length (whole tokens, 1..2^20) and hash_ids (exactly ceil(input_length /
// TraceBlockTokens) integers); other fields are ignored, blank lines skipped. name is
// the file's name in errors, each one line: "name:line: what is wrong", or "name: no
// request" for a trace without one.
func ParseTrace(r io.Reader, name string) ([]TraceRequest, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), MaxTraceLineBytes)
	var out []TraceRequest
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		tr, err := parseTraceLine(b)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", name, line, err)
		}
		tr.Line = line
		if n := len(out); n > 0 && tr.TimestampMs < out[n-1].TimestampMs {
			return nil, fmt.Errorf("%s:%d: timestamp %d is before line %d's %d: a trace's timestamps must not go backwards",
				name, line, tr.TimestampMs, out[n-1].Line, out[n-1].TimestampMs)
		}
		out = append(out, tr)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: line longer than %d bytes", name, line+1, MaxTraceLineBytes)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no request in the trace (a line is a JSON object with timestamp, input_length, output_length and hash_ids)", name)
	}
	return out, nil
}

// parseTraceLine reads one non-blank line.
func parseTraceLine(b []byte) (TraceRequest, error) {
	var fields map[string]json.RawMessage
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&fields); err != nil || fields == nil {
		return TraceRequest{}, fmt.Errorf("not a JSON object (%.40q)", b)
	}
	if d.More() {
		return TraceRequest{}, errors.New("more than one JSON value on the line")
	}
	var tr TraceRequest
	var err error
	if tr.TimestampMs, err = wholeField(fields, "timestamp", 0, math.MaxInt64/int64(time.Millisecond)); err != nil {
		return tr, err
	}
	in, err := wholeField(fields, "input_length", 1, 1<<20)
	if err != nil {
		return tr, err
	}
	outLen, err := wholeField(fields, "output_length", 1, 1<<20)
	if err != nil {
		return tr, err
	}
	tr.InputLength, tr.OutputLength = int(in), int(outLen)
	raw, ok := fields["hash_ids"]
	if !ok {
		return tr, errors.New("hash_ids is missing")
	}
	if err := json.Unmarshal(raw, &tr.HashIDs); err != nil || tr.HashIDs == nil {
		return tr, fmt.Errorf("hash_ids %.40s: must be a list of whole numbers", raw)
	}
	if want := (tr.InputLength + TraceBlockTokens - 1) / TraceBlockTokens; len(tr.HashIDs) != want {
		return tr, fmt.Errorf("%d hash_ids for input_length %d: a line names one per %d-token block, %d here",
			len(tr.HashIDs), tr.InputLength, TraceBlockTokens, want)
	}
	return tr, nil
}

// wholeField returns the value of field name of fields, an integer in lo..hi.
func wholeField(fields map[string]json.RawMessage, name string, lo, hi int64) (int64, error) {
	raw, ok := fields[name]
	if !ok {
		return 0, fmt.Errorf("%s is missing", name)
	}
	var n json.Number
	var v int64
	err := json.Unmarshal(raw, &n)
	if err == nil {
		v, err = n.Int64()
	}
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s %.40s: must be a whole number in %d..%d", name, raw, lo, hi)
	}
	return v, nil
}

// TracePacer is a trace's arrival schedule: request k is due at (timestamp_k −
// timestamp_0) / speed, so the first is due at once. Past the last request it repeats
// the last time (a limit of the trace's length ends the level first).
type TracePacer struct {
	due   []time.Duration
	speed float64
}

// NewTracePacer returns the schedule of reqs (timestamps in order) replayed speed (> 0)
// times as fast as recorded.
func NewTracePacer(reqs []TraceRequest, speed float64) TracePacer {
	p := TracePacer{due: make([]time.Duration, len(reqs)), speed: speed}
	for k, tr := range reqs {
		p.due[k] = time.Duration(float64(tr.TimestampMs-reqs[0].TimestampMs) * float64(time.Millisecond) / speed)
	}
	return p
}

// At returns when request k is due.
func (p TracePacer) At(k uint64) time.Duration {
	if len(p.due) == 0 {
		return 0
	}
	return p.due[min(k, uint64(len(p.due)-1))]
}

func (p TracePacer) String() string { return fmt.Sprintf("trace replay ×%g", p.speed) }

// validateTrace checks a trace replay's options: the speed, the options a trace does
// not combine with, and lines that fit the context.
func (o Options) validateTrace() error {
	if len(o.Trace) == 0 && o.TraceFile == "" {
		if o.TraceSpeed != 0 {
			return fmt.Errorf("--trace-speed %v applies to a trace replay: give --trace too", o.TraceSpeed)
		}
		return nil
	}
	switch {
	case math.IsNaN(o.TraceSpeed) || o.TraceSpeed <= 0 || o.TraceSpeed > 1e6:
		return fmt.Errorf("--trace-speed %v: must be in (0, 1e6] (1 replays the trace as recorded, 2 twice as fast)", o.TraceSpeed)
	case len(o.RatePerS) > 0:
		return errors.New("--trace with --rate: the trace's timestamps are the arrival times")
	case len(o.Concurrency) > 1:
		return errors.New("--trace with several --concurrency values: with a trace, --concurrency is one cap on requests in flight")
	case len(o.PromptTokensSweep) > 1:
		return errors.New("--trace with several --prompt-tokens: the trace's input lengths are the prompt lengths")
	case o.RunsAuto:
		return errors.New("--trace with --runs auto: a trace replays its own requests; give --runs N to replay the first N")
	}
	name := o.TraceFile
	if name == "" {
		name = "trace"
	}
	for _, tr := range o.Trace {
		// NewTracePacer's due times are Durations: a gap that does not fit one once
		// divided by the speed would wrap to a negative due time and a wait of centuries.
		if span := float64(tr.TimestampMs-o.Trace[0].TimestampMs) * float64(time.Millisecond) / o.TraceSpeed; span >= math.MaxInt64 {
			return fmt.Errorf("%s:%d: timestamp %d is %d ms after line %d's: at --trace-speed %v its replay would start %.3g years after the first request's",
				name, tr.Line, tr.TimestampMs, tr.TimestampMs-o.Trace[0].TimestampMs, o.Trace[0].Line, o.TraceSpeed, span/float64(365.25*24*time.Hour))
		} else if span > float64(MaxTraceReplay) {
			// A run that would sit silent for days is a trace in other units or a typo.
			return fmt.Errorf("%s:%d: timestamp %d is %d ms after line %d's: at --trace-speed %v the replay would last %v, over %v; check the timestamps are in ms, or raise --trace-speed",
				name, tr.Line, tr.TimestampMs, tr.TimestampMs-o.Trace[0].TimestampMs, o.Trace[0].Line, o.TraceSpeed, time.Duration(span).Round(time.Hour), MaxTraceReplay)
		}
		if tr.InputLength+tr.OutputLength > o.NumCtx {
			return fmt.Errorf("%s:%d: input_length %d + output_length %d is more than --num-ctx %d: the server would cut the prompt; raise --num-ctx",
				name, tr.Line, tr.InputLength, tr.OutputLength, o.NumCtx)
		}
	}
	return nil
}

// traceReplay is the state of a trace being replayed: its requests and schedule, the
// words a block takes and the text of each block met so far.
type traceReplay struct {
	reqs  []TraceRequest
	pacer TracePacer
	seed  int64
	nonce string
	// tokensPerWord and overheadTokens are the calibration's line, tokens = words ×
	// tokensPerWord + overheadTokens (traceCalibration); firstWords is the words of
	// block 0, which holds the overhead, blockWords those of every other full block.
	tokensPerWord, overheadTokens float64
	firstWords, blockWords        int

	mu     sync.Mutex
	blocks map[int64]string
}

// newTraceReplay prepares the replay of opts.Trace: it sizes the blocks from two
// uncounted calibration requests in the trace prompts' own form (calibrateBlocks), or,
// when they fail, from the requests that calibrated the synthetic prompt (the cold
// request and the warm-ups; traceCalibration). Block 0 carries the chat template's and
// the system message's tokens. Each sample records prompt_tokens_asked beside the
// server's prompt_tokens, so what error is left is in the run file (docs/metrics.md,
// Trace replay).
func (r *runner) newTraceReplay() *traceReplay {
	var points [][2]float64
	if c := r.res.Cold; c != nil && c.Sample.OK {
		points = append(points, [2]float64{float64(c.Sample.PromptWords), float64(c.Sample.PromptTokens)})
	}
	for _, s := range r.res.Warmup {
		if s.OK {
			points = append(points, [2]float64{float64(s.PromptWords), float64(s.PromptTokens)})
		}
	}
	perWord, overhead := traceCalibration(points)
	tr := &traceReplay{
		reqs: r.opts.Trace, pacer: NewTracePacer(r.opts.Trace, r.opts.TraceSpeed), seed: r.opts.Seed,
		nonce:  conversationNonce(r.res.RunID, -1),
		blocks: map[int64]string{},
	}
	if pw, oh, ok := r.calibrateBlocks(tr, perWord); ok {
		perWord, overhead = pw, oh
	}
	tr.tokensPerWord, tr.overheadTokens = perWord, overhead
	tr.blockWords = max(1, int(math.Round(TraceBlockTokens/perWord)))
	tr.firstWords = max(1, int(math.Round((TraceBlockTokens-overhead)/perWord)))
	return tr
}

// calibrateBlocks sends server 0 two uncounted warm-up requests in the form of a trace
// prompt (the trace's system message, then random words of the block vocabulary): half
// a block's and a block's worth of words at perWord tokens a word, and fits the line
// through the two counts, its overhead kept within 0..TraceBlockTokens/2. It returns
// the line when both succeeded and it is plausible (0.2 to 5 tokens a word). The
// requests are recorded as warm-ups.
func (r *runner) calibrateBlocks(tr *traceReplay, perWord float64) (slope, overhead float64, ok bool) {
	var pts [2][2]float64
	for i, tokens := range []float64{TraceBlockTokens / 2, TraceBlockTokens} {
		if r.ctx.Err() != nil || r.opts.NumCtx < int(tokens)*2 {
			return 0, 0, false
		}
		words := max(1, int(math.Round(tokens/perWord)))
		rng := rand.New(rand.NewPCG(uint64(tr.seed)^0x3c6ef372fe94f82b, uint64(i)))
		var b strings.Builder
		writeWords(&b, rng, words)
		req := r.baseRequest()
		req.Messages = []Message{{Role: "system", Content: "Trace " + tr.nonce + "."}, {Role: "user", Content: b.String()}}
		req.MaxTokens = 1
		s := Sample{Index: len(r.res.Warmup), Phase: PhaseWarmup, Nonce: tr.nonce, PromptWords: words}
		r.sendWarmup(req, &s)
		if s.ErrorKind == ErrCanceled {
			return 0, 0, false
		}
		r.res.Warmup = append(r.res.Warmup, s)
		r.record(journalLine{Sample: &s})
		if !s.OK || s.PromptTokens <= 0 {
			return 0, 0, false
		}
		pts[i] = [2]float64{float64(words), float64(s.PromptTokens)}
	}
	if pts[1][0] <= pts[0][0] {
		return 0, 0, false
	}
	slope = (pts[1][1] - pts[0][1]) / (pts[1][0] - pts[0][0])
	overhead = pts[0][1] - slope*pts[0][0]
	if overhead < 0 || overhead > TraceBlockTokens/2 {
		// Random words tokenize a few percent apart from one draw to the next, more than
		// the template's few tokens: the line through two draws can put the overhead
		// below 0. It is clamped, and the slope taken through the block-long request.
		overhead = max(0, min(TraceBlockTokens/2, overhead))
		slope = (pts[1][1] - overhead) / pts[1][0]
	}
	if slope < 0.2 || slope > 5 {
		return 0, 0, false
	}
	return slope, overhead, true
}

// traceCalibration fits tokens = words × perWord + overhead to the (words, tokens) of
// calibrating requests by least squares, when their word counts span at least 20%
// (closer ones only measure the tokenizer's noise between random words) and the slope
// is plausible (above 0 and at most the largest tokens / words seen: the template adds
// tokens, never removes them); overhead is kept within 0..TraceBlockTokens/2. Otherwise
// it returns the last request's tokens / words with no overhead, or 1 and 0 with no
// request.
func traceCalibration(points [][2]float64) (perWord, overhead float64) {
	var usable [][2]float64
	for _, p := range points {
		if p[0] > 0 && p[1] > 0 {
			usable = append(usable, p)
		}
	}
	if len(usable) == 0 {
		return 1, 0
	}
	last := usable[len(usable)-1]
	perWord = last[1] / last[0]
	lo, hi, maxRatio := usable[0][0], usable[0][0], 0.0
	var sx, sy float64
	for _, p := range usable {
		lo, hi = min(lo, p[0]), max(hi, p[0])
		maxRatio = max(maxRatio, p[1]/p[0])
		sx, sy = sx+p[0], sy+p[1]
	}
	if hi < 1.2*lo {
		return perWord, 0
	}
	n := float64(len(usable))
	mx, my := sx/n, sy/n
	var sxy, sxx float64
	for _, p := range usable {
		sxy += (p[0] - mx) * (p[1] - my)
		sxx += (p[0] - mx) * (p[0] - mx)
	}
	slope := sxy / sxx
	if slope <= 0 || slope > maxRatio {
		return perWord, 0
	}
	return slope, max(0, min(TraceBlockTokens/2, my-slope*mx))
}

// block returns the first n words of hash id h's block (as the first block of a
// prompt, or a later one): one text per id and place for the whole run (seeded by the
// run's seed and the id), so a partial last block is a prefix of the same id's full
// block.
func (tr *traceReplay) block(h int64, first bool, n int) string {
	key, words := h, tr.blockWords
	if first { // block 0 is shorter (it holds the template): its own text
		key, words = ^h, tr.firstWords
	}
	tr.mu.Lock()
	text, ok := tr.blocks[key]
	if !ok {
		rng := rand.New(rand.NewPCG(uint64(tr.seed)^0xbb67ae8584caa73b, uint64(key)))
		var b strings.Builder
		writeWords(&b, rng, words)
		text = b.String()
		tr.blocks[key] = text
	}
	tr.mu.Unlock()
	if n >= words {
		return text
	}
	// The n-th space ends the first n words.
	end := 0
	for i := 0; i < n; i++ {
		j := strings.IndexByte(text[end+1:], ' ')
		if j < 0 {
			return text
		}
		end += j + 1
	}
	return text[:end]
}

// prompt returns the user message of trace request q and its word count: its blocks
// in order, full ones (firstWords, then blockWords words) and the last of its
// remaining tokens' worth, joined by spaces.
func (tr *traceReplay) prompt(q TraceRequest) (string, int) {
	var b strings.Builder
	words := 0
	for i, h := range q.HashIDs {
		full := tr.blockWords
		if i == 0 {
			full = tr.firstWords
		}
		n := full
		if i == len(q.HashIDs)-1 {
			rest := float64(q.InputLength - i*TraceBlockTokens)
			if i == 0 {
				rest -= tr.overheadTokens
			}
			n = min(full, max(1, int(math.Round(rest/tr.tokensPerWord))))
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tr.block(h, i == 0, n))
		words += n
	}
	return b.String(), words
}

// replay sends trace request j.k to server t at its due time: the run's trace nonce as
// the system message (one for the whole run, so requests share their prefixes with
// each other and with no earlier run), the line's blocks as the user message, its
// output_length as the output cap.
func (r *runner) replay(t int, j job) Sample {
	q := r.trace.reqs[j.k]
	user, words := r.trace.prompt(q)
	req := r.baseRequest()
	req.Messages = []Message{{Role: "system", Content: "Trace " + r.trace.nonce + "."}, {Role: "user", Content: user}}
	req.MaxTokens = q.OutputLength
	s := Sample{Phase: PhaseMeasured, Target: t, Nonce: r.trace.nonce, PromptWords: words, ScheduledAtNs: j.scheduledNs,
		TraceLine: q.Line, PromptTokensAsked: q.InputLength, MaxTokensAsked: q.OutputLength}
	r.sendMeasured(t, req, &s)
	return s
}
