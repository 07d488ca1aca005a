package bench

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// The chunk scanner: the hot path of both wires (docs/performance.md, "The measuring
// path near its physical limit"). A streamed chunk that carries text is read in one pass over its line,
// without allocating and without decoding anything the measurement does not use: the
// scanner finds the text fields, their presence and their decoded byte length, and
// whether the chunk ends the stream. It understands a narrow, strict subset of what a
// server sends; on anything else (the final chunk with its metrics, an error, a field
// it does not know the type of, a key in another case, an escape in a key, a
// duplicate, deep nesting, invalid JSON) it answers "defer" and the wire decodes the
// line with encoding/json as before. Where it answers, it agrees with encoding/json
// decoding the same line into the wire's own type (FuzzScanChunk holds the two equal)
// but for one deliberate difference: Ollama's created_at is not parsed (the hot path
// reads no server timestamp; every time is the client's monotonic clock).

// textSpan is one JSON string field of a chunk: the bytes between its quotes as
// sent, and the length of the string encoding/json would decode from them (escapes
// decoded, a \u escape as the UTF-8 of its rune or rune pair, an invalid UTF-8 byte
// or a lone surrogate as U+FFFD, 3 bytes). An absent (or null) field is the zero
// textSpan: no bytes.
type textSpan struct {
	raw   []byte // without the quotes; valid while the line is
	n     int    // decoded length, bytes
	clean bool   // raw is the decoded string itself: no escape, valid UTF-8
}

// appendTo appends the decoded string to sb: raw itself when clean, else decoded by
// encoding/json (which allocates; only for a Request.Reply, and only for a string
// with escapes).
func (t textSpan) appendTo(sb *strings.Builder) {
	if t.clean || len(t.raw) == 0 {
		sb.Write(t.raw)
		return
	}
	q := make([]byte, 0, len(t.raw)+2)
	q = append(append(append(q, '"'), t.raw...), '"')
	var s string
	if json.Unmarshal(q, &s) == nil {
		sb.WriteString(s)
	}
}

// str returns the decoded string (allocating; for the rare fields kept as strings).
func (t textSpan) str() string {
	var sb strings.Builder
	t.appendTo(&sb)
	return sb.String()
}

// jsonScan walks one JSON text. Every method returns false for input it does not
// accept, which its callers turn into "defer".
type jsonScan struct {
	b []byte
	i int
}

// maxScanDepth bounds the nesting the scanner skips through; deeper values defer.
const maxScanDepth = 32

// plain marks the bytes a string can hold without a second look: not a quote, a
// backslash, a control character (invalid in JSON) or a non-ASCII byte.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// Words of eight equal bytes for str's SWAR test.
const (
	lo01        = 0x0101010101010101
	lo20        = 0x2020202020202020
	hi80        = 0x8080808080808080
	quotes      = '"' * lo01
	backslashes = '\\' * lo01
)

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// peek returns the next byte after white space, or 0 at the end.
func (s *jsonScan) peek() byte {
	if s.i < len(s.b) && s.b[s.i] > ' ' {
		return s.b[s.i]
	}
	s.ws()
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// eat consumes c after white space.
func (s *jsonScan) eat(c byte) bool {
	if s.peek() != c {
		return false
	}
	s.i++
	return true
}

// lit consumes the literal word (true, false, null) at s.i.
func (s *jsonScan) lit(word string) bool {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return false
	}
	s.i += len(word)
	return true
}

