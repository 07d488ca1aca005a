package calib

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/bench"
)

// TestScheduleFollowed checks that chunks go out on schedule: never early, and late by
// a bound generous enough for a loaded CI machine (the precise figures are the
// benchmarks' job).
func TestScheduleFollowed(t *testing.T) {
	s, err := Start(Config{TTFT: 3 * time.Millisecond, Gap: 2 * time.Millisecond, Tokens: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	smps := Drive(context.Background(), s, bench.NewOllama(s.URL()), 2, 3, time.Time{})
	recs := s.Records()
	if len(recs) != 6 {
		t.Fatalf("%d records, want 6", len(recs))
	}
	for _, smp := range smps {
		if !smp.OK {
			t.Fatalf("sample %s failed: %s %s", smp.Nonce, smp.ErrorKind, smp.Error)
		}
		if smp.OutputTokens != 8 || smp.TextChunks != 8 || len(smp.ITLNs) != 7 {
			t.Errorf("sample %s: %d tokens, %d text chunks, %d gaps; want 8, 8, 7", smp.Nonce, smp.OutputTokens, smp.TextChunks, len(smp.ITLNs))
		}
	}
	for _, r := range recs {
		if len(r.SentNs) != 8 || len(r.LateNs) != 8 || r.Err != "" {
			t.Fatalf("record %q: %d sends, %d lateness, err %q", r.Key, len(r.SentNs), len(r.LateNs), r.Err)
		}
		for i, late := range r.LateNs {
			if late < 0 {
				t.Errorf("record %q chunk %d sent %v early", r.Key, i, time.Duration(-late))
			}
		}
		// First chunk due 3 ms after receipt, the last 3 + 7×2 = 17 ms after.
		if first := time.Duration(r.SentNs[0] - r.ReceivedNs); first < 3*time.Millisecond {
			t.Errorf("record %q: first chunk after %v, want ≥ 3ms", r.Key, first)
		}
	}
	late := Summarize(Lateness(recs))
	if time.Duration(late.AbsP50) > 20*time.Millisecond {
		t.Errorf("median lateness %v: the schedule is not followed", time.Duration(late.AbsP50))
	}
	e := Compare(smps, recs)
	if e.Matched != 6 || e.Failed != 0 || len(e.TTFT) != 6 || len(e.ITL) != 6*7 || len(e.Delivery) != 6*8 {
		t.Fatalf("compare: matched %d failed %d, %d ttft %d itl %d delivery", e.Matched, e.Failed, len(e.TTFT), len(e.ITL), len(e.Delivery))
	}
	for _, d := range e.Delivery {
		// Both ends read one clock, so a chunk cannot arrive much before the server's
		// flush time, which is read after the write returned: the client may see the
		// bytes while the server thread is not yet back (a few µs; here generously 5 ms).
		if d < -5e6 {
			t.Fatalf("chunk delivered %v before it was sent", time.Duration(-d))
		}
	}
}

// TestZeroDelay checks that zero-delay mode delivers every chunk and a done chunk.
func TestZeroDelay(t *testing.T) {
	s, err := Start(Config{Tokens: 3000, BatchBytes: 4096})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	smps := Drive(context.Background(), s, bench.NewOllama(s.URL()), 1, 2, time.Time{})
	for _, smp := range smps {
		if !smp.OK || smp.TextChunks != 3000 || smp.OutputTokens != 3000 || smp.OutputBytes != 3000*len(ChunkText) {
			t.Fatalf("sample %+v", smp)
		}
	}
	if st := s.Stats(); st.Requests != 2 || st.Dropped != 0 {
		t.Errorf("stats %+v", st)
	}
}

// TestCompare checks the error arithmetic on a hand-made request: sent at 1000,
// received at 1300, chunks flushed at 5300, 6300, 7400; the client saw TTFT 4500
// (first chunk at 5500) and gaps 1000, 1150 (chunks at 6500, 7650).
func TestCompare(t *testing.T) {
	ttft := int64(4500)
	smp := bench.Sample{Nonce: "k", OK: true, SentAtNs: 1000, TTFTNs: &ttft, ITLNs: []int64{1000, 1150}}
	rec := Record{Key: "k", ReceivedNs: 1300, SentNs: []int64{5300, 6300, 7400}}
	e := Compare([]bench.Sample{smp, {Nonce: "missing", OK: true}}, []Record{rec})
	want := Errors{
		TTFT:     []int64{4500 - (5300 - 1300)},                  // 500
		Request:  []int64{300},                                   // 1300 − 1000
		Delivery: []int64{5500 - 5300, 6500 - 6300, 7650 - 7400}, // 200, 200, 250
		ITL:      []int64{1000 - 1000, 1150 - 1100},              // 0, 50
		Matched:  1, Failed: 1,
	}
	if got := e; !equalErrors(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	d := Summarize([]int64{-3, 1, 2, 10})
	if d.AbsP50 != 2 || d.AbsP99 != 10 || d.AbsMax != 10 || d.MeanSig != 2.5 || d.N != 4 {
		t.Errorf("summarize: %+v", d)
	}
}

func equalErrors(a, b Errors) bool {
	eq := func(x, y []int64) bool {
		return strings.Trim(strings.Join(strs(x), ","), ",") == strings.Join(strs(y), ",")
	}
	return eq(a.TTFT, b.TTFT) && eq(a.ITL, b.ITL) && eq(a.Delivery, b.Delivery) && eq(a.Request, b.Request) &&
		a.Matched == b.Matched && a.Failed == b.Failed
}

func strs(xs []int64) []string {
	var out []string
	for _, x := range xs {
		out = append(out, time.Duration(x).String())
	}
	return out
}

// TestMetadata checks the endpoints a run asks before measuring, through the same
// client a run uses.
func TestMetadata(t *testing.T) {
	s, err := Start(Config{Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o := bench.NewOllama(s.URL())
	ctx := context.Background()
	if v, err := o.Version(ctx); err != nil || v == "" {
		t.Errorf("version %q, %v", v, err)
	}
	if mi, err := o.Describe(ctx, "m", "f16"); err != nil || mi.Architecture != "calib" || mi.Digest == "" {
		t.Errorf("describe %+v, %v", mi, err)
	}
	if _, err := o.Describe(ctx, "other", "f16"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("describe of an unknown model: %v", err)
	}
	if m, err := o.Running(ctx, "m", ""); err != nil || m != nil {
		t.Errorf("running %v, %v", m, err)
	}
	var smp bench.Sample
	o.Stream(ctx, s.Epoch(), bench.Request{Model: "other", System: "x", User: "y", MaxTokens: 4}, &smp)
	if smp.OK || smp.HTTPStatus != http.StatusNotFound {
		t.Errorf("unknown model streamed: ok %v status %d", smp.OK, smp.HTTPStatus)
	}
}

// TestCloseCutsStreams checks that Close returns while a stream is in flight and the
// client sees a failed request.
func TestCloseCutsStreams(t *testing.T) {
	s, err := Start(Config{TTFT: time.Millisecond, Gap: 50 * time.Millisecond, Tokens: 1000})
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan bench.Sample)
	go func() {
		var smp bench.Sample
		bench.NewOllama(s.URL()).Stream(context.Background(), s.Epoch(), bench.Request{Model: DefaultModel, System: "x", User: "y", MaxTokens: 1000}, &smp)
		got <- smp
	}()
	time.Sleep(20 * time.Millisecond)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case smp := <-got:
		if smp.OK {
			t.Error("a cut stream counted as a success")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the client did not see the server close")
	}
}
