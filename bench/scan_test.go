package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ollamaRef is what the Ollama wire decodes a line into (chatLine), but for
// created_at, which the scanner does not parse by design (no server timestamps on the
// hot path): the outer field shadows api.ChatResponse's time.Time.
type ollamaRef struct {
	chatLine
	CreatedAt json.RawMessage `json:"created_at"`
}

// checkScan decodes line with encoding/json into the wire's own type and fails t when
// the scanner answered (did not defer) and disagrees: the line must decode, not be
// an error or a final chunk, and every text field the scanner measured must have the
// length and the text that encoding/json gives. sse picks the OpenAI chunk. It
// returns whether the scanner answered.
func checkScan(t *testing.T, sse bool, line []byte) bool {
	t.Helper()
	if !sse {
		var c, any ollamaChunk
		if ollamaLayout(line, &c) {
			// The fast path answers as the general scan does, only sooner.
			if !scanOllamaAny(line, &any) || any.content.n != c.content.n || any.thinking.n != c.thinking.n ||
				string(any.content.raw) != string(c.content.raw) || string(any.thinking.raw) != string(c.thinking.raw) {
				t.Fatalf("%q: Ollama's layout read %+v, the general scan %+v", line, c, any)
			}
		}
		if !scanOllamaChunk(line, &c) {
			return false
		}
		var ref ollamaRef
		if err := json.Unmarshal(line, &ref); err != nil {
			t.Fatalf("scanner read %q, encoding/json refuses it: %v", line, err)
		}
		if ref.Done || ref.Error != "" {
			t.Fatalf("scanner read %q as a chunk, encoding/json finds done %v, error %q", line, ref.Done, ref.Error)
		}
		sameText(t, line, "message.content", c.content, ref.Message.Content)
		sameText(t, line, "message.thinking", c.thinking, ref.Message.Thinking)
		return true
	}
	var c sseChunk
	if !scanSSEChunk(line, &c) {
		return false
	}
	var ref chatChunk
	if err := json.Unmarshal(line, &ref); err != nil {
		t.Fatalf("scanner read %q, encoding/json refuses it: %v", line, err)
	}
	if msg, isErr := ref.isError(); isErr || ref.Usage != nil || ref.Timings != nil {
		t.Fatalf("scanner read %q as a chunk, encoding/json finds an error (%q) or usage or timings", line, msg)
	}
	if len(ref.Choices) != c.choices {
		t.Fatalf("%q: scanner counts %d choices, encoding/json %d", line, c.choices, len(ref.Choices))
	}
	if c.choices > 0 {
		d := ref.Choices[0].Delta
		sameText(t, line, "delta.content", c.content, d.Content)
		sameText(t, line, "delta.reasoning_content", c.reasoningContent, d.ReasoningContent)
		sameText(t, line, "delta.reasoning", c.reasoning, d.Reasoning)
		sameText(t, line, "finish_reason", c.finish, ref.Choices[0].FinishReason)
		if c.finish.n > 0 && c.finish.finishReason() != ref.Choices[0].FinishReason {
			t.Fatalf("%q: finish reason %q, encoding/json %q", line, c.finish.finishReason(), ref.Choices[0].FinishReason)
		}
	}
	return true
}

// sameText fails t when the scanner's span of field does not decode to want.
func sameText(t *testing.T, line []byte, field string, got textSpan, want string) {
	t.Helper()
	if got.n != len(want) {
		t.Fatalf("%q: %s: scanner length %d, encoding/json %d (%q)", line, field, got.n, len(want), want)
	}
	var sb strings.Builder
	got.appendTo(&sb)
	if sb.String() != want {
		t.Fatalf("%q: %s: scanner text %q, encoding/json %q", line, field, sb.String(), want)
	}
}