// str consumes a string at s.i (its opening quote), checking it as encoding/json's
// scanner does (no control character, only its escapes) and measuring it as its
// unquote does (decode.go unquoteBytes, Go 1.26): n is the decoded length, clean
// that the bytes between the quotes are the decoded string.
func (s *jsonScan) str() (n int, clean, ok bool) {
	b := s.b
	i := s.i + 1
	if i > len(b) || b[i-1] != '"' {
		return 0, false, false
	}
	// The common string: printable ASCII to the closing quote, eight bytes at a time
	// (SWAR: a byte below 0x20, a quote, a backslash or a high bit sets its word's
	// 0x80 bit), then byte by byte.
	for i+8 <= len(b) {
		w := binary.LittleEndian.Uint64(b[i:])
		if ((w-lo20)|((w^quotes)-lo01)|((w^backslashes)-lo01)|w)&hi80 != 0 {
			break
		}
		i += 8
	}
	for i < len(b) && plain[b[i]] {
		i++
	}
	if i < len(b) && b[i] == '"' {
		n = i - s.i - 1
		s.i = i + 1
		return n, true, true
	}
	n = i - s.i - 1
	clean = true
	for {
		j := i
		for i < len(b) && plain[b[i]] {
			i++
		}
		n += i - j
		if i >= len(b) {
			return 0, false, false
		}
		switch c := b[i]; {
		case c == '"':
			s.i = i + 1
			return n, clean, true
		case c < 0x20:
			return 0, false, false
		case c == '\\':
			clean = false
			if i+1 >= len(b) {
				return 0, false, false
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
				n++
			case 'u':
				r := hex4(b[i+2:])
				if r < 0 {
					return 0, false, false
				}
				i += 6
				if 0xD800 <= r && r < 0xDC00 {
					// A high surrogate pairs with a low one that follows as \u; else it
					// is U+FFFD and the next escape stands alone.
					if i+1 < len(b) && b[i] == '\\' && b[i+1] == 'u' {
						if r2 := hex4(b[i+2:]); 0xDC00 <= r2 && r2 < 0xE000 {
							i += 6
							n += 4
							continue
						}
					}
					n += 3
					continue
				}
				if 0xDC00 <= r && r < 0xE000 {
					n += 3 // a lone low surrogate
					continue
				}
				n += utf8.RuneLen(rune(r))
			default:
				return 0, false, false
			}
		default: // non-ASCII: valid UTF-8 as is, each invalid byte U+FFFD
			r, size := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && size == 1 {
				clean = false
				n += 3
			} else {
				n += size
			}
			i += size
		}
	}
}

// span consumes a string at s.i into t.
func (s *jsonScan) span(t *textSpan) bool {
	start := s.i + 1
	n, clean, ok := s.str()
	if ok {
		*t = textSpan{raw: s.b[start : s.i-1], n: n, clean: clean}
	}
	return ok
}

// skipStr consumes a string at s.i after white space.
func (s *jsonScan) skipStr() bool {
	if s.peek() != '"' {
		return false
	}
	_, _, ok := s.str()
	return ok
}

// hex4 returns the value of the four hex digits at the start of b, or -1.
func hex4(b []byte) int {
	if len(b) < 4 {
		return -1
	}
	v := 0
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		v = v<<4 | int(c)
	}
	return v
}

