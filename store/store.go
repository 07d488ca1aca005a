// Package store keeps run files in a SQLite database, where runs from many machines
// and many days meet: tables runs, machines, models, levels, summaries and samples, of
// plain SQL types (INTEGER, REAL, TEXT), wall-clock times as ISO-8601 UTC text and the
// unit in every figure's column name, so Datasette, DuckDB and Grafana's SQLite source
// read it as it is. docs/store.md documents every table and column.
//
// The driver is modernc.org/sqlite, SQLite compiled to Go: no cgo. Importing a run
// that is already in the database (the same run id and the same file content, by
// SHA-256) adds nothing. The package never prints.
package store

import (
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/userfile"
	"github.com/yardstick-dev/yardstick/results"
)

// SchemaVersion is the database's schema version, kept in SQLite's user_version. It
// changes when a table or column changes meaning or is removed; a column added to
// samples (a field added to bench.Sample) is added to an older database when it is
// opened and does not change it.
const SchemaVersion = 1

// DB is an open results store. It is not safe for concurrent use.
type DB struct {
	db   *sql.DB
	path string
}

// ErrNotRunFile is wrapped by Import's error for a JSON file whose kind is not
// yardstick.run (a comparison, a plan, another tool's file).
var ErrNotRunFile = errors.New("not a yardstick run file")

