package workflows

import (
	"fmt"
	"time"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// TaskQueue is the default task queue of the workflows and the plan activity
// (which calls no R1 API). Every activity that calls R1 runs on a queue of its
// own, R1TaskQueue(queue), whose workers all carry the same rate limit: the
// server applies the most recent poller's limit to the whole queue.
const TaskQueue = "dpskmigrate"

// R1TaskQueue is the rate-limited queue of R1 calls for a workflow task queue.
func R1TaskQueue(workflowQueue string) string { return workflowQueue + "-r1" }

// Names under which the workflows are registered; the Temporal CLI and UI use them.
const (
	MigrationWorkflowName = "MigrationWorkflow"
	PoolWorkflowName      = "PoolWorkflow"
	ProgressQuery         = "progress"
	PoolsQuery            = "pools" // MigrationWorkflow only: PoolsView
)

// Limits and defaults of MigrationInput.
const (
	DefaultMaxConcurrent         = 5
	MaxMaxConcurrent             = 20
	DefaultParallelPassphrases   = 10
	MaxPassphraseConcurrency     = 100
	DefaultPassphrasesPerRun     = 1000 // well under 2,000: a pool run stays far below 10,000 events
	MaxPassphrasesPerRun         = 2000
	DefaultPoolsPerRun           = 200
	MaxListedRowsPerPool         = 200 // failed/refused rows named in a pool result
	MaxListedRowsPerPoolInParent = 50  // ... and in the migration result
	MaxListedRowsInParent        = 2000
	MaxPoolsInResult             = 200 // pools a migration result names; the rest are counted
	DefaultMaxSSIDsPerAPGroup    = 15
	MaxMaxSSIDsPerAPGroup        = 64
)

// Status of a pool or of a whole migration.
type Status string

const (
	StatusCompleted Status = "COMPLETED" // everything migrated or adopted
	StatusPartial   Status = "PARTIAL"   // some rows or pools failed or were refused
	StatusFailed    Status = "FAILED"    // nothing usable was migrated
	StatusCanceled  Status = "CANCELED"
)

// MigrationInput starts a migration. JSON names are what people type into the
// Temporal CLI or UI; matching is case-insensitive, so "ParallelExecution" works too.
type MigrationInput struct {
	Export exportstore.Ref       `json:"export"`
	Plan   cloudpath.PlanOptions `json:"plan"`
	// ParallelExecution runs up to MaxConcurrent pools and PassphraseConcurrency
	// passphrases per pool at once; false (the default) runs one pool and one
	// passphrase at a time.
	ParallelExecution     bool   `json:"parallelExecution,omitempty"`
	MaxConcurrent         int    `json:"maxConcurrent,omitempty"`         // 1..20, default 5 (parallel mode only)
	PassphraseConcurrency int    `json:"passphraseConcurrency,omitempty"` // default 10 in parallel mode, 1 in sequential mode
	PolicySetName         string `json:"policySetName,omitempty"`         // find or create, and attach to every pool
	// PassphrasesPerRun and PoolsPerRun bound each run's history; the workflows
	// continue as new past them. Zero means the default.
	PassphrasesPerRun int `json:"passphrasesPerRun,omitempty"`
	PoolsPerRun       int `json:"poolsPerRun,omitempty"`
	// ActivityTimeout bounds one R1 call attempt (default 40s): a worker that
	// dies mid-call is noticed after it.
	ActivityTimeout time.Duration `json:"activityTimeout,omitempty"`
	// ConfirmMaxWait bounds how long a pool waits for R1 to show a write it
	// accepted (default 5m; paused time does not count); advanced.
	ConfirmMaxWait time.Duration `json:"confirmMaxWait,omitempty"`
	// PerPoolReads (benchmark only) turns off the survey, the shared waits and
	// sending a new pool's rows unread: each pool looks up, waits and reads for
	// itself, as before them, so one run can measure both designs.
	PerPoolReads bool `json:"perPoolReads,omitempty"`
	// BulkImport sends each new pool's rows through R1's CSV import first,
	// then one by one whatever R1 does not show afterwards. Opt-in: R1's
	// import is not verified against a live tenant.
	BulkImport bool `json:"bulkImport,omitempty"`
	// MaxSSIDsPerAPGroup guards venue activations (per-pool network mode): an
	// activation that would put more SSIDs on an AP group is refused. R1's own
	// limit is not documented; 15 is what tools in the field assume.
	MaxSSIDsPerAPGroup int `json:"maxSsidsPerApGroup,omitempty"`

	// Carried across continue-as-new; empty when a person starts a migration.
	Continued *MigrationState `json:"continued,omitempty"`
}

// Normalize fills defaults and refuses out-of-range values with an error that
// says what is allowed. Everything that starts a migration calls it, and so does
// the workflow before it does anything.
func (in MigrationInput) Normalize() (MigrationInput, error) {
	if err := in.Export.Validate(); err != nil {
		return in, err
	}
	if in.MaxConcurrent == 0 {
		in.MaxConcurrent = DefaultMaxConcurrent
	}
	if in.MaxConcurrent < 1 || in.MaxConcurrent > MaxMaxConcurrent {
		return in, fmt.Errorf("maxConcurrent %d is out of range: use 1 to %d (default %d)", in.MaxConcurrent, MaxMaxConcurrent, DefaultMaxConcurrent)
	}
	if in.PassphraseConcurrency == 0 {
		in.PassphraseConcurrency = 1
		if in.ParallelExecution {
			in.PassphraseConcurrency = DefaultParallelPassphrases
		}
	}
	if in.PassphraseConcurrency < 1 || in.PassphraseConcurrency > MaxPassphraseConcurrency {
		return in, fmt.Errorf("passphraseConcurrency %d is out of range: use 1 to %d", in.PassphraseConcurrency, MaxPassphraseConcurrency)
	}
	if in.PassphrasesPerRun == 0 {
		in.PassphrasesPerRun = DefaultPassphrasesPerRun
	}
	if in.PassphrasesPerRun < 1 || in.PassphrasesPerRun > MaxPassphrasesPerRun {
		return in, fmt.Errorf("passphrasesPerRun %d is out of range: use 1 to %d", in.PassphrasesPerRun, MaxPassphrasesPerRun)
	}
	if in.PoolsPerRun == 0 {
		in.PoolsPerRun = DefaultPoolsPerRun
	}
	if in.PoolsPerRun < 1 || in.PoolsPerRun > 1000 {
		return in, fmt.Errorf("poolsPerRun %d is out of range: use 1 to 1000", in.PoolsPerRun)
	}
	if in.ActivityTimeout != 0 && in.ActivityTimeout < 5*time.Second {
		return in, fmt.Errorf("activityTimeout %s is too short: one R1 call attempt may take several requests; use at least 5s (default %s)", in.ActivityTimeout, DefaultActivityTimeout)
	}
	if len(in.PolicySetName) > 255 {
		return in, fmt.Errorf("policySetName is %d characters long; R1 accepts at most 255", len(in.PolicySetName))
	}
	if in.ConfirmMaxWait != 0 && (in.ConfirmMaxWait < 10*time.Second || in.ConfirmMaxWait > 24*time.Hour) {
		return in, fmt.Errorf("confirmMaxWait %s is out of range: use 10s to 24h (default %s)", in.ConfirmMaxWait, confirmMaxWait)
	}
	if in.MaxSSIDsPerAPGroup == 0 {
		in.MaxSSIDsPerAPGroup = DefaultMaxSSIDsPerAPGroup
	}
	if in.MaxSSIDsPerAPGroup < 1 || in.MaxSSIDsPerAPGroup > MaxMaxSSIDsPerAPGroup {
		return in, fmt.Errorf("maxSsidsPerApGroup %d is out of range: use 1 to %d (default %d)", in.MaxSSIDsPerAPGroup, MaxMaxSSIDsPerAPGroup, DefaultMaxSSIDsPerAPGroup)
	}
	return in, nil
}

// Window is the number of pools migrated at once.
func (in MigrationInput) Window() int {
	if !in.ParallelExecution {
		return 1
	}
	return in.MaxConcurrent
}

// PoolResult is what a pool's migration did. The pool workflow's own result
// carries its Record; the migration's result lists pools without it.
type PoolResult struct {
	Key             string                 `json:"key"`
	DisplayName     string                 `json:"displayName"`
	WorkflowID      string                 `json:"workflowId"`
	Status          Status                 `json:"status"`
	IdentityGroupID string                 `json:"identityGroupId,omitempty"`
	PoolID          string                 `json:"poolId,omitempty"`
	PolicySetID     string                 `json:"policySetId,omitempty"`
	Counts          Counts                 `json:"counts"`
	FailedRows      []cloudpath.RowOutcome `json:"failedRows,omitempty"`  // failed, conflicting and refused rows, capped
	SkippedRows     []cloudpath.RowOutcome `json:"skippedRows,omitempty"` // rows the plan's policies skip, capped
	Error           string                 `json:"error,omitempty"`       // why the pool itself failed or is partial
	Record          *runrecord.Pool        `json:"record,omitempty"`      // what the run created or changed
	Network         *runrecord.Network     `json:"network,omitempty"`     // the pool's Wi-Fi network and where it is on the air
}

// Counts of row outcomes. They add up to the pool's rows in the export:
// Created+Adopted+Patched+Skipped+Refused+Conflicts+Failed+NotAttempted.
type Counts struct {
	Created      int `json:"created"`                // new in R1, confirmed
	Adopted      int `json:"adopted"`                // already in R1 with the same passphrase
	Patched      int `json:"patched"`                // adopted, VLAN corrected
	Skipped      int `json:"skipped"`                // by the plan's policies (expired, inactive, duplicates)
	Refused      int `json:"refused"`                // rows R1 cannot take
	Conflicts    int `json:"conflicts"`              // R1 holds the username with another passphrase
	Failed       int `json:"failed"`                 // R1 refused or did not confirm
	NotAttempted int `json:"notAttempted,omitempty"` // cancelled before the row was sent
}

func (c *Counts) add(o Counts) {
	c.Created += o.Created
	c.Adopted += o.Adopted
	c.Patched += o.Patched
	c.Skipped += o.Skipped
	c.Refused += o.Refused
	c.Conflicts += o.Conflicts
	c.Failed += o.Failed
	c.NotAttempted += o.NotAttempted
}

// Migrated is the number of rows that are in R1 as the export has them.
func (c Counts) Migrated() int { return c.Created + c.Adopted + c.Patched }

// Rows is the number of rows the counts cover.
func (c Counts) Rows() int {
	return c.Migrated() + c.Skipped + c.Refused + c.Conflicts + c.Failed + c.NotAttempted
}

// PoolCounts counts pools by outcome.
type PoolCounts struct {
	Completed  int `json:"completed"`
	Partial    int `json:"partial"`
	Failed     int `json:"failed"`
	Canceled   int `json:"canceled"`
	NotStarted int `json:"notStarted,omitempty"` // cancelled before their turn
}

func (p *PoolCounts) count(s Status) {
	switch s {
	case StatusCompleted:
		p.Completed++
	case StatusPartial:
		p.Partial++
	case StatusFailed:
		p.Failed++
	case StatusCanceled:
		p.Canceled++
	}
}

// Finished is the number of pools whose workflow ended.
func (p PoolCounts) Finished() int { return p.Completed + p.Partial + p.Failed + p.Canceled }

// MigrationResult is the outcome of a migration. It names at most
// MaxPoolsInResult pools (failed and partial ones first); every pool's full
// result stays in its own workflow (`<id>/pool/<key>`).
type MigrationResult struct {
	Status       Status       `json:"status"`
	Pools        []PoolResult `json:"pools"`
	PoolsOmitted int          `json:"poolsOmitted,omitempty"` // finished pools not listed in Pools
	TotalPools   int          `json:"totalPools"`             // pools in the plan
	PoolCounts   PoolCounts   `json:"poolCounts"`
	Totals       Counts       `json:"totals"`
}

// MigrationProgress answers the parent's progress query.
type MigrationProgress struct {
	Pools        int           `json:"pools"`
	PoolsPending int           `json:"poolsPending"`
	PoolsRunning int           `json:"poolsRunning"`
	PoolsDone    int           `json:"poolsDone"` // finished and not failed
	PoolsFailed  int           `json:"poolsFailed"`
	Passphrases  int           `json:"passphrases"` // rows to migrate across all pools
	Finished     Counts        `json:"finished"`    // counts of finished pools
	Running      []RunningPool `json:"running"`
	Status       Status        `json:"status,omitempty"` // set once finished
	Window       int           `json:"window"`
	Paused       bool          `json:"paused,omitempty"`
	PausedSince  time.Time     `json:"pausedSince,omitzero"`
	// PassphraseConcurrency is the per-pool concurrency in force.
	PassphraseConcurrency int `json:"passphraseConcurrency,omitempty"`
}

// RunningPool names a pool whose child workflow is running.
type RunningPool struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName,omitempty"`
	WorkflowID  string `json:"workflowId"`
	Rows        int    `json:"rows"`
	// Done and Confirmed are the pool's last reported progress: rows handled
	// (outcome known or accepted by R1), and of those, confirmed in R1.
	Done      int `json:"done,omitempty"`
	Confirmed int `json:"confirmed,omitempty"`
}