// number consumes a JSON number (RFC 8259 section 6) at s.i.
func (s *jsonScan) number() bool {
	b, i := s.b, s.i
	digits := func() bool {
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		return i > j
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	s.i = i
	return true
}

// skip consumes any JSON value after white space, checking it.
func (s *jsonScan) skip(depth int) bool {
	if depth > maxScanDepth {
		return false
	}
	switch s.peek() {
	case '"':
		_, _, ok := s.str()
		return ok
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	case '[':
		s.i++
		if s.eat(']') {
			return true
		}
		for {
			if !s.skip(depth + 1) {
				return false
			}
			if s.eat(']') {
				return true
			}
			if !s.eat(',') {
				return false
			}
		}
	case '{':
		return s.object(func(_ []byte) bool { return s.skip(depth + 1) })
	}
	return s.number()
}

// object consumes an object after white space, calling member with each key (its
// raw bytes; a key with an escape or a non-ASCII byte defers) with s.i before the
// value's white space; member consumes the value.
func (s *jsonScan) object(member func(key []byte) bool) bool {
	if !s.eat('{') {
		return false
	}
	if s.eat('}') {
		return true
	}
	for {
		if s.peek() != '"' {
			return false
		}
		// A key is printable ASCII without escapes, or the line defers.
		b, i := s.b, s.i+1
		for i < len(b) && plain[b[i]] {
			i++
		}
		if i >= len(b) || b[i] != '"' {
			return false
		}
		key := b[s.i+1 : i]
		s.i = i + 1
		if !s.eat(':') || !member(key) {
			return false
		}
		if s.eat('}') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// end reports whether only white space is left, as json.Unmarshal requires.
func (s *jsonScan) end() bool {
	s.ws()
	return s.i == len(s.b)
}

// stringOrNull consumes a string into t, or null (t unset).
func (s *jsonScan) stringOrNull(t *textSpan) bool {
	switch s.peek() {
	case '"':
		return s.span(t)
	case 'n':
		*t = textSpan{}
		return s.lit("null")
	}
	return false
}

// known reports whether key matches one of names as encoding/json matches a key to a
// field: exactly or under case folding (key is ASCII here, see object).
func known(key []byte, names []string) bool {
	for _, n := range names {
		if len(n) != len(key) {
			continue
		}
		i := 0
		for i < len(n) && lower(n[i]) == lower(key[i]) {
			i++
		}
		if i == len(n) {
			return true
		}
	}
	return false
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// once marks bit in *seen and reports whether it was unmarked: a repeated field
// defers (encoding/json keeps the last; the scanner does not try to).
func once(seen *uint32, bit uint32) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// ollamaChunk is what the scanner reads of an /api/chat chunk that is not the last.
type ollamaChunk struct {
	content, thinking textSpan // message.content, message.thinking
}

// ollamaFields are the JSON names of chatLine (api.ChatResponse with api.Metrics,
// v0.24.0 api/types.go, and the error field) and ollamaMessageFields those of
// api.Message: a key that matches one of them and that the scanner does not read
// itself defers, since encoding/json would decode it into a typed field.
var (
	ollamaFields = []string{"model", "remote_model", "remote_host", "created_at", "message", "done", "done_reason",
		"_debug_info", "logprobs", "total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
		"eval_count", "eval_duration", "error"}
	ollamaMessageFields = []string{"role", "content", "thinking", "images", "tool_calls", "tool_name", "tool_call_id"}
)

// scanOllamaChunk reads line, one NDJSON line of an /api/chat stream, into c and
// reports true when it is a chunk of a stream that goes on (done false or absent, no
// error, message with only role, content and thinking, all strings). It reports false,
// defer, for the done chunk and for anything else.
func scanOllamaChunk(line []byte, c *ollamaChunk) bool {
	*c = ollamaChunk{}
	if ollamaLayout(line, c) {
		return true
	}
	return scanOllamaAny(line, c)
}

// scanOllamaAny is scanOllamaChunk for any layout: keys in any order, white space,
// fields it skips.
func scanOllamaAny(line []byte, c *ollamaChunk) bool {
	*c = ollamaChunk{}
	s := jsonScan{b: line}
	var seen uint32
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "model":
			return once(&seen, 1) && s.skipStr()
		case "created_at": // a time encoding/json would parse; not parsed here
			return once(&seen, 2) && s.skipStr()
		case "done":
			return once(&seen, 4) && s.peek() == 'f' && s.lit("false")
		case "message":
			if !once(&seen, 8) {
				return false
			}
			var inner uint32
			return s.object(func(key []byte) bool {
				switch string(key) {
				case "role":
					return once(&inner, 1) && s.skipStr()
				case "content":
					return once(&inner, 2) && s.peek() == '"' && s.span(&c.content)
				case "thinking":
					return once(&inner, 4) && s.peek() == '"' && s.span(&c.thinking)
				}
				return !known(key, ollamaMessageFields) && s.skip(1)
			})
		}
		return !known(key, ollamaFields) && s.skip(1)
	})
	return ok && s.end()
}

// ollamaLayout reads line when it is laid out exactly as Ollama writes a chunk before
// the last (server/routes.go ChatHandler through encoding/json, field order of
// api.ChatResponse, v0.24.0): {"model":…,"created_at":…,"message":{"role":…,
// "content":…[,"thinking":…]},"done":false}, compact. It answers as the general scan
// would, only sooner; any other layout returns false and the general scan decides.
func ollamaLayout(line []byte, c *ollamaChunk) bool {
	s := jsonScan{b: line}
	return s.expect(`{"model":`) && s.skipStr() &&
		s.expect(`,"created_at":`) && s.skipStr() &&
		s.expect(`,"message":{"role":`) && s.skipStr() &&
		s.expect(`,"content":`) && s.span(&c.content) &&
		(!s.expect(`,"thinking":`) || s.span(&c.thinking)) &&
		s.expect(`},"done":false}`) && s.i == len(s.b)
}

// expect consumes lit when the input continues with it.
func (s *jsonScan) expect(lit string) bool {
	if len(s.b)-s.i < len(lit) || string(s.b[s.i:s.i+len(lit)]) != lit {
		return false
	}
	s.i += len(lit)
	return true
}

// sseChunk is what the scanner reads of a chat completion chunk (see chatChunk).
type sseChunk struct {
	choices int
	// Of choices[0]: delta.content, delta.reasoning_content, delta.reasoning,
	// finish_reason.
	content, reasoningContent, reasoning, finish textSpan
}

// The JSON names of chatChunk, its choices and its delta.
var (
	sseFields       = []string{"choices", "usage", "timings", "error", "object", "message"}
	sseChoiceFields = []string{"delta", "finish_reason"}
	sseDeltaFields  = []string{"content", "reasoning_content", "reasoning"}
)

// scanSSEChunk reads data, the value of one data field of a chat completions stream,
// into c and reports true when it is a plain chunk: choices (each an object of delta
// and finish_reason, strings or null), usage absent or null, no timings, no error,
// object not "error". It reports false, defer, for the usage chunk and anything else.
func scanSSEChunk(data []byte, c *sseChunk) bool {
	*c = sseChunk{}
	s := jsonScan{b: data}
	var seen uint32
	var obj textSpan
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "object":
			return once(&seen, 1) && s.peek() == '"' && s.span(&obj) && obj.clean && string(obj.raw) != "error"
		case "usage":
			return once(&seen, 2) && s.peek() == 'n' && s.lit("null")
		case "choices":
			return once(&seen, 4) && s.choices(c)
		}
		return !known(key, sseFields) && s.skip(1)
	})
	return ok && s.end()
}

