// Package calib is a calibrated stream server: it speaks Ollama's streaming /api/chat
// on loopback with an exactly known schedule (time to first chunk, gaps between
// chunks) and records when it actually sent every chunk, so that what a client
// measures can be compared with the truth chunk by chunk. It also holds the
// measurements built on it: Selftest (the harness's timing error and overhead on
// this machine) and the Go benchmarks of docs/performance.md.
//
// The server runs in the client's process, so both ends read one monotonic clock:
// every time the server records is an offset from Server.Epoch, and a client that
// times its requests from the same Epoch (bench.Ollama.Stream's began) can be compared
// with it without any clock translation.
package calib

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yardstick-dev/yardstick/internal/jsonhttp"
)

// DefaultModel is the model name the server serves unless Config.Model says otherwise.
const DefaultModel = "calib"

// ChunkText is the text of every chunk: one token.
const ChunkText = " tok"

// Config sets the schedule of every /api/chat request. A schedule is absolute: text
// chunk i (from 0) is due at receipt + TTFT + i×Gap, so a late chunk does not delay
// the next ones. The done chunk follows the last text chunk at once.
type Config struct {
	// Model is the only model the server knows (default DefaultModel); other names get
	// 404, as Ollama answers them.
	Model string
	// TTFT is the delay from receiving a request (its handler starting, headers read)
	// to sending the first text chunk. 0 with Gap 0 is zero-delay mode.
	TTFT time.Duration
	// Gap is the delay between consecutive text chunks.
	Gap time.Duration
	// Tokens is the number of text chunks per request, one token (ChunkText) each
	// (default 32); a request's num_predict lowers it, as it does on Ollama.
	Tokens int
	// Spin is how long before a deadline the wait stops sleeping and spins (yielding
	// with runtime.Gosched), default 150 µs; see waitUntil. Negative: never spin, rely
	// on time.Sleep alone (coarse, cheap). Precise waits are used only while at most
	// runtime.NumCPU() streams are in flight: beyond that, nanosleeping threads and
	// spinning would take the CPU the client under test needs, and the Go runtime,
	// busy, then checks its timers at every scheduling point anyway.
	Spin time.Duration
	// BatchBytes, in zero-delay mode, is how many bytes of pre-rendered chunks the
	// server writes (and flushes) at once (default 32 KiB; 1 flushes every chunk). A
	// batch keeps the server's own cost per chunk small, so that a throughput
	// measurement measures the client; chunks are still separate NDJSON lines that the
	// client parses one by one.
	BatchBytes int
	// MaxRecords bounds the records kept (default 100 000); later requests are served
	// but only counted in Stats.Dropped. Negative keeps none.
	MaxRecords int
}

// Record is what the server did for one /api/chat request. Times are offsets from
// Server.Epoch in nanoseconds, read right after the response writer's Flush returned
// (the bytes were handed to the kernel).
type Record struct {
	// Key is the content of the request's first message (the client's request key).
	Key string `json:"key"`
	// ReceivedNs is when the handler started: headers read, body not yet.
	ReceivedNs int64 `json:"received_ns"`
	// SentNs[i] is when text chunk i was flushed. In zero-delay mode a chunk's time is
	// that of the batch it went out in.
	SentNs []int64 `json:"sent_ns"`
	// DoneSentNs is when the done chunk was flushed.
	DoneSentNs int64 `json:"done_sent_ns"`
	// LateNs[i] is how late text chunk i was against its schedule (SentNs[i] −
	// deadline); empty in zero-delay mode.
	LateNs []int64 `json:"late_ns,omitempty"`
	// Err is set when the request was cut short (the client went away).
	Err string `json:"err,omitempty"`
}

// Stats counts what the server served.
type Stats struct {
	Requests int // /api/chat generation requests
	Dropped  int // of them, not recorded (MaxRecords)
}

// Server is a running calibrated server on 127.0.0.1. Close it when done.
type Server struct {
	cfg   Config
	epoch time.Time
	url   *url.URL
	srv   *http.Server
	done  chan struct{}

	chunk, doneHead []byte // pre-rendered lines
	batch           []byte // zero-delay: all text chunks of a Tokens-long request

	inflight atomic.Int64

	mu      sync.Mutex
	records []Record
	stats   Stats
}

