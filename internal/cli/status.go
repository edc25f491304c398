package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var statusCommand = &command{
	name:    "status",
	args:    []string{"ID"},
	summary: "show a migration: a line per pool, the rows not migrated or skipped, totals and the UI link",
	details: `Pools are listed by name, failed ones first; the table fits 100 columns (--wide
adds each pool's workflow ID and never shortens a name). A running migration
also shows the R1 budget in force, read from its R1 task queue (a limit set
with temporal task-queue config set, or the workers' R1_CALLS_PER_MINUTE), and
estimates the time left from it. Exits 0 when the
migration completed (or is still running), 2 when it ended partial, 1 when it
failed or was cancelled.`,
	bind: func(fs *flag.FlagSet) runFunc {
		asJSON := fs.Bool("json", false, "print the raw status as JSON")
		wide := fs.Bool("wide", false, "add each pool's workflow ID to the table; never shorten a pool's name")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.status(ctx, args[0], *asJSON, *wide)
		}
	},
}

var cancelCommand = &command{
	name:    "cancel",
	args:    []string{"ID"},
	summary: "cancel a running migration (running pools finish their R1 calls in flight)",
	bind: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.cancel(ctx, args[0])
		}
	},
}

var watchCommand = &command{
	name:    "watch",
	args:    []string{"ID"},
	summary: "follow a migration live until it ends, then show its status and exit with its code",
	details: `On a terminal: an overall bar, a line per running pool and an ETA from the R1
call budget (R1_CALLS_PER_MINUTE). On a pipe or with --plain: a plain progress
line when pools start or finish, and about every 5 seconds while passphrases move.
Ctrl-C stops watching, not the migration.`,
	bind: func(fs *flag.FlagSet) runFunc {
		plain := fs.Bool("plain", false, "print plain progress lines even on a terminal")
		wide := fs.Bool("wide", false, "in the final table, add each pool's workflow ID and never shorten a name")
		return func(ctx context.Context, a *App, args []string) (int, error) {
			if *plain {
				a.TTY = false
			}
			s, err := LoadSettings(a.Getenv)
			if err != nil {
				return ExitFailed, err
			}
			svc, closeSvc, err := a.service(s)
			if err != nil {
				return ExitFailed, err
			}
			defer closeSvc()
			return a.follow(ctx, svc, s, args[0], *wide)
		}
	},
}

// ExitCode is the process exit code for a migration's status: 0 completed
// (or running), 2 partial, 1 otherwise. A failed or cancelled migration
// carries its result too (its Temporal state is FAILED or CANCELED): 1.
func ExitCode(st migrations.Status) int {
	switch {
	case st.State == "RUNNING":
		return ExitOK
	case st.Result != nil && st.State == "COMPLETED":
		switch st.Result.Status {
		case workflows.StatusCompleted:
			return ExitOK
		case workflows.StatusPartial:
			return ExitPartial
		}
	}
	return ExitFailed
}

func (a *App) status(ctx context.Context, id string, asJSON, wide bool) (int, error) {
	s, svc, closeSvc, err := a.connect()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	st, err := svc.Status(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if asJSON {
		enc := json.NewEncoder(a.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return ExitFailed, err
		}
		return ExitCode(st), nil
	}
	if st.State == "RUNNING" {
		view, _ := svc.Pools(ctx, id)
		running := map[string]workflows.PoolProgress{}
		for _, rp := range view.Running {
			if p, err := svc.PoolProgress(ctx, rp.WorkflowID); err == nil {
				running[rp.WorkflowID] = p
			}
		}
		var budget budgetInForce
		budget.budget, budget.err = svc.Budget(ctx)
		writeRunningBudget(a.Stdout, st, view, running, s.CallsPerMinute, &budget, wide)
		return ExitOK, nil
	}
	writeStatus(a.Stdout, st, wide)
	return ExitCode(st), nil
}

func (a *App) cancel(ctx context.Context, id string) (int, error) {
	s, svc, closeSvc, err := a.connect()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	st, err := svc.Status(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if st.State != "RUNNING" {
		return ExitFailed, fmt.Errorf("migration %s already ended (%s): nothing to cancel; see `dpskmigrate status %s`", id, stateLabel(st), id)
	}
	if err := svc.Cancel(ctx, id); err != nil {
		if errors.Is(err, migrations.ErrNotFound) {
			return ExitFailed, fmt.Errorf("migration %s ended before it could be cancelled; see `dpskmigrate status %s`", id, id)
		}
		return ExitFailed, err
	}
	fmt.Fprintf(a.Stdout, "Cancellation requested for %s: running pools finish their R1 calls in flight and report what R1 holds; pools not started are not migrated.\n", id)
	fmt.Fprintf(a.Stdout, "Follow it with: dpskmigrate watch %s\n", id)
	if st.UIURL != "" {
		fmt.Fprintf(a.Stdout, "Temporal UI: %s\n", st.UIURL)
	}
	return ExitOK, nil
}
