package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// runEnv names run's flags that can also come from the environment, as
// YARDSTICK_<NAME> (envVar): the ones a CI job or a shell profile sets once for
// every run. A flag on the command line beats its variable.
var runEnv = []string{"model", "host", "backend", "runs", "warmup", "concurrency", "prompt-tokens", "max-tokens", "profile", "out-dir"}

// envVar is the environment variable of the flag named name: YARDSTICK_ and the name
// in upper case with - as _ (--prompt-tokens: YARDSTICK_PROMPT_TOKENS).
func envVar(name string) string {
	return "YARDSTICK_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
}

// withEnv gives the flags named in names their environment variable (envVar), which
// urfave/cli reads before the command line and shows in --help as [$YARDSTICK_…]. A
// name that is not among flags, or a flag type it does not know, is a programming
// error caught by every test (they all build the app), so it panics.
func withEnv(flags []cli.Flag, names ...string) []cli.Flag {
	for _, name := range names {
		i := slices.IndexFunc(flags, func(f cli.Flag) bool { return f.Names()[0] == name })
		if i < 0 {
			panic("yardstick: withEnv: no flag --" + name)
		}
		v := []string{envVar(name)}
		switch f := flags[i].(type) {
		case *cli.StringFlag:
			f.EnvVars = v
		case *cli.StringSliceFlag:
			f.EnvVars = v
		case *cli.GenericFlag:
			f.EnvVars = v
		case *cli.IntFlag:
			f.EnvVars = v
		case *cli.Int64Flag:
			f.EnvVars = v
		case *cli.Float64Flag:
			f.EnvVars = v
		case *cli.DurationFlag:
			f.EnvVars = v
		case *cli.BoolFlag:
			f.EnvVars = v
		default:
			panic("yardstick: withEnv: --" + name + " has a flag type withEnv does not know")
		}
	}
	return flags
}

// onCommandLine reports whether the flag named name (or one of its aliases) was given
// on the command line of c's command. c.IsSet cannot tell: it is also true for a flag
// set by its environment variable. args is the command line as the app ran it (flags
// in front of the arguments, see interspersed); without it (nil), c.IsSet answers.
func onCommandLine(c *cli.Context, args []string, name string) bool {
	if args == nil {
		return c.IsSet(name)
	}
	takesValue, canonical := map[string]bool{}, map[string]string{}
	for _, f := range c.Command.Flags {
		_, isBool := f.(*cli.BoolFlag)
		for _, n := range f.Names() {
			takesValue[n], canonical[n] = !isBool, f.Names()[0]
		}
	}
	for i := 2; i < len(args); i++ {
		a := args[i]
		if a == "--" || !strings.HasPrefix(a, "-") || a == "-" {
			return false // the flags end here (interspersed put them first)
		}
		n, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if canonical[n] == name {
			return true
		}
		if takesValue[n] && !hasValue {
			i++ // its value
		}
	}
	return false
}