// The chunks servers send are read by the scanner (not deferred), with the lengths
// encoding/json gives; the final chunk, errors and anything it does not know defer.
func TestScanChunk(t *testing.T) {
	cases := []struct {
		name string
		sse  bool
		line string
		// read: the scanner answers (true) or defers (false); why is in the name.
		read bool
		// thinking and answer bytes the wire counts, when read.
		thinking, answer int
	}{
		{"ollama v0.24 text chunk", false, `{"model":"qwen3:0.6b","created_at":"2026-01-02T03:04:05.123456789Z","message":{"role":"assistant","content":" tok"},"done":false}`, true, 0, 4},
		{"ollama thinking chunk", false, `{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"","thinking":"hm"},"done":false}`, true, 2, 0},
		// \n is one byte, é (\u00e9) two, 😀 (a surrogate pair) four, "\"" one.
		{"escapes count decoded bytes", false, `{"message":{"content":"a\n\u00e9\ud83d\ude00\""},"done":false}`, true, 0, 1 + 1 + 2 + 4 + 1},
		// A lone surrogate and an invalid UTF-8 byte each decode to U+FFFD, 3 bytes.
		{"lone surrogate and invalid byte", false, "{\"message\":{\"content\":\"\\ud800x\xff\"}}", true, 0, 3 + 1 + 3},
		{"white space between tokens", false, " {\t\"done\" : false ,\r\n\"message\":{ \"content\" : \"ab\" } } ", true, 0, 2},
		{"unknown field skipped", false, `{"x":[1,{"y":null},-2.5e3,"s"],"message":{"content":"a","z":true},"done":false}`, true, 0, 1},
		{"the done chunk defers", false, `{"model":"m","message":{"role":"assistant","content":""},"done":true,"eval_count":3}`, false, 0, 0},
		{"an error defers", false, `{"error":"boom"}`, false, 0, 0},
		{"a typed field of api.ChatResponse defers", false, `{"message":{"content":"a"},"eval_count":3}`, false, 0, 0},
		// encoding/json matches keys without case: "Done" is the done field.
		{"a key in another case defers", false, `{"message":{"content":"a"},"Done":true}`, false, 0, 0},
		{"an escaped key defers", false, `{"message":{"content":"a"},"d\u006fne":true}`, false, 0, 0},
		{"a duplicate defers", false, `{"message":{"content":"a"},"message":{"content":"bb"}}`, false, 0, 0},
		{"content null defers", false, `{"message":{"content":null}}`, false, 0, 0},
		{"tool calls defer", false, `{"message":{"content":"","tool_calls":[]}}`, false, 0, 0},
		{"trailing data defers", false, `{"message":{"content":"a"}} x`, false, 0, 0},
		{"a control character defers", false, "{\"message\":{\"content\":\"a\x01\"}}", false, 0, 0},
		{"an invalid escape defers", false, `{"message":{"content":"\q"}}`, false, 0, 0},
		{"not an object defers", false, `[1]`, false, 0, 0},

		{"openai text chunk (vLLM)", true, `{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767236645,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}]}`, true, 0, 4},
		{"openai role chunk", true, `{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`, true, 0, 0},
		{"llama.cpp reasoning_content", true, `{"choices":[{"finish_reason":null,"index":0,"delta":{"reasoning_content":"hmm"}}],"created":1,"id":"c","model":"m","system_fingerprint":"b1","object":"chat.completion.chunk"}`, true, 3, 0},
		{"finish with usage null", true, `{"choices":[{"delta":{},"finish_reason":"length"}],"usage":null}`, true, 0, 0},
		{"the usage chunk defers", true, `{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2}}`, false, 0, 0},
		{"timings defer", true, `{"choices":[{"delta":{"content":"a"}}],"timings":{"prompt_n":1}}`, false, 0, 0},
		{"an error chunk defers", true, `{"error":{"message":"oops"}}`, false, 0, 0},
		{"object error defers", true, `{"object":"error","message":"oops"}`, false, 0, 0},
		{"a delta key in another case defers", true, `{"choices":[{"delta":{"Content":"a"}}]}`, false, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			read := checkScan(t, tc.sse, []byte(tc.line))
			if read != tc.read {
				t.Fatalf("scanner read it: %v, want %v", read, tc.read)
			}
			if !read {
				return
			}
			thinking, answer := 0, 0
			if tc.sse {
				var c sseChunk
				scanSSEChunk([]byte(tc.line), &c)
				thinking, answer = max(c.reasoningContent.n, c.reasoning.n), c.content.n
			} else {
				var c ollamaChunk
				scanOllamaChunk([]byte(tc.line), &c)
				thinking, answer = c.thinking.n, c.content.n
			}
			if thinking != tc.thinking || answer != tc.answer {
				t.Errorf("thinking %d, answer %d bytes; want %d, %d", thinking, answer, tc.thinking, tc.answer)
			}
		})
	}
}

