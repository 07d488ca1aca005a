// Command yardstick benchmarks locally served open models: latency (TTFT, ITL, TPOT,
// E2E), prefill and decode rates and memory, written as a statistical summary to JSON.
//
// Every command reads as flags → one library call → exit status: commands.go lists the
// commands and their flags, help/ holds their help texts, and each command's method
// maps its flags to one call (harness.Run for run; results, profiles, calib and synth
// for the rest) and the outcome to an exit status.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/termsafe"
	"github.com/yardstick-dev/yardstick/profiles"
	"github.com/yardstick-dev/yardstick/results"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1   // the run could not be done, or some requests failed
	exitUsage       = 2   // bad flags or input
	exitInterrupted = 130 // SIGINT/SIGTERM: what was measured is written
)

// exitError carries an exit status with the one line printed for it.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

// env is what a command needs from the process: its writers, whether stderr is a
// terminal (for the progress bar), and the environment lookup.
type env struct {
	stdout, stderr io.Writer
	stderrTTY      bool
	getenv         func(string) string
	// resolveProfile resolves --profile (profiles.ResolveProfile); tests replace it
	// so runs against fake servers do not probe memory bandwidth.
	resolveProfile func(ctx context.Context, nameOrPath string, hw profiles.Hardware) (profiles.Profile, error)
	// hardStop is closed by a second interrupt: the request in flight is abandoned
	// without waiting for --grace. Nil in tests that do not need it.
	hardStop <-chan struct{}
}

// newApp builds the CLI. Tests run it in process with their own writers.
func newApp(e *env) *cli.App {
	app := &cli.App{
		Name:      "yardstick",
		Usage:     "benchmark locally served open models: latency, tokens/s and memory, as JSON statistics",
		Writer:    e.stdout,
		ErrWriter: e.stderr,
		// Errors are printed once, by Main.
		ExitErrHandler: func(*cli.Context, error) {},
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return &exitError{exitUsage, err}
		},
		HideHelpCommand: true,
		Commands:        e.commands(),
		// --version prints what the version command does (cli.VersionPrinter below).
		Version: results.ThisTool().Version,
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}

func init() {
	// --version (urfave/cli's flag, -v too) prints the build identity on the app's
	// writer, as the version command does.
	cli.VersionPrinter = func(c *cli.Context) { _ = printVersion(c.App.Writer, results.ThisTool()) }
}

// Main runs the CLI with args (args[0] is the program name) and returns the exit
// status. Every error is printed as one line on stderr.
func Main(ctx context.Context, args []string, e *env) int {
	// Everything printed goes through termsafe: a server's or a file's text cannot
	// drive the terminal (escape sequences) or reorder what is read (bidi controls).
	stdout, stderr := termsafe.NewWriter(e.stdout), termsafe.NewWriter(e.stderr)
	defer stdout.Flush()
	defer stderr.Flush()
	safe := *e
	safe.stdout, safe.stderr = stdout, stderr
	e = &safe
	// The standard logger is net/http's channel for a server's misbehaviour between
	// requests ("Unsolicited response received on idle HTTP channel", with the
	// server's bytes): noise past yardstick's one-line errors, never printed.
	log.SetOutput(io.Discard)
	app := newApp(e)
	args, err := interspersed(app, args)
	if err == nil && len(args) > 1 && !strings.HasPrefix(args[1], "-") && app.Command(args[1]) == nil {
		var names []string
		for _, c := range app.Commands {
			names = append(names, c.Name)
		}
		err = usageErr("unknown command %q (commands: %s; see yardstick --help)", args[1], strings.Join(names, ", "))
	}
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return exitOK
	}
	fmt.Fprintf(e.stderr, "yardstick: %s\n", oneLine(err.Error()))
	// Flag errors reach OnUsageError as exitErrors; anything else is a failure.
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailure
}

func main() {
	// The first Ctrl-C or SIGTERM stops scheduling and lets the request in flight finish
	// within --grace; a second one abandons it at once.
	ctx, cancel := context.WithCancel(context.Background())
	hard := make(chan struct{})
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		cancel()
		<-sigs
		close(hard)
	}()
	e := &env{
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		stderrTTY: term.IsTerminal(int(os.Stderr.Fd())),
		getenv:    os.Getenv,
		hardStop:  hard,
	}
	e.resolveProfile = profiles.ResolveProfile
	code := Main(ctx, os.Args, e)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// writeJSON writes v to w as indented JSON: what --json writes.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// oneLine folds an error message onto one line (servers answer with multi-line HTML
// error pages) and caps it at 400 bytes, on a character boundary (bench.OneLine).
func oneLine(msg string) string { return bench.OneLine(msg, 400) }

// interspersed moves the flags of a command that come after its file arguments in
// front of them ("yardstick report run.json --format markdown"): urfave/cli v2 stops
// parsing flags at the first argument. A flag's value travels with it unless the flag
// is boolean or written --name=value; "--" ends the flags, and unknown flags are left
// for the parser to reject. A value flag that ends the line without its value is a
// usage error.
func interspersed(app *cli.App, args []string) ([]string, error) {
	if len(args) < 3 {
		return args, nil
	}
	var cmd *cli.Command
	for _, c := range app.Commands {
		if c.HasName(args[1]) {
			cmd = c
		}
	}
	if cmd == nil {
		return args, nil
	}
	takesValue := map[string]bool{}
	known := map[string]bool{}
	for _, f := range cmd.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			known[n] = true
			takesValue[n] = !isBool
		}
	}
	var flags, rest []string
	for i := 2; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			rest = append(rest, args[i:]...)
			break
		}
		name, hasValue := strings.TrimLeft(a, "-"), strings.Contains(a, "=")
		name, _, _ = strings.Cut(name, "=")
		if !strings.HasPrefix(a, "-") || a == "-" || !known[name] {
			if strings.HasPrefix(a, "-") && a != "-" {
				flags = append(flags, a) // unknown: the parser reports it
				continue
			}
			rest = append(rest, a)
			continue
		}
		if takesValue[name] && !hasValue && i+1 >= len(args) {
			// Moved in front of the arguments, it would take the first one as its value.
			return nil, usageErr("%s: --%s needs a value", cmd.Name, name)
		}
		flags = append(flags, a)
		if takesValue[name] && !hasValue {
			i++
			flags = append(flags, args[i])
		}
	}
	out := append([]string{args[0], args[1]}, flags...)
	return append(out, rest...), nil
}
