package main

import (
	"os"
	"path/filepath"
	"testing"
)

// `yardstick schema` prints the committed schema (results' drift test keeps that one
// true to the types), and --out writes the same bytes.
func TestSchemaCommandPrintsCommittedSchema(t *testing.T) {
	want, err := os.ReadFile("../../docs/schema/run.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	o := runCLI(t, nil, "schema")
	if o.code != 0 || o.stdout != string(want) {
		t.Fatalf("schema: exit %d, stderr %q; stdout equals docs/schema/run.schema.json: %v", o.code, o.stderr, o.stdout == string(want))
	}
	out := filepath.Join(t.TempDir(), "run.schema.json")
	if o := runCLI(t, nil, "schema", "--out", out); o.code != 0 || o.stdout != "" {
		t.Fatalf("schema --out: exit %d, stdout %q, stderr %q", o.code, o.stdout, o.stderr)
	}
	if got, err := os.ReadFile(out); err != nil || string(got) != string(want) {
		t.Errorf("schema --out wrote %d bytes (%v), want the committed schema's %d", len(got), err, len(want))
	}
	if o := runCLI(t, nil, "schema", "extra"); o.code != 2 {
		t.Errorf("schema with an argument: exit %d, want 2", o.code)
	}
}