// The scanner allocates nothing for a chunk, on either wire, by Ollama's layout or
// the general scan.
func TestScanChunkAllocates(t *testing.T) {
	ol := []byte(`{"model":"calib","created_at":"2026-01-02T03:04:05.123456789Z","message":{"role":"assistant","content":" tok"},"done":false}`)
	op := []byte(`{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}]}`)
	var oc ollamaChunk
	var sc sseChunk
	if n := testing.AllocsPerRun(100, func() {
		if !scanOllamaChunk(ol, &oc) || !scanOllamaAny(ol, &oc) || !scanSSEChunk(op, &sc) {
			t.Fatal("a common chunk deferred")
		}
	}); n != 0 {
		t.Errorf("%v allocations per chunk, want 0", n)
	}
}

// FuzzScanChunk: on any line, the chunk scanner agrees with encoding/json decoding it
// into the wire's own type, or defers to it (checkScan). The first byte picks the
// wire: even Ollama's NDJSON line, odd an OpenAI data field. The seeds are the lines
// of TestScanChunk and every line of the stream fuzzers' corpora.
func FuzzScanChunk(f *testing.F) {
	for _, seed := range []string{
		`{"model":"m","created_at":"2026-01-02T03:04:05Z","message":{"role":"assistant","content":"a\n\u00e9\ud83d\ude00\"\\\/\b\f\r\t"},"done":false}`,
		`{"message":{"content":"\ud800\ud800\udc00\udc00"}}`,
		// Ollama's own layout (the fast path), with thinking and with escapes.
		`{"model":"qwen3:0.6b","created_at":"2026-01-02T03:04:05.123456789Z","message":{"role":"assistant","content":"","thinking":"a\u00e9\n"},"done":false}`,
		`{"model":"m","created_at":"t","message":{"role":"assistant","content":" tok"},"done":false}`,
		"{\"message\":{\"content\":\"h\xc3\",\"thinking\":\"\xa9llo\"}}",
		`{"message":{"content":"a","role":"user","x":{"a":[[[]]],"b":-0.0e-0}}}`,
		`{"choices":[{"delta":{"content":"a","reasoning":"b","reasoning_content":null},"finish_reason":"stop"},{"delta":null}],"usage":null,"object":"x"}`,
		`{"choices":null,"id":"\u0000"}`,
		`{"choices":[{"delta":{"content":"x"},"finish_reason":"\u006cength"}]}`,
	} {
		f.Add(byte(0), []byte(seed))
		f.Add(byte(1), []byte(seed))
	}
	// The stream fuzzers' corpora, split into lines (data fields without "data: ").
	for _, dir := range []string{"FuzzChatStream", "FuzzReadSSE"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", dir, "*"))
		for _, file := range files {
			for _, body := range corpusBytes(f, file) {
				for _, l := range bytes.Split(body, []byte("\n")) {
					l = bytes.TrimRight(l, "\r")
					f.Add(byte(0), l)
					f.Add(byte(1), bytes.TrimPrefix(l, []byte("data: ")))
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, wire byte, line []byte) {
		checkScan(t, wire%2 == 1, line)
	})
}

// corpusBytes returns the []byte values of a file of Go's fuzz corpus format ("go test
// fuzz v1", then one Go literal per line).
func corpusBytes(f *testing.F, file string) [][]byte {
	b, err := os.ReadFile(file)
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "[]byte("); ok {
			s, err := strconv.Unquote(strings.TrimSuffix(v, ")"))
			if err != nil {
				f.Fatalf("%s: %v", file, err)
			}
			out = append(out, []byte(s))
		}
	}
	return out
}

