// Package dataset reads the prompt datasets a run can send (--dataset): ShareGPT JSON,
// JSONL and plain text, each record a bench.Conversation. It never prints; every error
// about a file's content is "file:line: what is wrong".
//
// Formats (docs/metrics.md, Datasets):
//
//   - sharegpt: a JSON array of {"id", "conversations": [{"from", "value"}, …]}, as the
//     ShareGPT dumps vLLM's bench serve reads (--dataset-name sharegpt). "human" (or
//     "user") turns are the prompts; the "gpt" (or "assistant", "chatgpt", "bard",
//     "bing", "model") reply after a human turn sets that turn's output length, as vLLM
//     does, from its estimated token count (EstimateTokens); "system" sets the system
//     message. Every human turn of a record is kept, in order.
//   - jsonl: one JSON object per line: "prompt" (a string) or "messages" (a chat list of
//     {"role", "content"} with roles system, user, assistant), optional "system",
//     "max_tokens" and "id". An assistant message after a user message sets that turn's
//     output length as in ShareGPT; "max_tokens" sets every turn's. Blank lines are
//     skipped; fields it does not know are ignored.
//   - text: one prompt per line, blank lines skipped.
package dataset

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/userfile"
)

// The formats a dataset file can be in.
const (
	ShareGPT = "sharegpt"
	JSONL    = "jsonl"
	Text     = "text"
)

// Formats lists the formats --dataset-format takes.
var Formats = []string{ShareGPT, JSONL, Text}

// MaxFileBytes bounds the file read: a dataset is read whole into memory.
const MaxFileBytes = 1 << 30

// MaxTurnTokens bounds a turn's output length (a JSONL "max_tokens", a reply's
// estimate), as --max-tokens is bounded.
const MaxTurnTokens = 1 << 20

// ErrEmpty is wrapped by the error of a dataset with no record.
var ErrEmpty = errors.New("no record")

// Dataset is a parsed dataset file.
type Dataset struct {
	// Path is the file as given; Format its format (given or detected); SHA256 the
	// hex SHA-256 of its bytes, which identifies its content across machines and names.
	Path   string
	Format string
	SHA256 string
	// Detected is true when Format was detected from the content, not given.
	Detected bool
	// Conversations are the records in file order, each with at least one turn.
	Conversations []bench.Conversation
}

// Read reads and parses the dataset at path in format (one of Formats, or "" to
// detect it from the content: Detect). Errors: the file cannot be read or is larger
// than MaxFileBytes, an unknown format, a record that does not parse or has no human
// turn ("path:line: …"), a file with no record (ErrEmpty).
func Read(path, format string) (*Dataset, error) {
	// userfile opens non-blocking and takes regular files only: a FIFO named by
	// mistake is refused at once instead of blocking the open, Ctrl-C included.
	data, err := userfile.Read(path, MaxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("reading dataset: %w", err)
	}
	return Parse(path, data, format)
}

// Parse parses data, the content of the dataset named name, as Read does.
func Parse(name string, data []byte, format string) (*Dataset, error) {
	sum := sha256.Sum256(data)
	d := &Dataset{Path: name, Format: format, SHA256: hex.EncodeToString(sum[:])}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if format == "" {
		d.Format, d.Detected = Detect(data), true
	}
	var err error
	switch d.Format {
	case ShareGPT:
		d.Conversations, err = parseShareGPT(name, data)
	case JSONL:
		d.Conversations, err = parseJSONL(name, data)
	case Text:
		d.Conversations, err = parseText(name, data)
	default:
		return nil, fmt.Errorf("--dataset-format %q: must be %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, err
	}
	if len(d.Conversations) == 0 {
		return nil, fmt.Errorf("%s: %w: the %s dataset is empty", name, ErrEmpty, d.Format)
	}
	return d, nil
}

// Detect names the format of data from its first character that is not white space:
// "[" is a ShareGPT array, "{" a JSONL object, anything else text. A text file whose
// first line starts with "[" or "{" needs --dataset-format text.
func Detect(data []byte) string {
	t := bytes.TrimLeft(data, " \t\r\n")
	switch {
	case len(t) > 0 && t[0] == '[':
		return ShareGPT
	case len(t) > 0 && t[0] == '{':
		return JSONL
	}
	return Text
}

// EstimateRule says how EstimateTokens counts, for the run file.
const EstimateRule = "estimated from the text: a quarter of its ASCII bytes plus one per other character; the server's prompt_tokens is the count"

// EstimateTokens estimates the tokens of s without the model's tokenizer: a quarter
// of its ASCII bytes (rounded up) plus one per other character. Byte-level BPE
// tokenizers of open models (Qwen2.5's, Llama 3's) take about four characters of
// English per token (OpenAI's tokenizer guide gives the same rule of thumb), and a
// CJK character is one or two tokens. It is an estimate: the server's prompt_tokens
// is the count, and a run says which it used (docs/metrics.md, Datasets).
func EstimateTokens(s string) int {
	ascii, other := 0, 0
	for i := 0; i < len(s); {
		if s[i] < utf8.RuneSelf {
			ascii++
			i++
			continue
		}
		_, n := utf8.DecodeRuneInString(s[i:])
		other++
		i += n
	}
	return (ascii+3)/4 + other
}

// lineAt is the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	off = max(0, min(off, int64(len(data))))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// decodeError describes err of a json.Decoder reading data, the value it was decoding
// starting at byte at, as "name:line: …". A Decoder's syntax errors count their offset
// from the start of its input; a type error's offset counts from the value's start.
func decodeError(name string, data []byte, at int64, err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Errorf("%s:%d: not valid JSON: %s", name, lineAt(data, syn.Offset), syn.Error())
	case errors.As(err, &typ):
		field := "the record"
		if typ.Field != "" {
			field = strconv.Quote(typ.Field)
		}
		return fmt.Errorf("%s:%d: %s is a JSON %s, not %s", name, lineAt(data, at+typ.Offset), field, typ.Value, jsonKind(typ.Type))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return fmt.Errorf("%s:%d: the JSON ends before the array is closed", name, lineAt(data, int64(len(data))))
	}
	return fmt.Errorf("%s:%d: %w", name, lineAt(data, at), err)
}

