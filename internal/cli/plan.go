package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

var planCommand = &command{
	name:    "plan",
	args:    []string{"FILE"},
	summary: "validate an export offline and show what the migration will do",
	details: `Nothing is written anywhere. With --check-r1 it also reads R1 (R1_* credentials)
and shows, per pool, which identity groups, pools and passphrases will be
created, adopted (already in R1 as the export has them) or are in conflict.
With --network-mode per-pool it also reads R1's Wi-Fi networks and venues:
per pool, whether its network will be created or adopted and every network
the migration would refuse (its SSID or name held by a non-DPSK network, by
a DPSK network of another name or SSID or serving another pool, or by
several networks); each venue resolved, and its fullest AP group's SSIDs
against --max-ssids-per-ap-group with the networks the migration would add.
FILE may be - for standard input.

Exit codes: 0 the plan is valid (and, with --check-r1, R1 shows nothing
that would make the migration refuse a network or a venue; passphrases in
conflict are listed, not counted); 2 with --check-r1 when R1 shows such a
problem (listed under "Problems"); 1 on any error (an invalid export, R1
unreadable).`,
	bind: func(fs *flag.FlagSet) runFunc {
		var pf planFlags
		pf.register(fs)
		checkR1 := fs.Bool("check-r1", false, "also read R1 and show what will be created, adopted or skipped")
		var maxSSIDs int
		maxSSIDsFlag(fs, &maxSSIDs, "with --check-r1 and --network-mode per-pool: check that no AP group of a venue would carry more than `N` SSIDs")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.plan(ctx, args[0], pf, *checkR1, maxSSIDs)
		}
	},
}

var storeCommand = &command{
	name:         "store",
	args:         []string{"[FILE]"},
	argsOptional: true,
	summary:      "validate an export, store it in the export store and print its reference JSON; or --prune old exports",
	details: `The reference ({"sha256":...,"uri":...}) is the "export" field of the
MigrationWorkflow input: use it to start a migration from the Temporal CLI or UI
({"export":{"sha256":"..."}} is enough). The store (DPSKMIGRATE_EXPORT_DIR) must
be readable by the workers.

With --prune --older-than AGE (no FILE) it removes the stored exports older than
AGE that no workflow references, running or closed within AGE (reports,
verification and rollback read the export after the run), and uploads left
unfinished for over an hour. It reads Temporal (TEMPORAL_* settings).`,
	bind: func(fs *flag.FlagSet) runFunc {
		var pf pruneFlags
		pf.register(fs)
		return func(ctx context.Context, a *App, args []string) (int, error) {
			if pf.prune || pf.olderThan != "" || pf.dryRun {
				return a.prune(ctx, args, pf)
			}
			if len(args) == 0 {
				return ExitFailed, usagef("store takes FILE (or --prune --older-than AGE)")
			}
			return a.store(args[0])
		}
	},
}

// readExport reads FILE, or standard input for "-".
func (a *App) readExport(path string) ([]byte, error) {
	var (
		data []byte
		err  error
	)
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(a.Stdin, exportstore.DefaultMaxBytes+1))
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the export: %w", err)
	}
	if len(data) > exportstore.DefaultMaxBytes {
		return nil, fmt.Errorf("reading the export: %s is larger than the %d MiB limit", path, exportstore.DefaultMaxBytes>>20)
	}
	return data, nil
}

// checkExport plans the export offline; a refusal lists every problem and says what to do.
func checkExport(data []byte, opts cloudpath.PlanOptions) (*cloudpath.Plan, error) {
	plan, err := migrations.Check(data, opts)
	var invalid *migrations.InvalidExportError
	if errors.As(err, &invalid) {
		var b strings.Builder
		b.WriteString("the export cannot be migrated; nothing was stored or started:")
		for _, p := range invalid.Problems {
			b.WriteString("\n  - " + p)
		}
		b.WriteString("\nFix the export (or the flags) and run `dpskmigrate plan FILE` again.")
		return nil, errors.New(b.String())
	}
	if err != nil {
		return nil, err
	}
	if len(plan.Units) == 0 {
		return nil, errors.New("the export holds no DPSK pool: nothing to migrate")
	}
	return plan, nil
}

func (a *App) plan(ctx context.Context, path string, pf planFlags, checkR1 bool, maxSSIDs int) (int, error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	if err := checkMaxSSIDs(maxSSIDs); err != nil {
		return ExitFailed, err
	}
	opts, err := pf.options(a.Now().UTC())
	if err != nil {
		return ExitFailed, err
	}
	if maxSSIDs != 0 && (!checkR1 || opts.NetworkMode != cloudpath.NetworkPerPool) {
		fmt.Fprintln(a.Stderr, "note: --max-ssids-per-ap-group only applies with --check-r1 and --network-mode per-pool; nothing checks it here")
	}
	data, err := a.readExport(path)
	if err != nil {
		return ExitFailed, err
	}
	plan, err := checkExport(data, opts)
	if err != nil {
		return ExitFailed, err
	}
	if err := writePlan(a.Stdout, plan, s.CallsPerMinute, pf.policySet); err != nil {
		return ExitFailed, err
	}
	if !checkR1 {
		return ExitOK, nil
	}
	r1cfg, err := R1ConfigFromEnv(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	checks, err := CheckR1(ctx, r1cfg, plan, pf.policySet, maxSSIDs)
	if err != nil {
		return ExitFailed, r1Hint(err)
	}
	fmt.Fprintln(a.Stdout)
	WriteR1Check(a.Stdout, checks)
	if len(checks.Problems()) > 0 {
		return ExitPartial, nil
	}
	return ExitOK, nil
}

// r1Hint adds the likely fix to an R1 error.
func r1Hint(err error) error {
	var unauthorized *r1client.UnauthorizedError
	var transport *r1client.TransportError
	switch {
	case errors.As(err, &unauthorized):
		return fmt.Errorf("%w (check R1_TENANT_ID, R1_CLIENT_ID, R1_CLIENT_SECRET and, for an MSP, R1_MSP_TENANT_ID)", err)
	case errors.As(err, &transport):
		return fmt.Errorf("%w (check R1_REGION or R1_BASE_URL and the network)", err)
	}
	return err
}

// writePlan prints the plan's summary and names every row it refuses or skips.
func writePlan(w io.Writer, plan *cloudpath.Plan, callsPerMinute int, policySet string) error {
	if err := plan.Summarize(callsPerMinute).WriteText(w); err != nil {
		return err
	}
	if policySet != "" {
		fmt.Fprintf(w, "Policy set: %q, found or created, attached to every pool\n", policySet)
	}
	return nil
}

func (a *App) store(path string) (int, error) {
	s, err := LoadSettings(a.Getenv)
	if err != nil {
		return ExitFailed, err
	}
	data, err := a.readExport(path)
	if err != nil {
		return ExitFailed, err
	}
	if _, err := checkExport(data, cloudpath.PlanOptions{Now: a.Now().UTC()}); err != nil {
		return ExitFailed, err
	}
	st, err := exportstore.New(s.ExportDir)
	if err != nil {
		return ExitFailed, fmt.Errorf("%w (set DPSKMIGRATE_EXPORT_DIR to a writable directory the workers also read)", err)
	}
	ref, err := st.PutBytes(data)
	if err != nil {
		return ExitFailed, err
	}
	b, err := json.Marshal(ref)
	if err != nil {
		return ExitFailed, err
	}
	fmt.Fprintln(a.Stdout, string(b))
	return ExitOK, nil
}
