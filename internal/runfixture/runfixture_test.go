package runfixture

import (
	"bytes"
	"os"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/yardstick-dev/yardstick/results"
)

// The fixture's runs are run files as yardstick writes them: they read back, and they
// validate against the committed schema of the run file.
func TestRunsReadBackAndValidate(t *testing.T) {
	b, err := os.ReadFile("../../docs/schema/run.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(results.SchemaID, doc); err != nil {
		t.Fatal(err)
	}
	schema, err := c.Compile(results.SchemaID)
	if err != nil {
		t.Fatal(err)
	}
	paths, err := WriteDir(t.TempDir(), 6, 8)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range paths {
		r, err := results.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Run 2 and 5 sweep two levels; odd runs lose one request of each level.
		wantLevels, wantFailed := 1, 0
		if i%3 == 2 {
			wantLevels = 2
		}
		if i%2 == 1 {
			wantFailed = wantLevels
		}
		if len(r.Levels) != wantLevels || r.Throughput.Failed != wantFailed || r.Environment.Hardware.Hostname != Hosts[i%3] {
			t.Errorf("run %d: %d levels, %d failed, host %s; want %d, %d, %s", i, len(r.Levels), r.Throughput.Failed,
				r.Environment.Hardware.Hostname, wantLevels, wantFailed, Hosts[i%3])
		}
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		inst, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(inst); err != nil {
			t.Errorf("run %d does not validate against docs/schema/run.schema.json: %v", i, err)
		}
	}
}
