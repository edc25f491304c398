package workflows

import (
	"fmt"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// MemoExport is the memo field in which a migration records its export and
// effective plan options (an activities.ExportInput).
const MemoExport = "export"

// Error types a migration fails with.
const (
	ErrInvalidInput    = "InvalidInput"    // refused before it starts
	ErrMigrationFailed = "MigrationFailed" // every pool failed; the details carry the MigrationResult
)

// MigrationWorkflow migrates every pool of an export: it plans the export, runs
// one PoolWorkflow per pool through a window of at most Window() children, and
// aggregates their results. Past PoolsPerRun pools it drains its window and
// continues as new carrying totals and a bounded list, so its history and
// state stay bounded however many pools the export has.
func MigrationWorkflow(ctx workflow.Context, in MigrationInput) (MigrationResult, error) {
	if workflow.GetVersion(ctx, versionChange, workflow.DefaultVersion, versionV2) == workflow.DefaultVersion {
		return migrationWorkflowV1(ctx, in)
	}
	in, err := in.Normalize()
	if err != nil {
		return MigrationResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	if in.Plan.Now.IsZero() {
		// Every activity re-plans the export; they must all judge expiry at the same instant.
		in.Plan.Now = workflow.Now(ctx).UTC()
	}
	if in.Continued == nil {
		// What the report, verification and rollback need: the export and the
		// plan options with the instant expiry is judged against (carried
		// across continue-as-new with the memo).
		if err := workflow.UpsertMemo(ctx, map[string]any{MemoExport: activities.ExportInput{Export: in.Export, Plan: in.Plan}}); err != nil {
			return MigrationResult{}, err
		}
	}
	m := newMigration(ctx, in)
	m.waits.hurryTail = workflow.GetVersion(ctx, changeHurryTail, workflow.DefaultVersion, 1) == 1
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, m.progress); err != nil {
		return MigrationResult{}, err
	}
	if err := m.control(ctx); err != nil {
		return MigrationResult{}, err
	}
	if err := workflow.SetQueryHandler(ctx, PoolsQuery, m.pools); err != nil {
		return MigrationResult{}, err
	}
	progress := workflow.GetSignalChannel(ctx, PoolProgressSignal)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var r PoolProgressReport
			if !progress.Receive(gctx, &r) {
				return
			}
			m.onProgress(ctx, r)
		}
	})
	workflow.Go(ctx, m.turns.serve)
	workflow.Go(ctx, m.waits.serve)
	sent := workflow.GetSignalChannel(ctx, PoolSentSignal)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var key string
			if !sent.Receive(gctx, &key) {
				return
			}
			m.poolSent(key)
			m.waits.hurry(ctx, key)
		}
	})
	m.showDetails(ctx)

	var page activities.PlanResult
	planIn := activities.PlanInput{ExportInput: m.exportInput(), Offset: m.st.NextPool, Limit: in.PoolsPerRun}
	if err := workflow.ExecuteActivity(planContext(ctx), a.Plan, planIn).Get(ctx, &page); err != nil {
		if ctx.Err() == nil {
			return MigrationResult{}, temporal.NewNonRetryableApplicationError("planning the export: "+reason(err), activities.ErrExportInvalid, nil)
		}
	} else {
		if in.Continued == nil {
			m.st.TotalPools, m.st.TotalRows = page.TotalPools, page.TotalRows
		}
		m.pending = page.Pools
		m.startSearchAttributes(ctx, page)
		if err := m.resolveVenues(ctx); err != nil {
			return MigrationResult{}, err
		}
		m.showDetails(ctx)
		if !in.PerPoolReads {
			m.surveyed = m.survey(ctx)
		}
		m.runPools(ctx)
		m.st.NextPool += len(page.Pools)
	}
	// Reports of finished pools, and turns they gave back: none is lost that matters.
	for progress.ReceiveAsync(nil) {
	}
	for _, name := range []string{VenueTurnSignal, PoolSentSignal, R1WaitSignal} {
		for workflow.GetSignalChannel(ctx, name).ReceiveAsync(nil) {
		}
	}
	if m.st.NextPool < m.st.TotalPools && ctx.Err() == nil {
		next := in
		st := m.st
		next.Continued = &st
		return MigrationResult{}, workflow.NewContinueAsNewError(ctx, MigrationWorkflowName, next)
	}
	res := m.result(ctx)
	m.showDetails(ctx)
	m.endSearchAttributes(ctx)
	summary := fmt.Sprintf("every pool failed (%d of %d); the details list them", res.PoolCounts.Failed, res.TotalPools)
	return outcome(res, res.Status, summary, ErrMigrationFailed)
}

