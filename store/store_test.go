package store

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yardstick-dev/yardstick/internal/runfixture"
	"github.com/yardstick-dev/yardstick/results"
)

const perLevel = 8

// wantCounts is how many rows of each table the runs give: one row per run, level,
// summary (the run's and each level's) and sample (cold, warm-up and measured), and
// one per distinct host and model.
func wantCounts(runs []*results.Run) map[string]int {
	hosts, models := map[string]bool{}, map[string]bool{}
	n := map[string]int{}
	for _, r := range runs {
		n["runs"]++
		hosts[r.Environment.Hardware.Hostname] = true
		models[r.Target.Model.Name] = true
		n["levels"] += len(r.Levels)
		n["summaries"] += len(r.Summaries)
		for _, l := range r.Levels {
			n["summaries"] += len(l.Summaries)
		}
		n["samples"] += len(r.Warmup) + len(r.Samples)
		if r.Cold != nil {
			n["samples"]++
		}
	}
	n["machines"], n["models"] = len(hosts), len(models)
	return n
}

func openStore(t *testing.T, path string) *DB {
	t.Helper()
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func counts(t *testing.T, d *DB) map[string]int {
	t.Helper()
	n, err := d.Counts()
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The done-when: a 50-run directory imports, lists as the directory does, and
// a second import adds nothing.
func TestImportFiftyRunsListAndReimport(t *testing.T) {
	dir := t.TempDir()
	paths, err := runfixture.WriteDir(dir, 50, perLevel)
	if err != nil {
		t.Fatal(err)
	}
	runs := make([]*results.Run, len(paths))
	for i, p := range paths {
		if runs[i], err = results.ReadFile(p); err != nil {
			t.Fatal(err)
		}
	}
	d := openStore(t, filepath.Join(t.TempDir(), "runs.db"))
	for _, p := range paths {
		if added, err := d.Import(p); err != nil || !added {
			t.Fatalf("first import of %s: added %v, %v", p, added, err)
		}
	}
	want := wantCounts(runs)
	// 50 runs on 3 hosts of 2 models; runs 2, 5, …, 47 (16 of them) sweep two levels.
	if want["runs"] != 50 || want["machines"] != 3 || want["models"] != 2 || want["levels"] != 66 {
		t.Fatalf("the fixture changed shape: %v", want)
	}
	if got := counts(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("rows after import: %v, want %v", got, want)
	}
	// ls --db lists what ls of the directory lists, entry for entry.
	fromDir, skipped, err := results.List(dir)
	if err != nil || len(skipped) > 0 {
		t.Fatal(err, skipped)
	}
	fromDB, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromDB, fromDir) {
		a, _ := json.MarshalIndent(fromDB[:2], "", " ")
		b, _ := json.MarshalIndent(fromDir[:2], "", " ")
		t.Errorf("the store lists differently from the directory; first two:\n%s\nwant\n%s", a, b)
	}
	// A second import of every file adds nothing.
	for _, p := range paths {
		if added, err := d.Import(p); err != nil || added {
			t.Fatalf("second import of %s: added %v, %v", p, added, err)
		}
	}
	if got := counts(t, d); !reflect.DeepEqual(got, want) {
		t.Errorf("rows after re-import: %v, want %v (unchanged)", got, want)
	}
}

// The rows hold the run's figures as the file has them: a summary's median, a level's
// throughput, a sample's TTFT and inter-token gaps, NULL for what a failed request
// lacks, wall-clock times in UTC.
func TestImportedRowsHoldTheRunsFigures(t *testing.T) {
	dir := t.TempDir()
	paths, err := runfixture.WriteDir(dir, 3, perLevel)
	if err != nil {
		t.Fatal(err)
	}
	d := openStore(t, filepath.Join(t.TempDir(), "runs.db"))
	for _, p := range paths {
		if _, err := d.Import(p); err != nil {
			t.Fatal(err)
		}
	}
	// Run 1 has one failed request (odd i); run 2 sweeps concurrency 1 and 2.
	r1, err := results.ReadFile(paths[1])
	if err != nil {
		t.Fatal(err)
	}
	var key int64
	var started, think string
	if err := d.db.QueryRow("SELECT run_key, started_at, think FROM runs WHERE run_id = ?", r1.RunID).Scan(&key, &started, &think); err != nil {
		t.Fatal(err)
	}
	if started != "2026-12-01T01:00:00.000Z" || think != "false" {
		t.Errorf("started_at %q think %q, want run 1's hour in UTC and false", started, think)
	}
	var median float64
	if err := d.db.QueryRow("SELECT median FROM summaries WHERE run_key = ? AND level_index IS NULL AND metric = 'ttft_ns'", key).Scan(&median); err != nil {
		t.Fatal(err)
	}
	if median != r1.Summaries["ttft_ns"].Median {
		t.Errorf("ttft_ns median %v, want %v", median, r1.Summaries["ttft_ns"].Median)
	}
	for _, s := range r1.Samples {
		var ok int
		var ttft *int64
		var itl *string
		var errorKind *string
		if err := d.db.QueryRow("SELECT ok, ttft_ns, itl_ns, error_kind FROM samples WHERE run_key = ? AND phase = 'measured' AND sample_index = ?",
			key, s.Index).Scan(&ok, &ttft, &itl, &errorKind); err != nil {
			t.Fatal(err)
		}
		gaps, _ := json.Marshal(s.ITLNs)
		if s.OK {
			if ok != 1 || ttft == nil || *ttft != *s.TTFTNs || itl == nil || *itl != string(gaps) || *errorKind != "" {
				t.Errorf("sample %d: ok %d ttft %v itl %v error_kind %v, want %d and %s", s.Index, ok, ttft, itl, errorKind, *s.TTFTNs, gaps)
			}
		} else if ok != 0 || ttft != nil || errorKind == nil || *errorKind != string(s.ErrorKind) {
			t.Errorf("failed sample %d: ok %d ttft %v error_kind %v, want 0, NULL, %s", s.Index, ok, ttft, errorKind, s.ErrorKind)
		}
	}
	r2, err := results.ReadFile(paths[2])
	if err != nil {
		t.Fatal(err)
	}
	rows, err := d.db.Query(`SELECT l.concurrency, l.output_tokens_per_s FROM levels l JOIN runs r USING (run_key)
		WHERE r.run_id = ? ORDER BY l.level_index`, r2.RunID)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	for ; rows.Next(); n++ {
		var c int
		var tps float64
		if err := rows.Scan(&c, &tps); err != nil {
			t.Fatal(err)
		}
		if l := r2.Levels[n]; c != l.Concurrency || tps != l.Throughput.OutputTokensPerS {
			t.Errorf("level %d: concurrency %d, %v tok/s; want %d, %v", n, c, tps, l.Concurrency, l.Throughput.OutputTokensPerS)
		}
	}
	if n != 2 {
		t.Errorf("run 2 has %d levels in the store, want 2", n)
	}
}

// A run id stored with other content (the file was rewritten) is another row; a bad
// file or another kind of JSON leaves the store unchanged.
func TestImportKeysAndRefusals(t *testing.T) {
	dir := t.TempDir()
	paths, err := runfixture.WriteDir(dir, 1, perLevel)
	if err != nil {
		t.Fatal(err)
	}
	d := openStore(t, filepath.Join(t.TempDir(), "runs.db"))
	if _, err := d.Import(paths[0]); err != nil {
		t.Fatal(err)
	}
	before := counts(t, d)

	bad := filepath.Join(dir, "truncated.json")
	b, _ := os.ReadFile(paths[0])
	if err := os.WriteFile(bad, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(bad); err == nil || errors.Is(err, ErrNotRunFile) || !strings.Contains(err.Error(), "truncated.json") {
		t.Errorf("truncated file: %v, want an error naming it", err)
	}
	other := filepath.Join(dir, "plan.json")
	if err := os.WriteFile(other, []byte(`{"kind":"yardstick.plan"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Import(other); !errors.Is(err, ErrNotRunFile) {
		t.Errorf("another kind: %v, want ErrNotRunFile", err)
	}
	if got := counts(t, d); !reflect.DeepEqual(got, before) {
		t.Errorf("rows after refused files: %v, want %v", got, before)
	}

	r := runfixture.Run(0, perLevel) // the same run, so the same bytes …
	rewritten := filepath.Join(dir, "rewritten.json")
	if err := results.WriteFile(rewritten, r); err != nil {
		t.Fatal(err)
	}
	if added, err := d.Import(rewritten); err != nil || added {
		t.Errorf("the same bytes under another name: added %v, %v; want not added", added, err)
	}
	// Other content under the same run id is another file of the same run (an
	// interrupted run's, then its resumed one's): the later replaces the earlier, and
	// the earlier is not added back.
	ended, err := time.Parse(time.RFC3339Nano, r.EndedAt)
	if err != nil {
		t.Fatal(err)
	}
	r.EndedAt = ended.Add(time.Minute).Format(time.RFC3339Nano)
	if err := results.WriteFile(rewritten, r); err != nil {
		t.Fatal(err)
	}
	if added, err := d.Import(rewritten); err != nil || !added {
		t.Errorf("a later file of the same run: added %v, %v; want added", added, err)
	}
	var ended2 string
	if err := d.db.QueryRow("SELECT ended_at FROM runs WHERE run_id = ?", r.RunID).Scan(&ended2); err != nil || ended2 != utc(r.EndedAt) {
		t.Errorf("the run's row ends at %q (%v), want the later file's %q", ended2, err, utc(r.EndedAt))
	}
	if added, err := d.Import(paths[0]); err != nil || added {
		t.Errorf("the earlier file again: added %v, %v; want not added", added, err)
	}
	if got := counts(t, d); !reflect.DeepEqual(got, before) {
		t.Errorf("rows %v after a second file of one run, want %v: one row per run", got, before)
	}
}

// A store made before bench.Sample gained a field gets its column when opened; a store
// of a newer schema version is refused.
func TestOpenMigratesAndRefusesNewer(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.db")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.Exec("ALTER TABLE samples DROP COLUMN http_status"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = openStore(t, path)
	var n int
	if err := d.db.QueryRow("SELECT count(*) FROM pragma_table_info('samples') WHERE name = 'http_status'").Scan(&n); err != nil || n != 1 {
		t.Errorf("http_status column after reopening: %d (%v), want 1", n, err)
	}
	if _, err := d.db.Exec("PRAGMA user_version = 99"); err != nil {
		t.Fatal(err)
	}
	d.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Errorf("opening a newer store: %v, want a refusal", err)
	}
}

// A SQLite database made by another program is refused, not written to: neither
// import nor ls adds the store's tables beside its own (found by a break-it round:
// ls --db on another program's database created the store's seven tables in it).
func TestOpenRefusesAnotherProgramsDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	d, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// Make it another program's: its own table, and no store's version.
	for _, stmt := range []string{"DROP TABLE samples", "DROP TABLE summaries", "DROP TABLE levels", "DROP TABLE runs",
		"DROP TABLE models", "DROP TABLE machines", "CREATE TABLE notes (body TEXT)", "PRAGMA user_version = 0"} {
		if _, err := d.db.Exec(stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	d.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "not a yardstick results store") || !strings.Contains(err.Error(), "notes") {
		t.Errorf("opening another program's database: %v, want a refusal naming its table", err)
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
		t.Errorf("opening another program's database changed it (%v)", err)
	}
}

// Another SQLite reader (Python's sqlite3, when there is a python3) reads the store:
// the same row counts, and the join a dashboard would make.
func TestStoreReadsInPythonSQLite(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("no python3")
	}
	if exec.Command(py, "-c", "import sqlite3").Run() != nil {
		t.Skip("python3 has no sqlite3 module")
	}
	paths, err := runfixture.WriteDir(t.TempDir(), 6, perLevel)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "runs.db")
	d := openStore(t, path)
	for _, p := range paths {
		if _, err := d.Import(p); err != nil {
			t.Fatal(err)
		}
	}
	want := counts(t, d)
	d.Close()
	script := `
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
counts = {t: db.execute("SELECT count(*) FROM " + t).fetchone()[0] for t in sys.argv[2:]}
rows = db.execute("""SELECT m.hostname, mo.name, r.started_at, s.median
  FROM runs r JOIN machines m USING (machine_id) JOIN models mo USING (model_id)
  JOIN summaries s ON s.run_key = r.run_key AND s.level_index IS NULL AND s.metric = 'ttft_ns'
  ORDER BY r.started_at""").fetchall()
print(json.dumps({"counts": counts, "first": rows[0], "rows": len(rows)}))
`
	out, err := exec.Command(py, append([]string{"-c", script, path}, Tables...)...).Output()
	if err != nil {
		t.Fatalf("python3: %v", err)
	}
	var got struct {
		Counts map[string]int `json:"counts"`
		First  []any          `json:"first"`
		Rows   int            `json:"rows"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	r0 := runfixture.Run(0, perLevel)
	if !reflect.DeepEqual(got.Counts, want) || got.Rows != 6 || got.First[0] != runfixture.Hosts[0] || got.First[1] != runfixture.Models[0] ||
		got.First[2] != "2026-12-01T00:00:00.000Z" || got.First[3] != r0.Summaries["ttft_ns"].Median {
		t.Errorf("python3 read %s; want counts %v, 6 rows, the first on %s of %s with TTFT median %v", out, want,
			runfixture.Hosts[0], runfixture.Models[0], r0.Summaries["ttft_ns"].Median)
	}
}

// BenchmarkImport10k imports one run of 10,000 measured requests into a new store per
// iteration: the cost of the samples table, which dominates a large run.
func BenchmarkImport10k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "run.json")
	if err := results.WriteFile(path, runfixture.Run(0, 10_000)); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := range b.N {
		d, err := Open(filepath.Join(b.TempDir(), fmt.Sprintf("runs-%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		if added, err := d.Import(path); err != nil || !added {
			b.Fatal(added, err)
		}
		d.Close()
	}
}

// A merged run is stored with its number of sources, and lists as ls lists it.
func TestImportMergedRun(t *testing.T) {
	dir := t.TempDir()
	// Runs 0 and 4 are both sequential runs of Models[0], on two hosts.
	a, b := runfixture.Run(0, perLevel), runfixture.Run(4, perLevel)
	m, err := results.Merge([]*results.Run{a, b}, []string{"a.json", "b.json"}, results.MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "merged.json")
	if err := results.WriteMerged(path, m); err != nil {
		t.Fatal(err)
	}
	d := openStore(t, filepath.Join(t.TempDir(), "runs.db"))
	if added, err := d.Import(path); err != nil || !added {
		t.Fatalf("import: %v, %v", added, err)
	}
	fromDB, err := d.List()
	if err != nil {
		t.Fatal(err)
	}
	fromDir, _, err := results.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromDB) != 1 || fromDB[0].Merged != 2 || !reflect.DeepEqual(fromDB, fromDir) {
		t.Errorf("store lists %+v, want %+v with 2 merged sources", fromDB, fromDir)
	}
	var samples int
	if err := d.db.QueryRow("SELECT count(*) FROM samples WHERE phase = 'measured'").Scan(&samples); err != nil || samples != len(a.Samples)+len(b.Samples) {
		t.Errorf("%d measured samples stored (%v), want both runs' %d", samples, err, len(a.Samples)+len(b.Samples))
	}
}

// Opening an up-to-date store and listing it writes nothing to the file (so ls --db
// reads a store it may not write).
func TestOpenUpToDateStoreWritesNothing(t *testing.T) {
	paths, err := runfixture.WriteDir(t.TempDir(), 2, perLevel)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "runs.db")
	d := openStore(t, path)
	for _, p := range paths {
		if _, err := d.Import(p); err != nil {
			t.Fatal(err)
		}
	}
	d.Close()
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	again := openStore(t, path)
	if entries, err := again.List(); err != nil || len(entries) != 2 {
		t.Fatalf("listed %d entries, %v; want 2", len(entries), err)
	}
	again.Close()
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(after, before) {
		t.Errorf("opening and listing changed the file (%v)", err)
	}
}
