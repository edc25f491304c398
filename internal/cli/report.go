package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/report"
)

var reportCommand = &command{
	name:    "report",
	args:    []string{"ID"},
	summary: "every row of a migration's export with its outcome, as CSV or JSON (for signing a cutover off)",
	details: `One line per DPSK of the export: R1 pool, Cloudpath pool, row index in it,
username, Cloudpath GUID, outcome, detail, R1 passphrase and identity ids
(empty: the migration's record keeps none). Outcomes: created, adopted,
patched (from which VLAN to which), skipped and refused (the plan's reason),
conflict, failed (the reason), not attempted (pool not started, cancelled or
still running), not recorded (a pool of the first release, or terminated).
The totals always add up to the export's rows; they go to standard error.
It reads Temporal and the export store, never R1, and exits 0 whatever the
outcomes.`,
	bind: func(fs *flag.FlagSet) runFunc {
		format := fs.String("format", "csv", "`FORMAT` of the report: csv or json")
		output := fs.String("output", "", "write the report to `FILE` (mode 0600) instead of standard output")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.report(ctx, args[0], *format, *output)
		}
	},
}

func (a *App) report(ctx context.Context, id, format, output string) (int, error) {
	write := (*report.Report).WriteCSV
	switch format {
	case "csv":
	case "json":
		write = (*report.Report).WriteJSON
	default:
		return ExitFailed, usagef("--format %q: use csv or json", format)
	}
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	ring, err := payloadcrypt.FromEnv(a.Getenv)
	if err != nil {
		return ExitFailed, fmt.Errorf("payload encryption: %w", err)
	}
	svc, closeSvc, err := a.service(s)
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	// The migration's input is read from its history, encrypted or not.
	svc.DataConverter = payloadcrypt.DataConverter(nil, ring)
	rep, err := svc.Report(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if output == "" {
		if err := write(rep, a.Stdout); err != nil {
			return ExitFailed, err
		}
	} else if err := writeFile(output, func(w io.Writer) error { return write(rep, w) }); err != nil {
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stderr, "Migration %s (%s): %s.\n", id, stateText(rep.State), rep.Totals)
	for _, n := range rep.Notes {
		fmt.Fprintf(a.Stderr, "Note: %s.\n", n)
	}
	if output != "" {
		fmt.Fprintf(a.Stderr, "Report written to %s.\n", output)
	}
	return ExitOK, nil
}

func stateText(state string) string {
	if state == "" {
		return "state unknown"
	}
	return state
}

// writeFile writes path whole or not at all, readable by its owner only:
// a report names every user.
func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".dpskmigrate-report-*") // mode 0600
	if err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	defer os.Remove(f.Name()) // gone once renamed
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("--output %s: %w", path, err)
	}
	return nil
}
