package main

import (
	"fmt"
	"io"
	"net/netip"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/ft-team/ft/internal/keys"
	"github.com/ft-team/ft/receive"
	"github.com/ft-team/ft/send"
)

// The flags of "Trust" (README): shared by send and receive where they
// mean the same. A secret is only ever read from a file.
func trustFlags(receiver bool) []cli.Flag {
	fs := []cli.Flag{
		&cli.BoolFlag{Name: "insecure", Usage: "no authentication, no encryption (protocol version 1; both sides need it)"},
		&cli.StringFlag{Name: "secret", EnvVars: []string{"FT_SECRET_FILE"}, Usage: "shared secret `FILE` (default: the config dir's ft/secret)"},
		&cli.StringFlag{Name: "key", Usage: "key mode: this side's private key `FILE` (from ft keygen FILE)"},
	}
	if receiver {
		return append(fs,
			&cli.StringFlag{Name: "allow", Usage: "key mode: serve only the senders whose public keys `FILE` lists"},
			&cli.StringSliceFlag{Name: "allow-from", Usage: "accept connections only from this `CIDR` (repeatable)"})
	}
	return append(fs, &cli.StringFlag{Name: "peer", Usage: "key mode: the receiver's public key (ft1...) or a `FILE` holding it"})
}

// sendTrust fills the trust options of a send from the flags.
func sendTrust(c *cli.Context, o *send.Options) {
	o.Insecure, o.SecretFile, o.KeyFile, o.Peer = c.Bool("insecure"), c.String("secret"), c.String("key"), c.String("peer")
}

// receiveTrust fills the trust options of a receive from the flags.
func receiveTrust(c *cli.Context, o *receive.Options, stderr io.Writer) error {
	o.Insecure, o.SecretFile, o.KeyFile, o.AllowFile = c.Bool("insecure"), c.String("secret"), c.String("key"), c.String("allow")
	for _, s := range splitCommas(c.StringSlice("allow-from")) {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return usageError{fmt.Errorf("--allow-from: %q is not an address or CIDR", s)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		o.AllowFrom = append(o.AllowFrom, p.Masked())
	}
	o.Notify = func(msg, hint string) {
		fmt.Fprintln(stderr, "ft:", msg)
		if hint != "" {
			fmt.Fprintln(stderr, "ft: hint:", hint)
		}
	}
	return nil
}

// keygenCommand is "ft keygen FILE" and "ft keygen --secret FILE".
func keygenCommand(stdout io.Writer) *cli.Command {
	return &cli.Command{
		Name:            "keygen",
		HideHelpCommand: true,
		OnUsageError:    onUsageError,
		Usage:           "make a shared secret file, or a key pair for key mode",
		ArgsUsage:       "FILE",
		Description: `With --secret, writes a new random 256-bit shared secret to FILE (mode 0600):
copy that one file to every machine (default place: the config dir's ft/secret).
Without, writes a private key to FILE (mode 0600) and its public key to
FILE.pub, and prints the public key (ft1...) on stdout. Never overwrites.`,
		Flags: []cli.Flag{&cli.BoolFlag{Name: "secret", Usage: "write a shared secret instead of a key pair"}},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usageError{fmt.Errorf("keygen needs one FILE")}
			}
			path := c.Args().First()
			if c.Bool("secret") {
				return keys.NewSecret(path)
			}
			pub, err := keys.Generate(path)
			if err == nil {
				fmt.Fprintln(stdout, pub)
			}
			return err
		},
	}
}

// splitCommas splits each value at its commas: "--allow-from A,B" is two
// values, as it was before the app stopped splitting slice flags itself
// (for --exclude, whose patterns may hold commas).
func splitCommas(values []string) []string {
	var out []string
	for _, v := range values {
		out = append(out, strings.Split(v, ",")...)
	}
	return out
}
