// Package migrations is what every entry point (CLI, HTTP trigger, tests)
// uses to start and follow migrations: it validates an export offline, stores
// it in the export store, starts MigrationWorkflow, and reads progress and
// results back from Temporal. It never sends a passphrase to Temporal.
package migrations

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Service starts and follows migrations.
type Service struct {
	Temporal  client.Client
	Store     *exportstore.Store
	TaskQueue string // default workflows.TaskQueue
	Namespace string // for UI links; default "default"
	UIBaseURL string // e.g. http://localhost:8233; empty = no links
	// DataConverter decodes workflow inputs (PruneExports); it must be the
	// one the client was dialed with. Default: the SDK's default converter.
	DataConverter converter.DataConverter
}

// Options are what a person chooses when starting a migration.
type Options struct {
	Plan                  cloudpath.PlanOptions
	ParallelExecution     bool
	MaxConcurrent         int
	PassphraseConcurrency int
	PolicySetName         string
	WorkflowID            string        // optional (see ValidateWorkflowID); generated from the export otherwise
	ActivityTimeout       time.Duration // advanced: bound of one R1 call attempt (default 40s)
	PassphrasesPerRun     int           // advanced: rows per pool-workflow run before continue-as-new
	MaxSSIDsPerAPGroup    int           // per-pool networks: the activation guard (default 15)
	ConfirmMaxWait        time.Duration // advanced: how long a pool waits for R1 to show an accepted write (default 5m)
	BulkImport            bool          // send each new pool's rows through R1's CSV import first (opt-in, unverified against a live tenant)
	PerPoolReads          bool          // benchmark only: every pool looks up, waits and reads for itself (the design before shared waits)
	ExportName            string        // the file people know the export by, for the Temporal UI's summary
}

// InvalidExportError lists why an export was refused; nothing was stored or started.
type InvalidExportError struct{ Problems []string }

func (e *InvalidExportError) Error() string {
	return "the export cannot be migrated: " + strings.Join(e.Problems, "; ")
}

// Started describes a started migration.
type Started struct {
	WorkflowID string                   `json:"workflowId"`
	RunID      string                   `json:"runId"`
	Export     exportstore.Ref          `json:"export"`
	Input      workflows.MigrationInput `json:"input"`
	Summary    cloudpath.Summary        `json:"-"`
	UIURL      string                   `json:"uiUrl,omitempty"`
}

// Check parses and plans an export offline, as the workflow will.
func Check(export []byte, opts cloudpath.PlanOptions) (*cloudpath.Plan, error) {
	exp, err := cloudpath.Parse(bytes.NewReader(export), cloudpath.ParseOptions{})
	if err != nil {
		return nil, &InvalidExportError{Problems: []string{err.Error()}}
	}
	plan, err := cloudpath.NewPlan(exp, opts)
	if planErr, ok := errors.AsType[*cloudpath.PlanError](err); ok {
		return nil, &InvalidExportError{Problems: planErr.Problems} // the export and the options, one problem each
	}
	if err != nil {
		return nil, &InvalidExportError{Problems: []string{err.Error()}}
	}
	return plan, nil
}

// Start validates the export, stores it and starts its migration.
func (s *Service) Start(ctx context.Context, export []byte, opts Options) (Started, error) {
	pre, err := PreviewStart(export, opts)
	if err != nil {
		return Started{}, err
	}
	plan, in := pre.Plan, pre.Input
	ref, err := s.Store.PutBytes(export)
	if err != nil {
		return Started{}, err
	}
	// The input names the digest only: each worker finds the file in its own
	// mount of the store.
	in.Export = exportstore.Ref{SHA256: ref.SHA256}
	id := opts.WorkflowID
	if id == "" {
		id = NewWorkflowID(plan, ref)
	}
	run, err := s.Temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                    id,
		TaskQueue:             s.taskQueue(),
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		// An ID in use is an error, never a silent handle on another migration.
		WorkflowExecutionErrorWhenAlreadyStarted: true,
		StaticSummary:                            staticSummary(opts.ExportName, plan, in),
	}, workflows.MigrationWorkflowName, in)
	if err != nil {
		return Started{}, fmt.Errorf("starting the migration workflow: %w", err)
	}
	return Started{WorkflowID: run.GetID(), RunID: run.GetRunID(), Export: ref, Input: in,
		Summary: plan.Summarize(0), UIURL: s.UIURL(run.GetID())}, nil
}

