package calib

// Benchmarks of the harness's timing error and overhead against the calibrated
// server. docs/performance.md has the figures and the commands; in short:
//
//	go test ./calib -run '^$' -bench . -benchtime 5x            # CI: brief
//	go test ./calib -run '^$' -bench Accuracy -benchtime 40x    # the document's figures
//
// Clients compared (sub-benchmark "client="):
//
//	stream   bench.Ollama.Stream, what `yardstick run` uses
//	api      the official client alone (api.Client.Chat, a callback that does nothing)
//	raw      a minimal NDJSON reader: the same HTTP transport, bufio lines, one
//	         json.Unmarshal per line into api.ChatResponse, recording as Stream does
//	discard  the HTTP response read into io.Discard: the floor (server + transport)

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ollama/ollama/api"

	"github.com/yardstick-dev/yardstick/bench"
)

// streamer is one way of sending a request and recording it into a sample.
type streamer interface {
	Stream(ctx context.Context, began time.Time, req bench.Request, s *bench.Sample)
}

func newStreamer(b *testing.B, name string, s *Server) streamer {
	switch name {
	case "stream":
		return bench.NewOllama(s.URL())
	case "api":
		return &apiStreamer{client: api.NewClient(s.URL(), newHTTPClient())}
	case "raw":
		return &rawStreamer{hc: newHTTPClient(), url: s.URL().String() + "/api/chat"}
	case "discard":
		return &discardStreamer{hc: newHTTPClient(), url: s.URL().String() + "/api/chat"}
	}
	b.Fatalf("unknown client %q", name)
	return nil
}

// newHTTPClient is a transport like bench.NewOllama's.
func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64, DisableCompression: true}}
}

func benchChatRequest(req bench.Request) *api.ChatRequest {
	stream := true
	return &api.ChatRequest{
		Model:    req.Model,
		Messages: []api.Message{{Role: "system", Content: req.System}, {Role: "user", Content: req.User}},
		Stream:   &stream,
		Options:  map[string]any{"num_predict": req.MaxTokens},
	}
}

// apiStreamer is the official client with a callback that only counts chunks.
type apiStreamer struct{ client *api.Client }

func (a *apiStreamer) Stream(ctx context.Context, began time.Time, req bench.Request, s *bench.Sample) {
	err := a.client.Chat(ctx, benchChatRequest(req), func(r api.ChatResponse) error {
		if len(r.Message.Content) > 0 {
			s.TextChunks++
		}
		s.OK = s.OK || r.Done
		return nil
	})
	if err != nil {
		s.OK = false
	}
}

// rawStreamer is a minimal NDJSON client: what the harness would cost without the
// official client's per-request 8 MB line buffer and its second json.Unmarshal of
// every line (it first decodes each line as an error response).
type rawStreamer struct {
	hc  *http.Client
	url string
}

var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 64<<10) }}

func (c *rawStreamer) Stream(ctx context.Context, began time.Time, req bench.Request, s *bench.Sample) {
	body, _ := json.Marshal(benchChatRequest(req))
	sent := int64(time.Since(began))
	s.SentAtNs = sent
	hreq, _ := http.NewRequestWithContext(ctx, "POST", c.url, bytes.NewReader(body))
	hreq.Header.Set("Content-Type", "application/json")
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	br := readers.Get().(*bufio.Reader)
	br.Reset(resp.Body)
	defer readers.Put(br)
	var last int64
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			now := int64(time.Since(began))
			var r api.ChatResponse
			if json.Unmarshal(line, &r) != nil {
				return
			}
			s.Chunks++
			if n := len(r.Message.Content) + len(r.Message.Thinking); n > 0 {
				s.TextChunks++
				s.OutputBytes += n
				if s.TTFTNs == nil {
					s.TTFTNs = &[]int64{now - sent}[0]
				} else {
					s.ITLNs = append(s.ITLNs, now-last)
				}
				last = now
			}
			if r.Done {
				s.OK = true
				s.OutputTokens = r.EvalCount
			}
		}
		if err != nil {
			return
		}
	}
}

// discardStreamer reads the response and throws it away: the server and transport.
type discardStreamer struct {
	hc  *http.Client
	url string
}

