package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Operating a running migration: pause, resume and configure are Workflow
// Updates the migration validates; a refused one changes nothing and leaves
// no event in its history.

var pauseCommand = &command{
	name:    "pause",
	args:    []string{"ID"},
	summary: "hold a running migration: no pool starts and no R1 call begins until resume",
	details: `The R1 calls in flight finish; the pools' wait deadlines stop while paused, so
a long pause fails no row R1 accepted. The pause outlives worker restarts.
Prints the settings in force. Exits 1 (nothing changed) when the migration has
ended, does not exist, or refuses.`,
	bind: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.control(ctx, args[0], workflows.PauseUpdate, workflows.Configure{})
		}
	},
}

var resumeCommand = &command{
	name:    "resume",
	args:    []string{"ID"},
	summary: "let a paused migration go on",
	details: `Prints the settings in force. Exits 1 (nothing changed) when the migration has
ended, does not exist, or refuses.`,
	bind: func(fs *flag.FlagSet) runFunc {
		return func(ctx context.Context, a *App, args []string) (int, error) {
			return a.control(ctx, args[0], workflows.ResumeUpdate, workflows.Configure{})
		}
	},
}

var configureCommand = &command{
	name:    "configure",
	args:    []string{"ID"},
	summary: "change a running migration's pools at once and passphrases in flight per pool",
	details: fmt.Sprintf(`Give --max-concurrent (1..%d), --passphrase-concurrency (1..%d) or both. The
window resizes at once (a sequential migration given a window becomes parallel);
running pools take the new passphrase concurrency at once. Prints the settings
in force. A value out of range is refused and nothing changes (exit 1); so is a
migration that has ended or does not exist.`, workflows.MaxMaxConcurrent, workflows.MaxPassphraseConcurrency),
	bind: func(fs *flag.FlagSet) runFunc {
		maxConcurrent := fs.Int("max-concurrent", 0, fmt.Sprintf("pools at once, `N` from 1 to %d", workflows.MaxMaxConcurrent))
		passphrases := fs.Int("passphrase-concurrency", 0, fmt.Sprintf("passphrases in flight per pool, `N` from 1 to %d", workflows.MaxPassphraseConcurrency))
		return func(ctx context.Context, a *App, args []string) (int, error) {
			c, err := configureFlags(fs, *maxConcurrent, *passphrases)
			if err != nil {
				return ExitFailed, err
			}
			return a.control(ctx, args[0], workflows.ConfigureUpdate, c)
		}
	},
}

// configureFlags is the change the flags given on fs ask for, checked before
// anything is dialled.
func configureFlags(fs *flag.FlagSet, maxConcurrent, passphrases int) (workflows.Configure, error) {
	var c workflows.Configure
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "max-concurrent":
			c.MaxConcurrent = &maxConcurrent
		case "passphrase-concurrency":
			c.PassphraseConcurrency = &passphrases
		}
	})
	if c.MaxConcurrent == nil && c.PassphraseConcurrency == nil {
		return c, usagef("configure changes nothing without --max-concurrent N or --passphrase-concurrency N (or both)")
	}
	if n := c.MaxConcurrent; n != nil && (*n < 1 || *n > workflows.MaxMaxConcurrent) {
		return c, usagef("--max-concurrent %d is out of range: use 1 to %d; nothing changed", *n, workflows.MaxMaxConcurrent)
	}
	if n := c.PassphraseConcurrency; n != nil && (*n < 1 || *n > workflows.MaxPassphraseConcurrency) {
		return c, usagef("--passphrase-concurrency %d is out of range: use 1 to %d; nothing changed", *n, workflows.MaxPassphraseConcurrency)
	}
	return c, nil
}

// controlTimeout bounds the wait for the migration's answer: an update waits
// for a worker to run the migration.
const controlTimeout = 30 * time.Second

// control sends a pause, resume or configure update and prints the settings
// in force.
func (a *App) control(ctx context.Context, id, action string, c workflows.Configure) (int, error) {
	s, svc, closeSvc, err := a.connect()
	if err != nil {
		return ExitFailed, err
	}
	defer closeSvc()
	info, err := svc.Migration(ctx, id)
	if errors.Is(err, migrations.ErrNotFound) {
		return ExitFailed, notFound(id, s)
	}
	if err != nil {
		return ExitFailed, err
	}
	if info.GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
		return ExitFailed, a.ended(ctx, svc, id, action)
	}
	uctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var state workflows.ControlState
	switch action {
	case workflows.PauseUpdate:
		state, err = svc.Pause(uctx, id)
	case workflows.ResumeUpdate:
		state, err = svc.Resume(uctx, id)
	default:
		state, err = svc.Configure(uctx, id, c)
	}
	var refused *migrations.RefusedError
	switch {
	case errors.As(err, &refused):
		return ExitFailed, fmt.Errorf("migration %s refused to %s: %s; nothing changed", id, action, refused.Reason)
	case errors.Is(err, migrations.ErrNotFound):
		return ExitFailed, a.ended(ctx, svc, id, action)
	case err != nil && uctx.Err() != nil && ctx.Err() == nil:
		return ExitFailed, fmt.Errorf("migration %s did not answer within %s: is a worker polling task queue %s? The %s may still apply when one runs it; `dpskmigrate status %s` shows whether it did",
			id, controlTimeout, s.TaskQueue, action, id)
	case err != nil:
		return ExitFailed, err
	}
	writeControl(a.Stdout, id, action, state)
	return ExitOK, nil
}

// ended explains that a migration that has ended takes no control.
func (a *App) ended(ctx context.Context, svc *migrations.Service, id, action string) error {
	label := "ended"
	if st, err := svc.Status(ctx, id); err == nil {
		label = stateLabel(st)
	}
	return fmt.Errorf("migration %s has ended (%s): there is nothing to %s; nothing changed (see `dpskmigrate status %s`)", id, label, action, id)
}

// writeControl prints what a control did and the settings in force.
func writeControl(w io.Writer, id, action string, st workflows.ControlState) {
	switch action {
	case workflows.PauseUpdate:
		writeWrapped(w, fmt.Sprintf("Migration %s is paused%s: no pool starts and running pools start no R1 call; the calls in flight finish.", id, pausedSince(st)), "", "  ")
	case workflows.ResumeUpdate:
		fmt.Fprintf(w, "Migration %s is running (not paused).\n", id)
	default:
		fmt.Fprintf(w, "Migration %s took the new settings.\n", id)
	}
	text := controlText(st)
	if st.Paused && action != workflows.PauseUpdate {
		text += "; paused" + pausedSince(st)
	}
	fmt.Fprintf(w, "In force: %s.\n", text)
	if st.Paused {
		fmt.Fprintf(w, "Resume with: dpskmigrate resume %s\n", id)
	}
}

// controlText is "up to 8 pools at once, 5 passphrases in flight per pool".
func controlText(st workflows.ControlState) string {
	text := fmt.Sprintf("up to %d pool(s) at once", st.MaxConcurrent)
	if st.PassphraseConcurrency > 0 {
		text += fmt.Sprintf(", %d passphrase(s) in flight per pool", st.PassphraseConcurrency)
	}
	return text
}

func pausedSince(st workflows.ControlState) string {
	if st.PausedSince.IsZero() {
		return ""
	}
	return " since " + st.PausedSince.UTC().Format("2006-01-02 15:04:05 UTC")
}
