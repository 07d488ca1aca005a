package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// A metadata answer larger than any real one ends in an error at maxMetaBytes rather
// than being read whole (issue 11, item 11: a 512 MiB /api/version once grew the
// process to 1.27 GB). The server here would send 64 MiB.
func TestOllamaMetadataAnswersAreBounded(t *testing.T) {
	chunk := strings.Repeat("a", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write([]byte(`{"version":"`)); err != nil {
			return
		}
		for range 64 {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return // the client stopped reading
			}
		}
		w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	base, err := ParseHost(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOllama(base)
	for name, call := range map[string]func() error{
		"version":  func() error { _, err := o.Version(context.Background()); return err },
		"describe": func() error { _, err := o.Describe(context.Background(), "m", "f16"); return err },
		"running":  func() error { _, err := o.Running(context.Background(), "m", ""); return err },
	} {
		if err := call(); !errors.Is(err, ErrAnswerTooLarge) || !strings.Contains(err.Error(), "larger than 16777216 bytes") {
			t.Errorf("%s: err = %v, want ErrAnswerTooLarge", name, err)
		}
	}
}

// A body exactly at the limit is read whole: the bound refuses only what is larger.
func TestBoundedBodyAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		size int
		ok   bool
	}{{10, true}, {11, false}} {
		b := &boundedBody{ReadCloser: nopCloser{strings.NewReader(strings.Repeat("x", tc.size))}, left: 10, limit: 10}
		var got []byte
		var err error
		buf := make([]byte, 3)
		for {
			var n int
			n, err = b.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if ok := err != nil && !errors.Is(err, ErrAnswerTooLarge); ok != tc.ok || len(got) > 10 {
			t.Errorf("size %d: read %d bytes, err %v", tc.size, len(got), err)
		}
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }

// ndjsonServer answers /api/chat with lines, one Ollama chunk each, and /api/ps with ps.
func ndjsonServer(lines []string, ps string) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/ps" {
			w.Write([]byte(ps))
			return
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		for _, l := range lines {
			w.Write([]byte(l + "\n"))
		}
	}))
}

// Figures no request has fail the request, with the reason, instead of entering the
// sums (issue 11, item 12): eval_count 2^62 once became -9.2e18 output tokens, and a
// done chunk counting 50 tokens with no text was a success with no TTFT.
func TestImpossibleServerFiguresFailTheRequest(t *testing.T) {
	text := `{"model":"m","message":{"role":"assistant","content":"hi"},"done":false}`
	done := func(eval int64, dur int64) string {
		return fmt.Sprintf(`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":%d,"eval_duration":%d,"prompt_eval_count":5,"prompt_eval_duration":1000}`, eval, dur)
	}
	for _, tc := range []struct {
		name  string
		lines []string
		want  string
	}{
		{"eval_count 2^62", []string{text, done(1<<62, 1000)}, "output_tokens 4611686018427387904"},
		{"prompt_eval_count 2^62", []string{text, strings.Replace(done(1, 1000), `"prompt_eval_count":5`, `"prompt_eval_count":4611686018427387904`, 1)}, "prompt_tokens 4611686018427387904"},
		{"eval_duration of centuries", []string{text, done(1, 1<<62)}, "server_eval_ns"},
		// JSON that does not fit the chunk is said to be JSON, naming the field
		// (a break-it round found eval_count 1.0 reported as "not JSON").
		{"eval_count written 1.0", []string{text, strings.Replace(done(1, 1000), `"eval_count":1,`, `"eval_count":1.0,`, 1)}, "JSON of another shape: json: cannot unmarshal number 1.0 into Go struct field chatLine.ChatResponse.Metrics.eval_count"},
		{"truncated JSON", []string{text, `{"model":"m","message":{"role":"assistant","content":"x"`}, "malformed chunk, not JSON"},
		{"tokens without text", []string{done(50, 1000)}, "reports 50 output tokens (eval_count), but no chunk carried text"},
		// 3 tokens after the first in 1 ns: 3e9 tokens/s (found by a break-it round).
		{"a decode rate of 3e9 tokens/s", []string{text, text, text, done(4, 1)}, "server_gen_per_s 3e+09: a rate must be in 0..1e+08"},
	} {
		srv := ndjsonServer(tc.lines, "")
		base, _ := ParseHost(srv.URL)
		s := Sample{Phase: PhaseMeasured}
		NewOllama(base).Stream(context.Background(), time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
		srv.Close()
		if s.OK || s.ErrorKind != ErrDecode || !strings.Contains(s.Error, tc.want) || s.OutputTokens < 0 {
			t.Errorf("%s: ok %v kind %q error %q", tc.name, s.OK, s.ErrorKind, s.Error)
		}
		// The failed request is recorded, and its record reads back: a run file holding
		// the impossible figure itself would be refused by report, ls and db import
		// (found by a break-it round: eval_count 2^62 made an unloadable run file).
		if err := s.Check(1, 1); err != nil {
			t.Errorf("%s: the failed sample does not read back: %v", tc.name, err)
		}
	}
	srv := ndjsonServer([]string{text, done(1, 1000)}, "")
	defer srv.Close()
	base, _ := ParseHost(srv.URL)
	var s Sample
	NewOllama(base).Stream(context.Background(), time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
	if !s.OK {
		t.Errorf("a possible answer failed: %s", s.Error)
	}
}

// An /api/ps entry with a negative size is not recorded as the model's memory; the
// run says why (issue 11, item 12).
func TestImpossiblePsFiguresAreNotMemory(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/api/version":
			w.Write([]byte(`{"version":"0.17.4"}`))
		case "/api/show":
			w.Write([]byte(`{"details":{"format":"gguf"},"model_info":{}}`))
		case "/api/tags":
			w.Write([]byte(`{"models":[]}`))
		case "/api/ps":
			w.Write([]byte(`{"models":[{"name":"m","model":"m","size":-5,"size_vram":0}]}`))
		case "/api/chat":
			w.Write([]byte(`{"model":"m","message":{"role":"assistant","content":"hi"},"done":false}` + "\n" +
				`{"model":"m","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","eval_count":1,"eval_duration":1000,"prompt_eval_count":5,"prompt_eval_duration":1000}` + "\n"))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	base, _ := ParseHost(srv.URL)
	opts := DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.SkipColdLoad = "m", 2, 0, true
	opts.PromptTokens, opts.MaxTokens = 16, 4
	res, err := Run(context.Background(), NewOllama(base), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if m := res.Memory; m.ModelSizeBytes != nil || !strings.Contains(m.ModelSizeUnavailable, "impossible figures (size -5") {
		t.Errorf("memory %+v", m)
	}
}

// An error body too long to be a line keeps its HTTP status: it is an http_status
// failure, not a decode one (found by a break-it round: a 50 MB 500 page).
func TestHugeErrorLineKeepsItsStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		chunk := []byte(strings.Repeat("e", 1<<20))
		for range 12 {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	var s Sample
	NewOllama(mustHost(t, srv.URL)).Stream(context.Background(), time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
	if s.OK || s.ErrorKind != ErrHTTPStatus || s.HTTPStatus != 500 || len(s.Error) > MaxErrorBytes {
		t.Errorf("kind %q status %d error %q", s.ErrorKind, s.HTTPStatus, s.Error)
	}
}