func (c *discardStreamer) Stream(ctx context.Context, began time.Time, req bench.Request, s *bench.Sample) {
	body, _ := json.Marshal(benchChatRequest(req))
	hreq, _ := http.NewRequestWithContext(ctx, "POST", c.url, bytes.NewReader(body))
	resp, err := c.hc.Do(hreq)
	if err != nil {
		return
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	s.OK = err == nil
	s.TextChunks = req.MaxTokens
}

// BenchmarkAccuracy measures timing error against the calibrated schedule (TTFT 20 ms,
// gap 10 ms, 16 chunks: 50 tokens/s per stream, a CPU-served model's pace) at 1, 16 and
// 256 concurrent streams. One op is one round: every stream sends one request, all at
// once. Metrics (µs; percentiles of absolute values, nearest rank; see Errors):
// ttft_err (client TTFT − server first flush − receipt), itl_err (client gap − server
// gap), delivery (client receipt − server flush, every chunk), first_delivery (of the
// first chunk), request (server receipt − client send), server_late (the server's
// own lateness against its schedule, not the client's error).
func BenchmarkAccuracy(b *testing.B) {
	for _, client := range []string{"stream", "raw"} {
		for _, streams := range []int{1, 16, 256} {
			b.Run(fmt.Sprintf("client=%s/streams=%d", client, streams), func(b *testing.B) {
				benchAccuracy(b, client, streams)
			})
		}
	}
}

func benchAccuracy(b *testing.B, client string, streams int) {
	s, err := Start(Config{TTFT: 20 * time.Millisecond, Gap: 10 * time.Millisecond, Tokens: 16, MaxRecords: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st := newStreamer(b, client, s)
	ctx := context.Background()
	var samples []bench.Sample
	b.ResetTimer()
	for round := range b.N {
		out := make([]bench.Sample, streams)
		var wg sync.WaitGroup
		for i := range streams {
			wg.Add(1)
			go func() {
				defer wg.Done()
				smp := &out[i]
				smp.Nonce = "r" + strconv.Itoa(round) + "/" + strconv.Itoa(i)
				st.Stream(ctx, s.Epoch(), bench.Request{Model: DefaultModel, System: smp.Nonce, User: "calibration", MaxTokens: 16,
					Seed: 1, Temperature: 0.8, NumCtx: 4096}, smp)
			}()
		}
		wg.Wait()
		samples = append(samples, out...)
	}
	b.StopTimer()
	recs := s.Records()
	e := Compare(samples, recs)
	if e.Failed > 0 {
		b.Errorf("%d of %d requests failed or did not match", e.Failed, len(samples))
	}
	first := make([]int64, 0, len(e.TTFT))
	for i, ttft := range e.TTFT {
		first = append(first, ttft-e.Request[i])
	}
	us := func(ns int64) float64 { return float64(ns) / 1e3 }
	ttft, itl, del, fd, req, late := Summarize(e.TTFT), Summarize(e.ITL), Summarize(e.Delivery), Summarize(first), Summarize(e.Request), Summarize(Lateness(recs))
	b.ReportMetric(us(ttft.AbsP50), "ttft_err_p50_us")
	b.ReportMetric(us(ttft.AbsP99), "ttft_err_p99_us")
	b.ReportMetric(us(itl.AbsP50), "itl_err_p50_us")
	b.ReportMetric(us(itl.AbsP99), "itl_err_p99_us")
	b.ReportMetric(us(fd.AbsP50), "first_delivery_p50_us")
	b.ReportMetric(us(del.AbsP50), "delivery_p50_us")
	b.ReportMetric(us(del.AbsP99), "delivery_p99_us")
	b.ReportMetric(us(req.AbsP50), "request_p50_us")
	b.ReportMetric(us(late.AbsP99), "server_late_p99_us")
}

// BenchmarkIngest measures how many tokens per second a client can take in and record
// from the calibrated server at zero delay (requests of 256 chunks, one token each;
// the server writes pre-rendered chunks in 32 KiB batches). One op is one request.
// procs=1 sets runtime.GOMAXPROCS(1) for the benchmark (client and in-process server
// then share one core); procs=all keeps every core and runs one stream per core
// (b.RunParallel). Metrics: tokens/s; B/token and allocs/token (runtime.MemStats,
// server included: see client=discard for its share); cpu_ns/token (getrusage, every
// thread of the process, server included).
func BenchmarkIngest(b *testing.B) {
	const tokens = 256
	for _, client := range []string{"stream", "api", "raw", "discard"} {
		for _, procs := range []int{1, runtime.NumCPU()} {
			name := fmt.Sprintf("client=%s/procs=%d", client, procs)
			if procs == runtime.NumCPU() && procs > 1 {
				name = fmt.Sprintf("client=%s/procs=all", client)
			}
			b.Run(name, func(b *testing.B) { benchIngest(b, client, procs, tokens) })
		}
	}
}

func benchIngest(b *testing.B, client string, procs, tokens int) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
	s, err := Start(Config{Tokens: tokens, MaxRecords: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	st := newStreamer(b, client, s)
	req := bench.Request{Model: DefaultModel, System: "ingest", User: "calibration", MaxTokens: tokens, Seed: 1, Temperature: 0.8, NumCtx: 4096}
	ctx := context.Background()
	var warm bench.Sample
	st.Stream(ctx, s.Epoch(), req, &warm) // opens a connection
	if !warm.OK {
		b.Fatalf("warm-up request failed: %+v", warm)
	}
	var ms0, ms1 runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms0)
	cpu0, _ := processCPU()
	var failed, chunks int64
	var mu sync.Mutex
	b.SetParallelism(1) // one goroutine per P: 1 stream at procs=1, NumCPU streams at all
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var f, c int64
		for pb.Next() {
			var smp bench.Sample
			st.Stream(ctx, s.Epoch(), req, &smp)
			if !smp.OK {
				f++
			}
			c += int64(smp.TextChunks)
		}
		mu.Lock()
		failed, chunks = failed+f, chunks+c
		mu.Unlock()
	})
	b.StopTimer()
	cpu1, _ := processCPU()
	runtime.ReadMemStats(&ms1)
	if failed > 0 {
		b.Fatalf("%d requests failed", failed)
	}
	tok := float64(chunks)
	b.ReportMetric(tok/b.Elapsed().Seconds(), "tokens/s")
	b.ReportMetric(float64(ms1.TotalAlloc-ms0.TotalAlloc)/tok, "B/token")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/tok, "allocs/token")
	b.ReportMetric(float64(cpu1-cpu0)/tok, "cpu_ns/token")
}

