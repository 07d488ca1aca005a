package termsafe

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestAppendEscapesWhatTerminalsObey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"plain text, tabs\tand\nlines\r\n", "plain text, tabs\tand\nlines\r\n"},
		{"\x1b[2J cleared", `\x1b[2J cleared`},
		{"\x1b]0;pwned\x07title", `\x1b]0;pwned\x07title`},
		{"abc\u202edcba", `abc\u202edcba`},
		{"\u2066isolate\u2069", `\u2066isolate\u2069`},
		{"next\u0085line \u009b31m", `next\u0085line \u009b31m`},
		{"µs ± 5% … 🙂", "µs ± 5% … 🙂"},
		{"bad \xff\xfe utf-8", "bad \xff\xfe utf-8"},
		{"del\x7f", `del\x7f`},
	} {
		if got := string(Append(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("Append(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// JSON through the filter decodes to the same value: C0 controls are already escaped
// by encoding/json, and the \u form of the others is JSON's own escape.
func TestJSONStaysTheSameJSON(t *testing.T) {
	in := map[string]string{"error": "evil \u202e\u0085\u2066 \x1b[2J text"}
	raw, _ := json.Marshal(in)
	var out map[string]string
	if err := json.Unmarshal(Append(nil, raw), &out); err != nil || out["error"] != in["error"] {
		t.Errorf("decoded %q, %v; want %q", out["error"], err, in["error"])
	}
}

// A character split across writes is judged whole: U+202E in three one-byte writes is
// still escaped.
func TestWriterJoinsSplitCharacters(t *testing.T) {
	var b bytes.Buffer
	w := NewWriter(&b)
	for _, p := range []string{"x\xe2", "\x80", "\xaey ok\xc2", "\xb5s"} {
		if n, err := w.Write([]byte(p)); err != nil || n != len(p) {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
	w.Write([]byte("\xe2\x80"))
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if got, want := b.String(), "x\\u202ey okµs\xe2\x80"; got != want {
		t.Errorf("wrote %q, want %q", got, want)
	}
}