// PoolProgress answers a pool workflow's progress query.
type PoolProgress struct {
	Key         string `json:"key"`
	DisplayName string `json:"displayName,omitempty"`
	Phase       string `json:"phase"`
	Rows        int    `json:"rows"`
	Done        int    `json:"done"`     // rows handled: outcome known, or accepted by R1 and awaiting confirmation
	Accepted    int    `json:"accepted"` // of Done: accepted by R1, not yet confirmed
	Counts      Counts `json:"counts"`
	PoolID      string `json:"poolId,omitempty"`
	GroupID     string `json:"identityGroupId,omitempty"`
	Paused      bool   `json:"paused,omitempty"`
	PausedSince int64  `json:"pausedSince,omitempty"` // Unix seconds
}

// MigrationState is what the parent carries into its next run: aggregates and
// a bounded list, never one entry per pool.
type MigrationState struct {
	NextPool    int          `json:"nextPool"`
	TotalPools  int          `json:"totalPools"`
	TotalRows   int          `json:"totalRows"`
	Done        []PoolResult `json:"done"` // the pools the result will name (at most MaxPoolsInResult)
	Omitted     int          `json:"omitted,omitempty"`
	PoolCounts  PoolCounts   `json:"poolCounts"`
	Totals      Counts       `json:"totals"`
	RowsListed  int          `json:"rowsListed,omitempty"`  // failed and skipped rows named across Done
	RowsStarted int          `json:"rowsStarted,omitempty"` // rows of the pools started so far
	Control     ControlState `json:"control"`               // live settings: paused, window, per-pool concurrency
}

// PoolsView answers the parent's pools query: each pool's state so far.
type PoolsView struct {
	Done    []PoolResult  `json:"done"`
	Omitted int           `json:"omitted,omitempty"`
	Running []RunningPool `json:"running"`
	Pending int           `json:"pending"`
}
