package bench

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// streamClock is what every backend does around one streamed request, on the run's
// monotonic clock: the first-token timeout, the send time, and the timing of each
// chunk of generated text (docs/metrics.md "Per request": TTFT at the first text-bearing
// chunk, ITL between consecutive ones).
type streamClock struct {
	began      time.Time
	sent, last int64
	firstToken *time.Timer
	timeout    time.Duration
}

// startStream arms req's first-token timeout, when it has one, on the returned
// context; stop releases it.
func startStream(ctx context.Context, began time.Time, req Request) (c streamClock, rctx context.Context, stop func()) {
	c = streamClock{began: began, timeout: req.FirstTokenTimeout}
	if req.FirstTokenTimeout <= 0 {
		return c, ctx, func() {}
	}
	fctx, cancel := context.WithCancelCause(ctx)
	t := time.AfterFunc(req.FirstTokenTimeout, func() { cancel(errFirstToken) })
	c.firstToken = t
	return c, fctx, func() { t.Stop(); cancel(nil) }
}

// send marks s sent now, the moment the request is handed to the HTTP client: sent_at,
// the scheduled time (sent, unless the open loop set one) and the queue delay.
func (c *streamClock) send(s *Sample) {
	c.sent = int64(time.Since(c.began))
	s.SentAtNs = c.sent
	if s.ScheduledAtNs == 0 {
		s.ScheduledAtNs = c.sent
	}
	s.QueueDelayNs = s.SentAtNs - s.ScheduledAtNs
}

// chunk counts a chunk read at now carrying n bytes of generated text.
func (c *streamClock) chunk(s *Sample, now int64, n int) {
	s.Chunks++
	if n == 0 {
		return
	}
	s.OutputBytes += n
	s.TextChunks++
	if s.TTFTNs == nil {
		if c.firstToken != nil {
			c.firstToken.Stop()
		}
		s.TTFTNs = ptr(now - c.sent)
	} else {
		s.ITLNs = append(s.ITLNs, now-c.last)
	}
	c.last = now
}

// noFirstToken sets s's failure when the stream did not finish (done false) because
// the first-token timeout passed; it returns whether it did.
func (c *streamClock) noFirstToken(ctx context.Context, s *Sample, done bool) bool {
	if done || !errors.Is(context.Cause(ctx), errFirstToken) {
		return false
	}
	s.ErrorKind, s.Error = ErrTimeout, fmt.Sprintf("no first token: no chunk of generated text within --first-token-timeout %v of sending (%d chunks before)", c.timeout, s.Chunks)
	return true
}

// broken sets s's failure from err, the error that ended the stream, when there is
// one (classify; a connection that broke mid-stream says after how many chunks); it
// returns whether there was.
func broken(ctx context.Context, s *Sample, err error) bool {
	if err == nil {
		return false
	}
	s.ErrorKind, s.Error = classify(ctx, err)
	if s.ErrorKind == ErrConnect && s.Chunks > 0 {
		s.Error = fmt.Sprintf("connection broke after %d chunks: %s", s.Chunks, s.Error)
	}
	return true
}

// fail ends a failed sample: servers put anything in their error messages and the
// record keeps one line; a failed request's timings are not measurements of the server.
func (s *Sample) fail() {
	if strings.ContainsAny(s.Error, "\r\n\t") {
		s.Error = strings.Join(strings.Fields(s.Error), " ")
	}
	s.E2ENs, s.TTFTNs, s.ITLNs = nil, nil, []int64{}
}
