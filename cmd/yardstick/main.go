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
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/yardstick-dev/yardstick/bench"
	"github.com/yardstick-dev/yardstick/internal/tablefit"
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
	// stdoutColumns and stderrColumns are the widths tables are fitted to on each
	// (termColumns); 0: no limit.
	stdoutColumns, stderrColumns int
	getenv                       func(string) string
	// resolveProfile resolves --profile (profiles.ResolveProfile); tests replace it
	// so runs against fake servers do not probe memory bandwidth.
	resolveProfile func(ctx context.Context, nameOrPath string, hw profiles.Hardware) (profiles.Profile, error)
	// args is the command line as the app runs it (after interspersed), for
	// onCommandLine; nil in tests that call a command's method directly.
	args []string
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
		// `yardstick completion bash|zsh|fish` prints the scripts that use it.
		EnableBashCompletion: true,
		// --version prints what the version command does (cli.VersionPrinter below).
		Version: results.ThisTool().Version,
	}
	// Every completion request is answered by complete, from the app's own arguments.
	completer := func(*cli.Context) { complete(e, app, e.args[:len(e.args)-1]) }
	app.BashComplete = completer
	for _, c := range app.Commands {
		c.OnUsageError = app.OnUsageError
		c.BashComplete = completer
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
	// Tables are fitted to the width each carries (tablefit.Columns).
	safe.stdout = tablefit.WithColumns(stdout, e.stdoutColumns)
	safe.stderr = tablefit.WithColumns(stderr, e.stderrColumns)
	e = &safe
	// The standard logger is net/http's channel for a server's misbehaviour between
	// requests ("Unsolicited response received on idle HTTP channel", with the
	// server's bytes): noise past yardstick's one-line errors, never printed.
	log.SetOutput(io.Discard)
	app := newApp(e)
	var err error
	completing := len(args) > 1 && args[len(args)-1] == completeFlag
	if !completing {
		// Reordered, the completion request would not end the line, and the command
		// would run.
		args, err = interspersed(app, args)
	}
	e.args = args
	if completing && len(args) > 3 && app.Command(args[1]) == nil {
		return exitOK // completing after an unknown command: nothing to offer
	}
	if err == nil && !completing && len(args) > 1 && !strings.HasPrefix(args[1], "-") && app.Command(args[1]) == nil {
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
		stdout:        os.Stdout,
		stderr:        os.Stderr,
		stderrTTY:     term.IsTerminal(int(os.Stderr.Fd())),
		stdoutColumns: termColumns(int(os.Stdout.Fd()), os.Getenv),
		stderrColumns: termColumns(int(os.Stderr.Fd()), os.Getenv),
		getenv:        os.Getenv,
		hardStop:      hard,
	}
	e.resolveProfile = profiles.ResolveProfile
	code := Main(ctx, os.Args, e)
	signal.Stop(sigs)
	cancel()
	os.Exit(code)
}

// termColumns is the width tables written to the file descriptor fd are fitted to:
// $COLUMNS when it is a positive number (set, it holds for a pipe too, and over the
// terminal's own), else the width of the terminal fd is, else 0: no limit, so a table
// piped to a file or a program is whole.
func termColumns(fd int, getenv func(string) string) int {
	if n, err := strconv.Atoi(strings.TrimSpace(getenv("COLUMNS"))); err == nil && n > 0 {
		return n
	}
	if !term.IsTerminal(fd) {
		return 0
	}
	if w, _, err := term.GetSize(fd); err == nil && w > 0 {
		return w
	}
	return 0
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
		if a == "--help" || a == "-h" || a == "-help" {
			// Help wins over everything else given: urfave/cli would take the first
			// argument as a help topic ("report run.json --help": "No help topic").
			return []string{args[0], args[1], "--help"}, nil
		}
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