type migration struct {
	in      MigrationInput
	st      MigrationState
	pending []activities.PoolRef
	running []RunningPool
	window  *window                         // the pool window in use, resized by configure
	final   Status                          // set once the migration has ended
	venues  map[string]activities.VenueInfo // this run's venues, by the name or id the plan gives
	turns   *venueTurns
	waits   *sharedWaits
	// surveyed is what R1 held of this run's pools' names before they started.
	surveyed map[string]*PoolSurvey
	// frees gives a running pool's window slot to the next pool once it has
	// sent every write (parallel mode).
	frees map[string]func()
}

func newMigration(ctx workflow.Context, in MigrationInput) *migration {
	m := &migration{in: in, turns: newVenueTurns(workflow.GetInfo(ctx).WorkflowExecution.ID), frees: map[string]func(){}}
	m.waits = newSharedWaits(m)
	if in.Continued != nil {
		m.st = *in.Continued
		if m.st.PoolCounts.Finished() == 0 && len(m.st.Done) > 0 {
			m.adoptFirstReleaseState()
		}
	}
	if m.st.Control.MaxConcurrent == 0 {
		m.st.Control.MaxConcurrent = in.Window()
	}
	if m.st.Control.PassphraseConcurrency == 0 {
		m.st.Control.PassphraseConcurrency = in.PassphraseConcurrency
	}
	return m
}

// adoptFirstReleaseState turns the state a first-release run carried (every
// pool's result) into counts and a bounded list.
func (m *migration) adoptFirstReleaseState() {
	done := m.st.Done
	m.st.Done, m.st.RowsListed = nil, 0
	for _, r := range done {
		m.st.PoolCounts.count(r.Status)
		m.keep(r)
	}
}

func (m *migration) exportInput() activities.ExportInput {
	return activities.ExportInput{Export: m.in.Export, Plan: m.in.Plan}
}

// runPools runs this run's pools through the window and waits for all of them.
func (m *migration) runPools(ctx workflow.Context) {
	parentID := workflow.GetInfo(ctx).WorkflowExecution.ID
	w := newWindow(ctx, m.st.Control.MaxConcurrent)
	m.window = w
	for len(m.pending) > 0 && ctx.Err() == nil {
		m.awaitRunning(ctx) // paused: no new pool starts
		if ctx.Err() != nil {
			break
		}
		pool := m.pending[0]
		m.pending = m.pending[1:]
		childID := ChildWorkflowID(parentID, pool.Key)
		cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
			WorkflowID:          childID,
			WaitForCancellation: true, // a cancelled pool reports what R1 holds
			StaticSummary:       fmt.Sprintf("%s · %d passphrases", pool.DisplayName, pool.Rows),
		})
		m.running = append(m.running, RunningPool{Key: pool.Key, DisplayName: pool.DisplayName, WorkflowID: childID, Rows: pool.Rows})
		m.st.RowsStarted += pool.Rows
		m.showDetails(ctx)
		given := m.st.Control
		f := workflow.ExecuteChildWorkflow(cctx, PoolWorkflowName, PoolInput{
			ExportInput:           m.exportInput(),
			Pool:                  pool,
			PassphraseConcurrency: given.PassphraseConcurrency,
			PassphrasesPerRun:     m.in.PassphrasesPerRun,
			PolicySetName:         m.in.PolicySetName,
			ActivityTimeout:       m.in.ActivityTimeout,
			MaxSSIDsPerAPGroup:    m.in.MaxSSIDsPerAPGroup,
			ConfirmMaxWait:        m.in.ConfirmMaxWait,
			Venues:                m.venuesOf(pool),
			Survey:                m.surveyed[pool.Key],
			SharedWaits:           !m.in.PerPoolReads,
			BulkImport:            m.in.BulkImport,
		})
		// A pause or configure sent before the pool's start was known reaches it now.
		workflow.Go(ctx, func(gctx workflow.Context) {
			if f.GetChildWorkflowExecution().Get(gctx, nil) == nil && m.st.Control != given {
				_ = workflow.SignalExternalWorkflow(gctx, childID, "", PoolControlSignal, m.st.Control).Get(gctx, nil)
			}
		})
		m.frees[pool.Key] = w.add(f, func(f workflow.Future) {
			var res PoolResult
			if err := f.Get(ctx, &res); err != nil && !ResultFromError(err, &res) {
				// The pool never ran its steps (refused input, terminated).
				res = PoolResult{Key: pool.Key, DisplayName: pool.DisplayName, Status: StatusFailed, Error: reason(err),
					Counts: Counts{Failed: pool.Rows, Skipped: pool.SkippedCount, Refused: pool.RefusedCount}}
				if ctx.Err() != nil {
					res.Status, res.Counts.Failed, res.Counts.NotAttempted = StatusCanceled, 0, pool.Rows
				}
			}
			res.WorkflowID = childID
			m.turns.poolEnded(ctx, pool.Key)
			m.waits.poolEnded(pool.Key)
			delete(m.frees, pool.Key)
			m.finish(ctx, res)
		})
		if len(m.pending) == 0 {
			m.waits.allDue = true // the run's last pools: nobody waits for their slots
			m.waits.hurry(ctx, "")
		}
		w.awaitSlot()
	}
	w.drain()
	m.window = nil
}

