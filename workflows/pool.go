package workflows

import (
	"errors"
	"fmt"
	"regexp"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// a is the typed nil through which workflows name activities.
var a *activities.Activities

// PoolInput migrates one pool of the plan.
type PoolInput struct {
	activities.ExportInput
	Pool                  activities.PoolRef `json:"pool"`
	PassphraseConcurrency int                `json:"passphraseConcurrency"`
	PassphrasesPerRun     int                `json:"passphrasesPerRun"`
	PolicySetName         string             `json:"policySetName,omitempty"`
	ActivityTimeout       time.Duration      `json:"activityTimeout,omitempty"`
	MaxSSIDsPerAPGroup    int                `json:"maxSsidsPerApGroup,omitempty"`
	ConfirmMaxWait        time.Duration      `json:"confirmMaxWait,omitempty"` // 0 = 5m
	// Venues are Pool.Network's venues as the migration resolved them (same
	// order); a pool started on its own resolves them itself.
	Venues []activities.VenueInfo `json:"venues,omitempty"`
	// Survey is what the migration saw of the pool's names in R1 (nil: not
	// surveyed, look them up).
	Survey *PoolSurvey `json:"survey,omitempty"`
	// SharedWaits: the migration reads the pool's R1 activities with its
	// other pools' (shared_waits.go); a pool on its own reads them itself.
	SharedWaits bool `json:"sharedWaits,omitempty"`
	// BulkImport sends a new pool's rows through R1's CSV import first
	// (pool_import.go); opt-in, not verified against a live tenant.
	BulkImport bool `json:"bulkImport,omitempty"`

	// Carried across continue-as-new.
	Continued *PoolState `json:"continued,omitempty"`
}

var poolKeyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

// Normalize fills defaults and refuses what the pool workflow cannot run, as
// MigrationInput.Normalize does for migrations: a pool workflow may be started
// on its own from the Temporal UI.
func (in PoolInput) Normalize() (PoolInput, error) {
	if err := in.Export.Validate(); err != nil {
		return in, err
	}
	p := in.Pool
	switch {
	case !poolKeyPattern.MatchString(p.Key):
		return in, fmt.Errorf("pool.key %q: use the key the plan gives the pool (lower-case letters, digits and '-', at most 63)", clip(p.Key, 80))
	case p.Rows < 0 || p.SkippedCount < 0 || p.RefusedCount < 0:
		return in, errors.New("pool.rows, pool.skippedCount and pool.refusedCount must not be negative")
	}
	for _, n := range []struct{ field, value string }{{"pool.identityGroupName", p.IdentityGroupName}, {"pool.poolName", p.PoolName}} {
		if n.value == "" || len(n.value) > cloudpath.MaxNameLength*4 {
			return in, fmt.Errorf("%s must be a name of 1 to %d characters", n.field, cloudpath.MaxNameLength)
		}
	}
	if in.PassphraseConcurrency == 0 {
		in.PassphraseConcurrency = 1
	}
	if in.PassphraseConcurrency < 1 || in.PassphraseConcurrency > MaxPassphraseConcurrency {
		return in, fmt.Errorf("passphraseConcurrency %d is out of range: use 1 to %d", in.PassphraseConcurrency, MaxPassphraseConcurrency)
	}
	if in.PassphrasesPerRun == 0 {
		in.PassphrasesPerRun = DefaultPassphrasesPerRun
	}
	if in.PassphrasesPerRun < 1 || in.PassphrasesPerRun > MaxPassphrasesPerRun {
		return in, fmt.Errorf("passphrasesPerRun %d is out of range: use 1 to %d (default %d)", in.PassphrasesPerRun, MaxPassphrasesPerRun, DefaultPassphrasesPerRun)
	}
	if in.ActivityTimeout != 0 && in.ActivityTimeout < 5*time.Second {
		return in, fmt.Errorf("activityTimeout %s is too short: use at least 5s (default %s)", in.ActivityTimeout, DefaultActivityTimeout)
	}
	if len(in.PolicySetName) > 255 {
		return in, fmt.Errorf("policySetName is %d characters long; R1 accepts at most 255", len(in.PolicySetName))
	}
	if in.MaxSSIDsPerAPGroup == 0 {
		in.MaxSSIDsPerAPGroup = DefaultMaxSSIDsPerAPGroup
	}
	if in.MaxSSIDsPerAPGroup < 1 || in.MaxSSIDsPerAPGroup > MaxMaxSSIDsPerAPGroup {
		return in, fmt.Errorf("maxSsidsPerApGroup %d is out of range: use 1 to %d", in.MaxSSIDsPerAPGroup, MaxMaxSSIDsPerAPGroup)
	}
	if n := p.Network; n != nil && len(in.Venues) > 0 && len(in.Venues) != len(n.Venues) {
		return in, fmt.Errorf("venues lists %d resolved venues for the network's %d", len(in.Venues), len(n.Venues))
	}
	if c := in.Continued; c != nil && (c.Cursor < 0 || c.Cursor > p.Rows) {
		return in, fmt.Errorf("continued.cursor %d is outside the pool's %d rows", c.Cursor, p.Rows)
	}
	return in, nil
}

// PoolState is what a pool workflow carries into its next run.
type PoolState struct {
	GroupID    string                 `json:"identityGroupId"`
	PoolID     string                 `json:"poolId"`
	Cursor     int                    `json:"cursor"` // rows before it have been sent or decided
	Counts     Counts                 `json:"counts"`
	FailedRows []cloudpath.RowOutcome `json:"failedRows,omitempty"`
	Record     runrecord.Pool         `json:"record,omitzero"`
	// Pending are writes R1 accepted that reads do not show yet; they are
	// confirmed by a later run when the pool continues as new.
	Pending []PendingRow `json:"pending,omitempty"`
	// PausedAt (Unix seconds, 0 = running) and PausedFor (seconds paused in
	// all) let deadlines stop while the migration is paused.
	PausedAt  int64 `json:"pausedAt,omitempty"`
	PausedFor int64 `json:"pausedFor,omitempty"`
	// FreshPool: this migration created the DPSK pool and R1 confirmed it, so
	// R1 holds no row of it that the pool has not sent; rows are sent without
	// reading the pool first.
	FreshPool bool `json:"freshPool,omitempty"`
	// Imported: the bulk import has run (once per pool); Carried are the rows
	// its files carried, created by this run whenever R1 shows them.
	Imported bool             `json:"imported,omitempty"`
	Carried  runrecord.RowSet `json:"carried,omitzero"`
}

// PendingRow is a create or VLAN patch R1 accepted and reads do not show yet.
type PendingRow struct {
	activities.RowRef        // the row; for a patch, VLANID is the VLAN it had before
	RequestID         string `json:"requestId,omitempty"` // "" when the answer was lost
	Patch             bool   `json:"patch,omitempty"`     // a VLAN patch of an adopted row, else a create
	// Since is when R1 accepted it (Unix seconds); Reads counts the reads that
	// did not show it; Explained: its R1 activity has been read (once).
	Since     int64  `json:"since"`
	Reads     int    `json:"reads,omitempty"`
	Explained bool   `json:"explained,omitempty"`
	Duplicate string `json:"duplicate,omitempty"` // R1 refused it as "already exists": what R1 holds decides
}

// The pool workflow's error type when it fails (the details carry its PoolResult).
const ErrPoolFailed = "PoolFailed"

// PoolWorkflow migrates one Cloudpath pool: identity group, DPSK pool,
// passphrases (read what R1 holds, create what is missing, confirm), and the
// policy set. It continues as new every PassphrasesPerRun rows so its history
// stays bounded whatever the pool's size.
func PoolWorkflow(ctx workflow.Context, in PoolInput) (PoolResult, error) {
	if workflow.GetVersion(ctx, versionChange, workflow.DefaultVersion, versionV2) == workflow.DefaultVersion {
		return poolWorkflowV1(ctx, in)
	}
	in, err := in.Normalize()
	if err != nil {
		return PoolResult{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidInput, nil)
	}
	if in.Plan.Now.IsZero() {
		in.Plan.Now = workflow.Now(ctx).UTC() // a pool started on its own; the migration always sets it
	}
	p := newPoolRun(ctx, in)
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, p.progress); err != nil {
		return PoolResult{}, err
	}
	p.listenForControl(ctx)
	p.listenForWaits(ctx)
	p.startSearchAttributes(ctx)
	p.showDetails(ctx)
	err = p.run(ctx)
	return p.finish(ctx, err)
}

