package migrations

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Preview is what Start would do with an export, decided without storing or
// starting anything: the plan and the workflow input.
type Preview struct {
	Plan  *cloudpath.Plan
	Input workflows.MigrationInput // Export names the export's digest
}

// PreviewStart checks an export and its options exactly as Start does (the
// same refusals, in the same order) and stores and starts nothing: a person can
// read the plan before anything is written. A zero opts.Plan.Now is now.
func PreviewStart(export []byte, opts Options) (Preview, error) {
	if opts.WorkflowID != "" {
		if err := ValidateWorkflowID(opts.WorkflowID); err != nil {
			return Preview{}, err
		}
	}
	if opts.Plan.Now.IsZero() {
		opts.Plan.Now = time.Now().UTC().Truncate(time.Second)
	}
	plan, err := Check(export, opts.Plan)
	if err != nil {
		return Preview{}, err
	}
	if len(plan.Units) == 0 {
		return Preview{}, &InvalidExportError{Problems: []string{"the export holds no DPSK pool"}}
	}
	// Options are checked against the export's would-be reference before
	// anything is stored: a refused start leaves nothing behind.
	sum := sha256.Sum256(export)
	in, err := workflows.MigrationInput{
		Export:                exportstore.Ref{SHA256: hex.EncodeToString(sum[:])},
		Plan:                  opts.Plan,
		ParallelExecution:     opts.ParallelExecution,
		MaxConcurrent:         opts.MaxConcurrent,
		PassphraseConcurrency: opts.PassphraseConcurrency,
		PolicySetName:         opts.PolicySetName,
		ActivityTimeout:       opts.ActivityTimeout,
		PassphrasesPerRun:     opts.PassphrasesPerRun,
		MaxSSIDsPerAPGroup:    opts.MaxSSIDsPerAPGroup,
		ConfirmMaxWait:        opts.ConfirmMaxWait,
		PerPoolReads:          opts.PerPoolReads,
		BulkImport:            opts.BulkImport,
	}.Normalize()
	if err != nil {
		return Preview{}, err
	}
	return Preview{Plan: plan, Input: in}, nil
}
