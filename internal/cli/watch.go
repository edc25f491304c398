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
	pools    []livePool      // the running pools
	shared   map[string]bool // names finished pools share with a running one (status): keys go with them
}

// livePool is a running pool's progress: its answer to the progress query,
// or, when it did not answer, what it last reported to the migration.
type livePool struct {
	workflows.PoolProgress
	answered   bool // false: Done, Accepted and confirmed are the last report; Counts and Phase unknown
	confirmed  int  // of Done, in R1 (from the last report when the pool did not answer)
	workflowID string
}

// newLivePool is rp's progress: answers[rp.WorkflowID], or its last report.
func newLivePool(rp workflows.RunningPool, answers map[string]workflows.PoolProgress) livePool {
	if p, ok := answers[rp.WorkflowID]; ok {
		if p.DisplayName == "" {
			p.DisplayName = rp.DisplayName
		}
		return livePool{PoolProgress: p, answered: true, confirmed: p.Counts.Migrated(), workflowID: rp.WorkflowID}
	}
	return livePool{workflowID: rp.WorkflowID, confirmed: rp.Confirmed, PoolProgress: workflows.PoolProgress{
		Key: rp.Key, DisplayName: rp.DisplayName, Rows: rp.Rows,
		Done: rp.Done, Accepted: max(rp.Done-rp.Confirmed, 0),
	}}
}

// done is the number of passphrases handled: finished pools' outcomes plus
// the running pools' rows handled (confirmed, failed, or accepted by R1).
func (s snapshot) done() int {
	f := s.progress.Finished
	n := f.Migrated() + f.Failed + f.Conflicts
	for _, p := range s.pools {
		n += p.Done
	}
	if s.progress.Passphrases > 0 && n > s.progress.Passphrases {
		n = s.progress.Passphrases
	}
	return n
}

// handled splits done: confirmed in R1, accepted by R1 and awaiting
// confirmation, failed, in conflict.
type handled struct{ confirmed, accepted, failed, conflicts int }

func (s snapshot) handled() handled {
	f := s.progress.Finished
	h := handled{confirmed: f.Migrated(), failed: f.Failed, conflicts: f.Conflicts}
	for _, p := range s.pools {
		h.confirmed += p.confirmed
		h.accepted += p.Accepted
		h.failed += p.Counts.Failed // zero for a pool that did not answer
		h.conflicts += p.Counts.Conflicts
	}
	return h
}

func (h handled) String() string {
	parts := []string{fmt.Sprintf("%d confirmed", h.confirmed)}
	if h.accepted > 0 {
		parts = append(parts, fmt.Sprintf("%d accepted by R1", h.accepted))
	}
	if h.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", h.failed))
	}
	if h.conflicts > 0 {
		parts = append(parts, fmt.Sprintf("%d in conflict", h.conflicts))
	}
	return strings.Join(parts, ", ")
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

// poolsLine is the pools and the time left: "pools 1/4 done, … | ETA 9s".
func (s snapshot) poolsLine(callsPerMinute int) string {
	return s.poolsText() + " | ETA " + formatDuration(s.eta(callsPerMinute))
}

// planning says the workflow has not planned the export yet: it knows no pool.
func (s snapshot) planning() bool { return s.progress.Pools == 0 && s.progress.Passphrases == 0 }

const planningText = "planning the export (the workflow reads and validates it)"

// passphrasesText is "145/400 passphrases (120 confirmed, 20 accepted by R1, 5 failed)".
func (s snapshot) passphrasesText() string {
	return fmt.Sprintf("%d/%d passphrases (%s)", s.done(), s.progress.Passphrases, s.handled())
}

// plainLine is the overall progress as one line of plain text (pipes, logs,
// status); poolsLine follows it.
func (s snapshot) plainLine() string {
	if s.planning() {
		return "progress: " + planningText
	}
	return fmt.Sprintf("progress: %d%% %s", s.percent(), s.passphrasesText())
}

// barLine is the overall progress with a bar, for a terminal width columns wide.
func (s snapshot) barLine(width int) string {
	if s.planning() {
		return planningText
	}
	text := fmt.Sprintf("%3d%% %s", s.percent(), s.passphrasesText())
	bar := min(max(width-1-textWidth(text)-3, 10), 30)
	filled := 0
	if s.progress.Passphrases > 0 {
		filled = s.done() * bar / s.progress.Passphrases
	}
	return fmt.Sprintf("[%s%s] %s", strings.Repeat("#", filled), strings.Repeat(".", bar-filled), text)
}

// statusLines are the progress as status prints it: the overall line, the
// pools line and a line per running pool.
func (s snapshot) statusLines(callsPerMinute int) []string {
	if s.planning() {
		return []string{s.plainLine()}
	}
	return append([]string{s.plainLine(), s.poolsLine(callsPerMinute)}, s.poolLines()...)
}