type poolRun struct {
	in        PoolInput
	st        PoolState
	r1        workflow.Context // R1 activity options
	phase     string
	parentID  string    // "" when started on its own
	lastShown time.Time // of the last progress sent to the parent
	window    *window   // the passphrase window in use, resized by configure
	// groupRequest is the R1 request creating the pool's group, not waited for (ensureGroup).
	groupRequest string
	// Shared waits (pool_shared_waits.go): answers to setup waits, and the
	// accepted writes the migration has not been told about yet.
	answers      map[string]activities.R1ActivityStatus
	unregistered []string
	sentAll      bool // the migration knows every write is sent
	waitedCh     workflow.ReceiveChannel
}

func newPoolRun(ctx workflow.Context, in PoolInput) *poolRun {
	p := &poolRun{in: in, phase: "starting"}
	if in.Continued != nil {
		p.st = *in.Continued
	}
	// A run continued from the first release carries ids but no record.
	if p.st.Record.IdentityGroup.ID == "" {
		p.st.Record.IdentityGroup.ID = p.st.GroupID
	}
	if p.st.Record.DPSKPool.ID == "" {
		p.st.Record.DPSKPool.ID = p.st.PoolID
	}
	if parent := workflow.GetInfo(ctx).ParentWorkflowExecution; parent != nil {
		p.parentID = parent.ID
	}
	p.r1 = r1Context(ctx, in.ActivityTimeout)
	return p
}

