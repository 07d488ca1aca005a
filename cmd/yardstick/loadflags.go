package main

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// numList is a comma-separated list of numbers (--concurrency 1,2,4,8, --rate
// 0.5,1,2, --prompt-tokens 128,512,2048), validated when parsed: each item by parse
// (its syntax and range), and no item twice.
type numList[T int | float64] struct {
	vals  []T
	parse func(string) (T, error)
}

// intList takes whole numbers in lo..hi; vals is the default.
func intList(lo, hi int, vals ...int) *numList[int] {
	return &numList[int]{vals: vals, parse: func(f string) (int, error) {
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

// rateList takes arrival rates in requests per second, bench.MinRate..bench.MaxRate,
// with an optional "/s" suffix (2/s).
func rateList() *numList[float64] {
	return &numList[float64]{parse: func(f string) (float64, error) {
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

func (l *numList[T]) Set(s string) error {
	var vals []T
	for _, f := range strings.Split(s, ",") {
		v, err := l.parse(strings.TrimSpace(f))
		if err != nil {
			return err
		}
		if slices.Contains(vals, v) {
			return fmt.Errorf("%v is listed twice", v)
		}
		vals = append(vals, v)
	}
	l.vals = vals
	return nil
}

func (l *numList[T]) String() string {
	if l == nil {
		return ""
	}
	parts := make([]string, len(l.vals))
	for i, v := range l.vals {
		parts[i] = fmt.Sprint(v)
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