// staticSummary is the migration's fixed line in the Temporal UI: which
// export, how big, in which mode.
func staticSummary(exportName string, plan *cloudpath.Plan, in workflows.MigrationInput) string {
	// The name comes from an upload: printable, and short.
	exportName = strings.Map(func(r rune) rune {
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, exportName)
	if r := []rune(exportName); len(r) > 80 {
		exportName = string(r[:80]) + "…"
	}
	if exportName == "" {
		exportName = "export " + in.Export.SHA256[:8]
	}
	rows := 0
	for i := range plan.Units {
		rows += len(plan.Units[i].Rows)
	}
	mode := "sequential"
	if in.ParallelExecution {
		mode = fmt.Sprintf("parallel, %d pools at once", in.MaxConcurrent)
	}
	return fmt.Sprintf("%s · %d pools · %d passphrases · %s", exportName, len(plan.Units), rows, mode)
}

// NewWorkflowID names a migration for people: migration-<first pool>-<digest>-<random>.
func NewWorkflowID(plan *cloudpath.Plan, ref exportstore.Ref) string {
	name := "export"
	if len(plan.Units) > 0 {
		name = plan.Units[0].Key
		if len(name) > 24 {
			name = strings.TrimRight(name[:24], "-")
		}
	}
	var b [3]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("migration-%s-%s-%s", name, ref.SHA256[:8], hex.EncodeToString(b[:]))
}

func (s *Service) taskQueue() string {
	if s.TaskQueue != "" {
		return s.TaskQueue
	}
	return workflows.TaskQueue
}

// UIURL links to a workflow in the Temporal UI.
func (s *Service) UIURL(workflowID string) string {
	if s.UIBaseURL == "" {
		return ""
	}
	ns := s.Namespace
	if ns == "" {
		ns = "default"
	}
	return fmt.Sprintf("%s/namespaces/%s/workflows/%s", strings.TrimRight(s.UIBaseURL, "/"), ns, urlPathEscape(workflowID))
}

// ErrNotFound is returned for an unknown migration ID.
var ErrNotFound = errors.New("no migration with that ID")

// Status is a migration's state as a person asks for it.
type Status struct {
	WorkflowID string                       `json:"workflowId"`
	State      string                       `json:"state"` // RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT, CONTINUED_AS_NEW
	Progress   *workflows.MigrationProgress `json:"progress,omitempty"`
	Result     *workflows.MigrationResult   `json:"result,omitempty"`
	Error      string                       `json:"error,omitempty"`
	UIURL      string                       `json:"uiUrl,omitempty"`
}

// Migration resolves a migration ID: the latest run of a MigrationWorkflow
// execution with that workflow ID. Anything else (an unknown ID, a pool's
// child workflow, a workflow of another type) is ErrNotFound. Every method
// that acts on a migration by ID goes through it, so an entry point (the HTTP
// trigger) can never be used to read or cancel another workflow.
func (s *Service) Migration(ctx context.Context, id string) (*workflowpb.WorkflowExecutionInfo, error) {
	if id == "" {
		return nil, ErrNotFound
	}
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, id, "")
	if err != nil {
		return nil, notFound(err)
	}
	info := desc.GetWorkflowExecutionInfo()
	if info.GetType().GetName() != workflows.MigrationWorkflowName {
		return nil, ErrNotFound
	}
	return info, nil
}

