package harness_test

import (
	"context"
	"fmt"
	"os"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/harness"
	"github.com/yardstick-dev/yardstick/internal/fakeollama"
	"github.com/yardstick-dev/yardstick/profiles"
)

// A benchmark from outside the command line: a Config in (the options of `yardstick
// run`), one call, an Outcome out with the run file written and summarized. The server
// here is the project's fake Ollama on loopback; a real one is a Hosts entry away.
func ExampleRun() {
	srv := fakeollama.New(fakeollama.Config{Models: []string{"twin"}, Tokens: 8})
	defer srv.Close()
	dir, _ := os.MkdirTemp("", "yardstick-example")
	defer os.RemoveAll(dir)

	opts := bench.DefaultOptions()
	opts.Model, opts.Runs, opts.Warmup, opts.MaxTokens = "twin", 6, 1, 8
	o, err := harness.Run(context.Background(), harness.Config{
		Options: opts,
		Hosts:   []string{srv.URL},
		OutDir:  dir,
		// A declared profile: no bandwidth probe, no client self-test.
		ResolveProfile: func(context.Context, string, profiles.Hardware) (profiles.Profile, error) {
			return profiles.Profile{Name: "example", Source: "example", MemoryBandwidthBytesPerS: 50e9, PeakFLOPS: 1e12}, nil
		},
		NoSelftest: true,
	})
	if err != nil {
		fmt.Println("nothing measured:", err)
		return
	}
	ttft := o.Run.Summaries["ttft_ns"]
	fmt.Println("status completed:", o.Status == harness.Completed)
	fmt.Println("requests:", o.Run.Throughput.Completed, "of", opts.Runs)
	fmt.Println("output tokens:", o.Run.Throughput.OutputTokens)
	fmt.Println("TTFT summarized over:", ttft.N, "requests")
	_, statErr := os.Stat(o.Path)
	fmt.Println("run file written:", statErr == nil)
	// Output:
	// status completed: true
	// requests: 6 of 6
	// output tokens: 48
	// TTFT summarized over: 6 requests
	// run file written: true
}
