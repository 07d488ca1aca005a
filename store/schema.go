package store

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/yardstick-dev/yardstick/bench"
)

// ddl creates the tables (docs/store.md describes each column). Machines and models
// are kept once each: a row's columns together are its identity (NOT NULL, ” or 0
// for unknown, since SQLite's UNIQUE holds NULLs distinct).
func ddl() []string {
	cols := make([]string, len(sampleColumns))
	for i, c := range sampleColumns {
		cols[i] = "\t" + c.name + " " + c.sqlType
	}
	return []string{
		`CREATE TABLE IF NOT EXISTS machines (
	machine_id INTEGER PRIMARY KEY,
	hostname TEXT NOT NULL,
	os TEXT NOT NULL,
	platform TEXT NOT NULL,
	platform_version TEXT NOT NULL,
	kernel_version TEXT NOT NULL,
	arch TEXT NOT NULL,
	cpu_model TEXT NOT NULL,
	cpu_physical_cores INTEGER NOT NULL,
	cpu_logical_cores INTEGER NOT NULL,
	memory_total_bytes INTEGER NOT NULL,
	gpus TEXT NOT NULL,
	gpu_count INTEGER NOT NULL,
	gpu_memory_total_bytes INTEGER NOT NULL,
	profile TEXT NOT NULL,
	memory_bandwidth_bytes_per_s REAL NOT NULL,
	peak_flop_per_s REAL NOT NULL,
	UNIQUE (hostname, os, platform, platform_version, kernel_version, arch, cpu_model, cpu_physical_cores,
		cpu_logical_cores, memory_total_bytes, gpus, gpu_count, gpu_memory_total_bytes, profile,
		memory_bandwidth_bytes_per_s, peak_flop_per_s)
)`,
		`CREATE TABLE IF NOT EXISTS models (
	model_id INTEGER PRIMARY KEY,
	name TEXT NOT NULL,
	digest TEXT NOT NULL,
	format TEXT NOT NULL,
	family TEXT NOT NULL,
	architecture TEXT NOT NULL,
	parameter_size TEXT NOT NULL,
	parameter_count INTEGER NOT NULL,
	quantization TEXT NOT NULL,
	context_length INTEGER NOT NULL,
	expert_count INTEGER NOT NULL,
	expert_used_count INTEGER NOT NULL,
	file_size_bytes INTEGER NOT NULL,
	synthetic_shape TEXT NOT NULL,
	UNIQUE (name, digest, format, family, architecture, parameter_size, parameter_count, quantization,
		context_length, expert_count, expert_used_count, file_size_bytes, synthetic_shape)
)`,
		`CREATE TABLE IF NOT EXISTS runs (
	run_key INTEGER PRIMARY KEY,
	run_id TEXT NOT NULL,
	content_sha256 TEXT NOT NULL,
	file TEXT NOT NULL,
	imported_at TEXT NOT NULL,
	schema_version INTEGER NOT NULL,
	tool_version TEXT NOT NULL,
	go_version TEXT NOT NULL,
	started_at TEXT NOT NULL,
	ended_at TEXT NOT NULL,
	end_reason TEXT NOT NULL,
	machine_id INTEGER NOT NULL REFERENCES machines (machine_id),
	model_id INTEGER NOT NULL REFERENCES models (model_id),
	backend TEXT NOT NULL,
	server_url TEXT NOT NULL,
	server_version TEXT NOT NULL,
	server TEXT NOT NULL,
	workload_hash TEXT NOT NULL,
	prompt_tokens_target INTEGER NOT NULL,
	max_tokens INTEGER NOT NULL,
	seed INTEGER NOT NULL,
	temperature REAL NOT NULL,
	num_ctx INTEGER NOT NULL,
	think TEXT NOT NULL,
	load TEXT NOT NULL,
	levels INTEGER NOT NULL,
	completed INTEGER NOT NULL,
	failed INTEGER NOT NULL,
	dropped INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	window_ns INTEGER NOT NULL,
	output_tokens_per_s REAL NOT NULL,
	requests_per_s REAL NOT NULL,
	goodput_per_s REAL,
	ttft_median_ns REAL,
	server_gen_median_per_s REAL,
	decode_efficiency_frac REAL,
	prefill_efficiency_frac REAL,
	server_rss_peak_bytes INTEGER,
	energy_j REAL,
	warnings INTEGER NOT NULL,
	merged_sources INTEGER NOT NULL,
	run_json TEXT NOT NULL,
	UNIQUE (run_id, content_sha256)
)`,
		`CREATE INDEX IF NOT EXISTS runs_started_at ON runs (started_at)`,
		`CREATE TABLE IF NOT EXISTS levels (
	run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
	level_index INTEGER NOT NULL,
	load TEXT NOT NULL,
	concurrency INTEGER NOT NULL,
	rate_per_s REAL NOT NULL,
	arrival TEXT NOT NULL,
	prompt_tokens INTEGER NOT NULL,
	servers INTEGER NOT NULL,
	requests INTEGER NOT NULL,
	dropped INTEGER NOT NULL,
	window_ns INTEGER NOT NULL,
	completed INTEGER NOT NULL,
	failed INTEGER NOT NULL,
	output_tokens INTEGER NOT NULL,
	output_tokens_per_s REAL NOT NULL,
	requests_per_s REAL NOT NULL,
	goodput_per_s REAL,
	mean_requests_in_flight REAL NOT NULL,
	decode_tokens_per_s REAL NOT NULL,
	decode_efficiency_frac REAL,
	PRIMARY KEY (run_key, level_index)
)`,
		`CREATE TABLE IF NOT EXISTS summaries (
	run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
	level_index INTEGER,
	metric TEXT NOT NULL,
	n INTEGER NOT NULL,
	mean REAL NOT NULL,
	stddev REAL NOT NULL,
	cv REAL,
	min REAL NOT NULL,
	p50 REAL NOT NULL,
	p90 REAL NOT NULL,
	p95 REAL NOT NULL,
	p99 REAL NOT NULL,
	max REAL NOT NULL,
	median REAL NOT NULL,
	median_ci_lo REAL,
	median_ci_hi REAL,
	median_ci_level REAL,
	warning TEXT
)`,
		`CREATE INDEX IF NOT EXISTS summaries_run_metric ON summaries (run_key, metric)`,
		"CREATE TABLE IF NOT EXISTS samples (\n\trun_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,\n" +
			strings.Join(cols, ",\n") + "\n)",
		`CREATE INDEX IF NOT EXISTS samples_run ON samples (run_key, phase, sample_index)`,
	}
}

