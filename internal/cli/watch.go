package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// callsPerPendingPool estimates the R1 calls of a pool besides its
// passphrases: find or create the group and the pool, wait for them, read.
const callsPerPendingPool = 6

// snapshot is one observation of a running migration.
type snapshot struct {
	progress workflows.MigrationProgress
	pools    []workflows.PoolProgress // running pools that answered
}

// done is the number of passphrases whose outcome is known: finished pools'
// counts plus the running pools' live counts.
func (s snapshot) done() int {
	n := s.progress.Finished.Migrated() + s.progress.Finished.Failed
	for _, p := range s.pools {
		n += p.Done
	}
	if s.progress.Passphrases > 0 && n > s.progress.Passphrases {
		n = s.progress.Passphrases
	}
	return n
}

// ETA estimates the time left from the R1 call budget: one call per remaining
// passphrase plus a few per pool not started.
func ETA(remainingPassphrases, pendingPools, callsPerMinute int) time.Duration {
	if callsPerMinute <= 0 {
		return 0
	}
	calls := max(remainingPassphrases, 0) + callsPerPendingPool*max(pendingPools, 0)
	return time.Duration(float64(calls) / (float64(callsPerMinute) / 60) * float64(time.Second)).Round(time.Second)
}

func (s snapshot) eta(callsPerMinute int) time.Duration {
	return ETA(s.progress.Passphrases-s.done(), s.progress.PoolsPending, callsPerMinute)
}

func (s snapshot) percent() int {
	if s.progress.Passphrases == 0 {
		return 0
	}
	return s.done() * 100 / s.progress.Passphrases
}

func (s snapshot) poolsText() string {
	p := s.progress
	return fmt.Sprintf("pools %d/%d done, %d failed, %d running, %d pending", p.PoolsDone, p.Pools, p.PoolsFailed, p.PoolsRunning, p.PoolsPending)
}

// planning says the workflow has not planned the export yet: it knows no pool.
func (s snapshot) planning() bool { return s.progress.Pools == 0 && s.progress.Passphrases == 0 }

const planningText = "planning the export (the workflow reads and validates it)"

// plainLine is the progress as one line of plain text (pipes, logs, status).
func (s snapshot) plainLine(callsPerMinute int) string {
	if s.planning() {
		return "progress: " + planningText
	}
	return fmt.Sprintf("progress: %d%% %d/%d passphrases | %s | ETA %s",
		s.percent(), s.done(), s.progress.Passphrases, s.poolsText(), formatDuration(s.eta(callsPerMinute)))
}

// barLine is the progress with a bar, for terminals.
func (s snapshot) barLine(callsPerMinute, width int) string {
	if s.planning() {
		return planningText
	}
	filled := 0
	if s.progress.Passphrases > 0 {
		filled = s.done() * width / s.progress.Passphrases
	}
	return fmt.Sprintf("[%s%s] %3d%% %d/%d passphrases  %s  ETA %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled),
		s.percent(), s.done(), s.progress.Passphrases, s.poolsText(), formatDuration(s.eta(callsPerMinute)))
}

func poolLine(p workflows.PoolProgress) string {
	phase := p.Phase
	if phase == "" {
		phase = "starting"
	}
	return fmt.Sprintf("  %s: %s, %d/%d passphrases (%d created, %d adopted, %d failed)", p.Key, phase, p.Done, p.Rows, p.Counts.Created, p.Counts.Adopted+p.Counts.Patched, p.Counts.Failed)
}

// poolsKey changes when a pool starts or finishes.
func (s snapshot) poolsKey() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d/%d/%d/%d", s.progress.PoolsDone, s.progress.PoolsFailed, s.progress.PoolsRunning, s.progress.PoolsPending)
	for _, r := range s.progress.Running {
		b.WriteString("|" + r.Key)
	}
	return b.String()
}

func formatDuration(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + "s"
	case d < time.Hour:
		return fmt.Sprintf("%dm%02ds", int(d.Minutes()), int(d.Seconds())%60)
	default:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
}

// progressView draws snapshots: redrawn lines on a terminal, throttled plain
// lines on a pipe.
type progressView struct {
	w              io.Writer
	tty            bool
	width          int
	callsPerMinute int
	plainEvery     time.Duration

	drawn      int // terminal lines drawn last time
	waits      int // polls in a row without progress
	lastPools  string
	lastDone   int
	lastPlain  time.Time
	printedAny bool
}

