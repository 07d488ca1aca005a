package bench

import (
	"cmp"
	"encoding/base64"
	"net/url"
	"slices"
	"strings"
)

// Redacted stands where a credential was in text a server sent.
const Redacted = "[redacted]"

// MaxErrorBytes bounds Sample.Error: a server's error text beyond it keeps its first
// and last bytes (Excerpt). A failed request must not make the run file grow by
// whatever the server chose to send.
const MaxErrorBytes = 300

// Scrubber removes a backend's credentials from everything its server says before it
// reaches a sample, the journal, the run file or stderr: a server that echoes the
// request's Authorization header back in an error body must not put the key into the
// outputs. For each credential it removes the raw value, its URL-escaped forms and, for
// a user:password pair, the base64 of HTTP Basic (RFC 7617), so "Bearer sk-…" and
// "Basic dXNlcjpwdw==" both become "Bearer [redacted]" and "Basic [redacted]". The zero
// Scrubber removes nothing.
type Scrubber struct {
	secrets []string // longest first, so a value inside a longer one goes with it
}

// NewScrubber returns the Scrubber of a server at base (its user and password, when
// the URL has them) that is sent apiKey as a bearer token ("" when none). A password or
// key shorter than 3 bytes is removed only in its Basic form: removing a one-letter
// value everywhere would garble every message.
func NewScrubber(base *url.URL, apiKey string) Scrubber {
	var s Scrubber
	add := func(v string) {
		for _, f := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
			if len(f) >= 3 && !slices.Contains(s.secrets, f) {
				s.secrets = append(s.secrets, f)
			}
		}
	}
	add(apiKey)
	if base != nil && base.User != nil {
		user := base.User.Username()
		pw, _ := base.User.Password()
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + pw))
		add(basic)
		add(strings.TrimRight(basic, "="))
		add(user + ":" + pw)
		add(pw)
	}
	slices.SortFunc(s.secrets, func(a, b string) int { return cmp.Compare(len(b), len(a)) })
	return s
}

// Text returns text with every credential replaced by Redacted.
func (s Scrubber) Text(text string) string {
	for _, v := range s.secrets {
		text = strings.ReplaceAll(text, v, Redacted)
	}
	return text
}

// MaxMetaTextBytes bounds one string a server answers about itself or its model (a
// version, a family, a digest): no real one comes near it.
const MaxMetaTextBytes = 200

// Meta is Text for one string of metadata a server answered with success (a version,
// a model family): scrubbed, folded onto one line (runs of white space, CR and LF
// included, become one space: a server must not forge lines of the table) and cut to
// MaxMetaTextBytes.
func (s Scrubber) Meta(text string) string { return OneLine(s.Text(text), MaxMetaTextBytes) }

// ModelInfo returns mi with every string the server supplied passed through Meta.
func (s Scrubber) ModelInfo(mi ModelInfo) ModelInfo {
	for _, p := range []*string{&mi.Name, &mi.Digest, &mi.Format, &mi.Family, &mi.Architecture, &mi.ParameterSize,
		&mi.QuantizationLevel, &mi.CostError} {
		*p = s.Meta(*p)
	}
	for _, list := range [][]string{mi.Families, mi.Capabilities} {
		for i := range list {
			list[i] = s.Meta(list[i])
		}
	}
	if mi.Synthetic != nil {
		syn := *mi.Synthetic
		syn.Weights, syn.Shape, syn.Quant, syn.Seed = s.Meta(syn.Weights), s.Meta(syn.Shape), s.Meta(syn.Quant), s.Meta(syn.Seed)
		mi.Synthetic = &syn
	}
	return mi
}

// Err returns err with its message scrubbed, still wrapping err for errors.Is and
// errors.As; nil stays nil.
func (s Scrubber) Err(err error) error {
	if err == nil || len(s.secrets) == 0 {
		return err
	}
	if msg := err.Error(); s.Text(msg) != msg {
		return scrubbedError{s.Text(msg), err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e scrubbedError) Error() string { return e.msg }
func (e scrubbedError) Unwrap() error { return e.err }

// Excerpt returns s when it is at most n bytes, else its first and last bytes joined by
// " … ", n bytes in all (about), cut on UTF-8 boundaries: the start of an error usually
// says what failed, its end often why.
func Excerpt(s string, n int) string {
	if len(s) <= n {
		return s
	}
	const gap = " … "
	half := (n - len(gap)) / 2
	head, tail := half, len(s)-half
	for head > 0 && s[head]&0xC0 == 0x80 {
		head--
	}
	for tail < len(s) && s[tail]&0xC0 == 0x80 {
		tail++
	}
	return s[:head] + gap + s[tail:]
}