// jsonKind names what a JSON value must be to decode into a value of type t, for
// errors: "an object", "a list", "a string", "a number", "true or false" (a Go type
// name such as dataset.shareGPTRecord or float64 means nothing to the file's author).
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
}

// shareGPTRecord is one record of a ShareGPT file.
type shareGPTRecord struct {
	ID            json.RawMessage `json:"id"`
	Conversations []struct {
		From  string `json:"from"`
		Value string `json:"value"`
	} `json:"conversations"`
}

// role maps a ShareGPT "from" or a chat "role" to system, user or assistant.
func role(from string) (string, bool) {
	switch strings.ToLower(from) {
	case "system":
		return "system", true
	case "human", "user":
		return "user", true
	case "gpt", "assistant", "chatgpt", "bard", "bing", "model":
		return "assistant", true
	}
	return "", false
}

// conversation builds a Conversation from messages in order: system messages joined
// into System, each user message a Turn, an assistant message after a user message
// that turn's MaxTokens (its estimated tokens, in 1..MaxTurnTokens). It fails when no user
// message is left (errNoHumanTurn) or one is empty or blank.
func conversation(id string, msgs []msg) (bench.Conversation, error) {
	c := bench.Conversation{ID: id}
	var system []string
	replied := true
	for _, m := range msgs {
		switch m.role {
		case "system":
			system = append(system, m.text)
		case "user":
			if strings.TrimSpace(m.text) == "" {
				// A server would be asked to answer nothing: no prompt to measure.
				return c, fmt.Errorf("human turn %d is empty", len(c.Turns)+1)
			}
			c.Turns = append(c.Turns, bench.Turn{User: m.text})
			replied = false
		case "assistant":
			if !replied && len(c.Turns) > 0 {
				// Within 1..MaxTurnTokens, the bound "max_tokens" and --max-tokens have.
				c.Turns[len(c.Turns)-1].MaxTokens = min(MaxTurnTokens, max(1, EstimateTokens(m.text)))
				replied = true
			}
		}
	}
	c.System = strings.Join(system, "\n\n")
	if len(c.Turns) == 0 {
		return c, errNoHumanTurn
	}
	return c, nil
}

// errNoHumanTurn is conversation's error for messages with no user message.
var errNoHumanTurn = errors.New("no human turn")

type msg struct{ role, text string }

// idString is a record's "id" as text: a JSON string's value, a number's digits, or
// fallback when absent or null.
func idString(raw json.RawMessage, fallback string) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return fallback, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), nil
	}
	return "", errors.New(`"id" must be a string or a number`)
}

