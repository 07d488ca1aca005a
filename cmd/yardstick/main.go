// Command yardstick benchmarks locally served open models: latency (TTFT, ITL, TPOT,
// E2E), prefill and decode rates and memory, written as a statistical summary to JSON.
//
// Commands parse flags into an options struct and call into the libraries: the
// measuring is in packages bench (runs) and calib (selftest), the summarizing and
// rendering of run files in package results. check, hw and selftest still hold their
// own text rendering, and check its threshold evaluation, here.
package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/profiles"
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
		Commands: []*cli.Command{
			runCommand(e),
			synthCommand(e),
			hwCommand(e),
			checkCommand(e),
			compareCommand(e),
			reportCommand(e),
			mergeCommand(e),
			lsCommand(e),
			selftestCommand(e),
			versionCommand(e),
		},
	}
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
	}
	return app
}

// Main runs the CLI with args (args[0] is the program name) and returns the exit
// status. Every error is printed as one line on stderr.
func Main(ctx context.Context, args []string, e *env) int {
	app := newApp(e)
	args, err := interspersed(app, args)
	if err == nil {
		err = app.RunContext(ctx, args)
	}
	if err == nil {
		return exitOK
	}
	msg := err.Error()
	if cmd, ok := strings.CutPrefix(msg, "No help topic for "); ok {
		var names []string
		for _, c := range app.Commands {
			names = append(names, c.Name)
		}
		msg = "unknown command " + cmd + " (commands: " + strings.Join(names, ", ") + "; see yardstick --help)"
	}
	fmt.Fprintf(e.stderr, "yardstick: %s\n", oneLine(msg))
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if isFlagError(err) {
		return exitUsage
	}
	return exitFailure
}

// isFlagError recognises urfave/cli's own errors for unknown commands and flags that
// bypass OnUsageError.
func isFlagError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"flag provided but not defined", "Required flag", "invalid value", "No help topic", "command not found"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
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

//go:embed help/*.txt
var helpFiles embed.FS

// withHelp fills c's help from help/NAME.txt, which is prose and reads as the help
// does: the first line is the one-line usage, the lines up to the first blank line the
// synopsis (one line a form), the rest the description. A command without its file is
// a build error caught by every test (they all build the app), so it panics.
func withHelp(c *cli.Command) *cli.Command {
	b, err := helpFiles.ReadFile("help/" + c.Name + ".txt")
	if err != nil {
		panic("yardstick: no help for command " + c.Name + ": " + err.Error())
	}
	head, desc, _ := strings.Cut(strings.TrimSpace(string(b)), "\n\n")
	lines := strings.Split(head, "\n")
	c.Usage, c.UsageText, c.Description = lines[0], strings.Join(lines[1:], "\n   "), strings.TrimSpace(desc)
	return c
}
