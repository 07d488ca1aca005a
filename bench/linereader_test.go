package bench

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/ollama/ollama/api"
)

// pausedBody returns its pieces one read at a time, pausing before each but the first.
type pausedBody struct {
	pieces [][]byte
	pause  time.Duration
	reads  int
}

func (p *pausedBody) Read(b []byte) (int, error) {
	if p.reads >= len(p.pieces) {
		return 0, io.EOF
	}
	if p.reads > 0 {
		time.Sleep(p.pause)
	}
	n := copy(b, p.pieces[p.reads])
	p.reads++
	return n, nil
}

type pausedTransport struct{ body func() io.Reader }

func (t pausedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return &http.Response{StatusCode: 200, Status: "200 OK", Header: http.Header{}, Body: io.NopCloser(t.body()), Request: r}, nil
}

// A chunk is received when the read that brought its last byte returned: the chunks
// of one read share its time (a gap of exactly 0), a chunk completed by a later read
// has that read's time (a gap of at least the pause before it), and a line split over
// two reads is timed by the second. Both wires read lines through the same reader.
func TestChunksTimedByTheirRead(t *testing.T) {
	const pause = 5 * time.Millisecond
	text := func(s string) string {
		return `{"message":{"role":"assistant","content":"` + s + `"},"done":false}` + "\n"
	}
	done := `{"message":{"role":"assistant","content":""},"done":true,"done_reason":"length","eval_count":4,"prompt_eval_count":1,"eval_duration":3000000,"prompt_eval_duration":1000000,"total_duration":5000000}` + "\n"
	split := text("c")
	pieces := [][]byte{
		[]byte(text("a") + text("b") + split[:10]), // a and b together, c begun
		[]byte(split[10:] + text("d")),             // c completed, d whole, after a pause
		[]byte(done),
	}
	u, _ := url.Parse("http://127.0.0.1:1")
	hc := &http.Client{Transport: pausedTransport{func() io.Reader {
		cp := make([][]byte, len(pieces))
		for i := range pieces {
			cp[i] = bytes.Clone(pieces[i])
		}
		return &pausedBody{pieces: cp, pause: pause}
	}}}
	o := &Ollama{base: u, client: api.NewClient(u, hc), hc: hc}
	var s Sample
	o.Stream(context.Background(), time.Now(), Request{Model: "m", User: "x", MaxTokens: 4}, &s)
	if !s.OK {
		t.Fatalf("request failed: %s: %s", s.ErrorKind, s.Error)
	}
	if len(s.ITLNs) != 3 {
		t.Fatalf("ITLs %v, want 3 (4 text chunks)", s.ITLNs)
	}
	// a→b: one read. b→c: c's last byte came with the second read. c→d: one read.
	if s.ITLNs[0] != 0 || s.ITLNs[1] < int64(pause) || s.ITLNs[2] != 0 {
		t.Errorf("ITLs %v, want [0, ≥%v, 0]", s.ITLNs, pause)
	}
}
