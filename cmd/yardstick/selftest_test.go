package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/calib"
)

// TestSelftestJSON checks that `selftest --quick --json` reports every figure. The
// values depend on the machine, so only their presence and sanity are checked.
func TestSelftestJSON(t *testing.T) {
	o := runCLI(t, nil, "selftest", "--quick", "--json")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	var r calib.SelftestResult
	if err := json.Unmarshal([]byte(o.stdout), &r); err != nil {
		t.Fatalf("%v\n%s", err, o.stdout)
	}
	for _, key := range []string{"tokens_per_s", "wall_per_token_ns", "alloc_per_token_bytes", "allocs_per_token",
		"ttft_err_p50_ns", "ttft_err_p99_ns", "itl_err_p50_ns", "itl_err_p99_ns", "delivery_p50_ns", "server_late_p99_ns", "duration_ns"} {
		if !strings.Contains(o.stdout, `"`+key+`"`) {
			t.Errorf("no %q in the JSON", key)
		}
	}
	if r.Ingest.Tokens == 0 || r.Ingest.TokensPerS <= 0 || r.Ingest.AllocPerTokenBytes <= 0 {
		t.Errorf("ingest not measured: %+v", r.Ingest)
	}
	if len(r.Accuracy) != 2 || r.Accuracy[0].Streams != 1 || r.Accuracy[1].Streams != 16 {
		t.Fatalf("accuracy entries: %+v", r.Accuracy)
	}
	for _, a := range r.Accuracy {
		// Every request of the quick test may not fit its budget on a loaded machine,
		// but some must, and none may fail.
		if a.Requests == 0 || a.Failed != 0 || a.TTFTErrP50Ns <= 0 || a.TTFTErrP99Ns < a.TTFTErrP50Ns {
			t.Errorf("streams=%d: %+v", a.Streams, a)
		}
	}
}

// TestSelftestText checks the table's labels and rows.
func TestSelftestText(t *testing.T) {
	o := runCLI(t, nil, "selftest", "--quick")
	if o.code != 0 {
		t.Fatalf("exit %d: %s", o.code, o.stderr)
	}
	for _, want := range []string{"yardstick selftest: go", "ingest", "tokens/s", "CPU time per chunk", "allocated per token",
		"TTFT p50", "ITL p99", "delivery p50", "\n        1 ", "\n       16 "} {
		if !strings.Contains(o.stdout, want) {
			t.Errorf("no %q in:\n%s", want, o.stdout)
		}
	}
}

func TestSelftestHelp(t *testing.T) {
	o := runCLI(t, nil, "selftest", "--help")
	golden(t, "selftest-help.golden", o.stdout)
}

func TestSelftestBadArg(t *testing.T) {
	if o := runCLI(t, nil, "selftest", "extra"); o.code != exitUsage {
		t.Errorf("exit %d, want %d", o.code, exitUsage)
	}
}