// run takes the pool through its steps; a step that fails stops the pool.
func (p *poolRun) run(ctx workflow.Context) error {
	rec := &p.st.Record
	if rec.IdentityGroup.ID == "" {
		p.setPhase(ctx, "identity group")
		if err := p.ensureGroup(ctx); err != nil {
			return fmt.Errorf("identity group %q: %w", p.in.Pool.IdentityGroupName, err)
		}
	}
	if rec.DPSKPool.ID == "" {
		p.setPhase(ctx, "DPSK pool")
		if err := p.ensurePool(ctx); err != nil {
			return fmt.Errorf("DPSK pool %q: %w", p.in.Pool.PoolName, err)
		}
	}
	p.setPhase(ctx, "passphrases")
	if err := p.migrateRows(ctx); err != nil {
		return err // continue-as-new, or cancelled
	}
	if p.in.PolicySetName != "" && ctx.Err() == nil {
		p.setPhase(ctx, "policy set")
		if err := p.ensurePolicySet(ctx); err != nil {
			return fmt.Errorf("policy set %q: %w", p.in.PolicySetName, err)
		}
	}
	if p.in.Pool.Network != nil && ctx.Err() == nil {
		// After the passphrases: nobody joins an SSID whose passphrases are half there.
		p.setPhase(ctx, "network")
		if err := p.putOnAir(ctx); err != nil {
			return fmt.Errorf("network %q: %w", p.in.Pool.Network.Name, err)
		}
	}
	return nil
}

func (p *poolRun) setPhase(ctx workflow.Context, phase string) {
	p.phase = phase
	p.showDetails(ctx)
}

func (p *poolRun) progress() (PoolProgress, error) {
	c := p.counts()
	return PoolProgress{
		Key: p.in.Pool.Key, DisplayName: p.in.Pool.DisplayName, Phase: p.phase, Rows: p.in.Pool.Rows,
		Done:   c.Migrated() + c.Failed + c.Conflicts + len(p.st.Pending),
		Counts: c, PoolID: p.st.Record.DPSKPool.ID, GroupID: p.st.Record.IdentityGroup.ID,
		Accepted: len(p.st.Pending), Paused: p.paused(), PausedSince: p.st.PausedAt,
	}, nil
}

// counts derives the pool's counts from its record (plus what a run of the
// first release carried, which kept counts only).
func (p *poolRun) counts() Counts {
	c := p.st.Counts
	r := p.st.Record.Rows
	c.Created += r.Created.Len()
	c.Adopted += r.Adopted.Len()
	c.Patched += r.PatchedCount()
	c.Conflicts += r.Conflict.Len()
	c.Failed += r.FailedCount() + r.Unconfirmed.Len()
	c.Skipped = p.in.Pool.SkippedCount
	c.Refused = p.in.Pool.RefusedCount
	return c
}

// fail records a row R1 did not take.
func (p *poolRun) fail(ref activities.RowRef, why string) {
	p.st.Record.Rows.Fail(ref.Row, why)
	p.listRow(ref, why)
}

// conflict records a row whose username R1 holds with another passphrase.
func (p *poolRun) conflict(ref activities.RowRef) {
	p.st.Record.Rows.Conflict.Add(ref.Row)
	p.listRow(ref, activities.ConflictReason)
}