// choices reads the choices array, or null, counting its elements into c. Its loop
// is skip's, written out: an element callback, as object takes, costs the hot path
// about 4% (BenchmarkScanChunk, wire=openai).
func (s *jsonScan) choices(c *sseChunk) bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	if !s.eat('[') {
		return false
	}
	if s.eat(']') {
		return true
	}
	for {
		if !s.choice(c) {
			return false
		}
		c.choices++
		if s.eat(']') {
			return true
		}
		if !s.eat(',') {
			return false
		}
	}
}

// choice reads one element of choices; the first one's fields go into c.
func (s *jsonScan) choice(c *sseChunk) bool {
	var seen uint32
	var content, rc, r, finish textSpan
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "finish_reason":
			return once(&seen, 1) && s.stringOrNull(&finish)
		case "delta":
			if !once(&seen, 2) {
				return false
			}
			if s.peek() == 'n' {
				return s.lit("null")
			}
			var inner uint32
			return s.object(func(key []byte) bool {
				switch string(key) {
				case "content":
					return once(&inner, 1) && s.stringOrNull(&content)
				case "reasoning_content":
					return once(&inner, 2) && s.stringOrNull(&rc)
				case "reasoning":
					return once(&inner, 4) && s.stringOrNull(&r)
				}
				return !known(key, sseDeltaFields) && s.skip(2)
			})
		}
		return !known(key, sseChoiceFields) && s.skip(2)
	})
	if ok && c.choices == 0 {
		c.content, c.reasoningContent, c.reasoning, c.finish = content, rc, r, finish
	}
	return ok
}

// finishReason is the decoded string; the usual reasons do not allocate.
func (t textSpan) finishReason() string {
	if t.clean {
		switch string(t.raw) {
		case "stop":
			return "stop"
		case "length":
			return "length"
		}
	}
	return t.str()
}
