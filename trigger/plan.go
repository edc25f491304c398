package trigger

import (
	"net/http"
	"time"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/migrations"
)

// maxPlanRowsPerPool bounds the skipped and refused rows a plan answer names
// per pool; the counts cover them all.
const maxPlanRowsPerPool = 200

// PlanResponse answers POST /v1/plans: what a start with the same body and
// options would do, decided before anything is stored or started. It names
// pools, usernames and reasons, never a passphrase.
type PlanResponse struct {
	ExportName   string      `json:"exportName,omitempty"`
	ExportSHA256 string      `json:"exportSha256"`
	Summary      PlanSummary `json:"summary"`
	Pools        []PlanPool  `json:"pools"`
	// CallsPerMinute is the R1 call budget the workers run at (the
	// trigger's R1_CALLS_PER_MINUTE); MinDurationSeconds is the summary's
	// estimated calls at that budget: the least time the migration can take.
	CallsPerMinute     int         `json:"callsPerMinute,omitempty"`
	MinDurationSeconds float64     `json:"minDurationSeconds,omitempty"`
	PolicyCalls        int         `json:"policyCalls,omitempty"` // of EstimatedCalls: finding and attaching the policy set
	Options            PlanOptions `json:"options"`
}

// PlanPool is one pool of a plan.
type PlanPool struct {
	Key               string `json:"key"`
	DisplayName       string `json:"displayName"`
	IdentityGroupName string `json:"identityGroupName"`
	PoolName          string `json:"poolName"`
	Create            int    `json:"create"`
	Skip              int    `json:"skip"`
	Refuse            int    `json:"refuse"`
	EstimatedCalls    int    `json:"estimatedCalls"`
	// Skipped and Refused name at most maxPlanRowsPerPool rows each; the
	// *Omitted counts say how many more there are.
	Skipped        []cloudpath.RowOutcome `json:"skipped"`
	SkippedOmitted int                    `json:"skippedOmitted,omitempty"`
	Refused        []cloudpath.RowOutcome `json:"refused"`
	RefusedOmitted int                    `json:"refusedOmitted,omitempty"`
}

// PlanOptions are the options the migration would run with, defaults filled.
type PlanOptions struct {
	Parallel              bool   `json:"parallel"`
	MaxConcurrent         int    `json:"maxConcurrent"`
	Window                int    `json:"window"` // pools at once: MaxConcurrent in parallel mode, else 1
	PassphraseConcurrency int    `json:"passphraseConcurrency"`
	PolicySet             string `json:"policySet,omitempty"`
	Expired               string `json:"expired"`
	RenewDays             int    `json:"renewDays,omitempty"` // with expired=renew
	ImportInactive        bool   `json:"importInactive,omitempty"`
	NamePrefix            string `json:"namePrefix,omitempty"`
	NameSuffix            string `json:"nameSuffix,omitempty"`
	WorkflowID            string `json:"workflowId,omitempty"`
}

// plan answers POST /v1/plans: the body and options of a start, checked the
// same way; it stores nothing and starts nothing.
func (h *handler) plan(w http.ResponseWriter, r *http.Request) {
	export, opts, ok := h.readStartRequest(w, r)
	if !ok {
		return
	}
	pre, err := migrations.PreviewStart(export, opts)
	if err != nil {
		h.startError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, planResponse(pre, opts, h.cfg.CallsPerMinute))
}

func planResponse(pre migrations.Preview, opts migrations.Options, callsPerMinute int) PlanResponse {
	in := pre.Input
	sum := pre.Plan.Summarize(callsPerMinute)
	res := PlanResponse{
		ExportName:   opts.ExportName,
		ExportSHA256: in.Export.SHA256,
		Summary: PlanSummary{
			Pools: len(sum.Pools), Create: sum.TotalCreate, Skipped: sum.TotalSkip, Refused: sum.TotalRefuse,
			EstimatedCalls: sum.EstimatedCalls, Warnings: sum.Warnings,
		},
		Pools:          make([]PlanPool, 0, len(sum.Pools)),
		CallsPerMinute: sum.CallsPerMinute,
		Options: PlanOptions{
			Parallel: in.ParallelExecution, MaxConcurrent: in.MaxConcurrent, Window: in.Window(),
			PassphraseConcurrency: in.PassphraseConcurrency, PolicySet: in.PolicySetName,
			Expired: string(in.Plan.Expired), ImportInactive: in.Plan.ImportInactive,
			NamePrefix: in.Plan.NamePrefix, NameSuffix: in.Plan.NameSuffix, WorkflowID: opts.WorkflowID,
		},
	}
	if res.Options.Expired == "" {
		res.Options.Expired = string(cloudpath.ExpiredImportWithoutExpiry)
	}
	if in.Plan.Expired == cloudpath.ExpiredRenew {
		res.Options.RenewDays = in.Plan.RenewDays
		if res.Options.RenewDays == 0 {
			res.Options.RenewDays = cloudpath.DefaultRenewDays
		}
	}
	if in.PolicySetName != "" {
		// Summarize leaves the policy set to its caller.
		res.PolicyCalls = cloudpath.EstimatePolicyCalls * len(sum.Pools)
		res.Summary.EstimatedCalls += res.PolicyCalls
	}
	if callsPerMinute > 0 {
		d := time.Duration(res.Summary.EstimatedCalls) * time.Minute / time.Duration(callsPerMinute)
		res.MinDurationSeconds = d.Seconds()
	}
	for _, p := range sum.Pools {
		pp := PlanPool{
			Key: p.Key, DisplayName: p.DisplayName, IdentityGroupName: p.IdentityGroupName, PoolName: p.PoolName,
			Create: p.Create, Skip: p.Skip, Refuse: p.Refuse, EstimatedCalls: p.EstimatedCalls,
		}
		pp.Skipped, pp.SkippedOmitted = firstRows(p.Skipped)
		pp.Refused, pp.RefusedOmitted = firstRows(p.Refused)
		res.Pools = append(res.Pools, pp)
	}
	return res
}

func firstRows(rows []cloudpath.RowOutcome) ([]cloudpath.RowOutcome, int) {
	if rows == nil {
		return []cloudpath.RowOutcome{}, 0
	}
	if len(rows) <= maxPlanRowsPerPool {
		return rows, 0
	}
	return rows[:maxPlanRowsPerPool], len(rows) - maxPlanRowsPerPool
}
