// Package activities holds the Temporal activities of a migration: thin
// adapters over r1client, one R1 request per execution, so that the worker's
// activity rate limits are an exact R1 call budget.
//
// Activities load rows from the export store by reference; their inputs and
// results carry positions, names, R1 ids, counts and reasons, never a
// passphrase. Errors are mapped to application error types that the retry
// policies understand (see types.go).
package activities

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// Activities are registered once per worker; workflows refer to their methods
// through a typed nil pointer.
type Activities struct {
	R1 *r1client.Client
	// Temporal reads pool workflows' records for a rollback (PoolRecords);
	// nil on workers that do not run rollbacks.
	Temporal client.Client
	plans    *planCache
}

// New returns the activities of a worker. r1 may be nil on a worker that only
// runs workflows and the plan activity.
func New(r1 *r1client.Client, store *exportstore.Store) *Activities {
	return &Activities{R1: r1, plans: newPlanCache(store, 8)}
}

// Plan loads, verifies and plans the export and returns a page of its pools.
// It calls no R1 API and runs on the workflow task queue.
func (a *Activities) Plan(ctx context.Context, in PlanInput) (PlanResult, error) {
	p, err := a.plans.get(in.ExportInput)
	if err != nil {
		return PlanResult{}, err
	}
	res := PlanResult{TotalPools: len(p.plan.Units), TotalRows: p.rows, Warnings: capStrings(p.plan.Warnings, 100)}
	if a.R1 != nil {
		res.Tenant = a.R1.Tenant()
	}
	end := min(in.Offset+in.Limit, len(p.plan.Units))
	listed := 0
	for i := max(in.Offset, 0); i < end; i++ {
		ref := poolRef(&p.plan.Units[i])
		listed += len(ref.Skipped) + len(ref.Refused)
		if len(res.Pools) > 0 && listed > maxListedRowsPerPlanPage {
			break // the rest comes in the next page: the result stays far below 2 MB
		}
		res.Pools = append(res.Pools, ref)
	}
	return res, nil
}

// maxListedRowsPerPlanPage bounds the skipped and refused rows one plan page names.
const maxListedRowsPerPlanPage = 4000

func poolRef(u *cloudpath.PoolUnit) PoolRef {
	return PoolRef{
		Key:                      u.Key,
		DisplayName:              u.DisplayName,
		IdentityGroupName:        u.IdentityGroupName,
		IdentityGroupDescription: u.IdentityGroupDescription,
		PoolName:                 u.PoolName,
		PoolDescription:          u.PoolDescription,
		Settings:                 u.Settings,
		Rows:                     len(u.Rows),
		SkippedCount:             len(u.Skipped),
		RefusedCount:             len(u.Refused),
		Skipped:                  u.Skipped[:min(len(u.Skipped), MaxListedRows)],
		Refused:                  u.Refused[:min(len(u.Refused), MaxListedRows)],
		Network:                  u.Network,
	}
}

// FindIdentityGroup looks for a group by exact name on one page (0-based) of
// R1's keyword search.
func (a *Activities) FindIdentityGroup(ctx context.Context, in FindInput) (FindResult, error) {
	page, err := a.R1.IdentityGroups.Query(ctx, in.Name, in.Page, 500)
	if err != nil {
		return FindResult{}, r1Error("find identity group", err)
	}
	return findOnPage(page, func(g r1client.IdentityGroup) (FindResult, bool) {
		return FindResult{ID: g.ID}, g.Name == in.Name
	}), nil
}

// CreateIdentityGroup creates a group. A retried attempt first looks for the
// group, in case the earlier attempt reached R1 and only its answer was lost.
func (a *Activities) CreateIdentityGroup(ctx context.Context, in CreateGroupInput) (Accepted, error) {
	if acc, ok := landedBefore(ctx, a.FindIdentityGroup, in.Name); ok {
		return acc, nil
	}
	acc, err := a.R1.IdentityGroups.Create(ctx, in.Name, in.Description)
	if err != nil {
		return Accepted{}, r1Error("create identity group", err)
	}
	return Accepted{RequestID: acc.RequestID, ID: acc.ID}, nil
}

// FindPool looks for a DPSK pool by exact name on one page (1-based).
func (a *Activities) FindPool(ctx context.Context, in FindInput) (FindResult, error) {
	pageNo := max(in.Page, 1)
	page, err := a.R1.Pools.Query(ctx, in.Name, pageNo, 100)
	if err != nil {
		return FindResult{}, r1Error("find DPSK pool", err)
	}
	return findOnPage(page, func(p r1client.Pool) (FindResult, bool) {
		return FindResult{ID: p.ID, IdentityGroupID: p.IdentityGroupID, PassphraseLength: p.PassphraseLength, PolicySetID: p.PolicySetID}, p.Name == in.Name
	}), nil
}

// CreatePool creates a DPSK pool under its identity group; a retried attempt
// first looks for it.
func (a *Activities) CreatePool(ctx context.Context, in CreatePoolInput) (Accepted, error) {
	if acc, ok := landedBefore(ctx, a.FindPool, in.Name); ok {
		return acc, nil
	}
	acc, err := a.R1.Pools.Create(ctx, in.IdentityGroupID, r1client.Pool{
		Name:             in.Name,
		Description:      in.Description,
		PassphraseFormat: in.Settings.PassphraseFormat,
		PassphraseLength: in.Settings.PassphraseLength,
		DeviceCountLimit: in.Settings.DeviceCountLimit,
		ExpirationType:   in.Settings.ExpirationType,
		ExpirationOffset: in.Settings.ExpirationOffset,
	})
	if err != nil {
		return Accepted{}, r1Error("create DPSK pool", err)
	}
	return Accepted{RequestID: acc.RequestID, ID: acc.ID}, nil
}

