package bench

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// wire is one backend's protocol inside the shared stream (streamWire): how to build the
// request, read the response and judge what was read. A wire value serves one request.
type wire interface {
	// request encodes req; an error fails the sample before it is sent.
	request(ctx context.Context, req Request) (*http.Request, error)
	// read consumes resp's body, whatever its status (a wire turns a status >= 400 into
	// a StatusError), timing every chunk through c and setting s's E2E and done reason
	// at the stream's end marker; it returns the error that ended the stream.
	read(resp *http.Response, c *streamClock, s *Sample) error
	// done reports whether the stream reached its end marker.
	done() bool
	// wireError returns the failure of err when it is the protocol's own (data after
	// the end, framing that is not the protocol's), else false: classify sorts the rest.
	wireError(err error) (ErrorKind, string, bool)
	// settle judges a stream that ended without error: it returns a failure, or ""
	// after setting s's token counts and server timings.
	settle(s *Sample, c *streamClock) (ErrorKind, string)
}

// streamWire sends one request through w and measures it into s, for every backend: the
// first-token timeout, the send time, the HTTP exchange, the failure order (first-token
// timeout, the protocol's own errors, a broken or refused connection, the wire's
// judgement of what it read) and the success epilogue. Timestamps are offsets from
// began on the monotonic clock; s.ScheduledAtNs, Index, Phase and Nonce are the
// caller's. It returns with s.OK or s.ErrorKind set.
func streamWire(ctx context.Context, began time.Time, req Request, s *Sample, hc *http.Client, scrub Scrubber, w wire) {
	clock, ctx, stop := startStream(ctx, began, req)
	defer stop()
	hreq, err := w.request(ctx, req)
	if err != nil {
		// Ended as every failure is (scrubbed, one line, no timings).
		s.ErrorKind, s.Error = ErrStream, scrub.Text("building the request: "+err.Error())
		s.fail()
		return
	}
	clock.send(s)
	resp, err := hc.Do(hreq)
	if err == nil {
		s.HTTPStatus = resp.StatusCode
		err = w.read(resp, &clock, s)
		resp.Body.Close()
	}
	switch kind, msg, own := w.wireError(err); {
	case clock.noFirstToken(ctx, s, w.done()):
	case own:
		s.ErrorKind, s.Error = kind, msg
	case broken(ctx, s, err):
	default:
		s.ErrorKind, s.Error = w.settle(s, &clock)
	}
	if s.ErrorKind != "" {
		s.Error = scrub.Text(s.Error)
		s.fail()
		return
	}
	if s.ITLNs == nil {
		s.ITLNs = []int64{}
	}
	if len(s.ITLNs) < cap(s.ITLNs)*7/8 {
		// The gaps are kept for the whole run: not the room append left (up to half
		// of it), which a 100,000-request run would hold by the hundred megabytes.
		s.ITLNs = slices.Clone(s.ITLNs)
	}
	s.OK = true
	s.finish(req.MaxTokens)
	// A server can report figures no request has (2^62 tokens, a negative or
	// centuries-long duration): they would overflow every sum they enter.
	if err := s.checkFigures(); err != nil {
		s.OK, s.ErrorKind, s.Error = false, ErrDecode, "the server reports impossible figures: "+err.Error()
		s.fail()
		s.dropServerFigures()
	}
}

// dropServerFigures clears the token counts and durations the server reported for a
// request that failed for reporting impossible figures: the error keeps the reason
// and the value, and the record holds no figure that Sample.Check refuses when the
// journal or the run file is read back.
func (s *Sample) dropServerFigures() {
	s.PromptTokens, s.OutputTokens, s.CachedPromptTokens, s.ThinkingTokens = 0, 0, nil, nil
	s.ServerPromptEvalNs, s.ServerEvalNs, s.LoadNs, s.ServerTotalNs = 0, 0, 0, 0
}

// StatusError is a server's answer with an HTTP status >= 400, from either backend:
// the status and the server's own message (its JSON error's text, else the body's
// first line), one line.
type StatusError struct {
	Code    int
	Status  string
	Message string
}

// Error reads "HTTP 404: model \"x\" not found", with the status text when the server
// sent no message.
func (e StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = e.Status
	}
	if msg == "" {
		msg = "no error message"
	}
	return fmt.Sprintf("HTTP %d: %s", e.Code, msg)
}

// streamClock is what every backend does around one streamed request, on the run's
// monotonic clock: the first-token timeout, the send time, and the timing of each
// chunk of generated text (docs/metrics.md "Per request": TTFT at the first text-bearing
// chunk, ITL between consecutive ones).
type streamClock struct {
	began      time.Time
	sent, last int64
	firstToken *time.Timer
	timeout    time.Duration
	// thinkingAt is when the first chunk carrying thinking text was read (set once
	// s.ThinkingBytes is no longer 0).
	thinkingAt int64
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

// chunk counts a chunk read at now carrying thinking and answer bytes of generated
// text (docs/metrics.md "Per request": a chunk with answer text is an answer chunk,
// one with only thinking text a thinking chunk; TTFA and the thinking span are set at
// the first answer chunk). It allocates only at the first text and the first answer.
func (c *streamClock) chunk(s *Sample, now int64, thinking, answer int) {
	s.Chunks++
	n := thinking + answer
	if n == 0 {
		return
	}
	s.OutputBytes += n
	s.TextChunks++
	if thinking > 0 {
		if s.ThinkingBytes == 0 {
			c.thinkingAt = now
		}
		s.ThinkingBytes += thinking
	}
	if answer == 0 {
		s.ThinkingChunks++
	} else {
		s.AnswerBytes += answer
		s.AnswerChunks++
		if s.TTFANs == nil {
			s.TTFANs = ptr(now - c.sent)
			if s.ThinkingBytes > 0 {
				s.ThinkingNs = ptr(now - c.thinkingAt)
			}
		}
	}
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
// record keeps one line of at most MaxErrorBytes (Excerpt); a failed request's timings
// are not measurements of the server.
func (s *Sample) fail() {
	if strings.ContainsAny(s.Error, "\r\n\t") {
		s.Error = strings.Join(strings.Fields(s.Error), " ")
	}
	s.Error = Excerpt(s.Error, MaxErrorBytes)
	// A failed request has no latency and no rate, whichever were set before it failed.
	s.E2ENs, s.TTFTNs, s.ITLNs = nil, nil, []int64{}
	s.TPOTNs, s.ClientGenPerS, s.TokensPerChunk, s.ServerPrefillPerS, s.ServerGenPerS, s.OverheadNs = nil, nil, nil, nil, nil, nil
	s.TTFANs, s.ThinkingNs, s.AnswerTokens, s.AnswerTokensEstimated, s.AnswerTPOTNs, s.AnswerGenPerS = nil, nil, nil, false, nil, nil
}
