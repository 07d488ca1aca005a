package results

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/yardstick-dev/yardstick/bench"
)

// committedSchema is the schema in the source tree, published beside the docs.
const committedSchema = "../docs/schema/run.schema.json"

// regenerate is what the drift test tells whoever changed a type to run.
const regenerate = "go generate ./results (which runs go run ./cmd/yardstick schema -o docs/schema/run.schema.json)"

// compileRunSchema compiles RunSchema with a validator of its own (santhosh-tekuri's,
// which also checks the schema against the 2020-12 meta-schema), asserting formats.
func compileRunSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	b, err := RunSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(SchemaID)
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}
	return s
}

func validateRunJSON(s *jsonschema.Schema, b []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	return s.Validate(doc)
}

// The committed schema is the one the types give: a field added, renamed or retyped
// without regenerating it fails here, with the command that regenerates it.
func TestRunSchemaCommitted(t *testing.T) {
	got, err := RunSchema()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(filepath.Dir(committedSchema), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(committedSchema, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(committedSchema)
	if err != nil {
		t.Fatalf("%v; create it with: %s", err, regenerate)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/schema/run.schema.json differs from the run file's Go types; regenerate it with: %s", regenerate)
	}
}

// writtenRuns are run files written by WriteFile and WriteMerged from the tests' own
// builders: a run with a cold load, roofline and machine (buildFixture), a prompt sweep
// with an SLO, a failed request and fits and no machine (sweepResult), a concurrency
// sweep with a peak (htmlRunOf), and a merged run.
func writtenRuns(t *testing.T) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	out := map[string][]byte{}
	write := func(name string, r *Run) {
		p := filepath.Join(dir, name)
		if err := WriteFile(p, r); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = b
	}
	write("fixture.json", buildFixture())
	a, b := Build(sweepResult(1, "bench-01", 12), fixtureHardware(), nil), Build(sweepResult(2, "bench-02", 9), fixtureHardware(), nil)
	write("sweep.json", a)
	write("levels.json", htmlRunOf(htmlSpec{runID: "levels", levels: []int{1, 2, 4}, perLevel: 8, seed: 3, slo: "ttft_p95=3s"}))
	noWarmup := buildFixture()
	noWarmup.Warmup = nil // written as null
	write("null-warmup.json", noWarmup)
	m, err := Merge([]*Run{a, b}, []string{"a.json", "b.json"}, MergeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "merged.json")
	if err := WriteMerged(p, m); err != nil {
		t.Fatal(err)
	}
	if out["merged.json"], err = os.ReadFile(p); err != nil {
		t.Fatal(err)
	}
	return out
}

// Every run file the tests have, committed or written by the builders, validates.
func TestRunFilesValidateAgainstSchema(t *testing.T) {
	s := compileRunSchema(t)
	files := writtenRuns(t)
	built := len(files)
	var committed []string
	for _, pattern := range []string{"testdata/*.json", "testdata/*/*.json", "../cmd/yardstick/testdata/*.json", "../cmd/yardstick/testdata/*/*.json"} {
		m, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		committed = append(committed, m...)
	}
	for _, p := range committed {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var head struct {
			Kind string `json:"kind"`
		}
		if json.Unmarshal(b, &head) != nil || head.Kind != Kind {
			continue // a report or comparison golden, not a run file
		}
		files[p] = b
	}
	if len(files) < built+3 {
		t.Fatalf("found %d run files; the committed ones (results/testdata/run.golden.json, compare/*.json) are missing", len(files))
	}
	for name, b := range files {
		if err := validateRunJSON(s, b); err != nil {
			t.Errorf("%s does not validate against the run file schema:\n%v", name, err)
		}
	}
}

// The schema constrains: each edit of a valid run file below breaks a rule the schema
// states, and the validator must refuse it.
func TestRunSchemaRefusesWhatIsNotWritten(t *testing.T) {
	s := compileRunSchema(t)
	valid, err := json.Marshal(buildFixture())
	if err != nil {
		t.Fatal(err)
	}
	if err := validateRunJSON(s, valid); err != nil {
		t.Fatalf("the fixture itself does not validate: %v", err)
	}
	cases := []struct {
		name, old, new string
	}{
		// kind is the constant "yardstick.run".
		{"other kind", `"kind":"yardstick.run"`, `"kind":"yardstick.plan"`},
		// schema_version is at most the version this build writes.
		{"newer version", `"schema_version":1`, `"schema_version":2`},
		// _ns figures are integers, not strings or fractions.
		{"string ttft", `"ttft_ns":900000000`, `"ttft_ns":"900ms"`},
		{"fractional unload", `"unload_ns":40000000`, `"unload_ns":40000000.5`},
		// a property no type has (a misspelt field) is refused.
		{"unknown field", `"run_id":`, `"runid":"x","run_id":`},
		// started_at is an RFC 3339 time.
		{"bad time", `"started_at":"2026-11-29T06:00:00.000Z"`, `"started_at":"yesterday"`},
		// think is false, true or a level; a pointer field without omitempty may be null
		// but a required scalar may not.
		{"bad think", `"think":false`, `"think":"maybe"`},
		{"null completed", `"completed":8`, `"completed":null`},
	}
	for _, tc := range cases {
		if !bytes.Contains(valid, []byte(tc.old)) {
			t.Fatalf("%s: the fixture has no %s", tc.name, tc.old)
		}
		b := bytes.Replace(valid, []byte(tc.old), []byte(tc.new), 1)
		if err := validateRunJSON(s, b); err == nil {
			t.Errorf("%s: %s validates", tc.name, tc.new)
		}
	}
	// Without a samples array (absent or null) a file is not a run file (DecodeRun refuses
	// it).
	var m map[string]any
	if err := json.Unmarshal(valid, &m); err != nil {
		t.Fatal(err)
	}
	for _, samples := range []any{nil, "absent"} {
		if samples == "absent" {
			delete(m, "samples")
		} else {
			m["samples"] = samples
		}
		b, _ := json.Marshal(m)
		if err := validateRunJSON(s, b); err == nil || !strings.Contains(err.Error(), "samples") {
			t.Errorf("a run with samples %v: %v, want an error naming samples", samples, err)
		}
	}
}

// Types with their own JSON encoding are described by what they write: a Think level
// is a string, an SLO an array of objectives, --max-errors its text.
func TestRunSchemaDescribesCustomEncodings(t *testing.T) {
	s := compileRunSchema(t)
	r := buildFixture()
	r.Options.Think = bench.ThinkHigh
	r.Workload.Think = bench.ThinkHigh
	var err error
	if r.Options.SLO, err = bench.ParseSLO("ttft_p95=500ms,tpot=50ms"); err != nil {
		t.Fatal(err)
	}
	if err := r.Options.MaxErrors.Set("10%"); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"think":"high"`, `"max_errors":"10%"`, `"threshold_ns":500000000`} {
		if !bytes.Contains(b, []byte(want)) {
			t.Fatalf("the run has no %s", want)
		}
	}
	if err := validateRunJSON(s, b); err != nil {
		t.Errorf("a run with a think level, an SLO and --max-errors does not validate: %v", err)
	}
}
