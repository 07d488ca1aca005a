package bench

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A metadata answer larger than any real one ends in an error at maxMetaBytes rather
// than being read whole (issue 11, item 11: a 512 MiB /api/version once grew the
// process to 1.27 GB). The server here would send 64 MiB.
func TestOllamaMetadataAnswersAreBounded(t *testing.T) {
	chunk := strings.Repeat("a", 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if _, err := w.Write([]byte(`{"version":"`)); err != nil {
			return
		}
		for range 64 {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return // the client stopped reading
			}
		}
		w.Write([]byte(`"}`))
	}))
	defer srv.Close()
	base, err := ParseHost(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	o := NewOllama(base)
	for name, call := range map[string]func() error{
		"version":  func() error { _, err := o.Version(context.Background()); return err },
		"describe": func() error { _, err := o.Describe(context.Background(), "m", "f16"); return err },
		"running":  func() error { _, err := o.Running(context.Background(), "m", ""); return err },
	} {
		if err := call(); !errors.Is(err, ErrAnswerTooLarge) || !strings.Contains(err.Error(), "larger than 16777216 bytes") {
			t.Errorf("%s: err = %v, want ErrAnswerTooLarge", name, err)
		}
	}
}

// A body exactly at the limit is read whole: the bound refuses only what is larger.
func TestBoundedBodyAtTheLimit(t *testing.T) {
	for _, tc := range []struct {
		size int
		ok   bool
	}{{10, true}, {11, false}} {
		b := &boundedBody{ReadCloser: nopCloser{strings.NewReader(strings.Repeat("x", tc.size))}, left: 10, limit: 10}
		var got []byte
		var err error
		buf := make([]byte, 3)
		for {
			var n int
			n, err = b.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		if ok := err != nil && !errors.Is(err, ErrAnswerTooLarge); ok != tc.ok || len(got) > 10 {
			t.Errorf("size %d: read %d bytes, err %v", tc.size, len(got), err)
		}
	}
}

type nopCloser struct{ *strings.Reader }

func (nopCloser) Close() error { return nil }
