package main

import (
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionFlag is the flag urfave/cli looks for as the last argument
// when a shell asks for completions.
const completionFlag = "--generate-bash-completion"

// flagsFirst returns args with the flags of a command moved before its
// positional arguments, so that "ft send HOST:PORT dir -q" means
// "ft send -q HOST:PORT dir": urfave/cli, like the flag package, stops
// at the first positional argument. "--" still ends the flags (what
// follows it stays positional, so a file named "-q" is sent as
// "ft send HOST:PORT -- -q"), and "-" alone is positional. A flag that
// takes a value keeps the argument after it (unless written --flag=value).
// The flags of the app itself and an unknown command are left alone; so
// is a command line asking for completions.
func flagsFirst(app *cli.App, args []string) []string {
	i := commandIndex(args)
	if i < 0 || slices.Contains(args, completionFlag) {
		return args
	}
	cmd := app.Command(args[i])
	if cmd == nil {
		return args
	}
	takesValue := valueFlags(cmd.Flags)
	var flags, positional []string
	rest := args[i+1:]
	for j := 0; j < len(rest); j++ {
		a := rest[j]
		switch {
		case a == "--":
			positional = append(positional, rest[j+1:]...)
			j = len(rest)
		case len(a) < 2 || a[0] != '-':
			positional = append(positional, a)
		default:
			flags = append(flags, a)
			if name := strings.TrimLeft(a, "-"); !strings.Contains(name, "=") && takesValue[name] && j+1 < len(rest) {
				j++
				flags = append(flags, rest[j])
			}
		}
	}
	out := append(slices.Clone(args[:i+1]), flags...)
	if len(positional) > 0 {
		out = append(append(out, "--"), positional...)
	}
	return out
}

// commandIndex returns the index in args of the command's name: the first
// argument after the program's that is not a flag; -1 if there is none.
func commandIndex(args []string) int {
	for i := 1; i < len(args); i++ {
		if a := args[i]; a == "--" {
			return -1
		} else if !strings.HasPrefix(a, "-") {
			return i
		}
	}
	return -1
}

// valueFlags returns the names (and aliases) of the flags that take a
// value: all but the boolean ones.
func valueFlags(flags []cli.Flag) map[string]bool {
	m := make(map[string]bool)
	for _, f := range flags {
		v, ok := f.(cli.DocGenerationFlag)
		if !ok || !v.TakesValue() {
			continue
		}
		for _, n := range f.Names() {
			m[n] = true
		}
	}
	return m
}
