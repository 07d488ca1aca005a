// Package flagval holds the command line's complex flag values: each implements
// urfave/cli's Generic (Set, String) without importing it, and validates its value when
// the flag is parsed, so a bad value stops a command before anything is read or
// measured (lists of levels, --model lists, --runs N|auto, --fail-on gates, --format,
// --alpha).
package flagval

import (
	"fmt"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/results"
)

// List is a comma-separated list of numbers (--concurrency 1,2,4,8, --rate
// 0.5,1,2, --prompt-tokens 128,512,2048), validated when parsed: each item by parse
// (its syntax and range), and no item twice.
type List[T int | float64] struct {
	Vals  []T
	parse func(string) (T, error)
}

// IntList takes whole numbers in lo..hi; Vals is the default.
func IntList(lo, hi int, vals ...int) *List[int] {
	return &List[int]{Vals: vals, parse: func(f string) (int, error) {
		n, err := strconv.Atoi(f)
		switch {
		case err != nil:
			return 0, fmt.Errorf("%q is not a whole number (a list looks like 1,2,4,8)", f)
		case n < lo || n > hi:
			return 0, fmt.Errorf("%d is not in %d..%d", n, lo, hi)
		}
		return n, nil
	}}
}

// RateList takes arrival rates in requests per second, bench.MinRate..bench.MaxRate,
// with an optional "/s" suffix (2/s).
func RateList() *List[float64] {
	return &List[float64]{parse: func(f string) (float64, error) {
		f = strings.TrimSuffix(f, "/s")
		r, err := strconv.ParseFloat(f, 64)
		switch {
		case err != nil || math.IsNaN(r) || math.IsInf(r, 0):
			return 0, fmt.Errorf("%q is not a rate in requests per second (a list looks like 0.5,1,2,4)", f)
		case r < bench.MinRate || r > bench.MaxRate:
			return 0, fmt.Errorf("%g requests per second is not in %g..%g", r, bench.MinRate, bench.MaxRate)
		}
		return r, nil
	}}
}

func (l *List[T]) Set(s string) error {
	var Vals []T
	for _, f := range strings.Split(s, ",") {
		v, err := l.parse(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		if slices.Contains(Vals, v) {
			return fmt.Errorf("%v is listed twice", v)
		}
		Vals = append(Vals, v)
	}
	l.Vals = Vals
	return nil
}

func (l *List[T]) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.Vals))
	for i, v := range l.Vals {
		parts[i] = fmt.Sprint(v)
	}
	return strings.Join(parts, ",")
}

// EnvFirst keeps a repeatable flag's environment variable apart from its
// occurrences on the command line. urfave/cli sets a flag from its EnvVars before it
// parses the command line, through the same Set; a repeatable flag would then add the
// command line's values to the variable's, where a flag must beat its variable. Var
// names the variable (empty: none); Taken tells the variable's Set from the command
// line's, so the flag can keep the two apart.
type EnvFirst struct {
	Var  string
	seen bool
}

// Taken reports whether Set(s) is urfave/cli applying the variable: the first call,
// with its value, the variable set.
func (e *EnvFirst) Taken(s string) bool {
	if e.Var == "" || e.seen {
		return false
	}
	e.seen = true
	v := os.Getenv(e.Var)
	return v != "" && v == s
}

// HostList is --host, repeatable: each occurrence adds a server (a fleet). The
// variable of EnvFirst (YARDSTICK_HOST) is one server, replaced by any --host.
type HostList struct {
	Vals []string
	EnvFirst
	env []string
}

// List is the servers in effect: the command line's, else the environment's.
func (l *HostList) List() []string {
	if len(l.Vals) == 0 {
		return l.env
	}
	return l.Vals
}

func (l *HostList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty host")
	}
	if l.Taken(s) {
		l.env = []string{s}
		return nil
	}
	l.Vals = append(l.Vals, s)
	return nil
}

func (l *HostList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.List(), " ")
}

// Models is --model: one model or several, as a comma-separated list, a repeated
// flag, or both (-m a,b -m c), in the order given. Set refuses an empty name ("a,,b",
// a trailing comma, -m "") and a model named twice, compared as servers resolve names:
// case aside, and a missing tag is Ollama's ":latest" ("qwen3" is "qwen3:latest").
//
// The variable of EnvFirst (YARDSTICK_MODEL) is kept apart: a model on the command
// line replaces its list instead of adding to it (the flag beats the variable, and -m a
// with the variable a is not "listed twice"). List gives the models in effect.
type Models struct {
	Vals []string
	EnvFirst
	env []string
}

// List is the models in effect: the command line's, else the environment's.
func (m *Models) List() []string {
	if len(m.Vals) == 0 {
		return m.env
	}
	return m.Vals
}

func (m *Models) Set(s string) error {
	if m.Taken(s) {
		env := Models{}
		if err := env.Set(s); err != nil {
			return err
		}
		m.env = env.Vals
		return nil
	}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return fmt.Errorf("an empty model name in %q (list models as a,b or repeat -m)", s)
		}
		for _, prev := range m.Vals {
			if bench.SameModelName(prev, name) {
				return fmt.Errorf("model %q is listed twice (as %q and %q)", name, prev, name)
			}
		}
		m.Vals = append(m.Vals, name)
	}
	return nil
}

func (m *Models) String() string {
	if m == nil {
		return ""
	}
	return strings.Join(m.List(), ",")
}

// Runs is the --runs flag: a positive count or "auto", validated when parsed.
type Runs struct {
	N    int
	Auto bool
}

func (r *Runs) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "auto") {
		r.Auto = true
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("want a number or auto")
	}
	r.N, r.Auto = n, false
	return nil
}

func (r *Runs) String() string {
	if r == nil {
		return ""
	}
	if r.Auto {
		return "auto"
	}
	return strconv.Itoa(r.N)
}

// Gates is the --fail-on value: regression gates, validated when the flag is
// parsed (results.ParseGates), so a bad gate stops the command before any file is read.
type Gates struct {
	spec  string
	Gates []results.Gate
}

func (f *Gates) Set(v string) error {
	g, err := results.ParseGates(v)
	if err != nil {
		return err
	}
	f.spec, f.Gates = v, g
	return nil
}

func (f *Gates) String() string { return f.spec }

// Choice is a --format value, one of a fixed list, validated when parsed.
type Choice struct {
	Value   string
	Allowed []string
}

func (f *Choice) Set(v string) error {
	if !slices.Contains(f.Allowed, v) {
		return fmt.Errorf("unknown format %q (one of %s)", v, strings.Join(f.Allowed, ", "))
	}
	f.Value = v
	return nil
}

func (f *Choice) String() string { return f.Value }

// Alpha is --alpha: a significance level in (0, 0.5].
type Alpha struct{ Value float64 }

func (a *Alpha) Set(v string) error {
	x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || !(x > 0 && x <= 0.5) {
		return fmt.Errorf("%q must be a number in (0, 0.5], e.g. 0.05", v)
	}
	a.Value = x
	return nil
}

func (a *Alpha) String() string { return fmt.Sprint(a.Value) }
