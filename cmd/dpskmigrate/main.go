// Command dpskmigrate plans, starts and follows migrations of Cloudpath DPSK
// exports into RUCKUS One. Run `dpskmigrate help` for its commands, flags and
// environment; the commands themselves live in internal/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/dpskmigrate/dpskmigrate/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.FromOS().Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