func parseShareGPT(name string, data []byte) ([]bench.Conversation, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	tok, err := dec.Token()
	if err != nil {
		return nil, decodeError(name, data, 0, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return nil, fmt.Errorf("%s:%d: a ShareGPT file is a JSON array of records", name, lineAt(data, dec.InputOffset()))
	}
	var out []bench.Conversation
	for n := 1; dec.More(); n++ {
		start := dec.InputOffset()
		// The record starts after the separator and white space before it.
		rest := data[start:]
		skip := len(rest) - len(bytes.TrimLeft(rest, " \t\r\n,"))
		at := start + int64(skip)
		var rec shareGPTRecord
		if err := dec.Decode(&rec); err != nil {
			return nil, decodeError(name, data, at, err)
		}
		line := lineAt(data, at)
		id, err := idString(rec.ID, strconv.Itoa(n))
		if err != nil {
			return nil, fmt.Errorf("%s:%d: record %d: %w", name, line, n, err)
		}
		if rec.Conversations == nil {
			return nil, fmt.Errorf("%s:%d: record %d (id %s) has no \"conversations\" list", name, line, n, id)
		}
		msgs := make([]msg, 0, len(rec.Conversations))
		for i, t := range rec.Conversations {
			r, ok := role(t.From)
			if !ok {
				return nil, fmt.Errorf("%s:%d: record %d (id %s), turn %d: \"from\" %q is not human, gpt or system", name, line, n, id, i+1, t.From)
			}
			msgs = append(msgs, msg{r, t.Value})
		}
		c, err := conversation(id, msgs)
		if errors.Is(err, errNoHumanTurn) {
			return nil, fmt.Errorf("%s:%d: record %d (id %s) has no human turn", name, line, n, id)
		} else if err != nil {
			return nil, fmt.Errorf("%s:%d: record %d (id %s): %v", name, line, n, id, err)
		}
		out = append(out, c)
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return nil, decodeError(name, data, dec.InputOffset(), err)
	}
	end := dec.InputOffset()
	if rest := bytes.TrimLeft(data[end:], " \t\r\n"); len(rest) > 0 {
		return nil, fmt.Errorf("%s:%d: text after the end of the ShareGPT array", name, lineAt(data, int64(len(data)-len(rest))))
	}
	return out, nil
}

// jsonlRecord is one line of a JSONL file.
type jsonlRecord struct {
	ID        json.RawMessage `json:"id"`
	Prompt    *string         `json:"prompt"`
	System    string          `json:"system"`
	MaxTokens *float64        `json:"max_tokens"`
	Messages  []struct {
		Role    string `json:"role"`
		Content string `json:"content"`
	} `json:"messages"`
}

// lines calls f with each line of data that is not blank and its 1-based number.
func lines(data []byte, f func(line []byte, n int) error) error {
	for n := 1; len(data) > 0; n++ {
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		if err := f(line, n); err != nil {
			return err
		}
	}
	return nil
}

func parseJSONL(name string, data []byte) ([]bench.Conversation, error) {
	var out []bench.Conversation
	err := lines(data, func(line []byte, n int) error {
		var rec jsonlRecord
		dec := json.NewDecoder(bytes.NewReader(line))
		if err := dec.Decode(&rec); err != nil {
			var syn *json.SyntaxError
			var typ *json.UnmarshalTypeError
			switch {
			case errors.As(err, &syn):
				return fmt.Errorf("%s:%d: not valid JSON: %s", name, n, syn.Error())
			case errors.As(err, &typ):
				if typ.Field == "" {
					return fmt.Errorf("%s:%d: a JSONL line is one JSON object, not a JSON %s", name, n, typ.Value)
				}
				return fmt.Errorf("%s:%d: %q is a JSON %s, not %s", name, n, typ.Field, typ.Value, jsonKind(typ.Type))
			}
			return fmt.Errorf("%s:%d: not valid JSON: the object does not end on its line", name, n)
		}
		if dec.More() {
			return fmt.Errorf("%s:%d: more than one JSON value on the line", name, n)
		}
		id, err := idString(rec.ID, strconv.Itoa(n))
		if err != nil {
			return fmt.Errorf("%s:%d: %w", name, n, err)
		}
		var msgs []msg
		if rec.System != "" {
			msgs = append(msgs, msg{"system", rec.System})
		}
		switch {
		case rec.Prompt != nil && rec.Messages != nil:
			return fmt.Errorf("%s:%d: both \"prompt\" and \"messages\": give one", name, n)
		case rec.Prompt != nil:
			msgs = append(msgs, msg{"user", *rec.Prompt})
		case rec.Messages != nil:
			for i, m := range rec.Messages {
				r, ok := role(m.Role)
				if !ok {
					return fmt.Errorf("%s:%d: message %d: role %q is not system, user or assistant", name, n, i+1, m.Role)
				}
				msgs = append(msgs, msg{r, m.Content})
			}
		default:
			return fmt.Errorf("%s:%d: neither \"prompt\" nor \"messages\"", name, n)
		}
		c, err := conversation(id, msgs)
		if errors.Is(err, errNoHumanTurn) {
			return fmt.Errorf("%s:%d: no user message (no human turn)", name, n)
		} else if err != nil {
			return fmt.Errorf("%s:%d: %v", name, n, err)
		}
		if mt := rec.MaxTokens; mt != nil {
			if *mt < 1 || *mt > MaxTurnTokens || *mt != math.Trunc(*mt) {
				return fmt.Errorf("%s:%d: \"max_tokens\" %v: must be a whole number in 1..1048576", name, n, *mt)
			}
			for i := range c.Turns {
				c.Turns[i].MaxTokens = int(*mt)
			}
		}
		out = append(out, c)
		return nil
	})
	return out, err
}

func parseText(name string, data []byte) ([]bench.Conversation, error) {
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, n := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && n <= 1 {
				break
			}
			off += n
		}
		return nil, fmt.Errorf("%s:%d: not UTF-8 text", name, lineAt(data, int64(off)))
	}
	var out []bench.Conversation
	_ = lines(data, func(line []byte, n int) error {
		out = append(out, bench.Conversation{ID: strconv.Itoa(n), Turns: []bench.Turn{{User: string(line)}}})
		return nil
	})
	return out, nil
}
