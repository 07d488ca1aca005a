package flagval

import (
	"strings"
	"testing"
)

// Each value is validated when parsed: a bad item fails Set with a message naming it.
func TestSetRejects(t *testing.T) {
	for _, tt := range []struct {
		name string
		v    interface{ Set(string) error }
		in   string
		want string
	}{
		{"not a number", IntList(1, 8), "1,x", `"x" is not a whole number`},
		{"out of range", IntList(1, 8), "1,9", "9 is not in 1..8"},
		{"twice", IntList(1, 8), "2,2", "2 is listed twice"},
		{"rate NaN", RateList(), "NaN", "is not a rate"},
		{"rate too high", RateList(), "1e9/s", "is not in"},
		{"runs", &Runs{}, "many", "want a number or auto"},
		{"alpha zero", &Alpha{}, "0", "must be a number in (0, 0.5]"},
		{"alpha high", &Alpha{}, "0.6", "must be a number in (0, 0.5]"},
		{"format", &Choice{Allowed: []string{"table", "json"}}, "xml", `unknown format "xml" (one of table, json)`},
		{"empty host", &HostList{}, " ", "empty host"},
		{"empty model in a list", &Models{}, "a,,b", `an empty model name in "a,,b"`},
		{"trailing comma", &Models{}, "a,", "an empty model name"},
		{"empty model", &Models{}, " ", "an empty model name"},
		{"model twice", &Models{}, "a,b,a", `model "a" is listed twice`},
		// Ollama resolves a missing tag to :latest, and names regardless of case.
		{"model twice by its tag", &Models{}, "qwen3,Qwen3:latest", `listed twice (as "qwen3" and "Qwen3:latest")`},
	} {
		err := tt.v.Set(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Set(%q) = %v, want an error containing %q", tt.name, tt.in, err, tt.want)
		}
	}
}

func TestSetAccepts(t *testing.T) {
	l := IntList(1, 8, 1)
	if err := l.Set("1, 2,4"); err != nil || l.String() != "1,2,4" {
		t.Errorf("IntList: %v, %q; want 1,2,4 (spaces trimmed)", err, l.String())
	}
	r := RateList()
	if err := r.Set("0.5,2/s"); err != nil || len(r.Vals) != 2 || r.Vals[1] != 2 {
		t.Errorf("RateList: %v, %v; want [0.5 2] (a /s suffix is allowed)", err, r.Vals)
	}
	var n Runs
	if err := n.Set(" AUTO "); err != nil || !n.Auto || n.String() != "auto" {
		t.Errorf("Runs auto: %v, %+v", err, n)
	}
	if err := n.Set("12"); err != nil || n.Auto || n.N != 12 {
		t.Errorf("Runs 12: %v, %+v; a number after auto replaces it", err, n)
	}
	var m Models
	if err := m.Set("a, b"); err != nil || m.Set("c") != nil || m.String() != "a,b,c" {
		t.Errorf("Models: %v, %q; want a,b,c (a list, then a repeated flag, in order)", err, m.String())
	}
	// Other tags of one model are other models.
	if err := m.Set("qwen3:0.6b,qwen3:1.7b"); err != nil || len(m.Vals) != 5 {
		t.Errorf("Models with two tags: %v, %v", err, m.Vals)
	}
	var h HostList
	_ = h.Set("a:1")
	_ = h.Set("b:2")
	if len(h.Vals) != 2 {
		t.Errorf("HostList keeps every occurrence: %v", h.Vals)
	}
}

// urfave/cli sets a flag from its variable first, through Set: a repeatable flag keeps
// that apart, and any command-line value replaces it (the flag beats the variable).
func TestEnvFirstReplacedByTheCommandLine(t *testing.T) {
	t.Setenv("FLAGVAL_TEST_HOST", "http://env:1")
	h := &HostList{EnvFirst: EnvFirst{Var: "FLAGVAL_TEST_HOST"}}
	if err := h.Set("http://env:1"); err != nil {
		t.Fatal(err)
	}
	if got := h.List(); len(got) != 1 || got[0] != "http://env:1" {
		t.Errorf("from the variable alone: %v", got)
	}
	for _, s := range []string{"http://a:1", "http://b:1"} {
		if err := h.Set(s); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.List(); len(got) != 2 || got[0] != "http://a:1" || got[1] != "http://b:1" {
		t.Errorf("with --host twice: %v, want the two flags without the variable's", got)
	}
	// Without the variable set, the first Set is the command line's.
	t.Setenv("FLAGVAL_TEST_HOST", "")
	h = &HostList{EnvFirst: EnvFirst{Var: "FLAGVAL_TEST_HOST"}}
	if err := h.Set("http://a:1"); err != nil || len(h.List()) != 1 || h.Vals[0] != "http://a:1" {
		t.Errorf("no variable: %v %v", h.List(), err)
	}
}