// Start starts a server with cfg on a free loopback port.
func Start(cfg Config) (*Server, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Tokens <= 0 {
		cfg.Tokens = 32
	}
	if cfg.Spin == 0 {
		cfg.Spin = 150 * time.Microsecond
	}
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = 32 << 10
	}
	if cfg.MaxRecords == 0 {
		cfg.MaxRecords = 100_000
	}
	if cfg.TTFT < 0 || cfg.Gap < 0 {
		return nil, fmt.Errorf("calib: negative TTFT %v or gap %v", cfg.TTFT, cfg.Gap)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("calib: listening on loopback: %w", err)
	}
	s := &Server{cfg: cfg, epoch: time.Now(), done: make(chan struct{})}
	s.url = &url.URL{Scheme: "http", Host: ln.Addr().String()}
	s.render()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, 200, map[string]any{"version": "0.17.4-calib"})
	})
	mux.HandleFunc("POST /api/show", s.show)
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, 200, map[string]any{"models": []any{map[string]any{
			"name": s.cfg.Model, "model": s.cfg.Model, "size": 0, "digest": "ca11b0000000000000000000000000000000000000000000000000000000000",
		}}})
	})
	mux.HandleFunc("GET /api/ps", func(w http.ResponseWriter, r *http.Request) {
		jsonhttp.Write(w, 200, map[string]any{"models": []any{}})
	})
	mux.HandleFunc("POST /api/chat", s.chat)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// URL is the server's base URL (http://127.0.0.1:PORT).
func (s *Server) URL() *url.URL { u := *s.url; return &u }

// Epoch is the origin of every time the server records; pass it to
// bench.Ollama.Stream as began to time the client on the same base.
func (s *Server) Epoch() time.Time { return s.epoch }

// Config is the server's configuration, defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Close stops the server at once: open streams are cut and Close waits until the
// serving goroutine has returned. Handlers still running end at their next write.
func (s *Server) Close() error {
	err := s.srv.Close()
	<-s.done
	return err
}

// Records returns the records so far and forgets them.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.records
	s.records = nil
	return r
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) now() int64 { return int64(time.Since(s.epoch)) }

// createdAt is a fixed timestamp in the format Ollama writes, so chunks have the size
// and fields of real ones and the client parses a time in each, as it does from Ollama.
const createdAt = "2026-01-02T03:04:05.123456789Z"

// render pre-renders the text chunk line, the head of the done line, and the
// zero-delay batch, in the field order of Ollama's api.ChatResponse.
func (s *Server) render() {
	model, _ := json.Marshal(s.cfg.Model)
	content, _ := json.Marshal(ChunkText)
	s.chunk = fmt.Appendf(nil, `{"model":%s,"created_at":"%s","message":{"role":"assistant","content":%s},"done":false}`+"\n",
		model, createdAt, content)
	s.doneHead = fmt.Appendf(nil, `{"model":%s,"created_at":"%s","message":{"role":"assistant","content":""},"done":true,"done_reason":"length"`,
		model, createdAt)
	if s.cfg.TTFT == 0 && s.cfg.Gap == 0 {
		for range s.cfg.Tokens {
			s.batch = append(s.batch, s.chunk...)
		}
	}
}

func (s *Server) show(w http.ResponseWriter, r *http.Request) {
	if name := jsonhttp.ShowName(r); name != s.cfg.Model {
		jsonhttp.ModelNotFound(w, name)
		return
	}
	jsonhttp.Write(w, 200, map[string]any{
		"details": map[string]any{"format": "gguf", "family": "calib", "families": []string{"calib"},
			"parameter_size": "0", "quantization_level": "F16"},
		"model_info":   map[string]any{"general.architecture": "calib", "general.parameter_count": 0},
		"capabilities": []string{"completion"},
	})
}