// poolLines are a line per running pool, by name.
func (s snapshot) poolLines() []string {
	rows := make([]tableRow, len(s.pools))
	for i, p := range s.pools {
		rows[i] = runningRow(p)
	}
	sortRows(rows)
	for i := range rows {
		rows[i].collides = rows[i].collides || s.shared[rows[i].name]
	}
	byKey := map[string]livePool{}
	for _, p := range s.pools {
		byKey[clean(p.Key)] = p
	}
	lines := make([]string, len(rows))
	for i, r := range rows {
		// The name gives way to the figures, within bounds, so the line fits the table's width.
		rest := textWidth(poolLine(byKey[r.key], ""))
		lines[i] = poolLine(byKey[r.key], r.fitted(min(max(tableWidth-rest, liveNameMin), liveNameMax)))
	}
	return lines
}

// poolLine is "  Bldg003: passphrases, 39/100 (12 confirmed, 27 accepted by
// R1 and awaiting confirmation)": rows handled of the pool's rows, and what
// became of them.
func poolLine(p livePool, name string) string {
	phase := clean(p.Phase)
	switch {
	case !p.answered:
		phase = "as last reported"
	case phase == "":
		phase = "starting"
	}
	line := fmt.Sprintf("  %s: %s, %d/%d", name, phase, p.Done, p.Rows)
	if p.Done == 0 {
		return line
	}
	parts := []string{fmt.Sprintf("%d confirmed", p.confirmed)}
	if p.Accepted > 0 {
		parts = append(parts, fmt.Sprintf("%d accepted by R1 and awaiting confirmation", p.Accepted))
	}
	if p.Counts.Failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed", p.Counts.Failed))
	}
	if p.Counts.Conflicts > 0 {
		parts = append(parts, fmt.Sprintf("%d in conflict", p.Counts.Conflicts))
	}
	return line + " (" + strings.Join(parts, ", ") + ")"
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

// phasesKey changes when a running pool enters another phase.
func (s snapshot) phasesKey() string {
	var b strings.Builder
	for _, p := range s.pools {
		b.WriteString("|" + p.Key + "=" + p.Phase)
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
	lastMoved  handled // rows handled at the last plain line, by outcome
	lastPhases string  // the running pools' phases at the last plain line
	lastPlain  time.Time
	printedAny bool
}

func (v *progressView) show(s snapshot, now time.Time) {
	v.waits = 0
	if v.tty {
		lines := []string{s.barLine(v.width)}
		if !s.planning() {
			lines = append(lines, "  "+s.poolsLine(v.callsPerMinute))
		}
		v.redraw(append(lines, s.poolLines()...))
		return
	}
	poolsChanged := s.poolsKey() != v.lastPools
	// A confirmation moves it too, and so does a pool's new phase: one that
	// puts its network on the air has no rows left to move.
	moved := s.handled() != v.lastMoved || s.phasesKey() != v.lastPhases
	if !v.printedAny || poolsChanged || (moved && now.Sub(v.lastPlain) >= v.plainEvery) || now.Sub(v.lastPlain) >= 12*v.plainEvery {
		stamp := now.Format("15:04:05")
		fmt.Fprintln(v.w, stamp, s.plainLine())
		if !s.planning() {
			fmt.Fprintln(v.w, stamp, s.poolsLine(v.callsPerMinute))
		}
		for _, l := range s.poolLines() {
			fmt.Fprintln(v.w, l)
		}
		v.printedAny, v.lastPools, v.lastMoved, v.lastPhases, v.lastPlain = true, s.poolsKey(), s.handled(), s.phasesKey(), now
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
		if v.width > 1 {
			l = fit(l, v.width-1) // a wrapped line would break the redraw
		}
		b.WriteString(l + "\n")
	}
	io.WriteString(v.w, b.String())
	v.drawn = len(lines)
}

// end replaces the live display with the final line; the status follows it.
func (v *progressView) end(st migrations.Status, now time.Time) {
	line := fmt.Sprintf("finished: %s", stateLabel(st))
	if st.Result != nil { // completed, partial, failed and cancelled alike
		c := st.Result.Totals
		line += fmt.Sprintf(", %d passphrases in R1 as the export has them, %d not migrated", c.Migrated(), c.Rows()-c.Migrated())
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
	return a.follow(ctx, svc, s, id, false)
}

// follow is watch, with the final table --wide or not.
func (a *App) follow(ctx context.Context, svc *migrations.Service, s Settings, id string, wide bool) (int, error) {
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
				writeStatus(a.Stdout, st, wide)
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
	answers := map[string]workflows.PoolProgress{}
	for _, rp := range st.Progress.Running {
		if p, err := svc.PoolProgress(qctx, rp.WorkflowID); err == nil {
			answers[rp.WorkflowID] = p
		}
	}
	for _, rp := range st.Progress.Running {
		snap.pools = append(snap.pools, newLivePool(rp, answers))
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