// BenchmarkScanChunk is the scanner's cost per chunk line (one op = one line), beside
// encoding/json decoding the same line into the wire's type: what BenchmarkIngest's
// stream client saves per token (docs/performance.md).
func BenchmarkScanChunk(b *testing.B) {
	lines := map[string][]byte{
		"ollama": []byte(`{"model":"calib","created_at":"2026-01-02T03:04:05.123456789Z","message":{"role":"assistant","content":" tok"},"done":false}`),
		"openai": []byte(`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1767236645,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"logprobs":null,"finish_reason":null}]}`),
	}
	for _, wire := range []string{"ollama", "openai"} {
		line := lines[wire]
		b.Run("wire="+wire+"/scanner", func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			var oc ollamaChunk
			var sc sseChunk
			for b.Loop() {
				if wire == "ollama" && !scanOllamaChunk(line, &oc) || wire == "openai" && !scanSSEChunk(line, &sc) {
					b.Fatal("deferred")
				}
			}
		})
		b.Run("wire="+wire+"/encoding_json", func(b *testing.B) {
			b.SetBytes(int64(len(line)))
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if wire == "ollama" {
					var cl chatLine
					err = json.Unmarshal(line, &cl)
				} else {
					var ch chatChunk
					err = json.Unmarshal(line, &ch)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// A chunk costs no allocation on either wire once the stream runs: a stream of 512
// text chunks allocates no more than one of 256 but for the growth of its ITL slice
// (a few allocations, each doubling it). Everything else a request allocates (the
// request, the done or usage chunk's decoding) is per request.
func TestStreamAllocatesNothingPerChunk(t *testing.T) {
	ollama := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(`{"model":"m","created_at":"2026-01-02T03:04:05.123456789Z","message":{"role":"assistant","content":" tok"},"done":false}` + "\n")
		}
		b.WriteString(`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":` + strconv.Itoa(n) +
			`,"prompt_eval_count":1,"eval_duration":1000000000,"prompt_eval_duration":1000000,"total_duration":2000000000}` + "\n")
		return b.String()
	}
	openai := func(n int) string {
		var b strings.Builder
		for range n {
			b.WriteString(`data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" tok"},"finish_reason":null}]}` + "\n\n")
		}
		b.WriteString(`data: {"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":` + strconv.Itoa(n) + `}}` + "\n\ndata: [DONE]\n\n")
		return b.String()
	}
	for _, wire := range []string{"ollama", "openai"} {
		allocs := func(n int) float64 {
			var b Backend
			if wire == "ollama" {
				b = fuzzOllama(200, []byte(ollama(n)))
			} else {
				b = memOpenAI(200, openai(n))
			}
			return testing.AllocsPerRun(20, func() {
				var s Sample
				b.Stream(context.Background(), time.Now(), Request{Model: "m", User: "x", MaxTokens: n}, &s)
				if !s.OK || s.TextChunks != n {
					t.Fatalf("%s: request failed or short: %+v", wire, s)
				}
			})
		}
		short, long := allocs(256), allocs(512)
		// 256 more gaps: one or two more growths of the ITL slice.
		if long-short > 3 {
			t.Errorf("%s: %v allocations for 256 chunks, %v for 512: %.0f more for 256 chunks", wire, short, long, long-short)
		}
	}
}