// column is one samples column: a field of bench.Sample under its JSON name.
type column struct {
	name    string
	index   []int
	sqlType string // INTEGER, REAL or TEXT
	json    bool   // a list or object, stored as its JSON text
}

// sampleColumns are the samples table's columns after run_key: one per field
// bench.Sample writes, named as in the run file (but index and level, which are SQL
// words or ambiguous, as sample_index and level_index). Integers and booleans are
// INTEGER, floats REAL, strings TEXT, lists and objects their JSON text; an absent
// figure (a nil pointer) is NULL.
var sampleColumns = func() []column {
	var cols []column
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(slices.Clone(index), i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if !f.IsExported() {
				continue
			}
			if name == "" {
				name = f.Name
			}
			switch name {
			case "index":
				name = "sample_index"
			case "level":
				name = "level_index"
			}
			c := column{name: name, index: idx}
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
				reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
				c.sqlType = "INTEGER"
			case reflect.Float32, reflect.Float64:
				c.sqlType = "REAL"
			case reflect.String:
				c.sqlType = "TEXT"
			default:
				c.sqlType, c.json = "TEXT", true
			}
			cols = append(cols, c)
		}
	}
	walk(reflect.TypeFor[bench.Sample](), nil)
	return cols
}()

// value is the column's value in sample v (a bench.Sample): nil for a nil pointer,
// slice or map.
func (c column) value(v reflect.Value) (any, error) {
	f, err := v.FieldByIndexErr(c.index)
	if err != nil {
		return nil, nil // a field of a nil embedded pointer: absent
	}
	if c.json {
		if (f.Kind() == reflect.Pointer || f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.IsNil() {
			return nil, nil
		}
		b, err := json.Marshal(f.Interface())
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	if f.Kind() == reflect.Pointer {
		if f.IsNil() {
			return nil, nil
		}
		f = f.Elem()
	}
	switch f.Kind() {
	case reflect.Bool:
		if f.Bool() {
			return int64(1), nil
		}
		return int64(0), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return f.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return int64(f.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return f.Float(), nil
	case reflect.String:
		return f.String(), nil
	}
	return nil, fmt.Errorf("unexpected kind %s", f.Kind())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
