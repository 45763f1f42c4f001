package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/ft-team/ft/internal/ignore"
	"github.com/ft-team/ft/send"
)

// selectFlags are the flags of ft send that choose what is sent and where
// it lands.
func selectFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "exclude", Usage: "leave out what this gitignore-style `PATTERN` matches inside sent directories (repeatable; *.o, build/tmp/, **/.git, !keep)"},
		&cli.StringSliceFlag{Name: "exclude-from", Usage: "read exclude patterns from `FILE`, one per line, # comments (repeatable)"},
		&cli.StringFlag{Name: "to", Usage: "land everything under `SUBDIR` of the inbox (made as needed)"},
	}
}

// sendSelect fills the selection options of a send from the flags: the
// patterns of every --exclude-from file, then those of --exclude, in
// order (the last that matches a path decides).
func sendSelect(c *cli.Context, o *send.Options) error {
	var lines []string
	for _, f := range c.StringSlice("exclude-from") {
		l, err := ignore.ReadFile(f)
		if err != nil {
			return usageError{fmt.Errorf("--exclude-from: %w", err)}
		}
		lines = append(lines, l...)
	}
	lines = append(lines, c.StringSlice("exclude")...)
	rules, err := ignore.Parse(lines)
	if err != nil {
		return usageError{fmt.Errorf("--exclude: %w", err)}
	}
	if !rules.Empty() {
		o.Exclude = rules
	}
	o.To = c.String("to")
	return nil
}
