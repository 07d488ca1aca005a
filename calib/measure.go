package calib

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/stat"
)

// Drive sends perStream requests on each of streams concurrent goroutines (closed
// loop: a stream sends its next request when the previous one ended) to s through
// client, timing every request from s.Epoch(), and returns the samples. A sample's
// Nonce is its request key, which the server records as Record.Key. The requests ask
// for s.Config().Tokens tokens. When until is not zero, a stream sends no request after
// it but its first (requests in flight finish), and the samples not sent are left out.
func Drive(ctx context.Context, s *Server, client *bench.Ollama, streams, perStream int, until time.Time) []bench.Sample {
	cfg := s.Config()
	out := make([]bench.Sample, streams*perStream)
	var wg sync.WaitGroup
	for st := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perStream {
				if ctx.Err() != nil || (i > 0 && !until.IsZero() && time.Now().After(until)) {
					return
				}
				smp := &out[st*perStream+i]
				smp.Index, smp.Phase = st*perStream+i, bench.PhaseMeasured
				smp.Nonce = fmt.Sprintf("calib %d/%d", st, i)
				client.Stream(ctx, s.Epoch(), bench.Request{
					Model: cfg.Model, System: smp.Nonce, User: "calibration", MaxTokens: cfg.Tokens,
					Seed: 1, Temperature: 0.8, NumCtx: 4096,
				}, smp)
			}
		}()
	}
	wg.Wait()
	return slices.DeleteFunc(out, func(smp bench.Sample) bool { return smp.Nonce == "" })
}

// Errors compares what a client measured with what the server did, request by
// request (matched by key) and chunk by chunk. All values are nanoseconds, signed:
// positive means the client saw it later or longer than the server did it.
//
//   - TTFT error = client TTFT − (server's first text chunk flushed − request
//     received). It is what the client adds to a server's true time to first token:
//     building and writing the request, the server's reading of the headers, and the
//     delivery and decoding of the first chunk.
//   - ITL error = client gap − server gap, for each pair of consecutive text chunks
//     (server gap = difference of their flush times).
//   - Delivery = client receipt of chunk i (sent + TTFT + the ITLs before it) −
//     server flush of chunk i: the whole client-side latency of a chunk.
//   - Request = server receipt − client sent: the request path.
//
// The server reads its clock after each write returned, so the client may read a
// chunk a few microseconds before the server's recorded flush time: a delivery or an
// error can be slightly negative. Percentiles are of absolute values.
type Errors struct {
	TTFT, ITL, Delivery, Request []int64
	// Requests matched and failed (client sample not OK or no server record).
	Matched, Failed int
}

// Compare matches samples with records by key (Sample.Nonce = Record.Key).
func Compare(samples []bench.Sample, records []Record) Errors {
	byKey := make(map[string]*Record, len(records))
	for i := range records {
		byKey[records[i].Key] = &records[i]
	}
	var e Errors
	for i := range samples {
		smp := &samples[i]
		r, ok := byKey[smp.Nonce]
		if !ok || !smp.OK || smp.TTFTNs == nil || r.Err != "" || len(r.SentNs) == 0 || len(smp.ITLNs) != len(r.SentNs)-1 {
			e.Failed++
			continue
		}
		e.Matched++
		e.TTFT = append(e.TTFT, *smp.TTFTNs-(r.SentNs[0]-r.ReceivedNs))
		e.Request = append(e.Request, r.ReceivedNs-smp.SentAtNs)
		recv := smp.SentAtNs + *smp.TTFTNs
		e.Delivery = append(e.Delivery, recv-r.SentNs[0])
		for j, gap := range smp.ITLNs {
			recv += gap
			e.ITL = append(e.ITL, gap-(r.SentNs[j+1]-r.SentNs[j]))
			e.Delivery = append(e.Delivery, recv-r.SentNs[j+1])
		}
	}
	return e
}

// Dist summarizes a set of signed errors: percentiles of their absolute values
// (nearest rank) and the signed mean, nanoseconds.
type Dist struct {
	N       int     `json:"n"`
	AbsP50  int64   `json:"abs_p50_ns"`
	AbsP99  int64   `json:"abs_p99_ns"`
	AbsMax  int64   `json:"abs_max_ns"`
	MeanSig float64 `json:"mean_ns"`
}

// Summarize returns the distribution of xs.
func Summarize(xs []int64) Dist {
	d := Dist{N: len(xs)}
	if len(xs) == 0 {
		return d
	}
	abs := make([]int64, len(xs))
	var sum float64
	for i, x := range xs {
		sum += float64(x)
		abs[i] = max(x, -x)
	}
	slices.Sort(abs)
	d.AbsP50, d.AbsP99, d.AbsMax = stat.NearestRank(abs, 50), stat.NearestRank(abs, 99), abs[len(abs)-1]
	d.MeanSig = sum / float64(len(xs))
	return d
}

// Lateness returns every chunk's lateness against the schedule over records.
func Lateness(records []Record) []int64 {
	var out []int64
	for _, r := range records {
		out = append(out, r.LateNs...)
	}
	return out
}
