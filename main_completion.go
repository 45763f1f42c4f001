package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/urfave/cli/v2"
)

// completionShells returns the shells "ft completion" writes a script for.
func completionShells() []string { return []string{"bash", "zsh", "fish"} }

// completionCommand is "ft completion bash|zsh|fish": it prints a
// completion script made from the app's own commands and flags, so that
// the script never disagrees with the binary that printed it.
func completionCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "completion",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		Usage:           "print a shell completion script (bash, zsh or fish)",
		ArgsUsage:       "bash|zsh|fish",
		Description: `Prints a script that completes ft's commands and flags (and file names for
paths) in that shell. Load it for the current shell, or install it:

   source <(ft completion bash)       # bash; or: ft completion bash > /etc/bash_completion.d/ft
   ft completion zsh > "${fpath[1]}/_ft"   # zsh (then restart it; compinit must be loaded)
   ft completion fish > ~/.config/fish/completions/ft.fish`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 || !slices.Contains(completionShells(), c.Args().First()) {
				return usageError{fmt.Errorf("completion needs one of %s", strings.Join(completionShells(), ", "))}
			}
			script, err := completionScript(c.App, c.Args().First())
			if err != nil {
				return fmt.Errorf("completion: %w", err)
			}
			_, err = io.WriteString(stdout, script)
			return err
		},
	}
}

// completionScript returns the completion script for shell.
func completionScript(app *cli.App, shell string) (string, error) {
	switch shell {
	case "fish":
		return app.ToFishCompletion()
	case "zsh":
		return zshScript(completionWords(app)), nil
	}
	return bashScript(completionWords(app)), nil
}

// completionWords returns, for the empty string, the words that may
// follow "ft" (the commands and the app's flags) and, for each command,
// those that may follow it: its flags, or the arguments it takes from a
// fixed list.
func completionWords(app *cli.App) map[string][]string {
	words := map[string][]string{"": flagWords(app.VisibleFlags())}
	var names []string
	for _, cmd := range app.VisibleCommands() {
		names = append(names, cmd.Name)
		words[cmd.Name] = flagWords(cmd.VisibleFlags())
	}
	words[""] = append(names, words[""]...)
	words["completion"] = append(completionShells(), words["completion"]...)
	words["help"] = slices.DeleteFunc(slices.Clone(names), func(n string) bool { return n == "help" })
	return words
}

// flagWords returns the spellings of flags on a command line: --name for
// a long name, -n for a one-letter one.
func flagWords(flags []cli.Flag) []string {
	var out []string
	for _, f := range flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				out = append(out, "-"+n)
			} else {
				out = append(out, "--"+n)
			}
		}
	}
	return out
}

// sortedCommands returns the keys of words but "", sorted, so that a
// script is the same on every run.
func sortedCommands(words map[string][]string) []string {
	var cmds []string
	for k := range words {
		if k != "" {
			cmds = append(cmds, k)
		}
	}
	slices.Sort(cmds)
	return cmds
}

// bashScript is the bash completion script: commands after "ft", flags
// (or fixed arguments) after a command, file names otherwise.
func bashScript(words map[string][]string) string {
	var b strings.Builder
	b.WriteString(`# bash completion for ft, from "ft completion bash".
# Load it with: source <(ft completion bash)
_ft() {
    local cur=${COMP_WORDS[COMP_CWORD]} words="" fixed=""
    COMPREPLY=()
    if (( COMP_CWORD == 1 )); then
        words="` + strings.Join(words[""], " ") + `"
    else
        case ${COMP_WORDS[1]} in
`)
	for _, cmd := range sortedCommands(words) {
		fixed := ""
		if cmd == "completion" || cmd == "help" {
			fixed = " fixed=1"
		}
		fmt.Fprintf(&b, "        %s) words=%q%s ;;\n", cmd, strings.Join(words[cmd], " "), fixed)
	}
	b.WriteString(`        esac
    fi
    if [[ $cur == -* || -n $fixed ]] || (( COMP_CWORD == 1 )); then
        COMPREPLY=($(compgen -W "$words" -- "$cur"))
    fi
}
complete -o bashdefault -o default -F _ft ft
`)
	return b.String()
}

// zshScript is the zsh completion script, for a file _ft in $fpath or to
// be sourced once compinit has run.
func zshScript(words map[string][]string) string {
	var b strings.Builder
	b.WriteString(`#compdef ft
# zsh completion for ft, from "ft completion zsh".
_ft() {
    if (( CURRENT == 2 )); then
        compadd -- ` + strings.Join(words[""], " ") + `
        return
    fi
    case $words[2] in
`)
	for _, cmd := range sortedCommands(words) {
		if cmd == "completion" || cmd == "help" {
			fmt.Fprintf(&b, "    %s) compadd -- %s ;;\n", cmd, strings.Join(words[cmd], " "))
			continue
		}
		fmt.Fprintf(&b, "    %s) if [[ $PREFIX == -* ]]; then compadd -- %s; else _files; fi ;;\n", cmd, strings.Join(words[cmd], " "))
	}
	b.WriteString(`    *) _files ;;
    esac
}
if [[ $funcstack[1] == _ft ]]; then
    _ft "$@"
else
    compdef _ft ft
fi
`)
	return b.String()
}