// PatchPoolLength lowers an adopted pool's minimum passphrase length so the
// export's passphrases fit.
func (a *Activities) PatchPoolLength(ctx context.Context, in PatchPoolLengthInput) (Accepted, error) {
	n := in.PassphraseLength
	acc, err := a.R1.Pools.Patch(ctx, in.PoolID, r1client.PoolPatch{PassphraseLength: &n})
	if err != nil {
		return Accepted{}, r1Error("patch DPSK pool", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// FindPolicySet looks for a policy set by name (case-insensitive) on one page (0-based).
func (a *Activities) FindPolicySet(ctx context.Context, in FindInput) (FindResult, error) {
	page, err := a.R1.PolicySets.Query(ctx, in.Page, 500)
	if err != nil {
		return FindResult{}, r1Error("find policy set", err)
	}
	return findOnPage(page, func(s r1client.PolicySet) (FindResult, bool) {
		return FindResult{ID: s.ID}, strings.EqualFold(s.Name, in.Name)
	}), nil
}

// CreatePolicySet creates a policy set (synchronous in R1); a retried attempt
// first looks for it.
func (a *Activities) CreatePolicySet(ctx context.Context, in PolicySetInput) (Accepted, error) {
	if acc, ok := landedBefore(ctx, a.FindPolicySet, in.Name); ok {
		return acc, nil
	}
	set, err := a.R1.PolicySets.Create(ctx, in.Name, in.Description)
	if err != nil {
		return Accepted{}, r1Error("create policy set", err)
	}
	return Accepted{ID: set.ID}, nil
}

// AttachPolicySet attaches a policy set to a pool.
func (a *Activities) AttachPolicySet(ctx context.Context, in AttachPolicySetInput) (Accepted, error) {
	acc, err := a.R1.Pools.AttachPolicySet(ctx, in.PoolID, in.PolicySetID)
	if err != nil {
		return Accepted{}, r1Error("attach policy set", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// findOnPage looks through one page of a name lookup; match says whether an
// item is the one sought and what to report about it.
func findOnPage[T any](page r1client.Page[T], match func(T) (FindResult, bool)) FindResult {
	for _, item := range page.Items {
		if res, ok := match(item); ok {
			res.Found, res.Last = true, true
			return res
		}
	}
	return FindResult{Last: page.Last || len(page.Items) == 0}
}

// landedBefore is the check a retried create makes first: did the earlier
// attempt reach R1, and only its answer get lost? It looks at the first page.
func landedBefore(ctx context.Context, find func(context.Context, FindInput) (FindResult, error), name string) (Accepted, bool) {
	if activity.GetInfo(ctx).Attempt == 1 {
		return Accepted{}, false
	}
	res, err := find(ctx, FindInput{Name: name})
	if err != nil || !res.Found {
		return Accepted{}, false
	}
	return Accepted{ID: res.ID, Existing: true}, true
}

func (a *Activities) unit(in ExportInput, key string) (*cloudpath.PoolUnit, error) {
	p, err := a.plans.get(in)
	if err != nil {
		return nil, err
	}
	u, ok := p.units[key]
	if !ok {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("pool %q is not in the plan of export %s", key, in.Export.SHA256), ErrExportInvalid, nil)
	}
	return u, nil
}

func (a *Activities) row(in ExportInput, key string, pos int) (*cloudpath.Row, error) {
	u, err := a.unit(in, key)
	if err != nil {
		return nil, err
	}
	return rowAt(u, pos)
}

func rowAt(u *cloudpath.PoolUnit, pos int) (*cloudpath.Row, error) {
	if pos < 0 || pos >= len(u.Rows) {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("row %d is outside pool %q (%d rows)", pos, u.Key, len(u.Rows)), ErrExportInvalid, nil)
	}
	return &u.Rows[pos], nil
}

// r1Error maps an r1client error to an application error whose type the retry
// policy understands. r1client never puts what it sent into an error, and
// masks what R1 may quote of it (a passphrase, the client secret): its error
// text is safe to carry into Temporal as is.
func r1Error(op string, err error) error {
	return r1ErrorMsg(op+": "+err.Error(), err)
}

// r1ErrorMsg is r1Error with the message given.
func r1ErrorMsg(msg string, err error) error {
	var (
		rl    *r1client.RateLimitError
		val   *r1client.ValidationError
		conf  *r1client.ConflictError
		nf    *r1client.NotFoundError
		unath *r1client.UnauthorizedError
	)
	switch {
	case errors.As(err, &rl):
		// NextRetryDelay overrides the backoff for this retry only; zero keeps the backoff.
		return temporal.NewApplicationErrorWithOptions(msg, ErrRateLimited, temporal.ApplicationErrorOptions{NextRetryDelay: rl.RetryAfter})
	case errors.As(err, &val):
		return temporal.NewNonRetryableApplicationError(msg, ErrValidation, nil)
	case errors.As(err, &conf):
		return temporal.NewNonRetryableApplicationError(msg, ErrConflict, nil)
	case errors.As(err, &nf):
		return temporal.NewNonRetryableApplicationError(msg, ErrNotFound, nil)
	case errors.As(err, &unath):
		return temporal.NewNonRetryableApplicationError(msg+" (check R1_CLIENT_ID, R1_CLIENT_SECRET and R1_TENANT_ID)", ErrUnauthorized, nil)
	case errors.Is(err, context.Canceled):
		return err
	default:
		return temporal.NewApplicationError(msg, ErrTransient)
	}
}

func capStrings(s []string, n int) []string {
	if len(s) <= n {
		return s
	}
	out := append([]string(nil), s[:n]...)
	return append(out, fmt.Sprintf("... and %d more warnings", len(s)-n))
}
