package bench

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrorLimit is --max-errors: how many failed requests a run tolerates, as a count
// ("20") or as a percentage of the requests asked ("5%"). The zero value is unset: the
// run then ends after MaxConsecutiveFailures failures in a row. It implements
// cli.Generic (Set, String) so a bad value fails when the flag is parsed, and
// encoding.TextMarshaler so the run file records it as written.
type ErrorLimit struct {
	// Count is the largest tolerated number of failures (used when Percent is 0).
	Count int
	// Percent, 0 < Percent ≤ 100, is the largest tolerated share of the requests asked.
	Percent float64
	// Set is true once a value was given.
	IsSet bool
}

// Set parses "N" (0 ≤ N ≤ 100000) or "P%" (0 < P ≤ 100).
func (l *ErrorLimit) Set(s string) error {
	s = strings.TrimSpace(s)
	if p, ok := strings.CutSuffix(s, "%"); ok {
		p = strings.TrimSpace(p)
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || !plainNumber(p, true) || math.IsNaN(f) || f <= 0 || f > 100 {
			return fmt.Errorf("want a percentage in (0, 100], e.g. 5%%")
		}
		*l = ErrorLimit{Percent: f, IsSet: true}
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || !plainNumber(s, false) || n < 0 || n > 100000 {
		return fmt.Errorf("want a count in 0..100000 or a percentage such as 5%%")
	}
	*l = ErrorLimit{Count: n, IsSet: true}
	return nil
}

// plainNumber reports whether s is written as digits, with one decimal point when
// decimal: no sign, exponent or spaces ("+3" and "1e2" are not how people write a
// count, and accepting them hides typos).
func plainNumber(s string, decimal bool) bool {
	if s == "" {
		return false
	}
	dot := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
		case c == '.' && decimal && !dot && i > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return true
}

// String is the value as the flag takes it; "" when unset.
func (l *ErrorLimit) String() string {
	switch {
	case l == nil || !l.IsSet:
		return ""
	case l.Percent > 0:
		return strconv.FormatFloat(l.Percent, 'g', -1, 64) + "%"
	}
	return strconv.Itoa(l.Count)
}

func (l ErrorLimit) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

func (l *ErrorLimit) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*l = ErrorLimit{}
		return nil
	}
	return l.Set(string(b))
}

// Allowed is the number of failures tolerated out of asked requests: Count, or
// ⌊Percent/100 × asked⌋. A run whose failures exceed it cannot end with the share asked.
func (l ErrorLimit) Allowed(asked int) int {
	if l.Percent > 0 {
		return int(math.Floor(l.Percent / 100 * float64(asked)))
	}
	return l.Count
}