// BenchmarkTTFTPath splits the TTFT error of bench.Ollama.Stream at one stream into
// the legs of its path (net/http/httptrace marks the client's side, the server's
// Record the other; all on the server's epoch; µs, medians): send_to_wrote (sent →
// the request written to the socket: the HTTP client's round trip, its connection
// pool and its writer goroutine), wrote_to_receipt (→ the server's handler starts:
// loopback, the server goroutine's wake-up, its reading of the headers),
// flush_to_first_byte (the server's first chunk flushed → the client's transport
// reads the response's first byte: loopback and the reader goroutine's wake-up),
// first_byte_to_chunk (→ the first chunk timed: the hand-over from the transport's
// reader goroutine to the caller, the body read, the line); signed medians. ttft_err
// (the median of |their sum|) is BenchmarkAccuracy's.
// Schedule as BenchmarkAccuracy (TTFT 20 ms); one op is one request.
func BenchmarkTTFTPath(b *testing.B) {
	s, err := Start(Config{TTFT: 20 * time.Millisecond, Gap: time.Millisecond, Tokens: 2, MaxRecords: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	client := bench.NewOllama(s.URL())
	type marks struct{ wrote, firstByte int64 }
	var ms []marks
	var samples []bench.Sample
	run := func(i int) {
		var m marks
		trace := &httptrace.ClientTrace{
			WroteRequest:         func(httptrace.WroteRequestInfo) { m.wrote = int64(time.Since(s.Epoch())) },
			GotFirstResponseByte: func() { m.firstByte = int64(time.Since(s.Epoch())) },
		}
		ctx := httptrace.WithClientTrace(context.Background(), trace)
		smp := bench.Sample{Nonce: "p" + strconv.Itoa(i)}
		client.Stream(ctx, s.Epoch(), bench.Request{Model: DefaultModel, System: smp.Nonce, User: "calibration", MaxTokens: 2, NumCtx: 4096}, &smp)
		ms = append(ms, m)
		samples = append(samples, smp)
	}
	run(-1) // opens the connection
	ms, samples = ms[:0], samples[:0]
	_ = s.Records()
	b.ResetTimer()
	for i := range b.N {
		run(i)
	}
	b.StopTimer()
	byKey := map[string]Record{}
	for _, r := range s.Records() {
		byKey[r.Key] = r
	}
	var sw, wr, ff, fc, te []int64
	for i, smp := range samples {
		r, ok := byKey[smp.Nonce]
		if !ok || !smp.OK || smp.TTFTNs == nil || len(r.SentNs) == 0 {
			b.Fatalf("request %d failed or unmatched: %s", i, smp.Error)
		}
		chunk := smp.SentAtNs + *smp.TTFTNs
		sw = append(sw, ms[i].wrote-smp.SentAtNs)
		wr = append(wr, r.ReceivedNs-ms[i].wrote)
		ff = append(ff, ms[i].firstByte-r.SentNs[0])
		fc = append(fc, chunk-ms[i].firstByte)
		te = append(te, *smp.TTFTNs-(r.SentNs[0]-r.ReceivedNs))
	}
	// Signed medians: each mark is read after its event returned, so a leg can be
	// slightly negative (the other side saw the bytes before the writer read its clock).
	us := func(xs []int64) float64 {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return float64(xs[(len(xs)-1)/2]) / 1e3
	}
	b.ReportMetric(us(sw), "send_to_wrote_p50_us")
	b.ReportMetric(us(wr), "wrote_to_receipt_p50_us")
	b.ReportMetric(us(ff), "flush_to_first_byte_p50_us")
	b.ReportMetric(us(fc), "first_byte_to_chunk_p50_us")
	b.ReportMetric(float64(Summarize(te).AbsP50)/1e3, "ttft_err_p50_us")
}

// BenchmarkIngestVsDiscard is BenchmarkIngest's stream and discard clients at procs=1
// in one loop, a request of each per op, alternating which goes first, so that both
// see the same machine. Rates are of the median request (256 tokens over its median
// duration), which a time slice lost to another process now and then does not move:
// on a shared machine the ratio holds where BenchmarkIngest's means do not. Metrics:
// stream_frac (the stream client's tokens/s over discard's), and each client's
// tokens/s.
func BenchmarkIngestVsDiscard(b *testing.B) {
	const tokens = 256
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	s, err := Start(Config{Tokens: tokens, MaxRecords: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	clients := []streamer{newStreamer(b, "stream", s), newStreamer(b, "discard", s)}
	req := bench.Request{Model: DefaultModel, System: "ingest", User: "calibration", MaxTokens: tokens, Seed: 1, Temperature: 0.8, NumCtx: 4096}
	ctx := context.Background()
	var spent [2][]int64
	one := func(c int) {
		var smp bench.Sample
		t0 := time.Now()
		clients[c].Stream(ctx, s.Epoch(), req, &smp)
		spent[c] = append(spent[c], int64(time.Since(t0)))
		if !smp.OK || smp.TextChunks != tokens {
			b.Fatalf("client %d: request failed or short (%d chunks): %s", c, smp.TextChunks, smp.Error)
		}
	}
	one(0) // open the connections
	one(1)
	spent = [2][]int64{}
	b.ResetTimer()
	for i := range b.N {
		one(i % 2)
		one(1 - i%2)
	}
	b.StopTimer()
	rate := func(c int) float64 { return tokens / (float64(Summarize(spent[c]).AbsP50) / 1e9) }
	b.ReportMetric(rate(0)/rate(1), "stream_frac")
	b.ReportMetric(rate(0), "stream_tokens/s")
	b.ReportMetric(rate(1), "discard_tokens/s")
}
