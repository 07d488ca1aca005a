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

// traceLine is a trace line as JSON; pointers tell a missing field from a zero.
type traceLine struct {
	Timestamp    *json.Number `json:"timestamp"`
	InputLength  *json.Number `json:"input_length"`
	OutputLength *json.Number `json:"output_length"`
	HashIDs      *[]int64     `json:"hash_ids"`
}

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
	var l traceLine
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&l); err != nil {
		return TraceRequest{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if d.More() {
		return TraceRequest{}, errors.New("more than one JSON value on the line")
	}
	var tr TraceRequest
	var err error
	if tr.TimestampMs, err = wholeField("timestamp", l.Timestamp, 0, math.MaxInt64/int64(time.Millisecond)); err != nil {
		return tr, err
	}
	in, err := wholeField("input_length", l.InputLength, 1, 1<<20)
	if err != nil {
		return tr, err
	}
	outLen, err := wholeField("output_length", l.OutputLength, 1, 1<<20)
	if err != nil {
		return tr, err
	}
	tr.InputLength, tr.OutputLength = int(in), int(outLen)
	if l.HashIDs == nil {
		return tr, errors.New("hash_ids is missing")
	}
	tr.HashIDs = *l.HashIDs
	if want := (tr.InputLength + TraceBlockTokens - 1) / TraceBlockTokens; len(tr.HashIDs) != want {
		return tr, fmt.Errorf("%d hash_ids for input_length %d: a line names one per %d-token block, %d here",
			len(tr.HashIDs), tr.InputLength, TraceBlockTokens, want)
	}
	return tr, nil
}

// wholeField returns field name's value n, an integer in lo..hi.
func wholeField(name string, n *json.Number, lo, hi int64) (int64, error) {
	if n == nil {
		return 0, fmt.Errorf("%s is missing", name)
	}
	v, err := n.Int64()
	if err != nil || v < lo || v > hi {
		return 0, fmt.Errorf("%s %s: must be a whole number in %d..%d", name, n.String(), lo, hi)
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
	// tokensPerWord is the calibration's ratio: the last successful calibrating
	// request's prompt_tokens / prompt_words (see newTraceReplay).
	tokensPerWord float64
	blockWords    int

	mu     sync.Mutex
	blocks map[int64]string
}

// newTraceReplay prepares the replay of opts.Trace from the prompt calibration done so
// far: the last successful warm-up or cold request's prompt_tokens / prompt_words is
// taken as tokens per word (1 before any calibration). That ratio counts the synthetic
// prompt's chat template, nonce and closing instruction as if they were words, so it
// runs a few percent high at a few hundred tokens and trace prompts come out that much
// short of input_length; each sample records prompt_tokens_asked beside the server's
// prompt_tokens, so the error is in the run file.
func (r *runner) newTraceReplay() *traceReplay {
	ratio := 1.0
	last := lastOK(r.res.Warmup)
	if last == nil && r.res.Cold != nil && r.res.Cold.Sample.OK {
		last = &r.res.Cold.Sample
	}
	if last != nil && last.PromptWords > 0 && last.PromptTokens > 0 {
		ratio = float64(last.PromptTokens) / float64(last.PromptWords)
	}
	return &traceReplay{
		reqs: r.opts.Trace, pacer: NewTracePacer(r.opts.Trace, r.opts.TraceSpeed), seed: r.opts.Seed,
		nonce:         conversationNonce(r.res.RunID, -1),
		tokensPerWord: ratio,
		blockWords:    max(1, int(math.Round(TraceBlockTokens/ratio))),
		blocks:        map[int64]string{},
	}
}

// block returns the words of hash id h's block, the first n of its blockWords: one
// text per id for the whole run (seeded by the run's seed and the id), so a partial
// last block is a prefix of the same id's full block.
func (tr *traceReplay) block(h int64, n int) string {
	tr.mu.Lock()
	text, ok := tr.blocks[h]
	if !ok {
		rng := rand.New(rand.NewPCG(uint64(tr.seed)^0xbb67ae8584caa73b, uint64(h)))
		var b strings.Builder
		for i := 0; i < tr.blockWords; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(promptWords[rng.IntN(len(promptWords))])
		}
		text = b.String()
		tr.blocks[h] = text
	}
	tr.mu.Unlock()
	if n >= tr.blockWords {
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
// in order, full ones of blockWords words and the last of its remaining tokens'
// worth, joined by spaces.
func (tr *traceReplay) prompt(q TraceRequest) (string, int) {
	var b strings.Builder
	words := 0
	for i, h := range q.HashIDs {
		n := tr.blockWords
		if i == len(q.HashIDs)-1 {
			rest := q.InputLength - i*TraceBlockTokens
			n = max(1, int(math.Round(float64(rest)/tr.tokensPerWord)))
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(tr.block(h, n))
		words += min(n, tr.blockWords)
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
