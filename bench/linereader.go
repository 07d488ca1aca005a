package bench

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// lineReader is the pooled 64 KiB reader of a streamed response body, which notes the
// time of every read from the body on the run's monotonic clock: a chunk is received
// when the read that brought its last byte returned, so every line of one read has
// that read's time (they arrived together), and the clock is read once per read of
// the body instead of once per line (docs/performance.md).
type lineReader struct {
	br    *bufio.Reader
	body  io.Reader
	began time.Time
	// at is the last read's time, an offset from began: after br returned a line, the
	// time its newline was read (bufio reads the body only until a line is whole).
	at int64
}

func (l *lineReader) Read(p []byte) (int, error) {
	n, err := l.body.Read(p)
	if n > 0 || err != nil {
		l.at = int64(time.Since(l.began))
	}
	return n, err
}

var lineReaders = sync.Pool{New: func() any {
	l := &lineReader{}
	l.br = bufio.NewReaderSize(l, 64<<10)
	return l
}}

// newLineReader returns a pooled lineReader of body, timed from began; release it.
func newLineReader(body io.Reader, began time.Time) *lineReader {
	l := lineReaders.Get().(*lineReader)
	l.body, l.began, l.at = body, began, int64(time.Since(began))
	l.br.Reset(l)
	return l
}

// release returns l to the pool, holding nothing of its body.
func (l *lineReader) release() {
	l.br.Reset(l)
	l.body = nil
	lineReaders.Put(l)
}