type chatRequest struct {
	Model    string `json:"model"`
	Messages []struct {
		Content string `json:"content"`
	} `json:"messages"`
	Options struct {
		NumPredict *int `json:"num_predict"`
	} `json:"options"`
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	recv := s.now()
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		jsonhttp.Write(w, 400, map[string]any{"error": "bad request: " + err.Error()})
		return
	}
	if req.Model != s.cfg.Model {
		jsonhttp.ModelNotFound(w, req.Model)
		return
	}
	if len(req.Messages) == 0 {
		// keep_alive 0 with no messages unloads (Ollama server/routes.go ChatHandler).
		jsonhttp.Write(w, 200, map[string]any{"model": req.Model, "created_at": createdAt, "done": true,
			"done_reason": "unload", "message": map[string]any{"role": "assistant", "content": ""}})
		return
	}
	tokens := s.cfg.Tokens
	if np := req.Options.NumPredict; np != nil && *np > 0 && *np < tokens {
		tokens = *np
	}
	s.mu.Lock()
	s.stats.Requests++
	keep := s.cfg.MaxRecords > 0 && len(s.records) < s.cfg.MaxRecords
	if !keep {
		s.stats.Dropped++
	}
	s.mu.Unlock()

	rec := Record{Key: req.Messages[0].Content, ReceivedNs: recv}
	if keep {
		rec.SentNs = make([]int64, 0, tokens)
	}
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	zero := s.cfg.TTFT == 0 && s.cfg.Gap == 0
	var err error
	if zero {
		err = s.sendBatched(w, fl, tokens, &rec, keep)
	} else {
		if keep {
			rec.LateNs = make([]int64, 0, tokens)
		}
		for i := range tokens {
			due := recv + int64(s.cfg.TTFT) + int64(i)*int64(s.cfg.Gap)
			spin := s.cfg.Spin
			if s.inflight.Load() > int64(runtime.NumCPU()) {
				spin = -1
			}
			if err = waitUntil(r.Context(), s.epoch, due, spin); err != nil {
				break
			}
			if _, err = w.Write(s.chunk); err != nil {
				break
			}
			fl.Flush()
			t := s.now()
			if keep {
				rec.SentNs = append(rec.SentNs, t)
				rec.LateNs = append(rec.LateNs, t-due)
			}
		}
	}
	if err == nil {
		first := recv + int64(s.cfg.TTFT)
		if len(rec.SentNs) > 0 {
			first = rec.SentNs[0]
		}
		last := s.now()
		line := make([]byte, 0, len(s.doneHead)+200)
		line = append(line, s.doneHead...)
		line = fmt.Appendf(line, `,"total_duration":%d,"load_duration":0,"prompt_eval_count":%d,"prompt_eval_duration":%d,"eval_count":%d,"eval_duration":%d}`+"\n",
			last-recv, 10, first-recv, tokens, last-first)
		if _, err = w.Write(line); err == nil {
			fl.Flush()
			rec.DoneSentNs = s.now()
		}
	}
	if err == nil {
		// A write to a connection the client closed may only fail later; the context
		// says whether it went away.
		err = r.Context().Err()
	}
	if err != nil {
		rec.Err = err.Error()
	}
	if keep {
		s.mu.Lock()
		s.records = append(s.records, rec)
		s.mu.Unlock()
	}
}

// sendBatched writes tokens text chunks in writes of about BatchBytes, each flushed.
func (s *Server) sendBatched(w http.ResponseWriter, fl http.Flusher, tokens int, rec *Record, keep bool) error {
	body := s.batch[:tokens*len(s.chunk)]
	per := max(1, s.cfg.BatchBytes/len(s.chunk)) * len(s.chunk)
	for len(body) > 0 {
		n := min(per, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return err
		}
		fl.Flush()
		if keep {
			t := s.now()
			for range n / len(s.chunk) {
				rec.SentNs = append(rec.SentNs, t)
			}
		}
		body = body[n:]
	}
	return nil
}

// waitUntil returns when the epoch offset due (ns) has passed, or with ctx's error.
//
// Go's timers are not precise enough for a calibrated schedule: while the process is
// otherwise idle the runtime waits for its next timer in epoll with millisecond
// granularity, so time.Sleep(100µs) returns after about 1.06 ms, and sleeps of 1–2 ms
// come back 90–330 µs late (measured on the 2-core development VM, Go 1.26). So the
// wait has three stages: time.Sleep (cheap, parks only the goroutine) until 1.5 ms
// before the deadline; then nanosleep(2) on the goroutine's thread (late by the timer
// slack, 50 µs, plus wakeup: 70–100 µs here) until spin before it; then a spin that
// reads the clock and yields with runtime.Gosched between reads, so other goroutines
// (the client under test among them) keep running. The spin costs up to ~spin of CPU
// per chunk; the recorded LateNs say how well the schedule was kept.
func waitUntil(ctx context.Context, epoch time.Time, due int64, spin time.Duration) error {
	const coarse = 1500 * time.Microsecond
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		rem := time.Duration(due - int64(time.Since(epoch)))
		switch {
		case rem <= 0:
			return nil
		case spin < 0:
			t := time.NewTimer(rem)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		case rem > coarse+time.Millisecond:
			// A Go sleep of at least 1 ms is late by well under 0.5 ms.
			t := time.NewTimer(rem - coarse)
			select {
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			case <-t.C:
			}
		case rem > spin:
			threadSleep(rem - spin)
		default:
			runtime.Gosched()
		}
	}
}