func (v *progressView) show(s snapshot, now time.Time) {
	v.waits = 0
	if v.tty {
		lines := []string{s.barLine(v.callsPerMinute, 30)}
		for _, p := range s.pools {
			lines = append(lines, poolLine(p))
		}
		v.redraw(lines)
		return
	}
	poolsChanged := s.poolsKey() != v.lastPools
	moved := s.done() != v.lastDone
	if !v.printedAny || poolsChanged || (moved && now.Sub(v.lastPlain) >= v.plainEvery) || now.Sub(v.lastPlain) >= 12*v.plainEvery {
		fmt.Fprintln(v.w, now.Format("15:04:05"), s.plainLine(v.callsPerMinute))
		for _, p := range s.pools {
			fmt.Fprintln(v.w, poolLine(p))
		}
		v.printedAny, v.lastPools, v.lastDone, v.lastPlain = true, s.poolsKey(), s.done(), now
	}
}

// waiting says the progress cannot be read (no worker, or a query timed
// out); a just-started workflow answers within a poll or two, so it waits
// for a few polls before saying so.
func (v *progressView) waiting(msg string, now time.Time) {
	if v.waits++; v.waits < 3 {
		return
	}
	if v.tty {
		v.redraw([]string{msg})
		return
	}
	if v.lastPools != "waiting" {
		fmt.Fprintln(v.w, now.Format("15:04:05"), msg)
		v.lastPools, v.lastPlain = "waiting", now
	}
}

func (v *progressView) redraw(lines []string) {
	var b strings.Builder
	if v.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\r\x1b[J", v.drawn) // up, then clear to the end of the screen
	}
	for _, l := range lines {
		if v.width > 1 && len(l) >= v.width {
			l = l[:v.width-1] // a wrapped line would break the redraw
		}
		b.WriteString(l + "\n")
	}
	io.WriteString(v.w, b.String())
	v.drawn = len(lines)
}

// end replaces the live display with the final line.
func (v *progressView) end(st migrations.Status, now time.Time) {
	line := fmt.Sprintf("finished: %s", stateLabel(st))
	if st.Result != nil {
		c := st.Result.Totals
		line += fmt.Sprintf(", %d passphrases in R1 (%d created, %d adopted, %d patched), %d failed, %d refused, %d skipped",
			c.Migrated(), c.Created, c.Adopted, c.Patched, c.Failed, c.Refused, c.Skipped)
	}
	if v.tty {
		v.redraw([]string{line, ""})
		return
	}
	fmt.Fprintln(v.w, now.Format("15:04:05"), line)
	fmt.Fprintln(v.w)
}

// maxPollFailures is how many polls in a row may fail before watch gives up.
const maxPollFailures = 30

// watch follows a migration until it ends, then prints its status and
// returns its exit code.
func (a *App) watch(ctx context.Context, svc *migrations.Service, s Settings, id string) (int, error) {
	view := &progressView{w: a.Stdout, tty: a.TTY, width: terminalWidth(a.Getenv), callsPerMinute: s.CallsPerMinute, plainEvery: a.PlainEvery}
	tick := time.NewTicker(a.PollInterval)
	defer tick.Stop()
	failures := 0
	for {
		st, err := a.poll(ctx, svc, id, view)
		switch {
		case errors.Is(err, migrations.ErrNotFound):
			return ExitFailed, notFound(id, s)
		case err != nil && ctx.Err() == nil:
			failures++
			if failures >= maxPollFailures {
				return ExitFailed, fmt.Errorf("reading migration %s failed %d times in a row: %w (is Temporal reachable? check TEMPORAL_ADDRESS)", id, failures, err)
			}
			view.waiting("cannot read the migration: "+err.Error()+" (retrying)", a.Now())
		case err == nil:
			failures = 0
			if st.State != "RUNNING" {
				view.end(st, a.Now())
				WriteStatus(a.Stdout, st)
				return ExitCode(st), nil
			}
		}
		select {
		case <-ctx.Done():
			fmt.Fprintf(a.Stderr, "\nStopped watching; the migration goes on. Resume with: dpskmigrate watch %s\n", id)
			return ExitFailed, nil
		case <-tick.C:
		}
	}
}

// poll reads the migration once and shows its progress when it runs.
func (a *App) poll(ctx context.Context, svc *migrations.Service, id string, view *progressView) (migrations.Status, error) {
	// A query waits for a worker: bound it so the display stays alive without one.
	qctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := svc.Status(qctx, id)
	if err != nil || st.State != "RUNNING" {
		return st, err
	}
	if st.Progress == nil {
		view.waiting("migration "+id+" is running; waiting for its progress (is a worker polling task queue "+svc.TaskQueue+"?)", a.Now())
		return st, nil
	}
	snap := snapshot{progress: *st.Progress}
	for _, rp := range st.Progress.Running {
		p, err := svc.PoolProgress(qctx, rp.WorkflowID)
		if err != nil {
			p = workflows.PoolProgress{Key: rp.Key, Rows: rp.Rows, Phase: "starting"}
		}
		snap.pools = append(snap.pools, p)
	}
	view.show(snap, a.Now())
	return st, nil
}

func terminalWidth(getenv func(string) string) int {
	if n, err := strconv.Atoi(getenv("COLUMNS")); err == nil && n > 20 {
		return n
	}
	return 120
}