// Status describes a migration: progress while it runs, its result once done.
func (s *Service) Status(ctx context.Context, id string) (Status, error) {
	info, err := s.Migration(ctx, id)
	if err != nil {
		return Status{}, err
	}
	st := Status{WorkflowID: id, UIURL: s.UIURL(id)}
	st.State = strings.TrimPrefix(enumspb.WorkflowExecutionStatus_name[int32(info.GetStatus())], "WORKFLOW_EXECUTION_STATUS_")
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		p, err := s.progress(ctx, id)
		if err == nil {
			st.Progress = &p
		}
	default:
		res, err := s.result(ctx, id)
		if err != nil {
			st.Error = err.Error()
		} else {
			st.Result = &res
		}
	}
	return st, nil
}

// result reads a finished migration's result: a failed or cancelled one
// carries it in its failure's details (workflows.ResultFromError).
func (s *Service) result(ctx context.Context, id string) (workflows.MigrationResult, error) {
	var res workflows.MigrationResult
	err := s.Temporal.GetWorkflow(ctx, id, "").Get(ctx, &res)
	if err != nil && !workflows.ResultFromError(err, &res) {
		return res, errors.New(readable(err))
	}
	return res, nil
}

// Progress queries a running migration.
func (s *Service) Progress(ctx context.Context, id string) (workflows.MigrationProgress, error) {
	if _, err := s.Migration(ctx, id); err != nil {
		return workflows.MigrationProgress{}, err
	}
	return s.progress(ctx, id)
}

func (s *Service) progress(ctx context.Context, id string) (workflows.MigrationProgress, error) {
	var p workflows.MigrationProgress
	v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.ProgressQuery)
	if err != nil {
		return p, notFound(err)
	}
	return p, v.Get(&p)
}

// Pools returns each pool's state: results of finished pools, the running
// ones, and how many wait. For a finished migration it reads the result.
func (s *Service) Pools(ctx context.Context, id string) (workflows.PoolsView, error) {
	st, err := s.Status(ctx, id)
	if err != nil {
		return workflows.PoolsView{}, err
	}
	if st.Result != nil {
		return workflows.PoolsView{Done: st.Result.Pools}, nil
	}
	var view workflows.PoolsView
	v, err := s.Temporal.QueryWorkflow(ctx, id, "", workflows.PoolsQuery)
	if err != nil {
		return view, notFound(err)
	}
	return view, v.Get(&view)
}

// PoolProgress queries one running pool workflow.
func (s *Service) PoolProgress(ctx context.Context, poolWorkflowID string) (workflows.PoolProgress, error) {
	var p workflows.PoolProgress
	v, err := s.Temporal.QueryWorkflow(ctx, poolWorkflowID, "", workflows.ProgressQuery)
	if err != nil {
		return p, notFound(err)
	}
	return p, v.Get(&p)
}

// Wait blocks until the migration ends and returns its result, whatever its
// status (FAILED and CANCELED included); it errs only when there is none (the
// migration was refused, terminated, or timed out).
func (s *Service) Wait(ctx context.Context, id string) (workflows.MigrationResult, error) {
	return s.result(ctx, id)
}

// Cancel asks a migration to stop: running pools finish their calls in flight
// and report what R1 holds.
func (s *Service) Cancel(ctx context.Context, id string) error {
	if _, err := s.Migration(ctx, id); err != nil {
		return err
	}
	return notFound(s.Temporal.CancelWorkflow(ctx, id, ""))
}

func notFound(err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return ErrNotFound
	}
	return err
}

// readable strips the SDK's wrapping from a workflow failure.
func readable(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var canceled *temporal.CanceledError
	if errors.As(err, &canceled) {
		return "the migration was cancelled"
	}
	return err.Error()
}

func urlPathEscape(s string) string {
	return strings.NewReplacer("/", "%2F", " ", "%20", "?", "%3F", "#", "%23").Replace(s)
}
