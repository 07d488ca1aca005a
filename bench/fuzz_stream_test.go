package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// bodyTransport answers every request with status and body, in memory: the fuzz
// targets below reach the stream parser without a network.
type bodyTransport struct {
	status int
	body   []byte
}

func (b bodyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: b.status, Status: http.StatusText(b.status), Header: http.Header{},
		Body: io.NopCloser(bytes.NewReader(b.body)), Request: r}, nil
}

func fuzzOllama(status int, body []byte) *Ollama {
	base, _ := url.Parse("http://127.0.0.1:1")
	hc := &http.Client{Transport: bodyTransport{status, body}}
	return &Ollama{base: base, client: api.NewClient(base, hc), hc: hc}
}

// FuzzChatStream: any bytes a server streams back, under any status, end as a
// successful sample with its timings or as a failed one with a kind and a message;
// never a panic or a hang. The first byte picks the status.
func FuzzChatStream(f *testing.F) {
	done := `{"model":"m","done":true,"done_reason":"length","message":{"role":"assistant","content":""},"eval_count":2,"eval_duration":2000,"prompt_eval_count":5,"prompt_eval_duration":1000,"total_duration":9000}` + "\n"
	text := func(s string) string {
		return `{"model":"m","done":false,"message":{"role":"assistant","content":"` + s + `"}}` + "\n"
	}
	for _, seed := range []string{
		text("a") + text("b") + done,
		text("h\xc3") + text("\xa9llo") + done, // a character split across two chunks
		text("a") + `{"error":"an error was encountered"}` + "\n",
		text("a") + "{\"model\": \"x\", \"message\": {\n",
		"<html>502 Bad Gateway</html>\n",
		text("a"),
		done + text("late"),
		strings.Replace(done, `"eval_count":2`, `"eval_count":-7`, 1),
		"",
		"\n\n\r\n",
		`{"message":{"thinking":"hm"}}` + "\n" + done,
		// Thinking, then the answer, then a done chunk with a cached count.
		`{"message":{"thinking":"hm"}}` + "\n" + `{"message":{"thinking":" so","content":"a"}}` + "\n" + text("b") +
			strings.Replace(done, `"eval_count":2`, `"eval_count":3,"prompt_eval_cached_count":4`, 1),
		text("a") + strings.Replace(done, `"eval_count":2`, `"eval_count":1,"prompt_eval_cached_count":9`, 1), // more cached than prompt
	} {
		f.Add(byte(0), []byte(seed))
	}
	f.Add(byte(1), []byte(`{"error":"model 'm' not found"}`))
	f.Add(byte(2), []byte(`{"error":"server busy"}`))
	statuses := []int{200, 404, 503, 401, 500}
	f.Fuzz(func(t *testing.T, st byte, body []byte) {
		o := fuzzOllama(statuses[int(st)%len(statuses)], body)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		var s Sample
		o.Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
		switch {
		case s.OK && (s.ErrorKind != "" || s.E2ENs == nil || s.OutputTokens < 0):
			t.Fatalf("successful sample is inconsistent: %+v", s)
		case !s.OK && (s.ErrorKind == "" || s.Error == "" || s.E2ENs != nil || s.TTFTNs != nil):
			t.Fatalf("failed sample without a kind and message, or with timings: %+v", s)
		case strings.ContainsAny(s.Error, "\n"):
			t.Fatalf("error is not one line: %q", s.Error)
		}
		checkThinkingFigures(t, &s)
	})
}

// checkThinkingFigures holds any sample to what thinking apart from answering
// implies: the chunks split into thinking and answer ones; a successful sample with an
// answer has a TTFA, no earlier than its TTFT, and a thinking span only if it thought;
// a failed one has none of the answer's figures.
func checkThinkingFigures(t *testing.T, s *Sample) {
	t.Helper()
	switch {
	case s.ThinkingChunks+s.AnswerChunks != s.TextChunks || s.ThinkingBytes+s.AnswerBytes != s.OutputBytes:
		t.Fatalf("thinking %d + answer %d chunks ≠ %d text chunks, or bytes %d + %d ≠ %d",
			s.ThinkingChunks, s.AnswerChunks, s.TextChunks, s.ThinkingBytes, s.AnswerBytes, s.OutputBytes)
	case s.OK && s.AnswerChunks > 0 && (s.TTFANs == nil || *s.TTFANs < *s.TTFTNs || s.AnswerTokens == nil):
		t.Fatalf("an answer without a TTFA at or after TTFT, or without answer tokens: %+v", *s)
	case s.ThinkingNs != nil && (s.ThinkingBytes == 0 || *s.ThinkingNs < 0):
		t.Fatalf("a thinking span %d with %d bytes of thinking", *s.ThinkingNs, s.ThinkingBytes)
	case !s.OK && (s.TTFANs != nil || s.ThinkingNs != nil || s.AnswerTPOTNs != nil || s.AnswerGenPerS != nil || s.AnswerTokens != nil):
		t.Fatalf("a failed sample with answer figures: %+v", *s)
	case s.CachedPromptTokens != nil && s.OK && (*s.CachedPromptTokens < 0 || *s.CachedPromptTokens > s.PromptTokens):
		t.Fatalf("cached prompt tokens %d of %d", *s.CachedPromptTokens, s.PromptTokens)
	}
}

// FuzzDecodeJournal: any file given to --resume is read or refused with an error that
// names it; what is read is in order (measured indices 0, 1, 2, …).
func FuzzDecodeJournal(f *testing.F) {
	head := `{"kind":"yardstick.journal","journal_version":1,"run_id":"ab","options":{"model":"m","runs":3,"request_timeout_ns":1000},"prompt_words":7,"calibrated":true}` + "\n"
	for _, seed := range []string{
		head + `{"cold":{"was_loaded":true,"sample":{"index":0,"phase":"cold","ok":true}}}` + "\n" +
			`{"sample":{"index":0,"phase":"warmup","ok":true}}` + "\n" + `{"sample":{"index":0,"phase":"measured","ok":true}}` + "\n",
		head + `{"sample":{"index":0,"phase":"measured","ok":false,"error_kind":"timeout"}}` + "\n" + `{"sample":{"index":1,"pha`,
		head + `{"sample":{"index":4,"phase":"measured"}}` + "\n",
		`{"kind":"yardstick.journal","journal_version":9}` + "\n",
		"", "\n", "not json\n",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeJournal("j.journal", bytes.NewReader(b))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "j.journal") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		for i, s := range d.Samples {
			if s.Index != i || s.Phase != PhaseMeasured {
				t.Fatalf("measured sample %d has index %d phase %q", i, s.Index, s.Phase)
			}
		}
		if d.Header.RunID == "" || d.Header.Options.RunID != d.Header.RunID {
			t.Fatalf("header without its run id: %+v", d.Header)
		}
	})
}
