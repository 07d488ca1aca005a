// Package termsafe makes text safe to show: control characters other than tab, line
// feed and carriage return, DEL, the C1 controls and the Unicode bidirectional
// formatting characters are replaced by visible escapes, so text a server or a
// hand-edited file supplies cannot clear the screen (ESC [2J), retitle the terminal
// (OSC), or reorder what a reader sees (U+202E, the "Trojan Source" characters of
// CVE-2021-42574).
//
// C0 controls and DEL become \xHH; C1 controls and bidi characters become \uHHHH,
// which inside a JSON string is the escape of the same character, so JSON output stays
// the same JSON. Everything else, invalid UTF-8 included, passes through unchanged.
package termsafe

import (
	"fmt"
	"io"
	"sync"
	"unicode/utf8"
)

// unsafe reports whether r must be escaped.
func unsafe(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20 || r == 0x7f:
		return true
	case r >= 0x80 && r <= 0x9f:
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f: // ALM, LRM, RLM
		return true
	case r >= 0x202a && r <= 0x202e: // LRE, RLE, PDF, LRO, RLO
		return true
	case r >= 0x2066 && r <= 0x2069: // LRI, RLI, FSI, PDI
		return true
	}
	return false
}

// escape appends the visible form of r to dst.
func escape(dst []byte, r rune) []byte {
	if r < 0x80 {
		return fmt.Appendf(dst, `\x%02x`, r)
	}
	return fmt.Appendf(dst, `\u%04x`, r)
}

// Append appends b to dst with every unsafe character escaped.
func Append(dst, b []byte) []byte {
	for len(b) > 0 {
		c := b[0]
		if c >= 0x20 && c < 0x7f || c == '\t' || c == '\n' || c == '\r' { // fast path: printable ASCII
			dst = append(dst, c)
			b = b[1:]
			continue
		}
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n <= 1 || !unsafe(r) {
			dst = append(dst, b[:n]...)
		} else {
			dst = escape(dst, r)
		}
		b = b[n:]
	}
	return dst
}

// Writer escapes what is written through it (see Append). A character split across
// two writes is held until the next Write or Flush, so it is judged whole. It is safe
// for concurrent use (a progress bar and warnings share stderr).
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	pending []byte // the start of a UTF-8 sequence the last Write ended in
	buf     []byte
}

// NewWriter returns a Writer that writes to w.
func NewWriter(w io.Writer) *Writer { return &Writer{w: w} }

// Write escapes p and writes it. It reports len(p) on success, as io.Writer requires,
// though more bytes may reach w.
func (t *Writer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	data := p
	if len(t.pending) > 0 {
		data = append(t.pending, p...)
		t.pending = nil
	}
	// Hold back an incomplete sequence at the end (at most 3 bytes).
	cut := len(data)
	for i := len(data) - 1; i >= 0 && i >= len(data)-3; i-- {
		if data[i]&0xC0 != 0x80 { // the last sequence's first byte
			if data[i] >= 0xC0 && !utf8.FullRune(data[i:]) {
				cut = i
			}
			break
		}
	}
	t.pending = append(t.pending[:0], data[cut:]...)
	t.buf = Append(t.buf[:0], data[:cut])
	if _, err := t.w.Write(t.buf); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a held incomplete sequence as it is (it can no longer be completed).
func (t *Writer) Flush() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.pending) == 0 {
		return nil
	}
	_, err := t.w.Write(t.pending)
	t.pending = nil
	return err
}
