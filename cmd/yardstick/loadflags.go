package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// intList is a comma-separated list of integers (--concurrency 1,2,4,8,
// --prompt-tokens 128,512,2048), validated when parsed: each in lo..hi, no repeats.
type intList struct {
	vals   []int
	lo, hi int
	set    bool
}

func (l *intList) Set(s string) error {
	var vals []int
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		n, err := strconv.Atoi(f)
		if err != nil {
			return fmt.Errorf("%q is not a whole number (a list looks like 1,2,4,8)", f)
		}
		if n < l.lo || n > l.hi {
			return fmt.Errorf("%d is not in %d..%d", n, l.lo, l.hi)
		}
		for _, v := range vals {
			if v == n {
				return fmt.Errorf("%d is listed twice", n)
			}
		}
		vals = append(vals, n)
	}
	l.vals, l.set = vals, true
	return nil
}

func (l *intList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.vals))
	for i, v := range l.vals {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ",")
}

// rateList is --rate: a comma-separated list of arrival rates in requests per second,
// each in (0, 10000], no repeats; an optional "/s" suffix is accepted (2/s).
type rateList struct{ vals []float64 }

func (l *rateList) Set(s string) error {
	var vals []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSuffix(strings.TrimSpace(f), "/s")
		r, err := strconv.ParseFloat(f, 64)
		if err != nil || math.IsNaN(r) || math.IsInf(r, 0) {
			return fmt.Errorf("%q is not a rate in requests per second (a list looks like 0.5,1,2,4)", f)
		}
		if r < bench.MinRate || r > bench.MaxRate {
			return fmt.Errorf("%g requests per second is not in %g..%g", r, bench.MinRate, bench.MaxRate)
		}
		for _, v := range vals {
			if v == r {
				return fmt.Errorf("%g is listed twice", r)
			}
		}
		vals = append(vals, r)
	}
	l.vals = vals
	return nil
}

func (l *rateList) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.vals))
	for i, v := range l.vals {
		parts[i] = strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strings.Join(parts, ",")
}

// hostList is --host, repeatable: each occurrence adds a server (a fleet).
type hostList struct{ vals []string }

func (l *hostList) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty host")
	}
	l.vals = append(l.vals, s)
	return nil
}

func (l *hostList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(l.vals, " ")
}