// Open opens the store at path, creating the file and its tables when absent and
// adding the samples columns of fields bench.Sample gained since the file was made.
// Errors: path cannot be opened or is not a SQLite database, holds another program's
// tables (a database without the store's schema version), or holds a store of a
// newer schema version than this build knows.
func Open(path string) (*DB, error) {
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("%s: a database path may not contain ? or #", path)
	}
	db, err := sql.Open("sqlite", path+"?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	d := &DB{db: db, path: path}
	if err := d.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// Close closes the database.
func (d *DB) Close() error { return d.db.Close() }

func (d *DB) init() error {
	var v int
	if err := d.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return err
	}
	if v > SchemaVersion {
		return fmt.Errorf("store schema version %d is newer than this yardstick understands (%d); upgrade yardstick", v, SchemaVersion)
	}
	if v == 0 {
		// No store's version: a new database, or another program's. Its tables are
		// not ours to add to (ls would otherwise create the store's tables in it).
		var table string
		err := d.db.QueryRow("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name LIMIT 1").Scan(&table)
		switch {
		case err == nil:
			return fmt.Errorf("not a yardstick results store: the database holds tables (%s, …) of another program; give --db a new file", table)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
	}
	tx, err := d.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range ddl() {
		if _, err := tx.Exec(stmt); err != nil {
			return fmt.Errorf("creating tables: %w", err)
		}
	}
	// Columns of sample fields added since the file was made.
	have := map[string]bool{}
	rows, err := tx.Query("SELECT name FROM pragma_table_info('samples')")
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			rows.Close()
			return err
		}
		have[name] = true
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for _, c := range sampleColumns {
		if !have[c.name] {
			if _, err := tx.Exec(fmt.Sprintf("ALTER TABLE samples ADD COLUMN %s %s", c.name, c.sqlType)); err != nil {
				return fmt.Errorf("adding samples.%s: %w", c.name, err)
			}
		}
	}
	if v != SchemaVersion { // a new file; an up-to-date store is not written to (ls on a read-only copy)
		if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", SchemaVersion)); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// Import adds the run file at path, as read from file (the name the store records and
// ls lists). It reports whether the run was added: false, with no error, when the
// store already holds this run id with this content (SHA-256 of the file's bytes).
// Errors: the file cannot be read, is not a run file (wrapping ErrNotRunFile when its
// kind is another's), is corrupt (results.DecodeRun's reason), or the database fails;
// the store is then unchanged.
func (d *DB) Import(path string) (bool, error) {
	b, err := userfile.Read(path, results.MaxRunFileBytes)
	if err != nil {
		return false, err
	}
	var head struct {
		Kind       string                `json:"kind"`
		MergedFrom []results.MergeSource `json:"merged_from"`
	}
	if err := json.Unmarshal(b, &head); err == nil && head.Kind != results.Kind {
		return false, fmt.Errorf("%s: %w (kind %q)", path, ErrNotRunFile, head.Kind)
	}
	r, err := results.DecodeRun(path, b)
	if err != nil {
		return false, err
	}
	sum := sha256.Sum256(b)
	added, err := d.insert(path, hex.EncodeToString(sum[:]), r, len(head.MergedFrom))
	if err != nil {
		return false, fmt.Errorf("%s: storing in %s: %w", path, d.path, err)
	}
	return added, nil
}

// utc converts a run file's RFC 3339 time to ISO-8601 UTC with milliseconds
// ("2026-12-05T09:00:00.000Z"); a time that does not parse is kept as written.
func utc(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// insert stores r in one transaction.
func (d *DB) insert(file, sha string, r *results.Run, merged int) (bool, error) {
	tx, err := d.db.Begin()
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var key int64
	switch err := tx.QueryRow("SELECT run_key FROM runs WHERE run_id = ? AND content_sha256 = ?", r.RunID, sha).Scan(&key); {
	case err == nil:
		return false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return false, err
	}
	// The same run in another file: an interrupted run's file and the one written when
	// it was resumed (--resume keeps the run id). The store keeps one row per run, the
	// later: more samples, else a later end. An earlier file is not added.
	var oldKey, oldSamples int64
	var oldEnded string
	switch err := tx.QueryRow(`SELECT run_key, ended_at, (SELECT count(*) FROM samples s WHERE s.run_key = runs.run_key AND s.phase = 'measured')
		FROM runs WHERE run_id = ? ORDER BY ended_at DESC LIMIT 1`, r.RunID).Scan(&oldKey, &oldEnded, &oldSamples); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return false, err
	case int64(len(r.Samples)) < oldSamples || (int64(len(r.Samples)) == oldSamples && utc(r.EndedAt) <= oldEnded):
		return false, nil
	default:
		if _, err := tx.Exec("DELETE FROM runs WHERE run_id = ?", r.RunID); err != nil { // levels, summaries, samples cascade
			return false, fmt.Errorf("replacing the earlier file of run %s: %w", r.RunID, err)
		}
	}
	machineID, err := upsertMachine(tx, r)
	if err != nil {
		return false, fmt.Errorf("machines: %w", err)
	}
	modelID, err := upsertModel(tx, r.Target.Model)
	if err != nil {
		return false, fmt.Errorf("models: %w", err)
	}
	key, err = insertRun(tx, file, sha, r, merged, machineID, modelID)
	if err != nil {
		return false, fmt.Errorf("runs: %w", err)
	}
	if err := insertLevels(tx, key, r); err != nil {
		return false, fmt.Errorf("levels: %w", err)
	}
	if err := insertSummaries(tx, key, r); err != nil {
		return false, fmt.Errorf("summaries: %w", err)
	}
	if err := insertSamples(tx, key, r); err != nil {
		return false, fmt.Errorf("samples: %w", err)
	}
	return true, tx.Commit()
}

func upsertMachine(tx *sql.Tx, r *results.Run) (int64, error) {
	hw := r.Environment.Hardware
	var gpus []string
	var gpuMem uint64
	for _, g := range hw.GPUs {
		gpus = append(gpus, strings.TrimSpace(g.Vendor+" "+g.Name))
		gpuMem += g.MemoryTotalBytes
	}
	profile, bw, flops := "", 0.0, 0.0
	if m := r.Environment.Machine; m != nil {
		profile, bw, flops = m.Profile, m.MemoryBandwidthBytesPerS, m.PeakFLOPS
	}
	var id int64
	err := tx.QueryRow(`INSERT INTO machines (hostname, os, platform, platform_version, kernel_version, arch, cpu_model,
		cpu_physical_cores, cpu_logical_cores, memory_total_bytes, gpus, gpu_count, gpu_memory_total_bytes, profile,
		memory_bandwidth_bytes_per_s, peak_flop_per_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET hostname = excluded.hostname RETURNING machine_id`,
		hw.Hostname, hw.OS, hw.Platform, hw.PlatformVersion, hw.KernelVersion, hw.Arch, hw.CPUModel,
		hw.CPUPhysicalCores, hw.CPULogicalCores, int64(hw.MemoryTotalBytes), strings.Join(gpus, ", "), len(hw.GPUs), int64(gpuMem), profile,
		bw, flops).Scan(&id)
	return id, err
}

func upsertModel(tx *sql.Tx, m bench.ModelInfo) (int64, error) {
	shape := ""
	if m.Synthetic != nil {
		shape = m.Synthetic.Shape
	}
	var id int64
	err := tx.QueryRow(`INSERT INTO models (name, digest, format, family, architecture, parameter_size, parameter_count,
		quantization, context_length, expert_count, expert_used_count, file_size_bytes, synthetic_shape)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET name = excluded.name RETURNING model_id`,
		m.Name, m.Digest, m.Format, m.Family, m.Architecture, m.ParameterSize, int64(m.ParameterCount),
		m.QuantizationLevel, int64(m.ContextLength), int64(m.ExpertCount), int64(m.ExpertUsedCount), m.FileSizeBytes, shape).Scan(&id)
	return id, err
}

func insertRun(tx *sql.Tx, file, sha string, r *results.Run, merged int, machineID, modelID int64) (int64, error) {
	e := results.ListEntryOf(file, r, merged)
	head := *r
	head.Samples, head.Warmup = []bench.Sample{}, []bench.Sample{}
	runJSON, err := json.Marshal(&head)
	if err != nil {
		return 0, err
	}
	var decodeEff, prefillEff *float64
	if rf := r.Roofline; rf != nil {
		decodeEff, prefillEff = rf.DecodeEfficiencyFrac, rf.PrefillEfficiencyFrac
	}
	var energy *float64
	if r.Energy.EnergyJ != nil {
		energy = r.Energy.EnergyJ
	}
	var rss *int64
	if p := r.Memory.ServerRSSPeakBytes; p != nil {
		v := int64(*p)
		rss = &v
	}
	w := r.Workload
	res, err := tx.Exec(`INSERT INTO runs (run_id, content_sha256, file, imported_at, schema_version, tool_version, go_version,
		started_at, ended_at, end_reason, machine_id, model_id, backend, server_url, server_version, server,
		workload_hash, prompt_tokens_target, max_tokens, seed, temperature, num_ctx, think,
		load, levels, completed, failed, dropped, output_tokens, window_ns, output_tokens_per_s, requests_per_s, goodput_per_s,
		ttft_median_ns, server_gen_median_per_s, decode_efficiency_frac, prefill_efficiency_frac, server_rss_peak_bytes, energy_j,
		warnings, merged_sources, run_json)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.RunID, sha, file, time.Now().UTC().Format("2006-01-02T15:04:05.000Z"), r.SchemaVersion, r.Tool.Version, r.Tool.GoVersion,
		utc(r.StartedAt), utc(r.EndedAt), r.EndReason, machineID, modelID, r.Target.Backend, r.Target.Host, r.Target.ServerVersion, e.Server,
		w.Hash, w.PromptTokensTarget, w.MaxTokens, w.Seed, w.Temperature, w.NumCtx, w.Think.String(),
		e.Load, len(r.Levels), e.Completed, e.Failed, e.Dropped, r.Throughput.OutputTokens, r.Window.DurationNs,
		e.OutputTokensPerS, r.Throughput.RequestsPerS, r.Throughput.GoodputPerS,
		e.TTFTMedianNs, e.DecodeMedianPerS, decodeEff, prefillEff, rss, energy,
		e.Warnings, e.Merged, string(runJSON))
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func insertLevels(tx *sql.Tx, key int64, r *results.Run) error {
	st, err := tx.Prepare(`INSERT INTO levels (run_key, level_index, load, concurrency, rate_per_s, arrival, prompt_tokens,
		servers, requests, dropped, window_ns, completed, failed, output_tokens, output_tokens_per_s, requests_per_s,
		goodput_per_s, mean_requests_in_flight, decode_tokens_per_s, decode_efficiency_frac)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, l := range r.Levels {
		var eff *float64
		if l.Roofline != nil {
			eff = l.Roofline.DecodeEfficiencyFrac
		}
		t := l.Throughput
		if _, err := st.Exec(key, l.Index, l.LoadSpec.Model, l.LoadSpec.Concurrency, l.LoadSpec.RatePerS, l.LoadSpec.Arrival, l.PromptTokens,
			l.Servers, l.Requests, l.Dropped, l.Window.DurationNs, t.Completed, t.Failed, t.OutputTokens, t.OutputTokensPerS, t.RequestsPerS,
			l.GoodputPerS, l.MeanRequestsInFlight, l.DecodeTokensPerS, eff); err != nil {
			return err
		}
	}
	return nil
}

func insertSummaries(tx *sql.Tx, key int64, r *results.Run) error {
	st, err := tx.Prepare(`INSERT INTO summaries (run_key, level_index, metric, n, mean, stddev, cv, min, p50, p90, p95, p99, max,
		median, median_ci_lo, median_ci_hi, median_ci_level, warning) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	add := func(level *int, sums map[string]results.Summary) error {
		for _, name := range sortedKeys(sums) {
			s := sums[name]
			var warning *string
			if s.Warning != "" {
				warning = &s.Warning
			}
			var ciLevel *float64 // 0 in the file: no interval
			if s.MedianCILevel != 0 {
				ciLevel = &s.MedianCILevel
			}
			if _, err := st.Exec(key, level, name, s.N, s.Mean, s.Stddev, s.CV, s.Min, s.P50, s.P90, s.P95, s.P99, s.Max,
				s.Median, s.MedianCILo, s.MedianCIHi, ciLevel, warning); err != nil {
				return err
			}
		}
		return nil
	}
	if err := add(nil, r.Summaries); err != nil {
		return err
	}
	for _, l := range r.Levels {
		if err := add(&l.Index, l.Summaries); err != nil {
			return err
		}
	}
	return nil
}

func insertSamples(tx *sql.Tx, key int64, r *results.Run) error {
	names := make([]string, len(sampleColumns))
	marks := make([]string, len(sampleColumns))
	for i, c := range sampleColumns {
		names[i], marks[i] = c.name, "?"
	}
	st, err := tx.Prepare("INSERT INTO samples (run_key, " + strings.Join(names, ", ") + ") VALUES (?, " + strings.Join(marks, ", ") + ")")
	if err != nil {
		return err
	}
	defer st.Close()
	args := make([]any, 1+len(sampleColumns))
	args[0] = key
	add := func(s *bench.Sample) error {
		v := reflect.ValueOf(s).Elem()
		for i, c := range sampleColumns {
			a, err := c.value(v)
			if err != nil {
				return fmt.Errorf("sample %d: %s: %w", s.Index, c.name, err)
			}
			args[1+i] = a
		}
		_, err := st.Exec(args...)
		return err
	}
	if r.Cold != nil {
		if err := add(&r.Cold.Sample); err != nil {
			return err
		}
	}
	for _, group := range [][]bench.Sample{r.Warmup, r.Samples} {
		for i := range group {
			if err := add(&group[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// List returns the stored runs as results.List lists a directory's, oldest first (by
// started_at, then file): File is the path the run was imported from.
func (d *DB) List() ([]results.ListEntry, error) {
	rows, err := d.db.Query(`SELECT r.file, r.run_id, r.started_at, m.hostname, mo.name, mo.quantization, mo.synthetic_shape <> '',
		r.server, r.workload_hash, r.load, r.completed, r.failed, r.dropped, r.ttft_median_ns, r.server_gen_median_per_s,
		r.output_tokens_per_s, r.merged_sources, r.warnings
		FROM runs r JOIN machines m USING (machine_id) JOIN models mo USING (model_id)`)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	defer rows.Close()
	entries := []results.ListEntry{}
	for rows.Next() {
		var e results.ListEntry
		if err := rows.Scan(&e.File, &e.RunID, &e.StartedAt, &e.Host, &e.Model, &e.Quant, &e.Synthetic, &e.Server, &e.Workload,
			&e.Load, &e.Completed, &e.Failed, &e.Dropped, &e.TTFTMedianNs, &e.DecodeMedianPerS, &e.OutputTokensPerS, &e.Merged, &e.Warnings); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		entries = append(entries, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", d.path, err)
	}
	results.SortList(entries)
	return entries, nil
}

// Counts returns the number of rows of each table, by name.
func (d *DB) Counts() (map[string]int, error) {
	n := map[string]int{}
	for _, t := range Tables {
		var c int
		if err := d.db.QueryRow("SELECT count(*) FROM " + t).Scan(&c); err != nil {
			return nil, fmt.Errorf("%s: %w", d.path, err)
		}
		n[t] = c
	}
	return n, nil
}

// Tables are the store's tables.
var Tables = []string{"runs", "machines", "models", "levels", "summaries", "samples"}