// poolSent hears that a pool has sent every write and only waits for R1 to
// confirm them: in parallel mode its slot goes to the next pool (its
// confirmations are read with the others'); a pool that keeps its slot has
// its confirmations read first.
func (m *migration) poolSent(key string) {
	m.waits.draining[key] = true
	if free, ok := m.frees[key]; ok && m.st.Control.MaxConcurrent > 1 {
		free()
		delete(m.frees, key)
		m.waits.released[key] = true
	}
}

// ChildWorkflowID is the ID of a pool's workflow: a person finds it in the UI
// from the migration's ID and the pool key.
func ChildWorkflowID(parentID, poolKey string) string {
	return parentID + "/pool/" + poolKey
}

// onProgress takes a running pool's report.
func (m *migration) onProgress(ctx workflow.Context, r PoolProgressReport) {
	for i := range m.running {
		if m.running[i].Key == r.Key {
			m.running[i].Done, m.running[i].Confirmed = r.Done, r.Confirmed
			m.showDetails(ctx)
			return
		}
	}
}

// showDetails is the migration's line in the Temporal UI ("current details").
func (m *migration) showDetails(ctx workflow.Context) {
	p, _ := m.progress()
	paused := "no"
	if m.st.Control.Paused {
		paused = "since " + m.st.Control.PausedSince.Format("15:04 MST")
	}
	text := fmt.Sprintf("%d/%d pools done · %d/%d passphrases · %d failed · paused: %s",
		p.PoolsDone+p.PoolsFailed, p.Pools, m.rowsDone(), p.Passphrases, p.PoolsFailed, paused)
	if p.Pools == 0 && m.final == "" {
		text = "planning the export"
	}
	workflow.SetCurrentDetails(ctx, text)
}

// rowsDone is the passphrases handled: finished pools' and running pools' last reports.
func (m *migration) rowsDone() int {
	t := m.st.Totals
	n := t.Migrated() + t.Failed + t.Conflicts
	for _, r := range m.running {
		n += r.Done
	}
	return n
}

// resolveVenues finds, once per run, the R1 venue of every venue name or id
// the run's networks name, so a typo fails the migration before any pool
// starts rather than after its passphrases.
func (m *migration) resolveVenues(ctx workflow.Context) error {
	m.venues = map[string]activities.VenueInfo{}
	r1 := r1Context(ctx, m.in.ActivityTimeout)
	for _, pool := range m.pending {
		if pool.Network == nil {
			continue
		}
		for _, name := range pool.Network.Venues {
			if _, ok := m.venues[name]; ok {
				continue
			}
			var v activities.VenueInfo
			if err := workflow.ExecuteActivity(r1, a.ResolveVenue, activities.VenueInput{Venue: name}).Get(ctx, &v); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return temporal.NewNonRetryableApplicationError("before any pool started: "+reason(err), ErrInvalidInput, nil)
			}
			m.venues[name] = v
		}
	}
	return nil
}

func (m *migration) venuesOf(pool activities.PoolRef) []activities.VenueInfo {
	if pool.Network == nil {
		return nil
	}
	out := make([]activities.VenueInfo, 0, len(pool.Network.Venues))
	for _, name := range pool.Network.Venues {
		out = append(out, m.venues[name])
	}
	return out
}
