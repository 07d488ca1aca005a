package harness_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
)

func declared(context.Context, string, profiles.Hardware) (profiles.Profile, error) {
	return profiles.Profile{Name: "test", Source: "test", MemoryBandwidthBytesPerS: 50e9, PeakFLOPS: 1e12}, nil
}

func config(t *testing.T, host string, runs int) harness.Config {
	opts := bench.DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens = "twin", runs, 0, 4
	return harness.Config{Options: opts, Hosts: []string{host}, OutDir: t.TempDir(), ResolveProfile: declared, NoSelftest: true}
}

// Bad input is a *UsageError and nothing is written.
func TestBadInputIsUsageErrorAndWritesNothing(t *testing.T) {
	srv := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4})
	defer srv.Close()
	for name, mutate := range map[string]func(*harness.Config){
		"no model":     func(c *harness.Config) { c.Options.Model = "" },
		"zero runs":    func(c *harness.Config) { c.Options.Runs = 0 },
		"bad host":     func(c *harness.Config) { c.Hosts = []string{"ftp://x"} },
		"out is a dir": func(c *harness.Config) { c.Out = c.OutDir },
		// A dataset's conversation without a user turn (issue 13's bad input).
		"a conversation with no turn": func(c *harness.Config) {
			c.Options.Turns = bench.TurnsAll
			c.Options.Conversations = []bench.Conversation{{ID: "a", Turns: []bench.Turn{{User: "hi"}}}, {ID: "b"}}
		},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := config(t, srv.URL, 2)
			mutate(&cfg)
			o, err := harness.Run(context.Background(), cfg)
			var ue *harness.UsageError
			if !errors.As(err, &ue) || o != nil {
				t.Fatalf("outcome %v, error %v; want a UsageError and no outcome", o, err)
			}
			if entries, _ := os.ReadDir(cfg.OutDir); len(entries) != 0 {
				t.Errorf("%d files written for bad input", len(entries))
			}
		})
	}
	if srv.Requests() != 0 {
		t.Errorf("bad input sent %d requests", srv.Requests())
	}
}

// The progress observer learns the planned count before measuring and sees every
// measured request; failed requests end as RequestsFailed with the run file written.
func TestProgressAndFailedRequests(t *testing.T) {
	// Generation requests 0 (cold) and 1..2 succeed, 3 and 4 fail.
	srv := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 4, Fault: fakeollama.FaultHTTP500, FaultFrom: 3})
	defer srv.Close()
	cfg := config(t, srv.URL, 4)
	planned, events, measured := -2, 0, 0
	cfg.Progress = func(n int) bench.Observer {
		planned = n
		return func(ev bench.Event) {
			events++
			if ev.Phase == bench.PhaseMeasured {
				measured++
			}
		}
	}
	o, err := harness.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The cold-load request and the four measured ones.
	if planned != cfg.Options.PlannedRequests(1) || planned != 5 || events != 5 || measured != 4 {
		t.Errorf("planned %d (options say %d), observed %d requests, %d measured; want 5, 5 and 4", planned, cfg.Options.PlannedRequests(1), events, measured)
	}
	if o.Status != harness.RequestsFailed || o.Err == nil || !strings.Contains(o.Err.Error(), "2 of 4") {
		t.Errorf("status %v, error %v; want RequestsFailed naming 2 of 4", o.Status, o.Err)
	}
	if _, err := os.Stat(o.Path); err != nil || o.Run.Throughput.Failed != 2 || o.Run.Throughput.Completed != 2 {
		t.Errorf("run file %q (%v): %d completed, %d failed", o.Path, err, o.Run.Throughput.Completed, o.Run.Throughput.Failed)
	}
}

// CheckModels asks every server about every model before anything is measured: all
// served is nil; models the server lacks are one line naming the first's reason and
// the others; an unreachable server is the error Run would give. Neither is a usage
// error, as Run's are not. No generation request is sent either way.
func TestCheckModels(t *testing.T) {
	srv := fakeollama.New(fakeollama.Config{Models: []string{"a", "b"}, Tokens: 4})
	defer srv.Close()
	cfg := config(t, srv.URL, 2)
	ctx := context.Background()
	if err := harness.CheckModels(ctx, cfg, []string{"a", "b"}); err != nil {
		t.Errorf("both served: %v", err)
	}
	for _, tc := range []struct {
		models []string
		want   string
	}{
		{[]string{"a", "c"}, `model "c" not found`},
		{[]string{"c", "a", "d"}, `model "c" not found on ` + srv.URL + ` (pull it with ` + "`ollama pull c`" + `, or create a shape twin with ` + "`yardstick synth --create`" + `); "d" is not served either; nothing was measured`},
		{[]string{"c", "d", "e"}, `; "d", "e" are not served either`},
	} {
		err := harness.CheckModels(ctx, cfg, tc.models)
		var ue *harness.UsageError
		if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %v, want one line containing %q, not a UsageError", tc.models, err, tc.want)
		}
	}
	closed, err := fakeollama.ClosedURL()
	if err != nil {
		t.Fatal(err)
	}
	down := config(t, closed, 2)
	err = harness.CheckModels(ctx, down, []string{"a"})
	var ue *harness.UsageError
	if err == nil || errors.As(err, &ue) || !strings.Contains(err.Error(), "cannot reach") {
		t.Errorf("unreachable server: %v, want Run's connection error", err)
	}
	if srv.Requests() != 0 {
		t.Errorf("checking sent %d generation requests", srv.Requests())
	}
}

// Unload takes a model out of a server that can unload (Ollama's keep_alive 0): after a
// run the model is loaded (/api/ps lists it), after Unload it is not.
func TestUnload(t *testing.T) {
	srv := fakeollama.New(fakeollama.Config{Models: []string{"a"}, Tokens: 4})
	defer srv.Close()
	cfg := config(t, srv.URL, 1)
	cfg.Options.Model = "a"
	if _, err := harness.Run(context.Background(), cfg); err != nil {
		t.Fatal(err)
	}
	ps := func() string {
		resp, err := http.Get(srv.URL + "/api/ps")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	if !strings.Contains(ps(), `"name":"a"`) {
		t.Fatalf("after the run /api/ps is %s, want a loaded", ps())
	}
	if err := harness.Unload(context.Background(), cfg, "a", ""); err != nil {
		t.Fatal(err)
	}
	if got := ps(); strings.Contains(got, `"name":"a"`) {
		t.Errorf("after Unload /api/ps is %s, want a gone", got)
	}
}
