// Command cachedeck is a terminal admin console for a production Redis or
// Valkey cache, with headless subcommands for runbooks.
package main

import (
	"os"

	"github.com/coldcopy/cachedeck/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
