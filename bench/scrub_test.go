package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// echoAuth answers every request with status and a body that repeats the request's
// Authorization header, as a misconfigured proxy or a debugging server does.
func echoAuth(status int) *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"denied for Authorization: ` + r.Header.Get("Authorization") + `"}`))
	}))
}

func withUser(t *testing.T, raw, user, pw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	u.User = url.UserPassword(user, pw)
	return u
}

// A server that echoes the credentials puts none of them into a sample or an error:
// the Bearer key of the OpenAI backend, the Basic user:password of --host, raw and
// base64, in streamed requests and metadata alike.
func TestServerTextIsScrubbed(t *testing.T) {
	const key, user, pw = "sk-test-0123456789abcdef", "alice", "s3cr3t-pw"
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
	for _, status := range []int{http.StatusUnauthorized, http.StatusInternalServerError} {
		srv := echoAuth(status)
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		backends := map[string]Backend{
			"openai": NewOpenAI(withUser(t, srv.URL, user, pw), key),
			"ollama": NewOllama(withUser(t, srv.URL, user, pw)),
		}
		for name, b := range backends {
			var s Sample
			b.Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
			_, verr := b.Version(ctx)
			_, derr := b.Describe(ctx, "m", "f16")
			texts := []string{s.Error}
			for _, err := range []error{verr, derr} {
				if err != nil {
					texts = append(texts, err.Error())
				}
			}
			if s.OK || s.Error == "" {
				t.Errorf("%s %d: sample ok %v error %q; want a failure", name, status, s.OK, s.Error)
			}
			for _, text := range texts {
				for _, secret := range []string{key, pw, basic, user + ":" + pw} {
					if strings.Contains(text, secret) {
						t.Errorf("%s %d: %q holds the credential %q", name, status, text, secret)
					}
				}
			}
			if !strings.Contains(s.Error, Redacted) {
				t.Errorf("%s %d: sample error %q does not show where the credential was", name, status, s.Error)
			}
		}
		cancel()
		srv.Close()
	}
}

func TestScrubberForms(t *testing.T) {
	s := NewScrubber(withUser(t, "http://h:1", "bob", "pa/ss word"), "k-123")
	in := "key k-123, Basic " + base64.StdEncoding.EncodeToString([]byte("bob:pa/ss word")) + ", escaped pa%2Fss+word and pa%2Fss%20word, raw pa/ss word"
	got := s.Text(in)
	for _, leak := range []string{"k-123", "pa/ss", "pa%2F", "Ym9i"} {
		if strings.Contains(got, leak) {
			t.Errorf("Text(%q) = %q: %q left", in, got, leak)
		}
	}
	if (Scrubber{}).Text(in) != in {
		t.Error("the zero Scrubber changed text")
	}
	if s := NewScrubber(withUser(t, "http://h:1", "u", "ab"), ""); s.Text("a cab") != "a cab" {
		t.Errorf("a 2-byte password removed everywhere: %q", s.Text("a cab"))
	}
}

// A redirect is refused, not followed: the request fails naming it, the other address
// receives nothing, and no Authorization header travels to another port.
func TestRedirectsAreNotFollowed(t *testing.T) {
	var reached atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
		w.WriteHeader(http.StatusOK)
	}))
	defer other.Close()
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, _ := url.Parse(redirector.URL)
	for name, b := range map[string]Backend{"openai": NewOpenAI(u, "sk-redirect-key"), "ollama": NewOllama(u)} {
		var s Sample
		b.Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
		_, verr := b.Version(ctx)
		if s.OK || !strings.Contains(s.Error, "redirected") {
			t.Errorf("%s: stream ok %v error %q; want a refused redirect", name, s.OK, s.Error)
		}
		if verr == nil || !strings.Contains(verr.Error(), "redirected") {
			t.Errorf("%s: version error %v; want a refused redirect", name, verr)
		}
	}
	if n := reached.Load(); n != 0 {
		t.Errorf("the redirect target received %d requests", n)
	}
}

// A 500 with a 7 MiB body makes a sample error of at most MaxErrorBytes that keeps the
// body's start and end.
func TestHugeErrorBodyIsExcerpted(t *testing.T) {
	body := `{"error":"START ` + strings.Repeat("x", 7<<20) + ` END"}`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(body))
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for name, b := range map[string]Backend{"openai": NewOpenAI(u, ""), "ollama": NewOllama(u)} {
		var s Sample
		b.Stream(ctx, time.Now(), Request{Model: "m", User: "x", MaxTokens: 4, NumCtx: 64}, &s)
		if s.OK || len(s.Error) > MaxErrorBytes+8 || !strings.Contains(s.Error, "START") {
			t.Errorf("%s: ok %v, error of %d bytes starting %.80q", name, s.OK, len(s.Error), s.Error)
		}
	}
}

func TestExcerpt(t *testing.T) {
	if got := Excerpt("short", 10); got != "short" {
		t.Errorf("Excerpt kept %q", got)
	}
	long := "héllo " + strings.Repeat("é", 400) + " the end"
	got := Excerpt(long, 60)
	if len(got) > 60 || !strings.HasPrefix(got, "héllo") || !strings.HasSuffix(got, "the end") || !strings.Contains(got, " … ") || !utf8Valid(got) {
		t.Errorf("Excerpt = %q (%d bytes)", got, len(got))
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }

// What a server answers with success about itself and its model is scrubbed too, and
// folded onto one line: a version or a family that repeats the Authorization header,
// or carries line breaks to forge lines of the table, reaches no output (found by a
// break-it round after items 3 and 13 were fixed).
func TestSuccessfulMetadataIsScrubbed(t *testing.T) {
	const pw, key = "S3cret-pw", "sk-secret-123"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		raw := pw // the credential itself, as the backend that sent auth knows it
		if strings.HasPrefix(auth, "Bearer ") {
			raw = key
		}
		echo := auth + " " + raw + "\n\r\tforged line"
		enc := json.NewEncoder(w)
		switch r.URL.Path {
		case "/api/version", "/version":
			enc.Encode(map[string]string{"version": "0.17.4 " + echo})
		case "/api/show":
			enc.Encode(map[string]any{"details": map[string]any{"format": "gguf", "family": echo, "families": []string{echo}, "parameter_size": echo},
				"model_info": map[string]any{"general.architecture": echo}, "capabilities": []string{echo}})
		case "/api/tags":
			enc.Encode(map[string]any{"models": []map[string]any{{"name": "m", "model": "m", "digest": echo}}})
		case "/v1/models":
			enc.Encode(map[string]any{"data": []map[string]string{{"id": "m"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	ol := NewOllama(withUser(t, srv.URL, "user", pw))
	oa := NewOpenAI(mustHost(t, srv.URL), key)
	var texts []string
	for _, b := range []interface {
		Version(context.Context) (string, error)
		Describe(context.Context, string, string) (ModelInfo, error)
	}{ol, oa} {
		v, err := b.Version(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		mi, err := b.Describe(context.Background(), "m", "f16")
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(mi)
		texts = append(texts, v, string(raw))
	}
	basic := base64.StdEncoding.EncodeToString([]byte("user:" + pw))
	for _, text := range texts {
		if strings.Contains(text, pw) || strings.Contains(text, key) || strings.Contains(text, basic) || strings.ContainsAny(text, "\n\r") || strings.Contains(text, `\n`) {
			t.Errorf("metadata kept a secret or a line break: %q", text)
		}
	}
	if !strings.HasPrefix(texts[0], "0.17.4 Basic [redacted]") {
		t.Errorf("version %q", texts[0])
	}
}

func mustHost(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := ParseHost(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