func (p *poolRun) listRow(ref activities.RowRef, why string) {
	if len(p.st.FailedRows) < MaxListedRowsPerPool {
		p.st.FailedRows = append(p.st.FailedRows, cloudpath.RowOutcome{Index: ref.Index, Username: ref.Username, Reason: why,
			SourcePool: ref.SourcePool, SourcePoolName: ref.SourcePoolName})
	}
}

// unhandled lists the rows the run has not decided: not sent, or sent by a
// chunk a cancellation or a failed step cut short.
func (p *poolRun) unhandled() []int {
	var rows []int
	for row := p.st.Cursor; row < p.in.Pool.Rows; row++ {
		if !p.st.Record.Rows.Handled(row) && !p.isPending(row) {
			rows = append(rows, row)
		}
	}
	return rows
}

func (p *poolRun) isPending(row int) bool {
	for _, r := range p.st.Pending {
		if r.Row == row {
			return true
		}
	}
	return false
}

// result is the pool's outcome so far; failure is why a step stopped it.
func (p *poolRun) result(ctx workflow.Context, failure error) PoolResult {
	if failure != nil && ctx.Err() == nil {
		// Rows the stopped pool never sent fail for the pool's reason, so the
		// counts add up to the export and the report can say why.
		for _, row := range p.unhandled() {
			p.st.Record.Rows.Fail(row, failure.Error())
		}
	}
	rec := p.st.Record
	c := p.counts()
	if ctx.Err() != nil {
		c.NotAttempted = len(p.unhandled())
	}
	res := PoolResult{
		Key: p.in.Pool.Key, DisplayName: p.in.Pool.DisplayName,
		WorkflowID:      workflow.GetInfo(ctx).WorkflowExecution.ID,
		IdentityGroupID: rec.IdentityGroup.ID, PoolID: rec.DPSKPool.ID,
		Counts: c, Record: &rec,
	}
	if rec.PolicySet != nil {
		res.PolicySetID = rec.PolicySet.ID
	}
	res.Network = rec.Network
	res.SkippedRows = p.in.Pool.Skipped
	res.FailedRows = append(res.FailedRows, p.st.FailedRows...)
	for _, r := range p.in.Pool.Refused {
		if len(res.FailedRows) >= MaxListedRowsPerPool {
			break
		}
		res.FailedRows = append(res.FailedRows, r)
	}
	notMigrated := c.Failed + c.Conflicts
	switch {
	case ctx.Err() != nil:
		res.Status = StatusCanceled
	case p.in.Pool.Rows > 0 && c.Migrated() == 0 && (failure != nil || notMigrated > 0):
		res.Status = StatusFailed
	case p.in.Pool.Rows == 0 && failure != nil:
		res.Status = StatusFailed
	case failure != nil || notMigrated > 0 || c.Refused > 0:
		res.Status = StatusPartial
	default:
		res.Status = StatusCompleted
	}
	if failure != nil && ctx.Err() == nil {
		res.Error = failure.Error()
	}
	return res
}

// finish turns the outcome into what Temporal shows: a failed pool fails and
// a cancelled one ends as cancelled, each with its PoolResult as the failure's
// details; a pool that migrated rows completes (PARTIAL included).
func (p *poolRun) finish(ctx workflow.Context, err error) (PoolResult, error) {
	var can *workflow.ContinueAsNewError
	if errors.As(err, &can) {
		return PoolResult{}, err
	}
	if temporal.IsCanceledError(err) {
		err = nil // the cancellation is the outcome, not a step's failure
	}
	res := p.result(ctx, err)
	countPassphrases(ctx, res.Counts)
	p.endSearchAttributes(ctx, res.Status)
	p.phase = "done"
	p.showDetails(ctx)
	return outcome(res, res.Status, fmt.Sprintf("pool %s: %s", res.DisplayName, res.Error), ErrPoolFailed)
}

// showDetails is the pool's line in the Temporal UI ("current details").
func (p *poolRun) showDetails(ctx workflow.Context) {
	c := p.counts()
	text := fmt.Sprintf("%s · passphrases %d/%d · %s", p.in.Pool.DisplayName, c.Migrated(), p.in.Pool.Rows, p.phase)
	if p.paused() {
		text += " · paused"
	}
	if n := len(p.st.Pending); n > 0 {
		text += fmt.Sprintf(" · %d accepted, awaiting R1", n)
	}
	if bad := c.Failed + c.Conflicts; bad > 0 {
		text += fmt.Sprintf(" · %d failed", bad)
	}
	workflow.SetCurrentDetails(ctx, text)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
