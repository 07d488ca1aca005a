package main

import (
	"embed"
	"fmt"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/yardstick-dev/yardstick/internal/flagval"
)

// completeFlag is urfave/cli's completion request: the last argument of a command line
// that asks for the words that may follow the ones before it (App.EnableBashCompletion).
const completeFlag = "--generate-bash-completion"

//go:embed completion/yardstick.bash completion/yardstick.zsh
var completionScripts embed.FS

// completion prints the completion script of the shell named by its argument: bash
// and zsh from completion/, which ask yardstick itself (completeFlag), fish generated
// from the commands and flags by urfave/cli (App.ToFishCompletion).
func (e *env) completion(c *cli.Context) error {
	const need = "completion: name one shell: bash, zsh or fish (yardstick completion bash)"
	if c.NArg() != 1 {
		return usageErr("%s", need)
	}
	switch sh := c.Args().First(); sh {
	case "bash", "zsh":
		b, err := completionScripts.ReadFile("completion/yardstick." + sh)
		if err != nil {
			return err
		}
		_, err = e.stdout.Write(b)
		return err
	case "fish":
		return fishCompletion(e, c.App)
	default:
		return usageErr("completion %q: unknown shell; %s", sh, strings.TrimPrefix(need, "completion: "))
	}
}

// fileFlags take a path: the fish script completes file names after them.
var fileFlags = []string{"out", "out-dir", "profile", "resume", "gguf"}

// fishCompletion writes the fish script: urfave/cli's (App.ToFishCompletion), static,
// with file names after fileFlags only, and a line for each flag that takes one of a
// few values (flagChoices, flagval.Choice) offering them.
func fishCompletion(e *env, app *cli.App) error {
	var extra []string
	for _, cmd := range app.Commands {
		for _, f := range cmd.Flags {
			name := f.Names()[0]
			switch f := f.(type) {
			case *cli.StringFlag:
				f.TakesFile = slices.Contains(fileFlags, name)
			case *cli.GenericFlag:
				f.TakesFile = slices.Contains(fileFlags, name)
			}
			if vs := choices(f); len(vs) > 0 {
				extra = append(extra, fmt.Sprintf("complete -c %s -n '__fish_seen_subcommand_from %s' -l %s -x -a '%s'",
					app.Name, cmd.Name, name, strings.Join(vs, " ")))
			}
		}
	}
	s, err := app.ToFishCompletion()
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s%s\n", s, strings.Join(extra, "\n"))
	return err
}

// choices are the values of f when it takes one of a few, else nil.
func choices(f cli.Flag) []string {
	if g, ok := f.(*cli.GenericFlag); ok {
		if ch, ok := g.Value.(*flagval.Choice); ok {
			return ch.Allowed
		}
	}
	return flagChoices[f.Names()[0]]
}

// flagChoices are the values of the string flags that take one of a few; a
// flagval.Choice (--format) knows its own.
var flagChoices = map[string][]string{
	"backend":       {"ollama", "openai"},
	"arrival":       {"constant", "poisson"},
	"kv-cache-type": {"f16", "q8_0", "q4_0"},
	"think":         {"true", "false", "low", "medium", "high"},
	"runs":          {"auto"},
}

// complete prints the words that may be written where the last of args is (args[0]
// is the program; the last is the word being completed, "" for none; the scripts
// always pass it, unlike urfave/cli's, so a flag being completed and a flag waiting
// for its value are told apart): after the program, the commands; a word that starts
// with -, the flags that begin with it; after a flag that takes one of a few values,
// those. Elsewhere nothing, and the shell completes file names. It reads args rather
// than os.Args (as urfave/cli's default completer does), so it answers the same in
// process, and whatever the command line, it runs nothing.
func complete(e *env, app *cli.App, args []string) {
	if len(args) < 2 {
		return // no word to complete: not one of the scripts
	}
	cur, prev := args[len(args)-1], args[len(args)-2]
	var cmd *cli.Command
	if len(args) > 2 {
		if cmd = app.Command(args[1]); cmd == nil {
			return // an unknown command
		}
	}
	switch {
	case strings.HasPrefix(cur, "-") && cmd == nil:
		printFlags(e, app.Flags, cur)
	case strings.HasPrefix(cur, "-"):
		printFlags(e, cmd.Flags, cur)
	case cmd == nil:
		for _, c := range app.Commands {
			if !c.Hidden && strings.HasPrefix(c.Name, cur) {
				fmt.Fprintln(e.stdout, c.Name)
			}
		}
	case strings.HasPrefix(prev, "-") && !strings.Contains(prev, "="):
		name := strings.TrimLeft(prev, "-")
		i := slices.IndexFunc(cmd.Flags, func(f cli.Flag) bool { return slices.Contains(f.Names(), name) })
		if i < 0 {
			return
		}
		for _, v := range choices(cmd.Flags[i]) {
			if strings.HasPrefix(v, cur) {
				fmt.Fprintln(e.stdout, v)
			}
		}
	}
}

// printFlags prints the names of flags, and of the help flag, that begin with word
// (-m, --model): long names with --, one-letter ones with -, each once.
func printFlags(e *env, flags []cli.Flag, word string) {
	seen := map[string]bool{}
	for _, f := range append(slices.Clone(flags), cli.HelpFlag) {
		for _, n := range f.Names() {
			dash := "--"
			if len(n) == 1 {
				dash = "-"
			}
			if strings.HasPrefix(dash+n, word) && !seen[n] {
				seen[n] = true
				fmt.Fprintln(e.stdout, dash+n)
			}
		}
	}
}
