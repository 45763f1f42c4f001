// Command gen writes the protocol test vectors and their manifest to
// protocol/testdata (see PROTOCOL.md, section Test vectors):
//
//	go run ./protocol/internal/gen
//
// With -hex NAME it prints one vector as a hex dump instead.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"github.com/ft-team/ft/internal/vectors"
)

func main() {
	out := flag.String("out", defaultOut(), "the protocol/testdata directory to write to")
	hexName := flag.String("hex", "", "print the vector with this name as hex and write nothing")
	flag.Parse()
	if err := run(*out, *hexName); err != nil {
		fmt.Fprintln(os.Stderr, "gen: error:", err)
		os.Exit(1)
	}
}

func run(out, hexName string) error {
	if hexName != "" {
		for _, v := range vectors.All() {
			if v.Name == hexName {
				fmt.Println(vectors.Hex(v.Data))
				return nil
			}
		}
		return fmt.Errorf("no vector named %q", hexName)
	}
	if out == "" {
		return fmt.Errorf("cannot locate protocol/testdata: pass -out")
	}
	if err := vectors.Write(out); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: wrote %d vectors to %s\n", len(vectors.All()), out)
	return nil
}

// defaultOut is protocol/testdata, found from this file's location.
func defaultOut() string {
	_, file, _, ok := runtime.Caller(0)
	if !ok || !filepath.IsAbs(file) {
		return ""
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata")
}
