package workflows

// Frozen with v1_migration.go: the first release's pool workflow.

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

// Waits for R1's asynchronous work.
const (
	r1ActivityMaxWaitV1 = 5 * time.Minute // creating a group, a pool, attaching a policy set
	confirmMaxWaitV1    = 3 * time.Minute // passphrases R1 accepted but does not show yet
)

// poolWorkflowV1 is the first release's PoolWorkflow. It migrates one Cloudpath pool: identity group, DPSK pool,
// passphrases (read what R1 holds, create what is missing, reconcile), and the
// policy set. It continues as new every PassphrasesPerRun rows so its history
// stays bounded whatever the pool's size.
func poolWorkflowV1(ctx workflow.Context, in PoolInput) (PoolResult, error) {
	p := &poolRunV1{in: in, st: PoolState{}, phase: "starting"}
	if in.Continued != nil {
		p.st = *in.Continued
	}
	p.r1 = r1ContextV1(ctx, in.ActivityTimeout)
	if err := workflow.SetQueryHandler(ctx, ProgressQuery, p.progress); err != nil {
		return PoolResult{}, err
	}

	if p.st.GroupID == "" {
		p.phase = "identity group"
		if err := p.ensureGroup(ctx); err != nil {
			return p.result(ctx, fmt.Errorf("identity group %q: %s", in.Pool.IdentityGroupName, err)), nil
		}
	}
	if p.st.PoolID == "" {
		p.phase = "DPSK pool"
		if err := p.ensurePool(ctx); err != nil {
			return p.result(ctx, fmt.Errorf("DPSK pool %q: %s", in.Pool.PoolName, err)), nil
		}
	}

	p.phase = "passphrases"
	runStart := p.st.Cursor
	for p.st.Cursor < in.Pool.Rows && ctx.Err() == nil {
		done := p.st.Cursor - runStart
		if done >= in.PassphrasesPerRun || (done > 0 && workflow.GetInfo(ctx).GetContinueAsNewSuggested()) {
			next := in
			st := p.st
			next.Continued = &st
			return PoolResult{}, workflow.NewContinueAsNewError(ctx, PoolWorkflowName, next)
		}
		end := min(p.st.Cursor+activities.MaxRowsPerRead, in.Pool.Rows, runStart+in.PassphrasesPerRun)
		p.migrateRows(ctx, p.st.Cursor, end)
		p.st.Cursor = end
	}

	if in.PolicySetName != "" && ctx.Err() == nil {
		p.phase = "policy set"
		if err := p.ensurePolicySet(ctx); err != nil {
			return p.result(ctx, fmt.Errorf("policy set %q: %s", in.PolicySetName, err)), nil
		}
	}
	return p.result(ctx, nil), nil
}

type poolRunV1 struct {
	in       PoolInput
	st       PoolState
	r1       workflow.Context
	phase    string
	policyID string
	accepted int // creates R1 accepted in this batch, not yet confirmed
}

func (p *poolRunV1) progress() (PoolProgress, error) {
	c := p.countsWithPlan()
	return PoolProgress{
		Key: p.in.Pool.Key, Phase: p.phase, Rows: p.in.Pool.Rows,
		Done:   c.Migrated() + c.Failed + p.accepted,
		Counts: c, PoolID: p.st.PoolID, GroupID: p.st.GroupID,
		Accepted: p.accepted,
	}, nil
}

func (p *poolRunV1) countsWithPlan() Counts {
	c := p.st.Counts
	c.Skipped = p.in.Pool.SkippedCount
	c.Refused = p.in.Pool.RefusedCount
	return c
}

func (p *poolRunV1) result(ctx workflow.Context, failure error) PoolResult {
	c := p.countsWithPlan()
	res := PoolResult{
		Key: p.in.Pool.Key, DisplayName: p.in.Pool.DisplayName,
		WorkflowID:      workflow.GetInfo(ctx).WorkflowExecution.ID,
		IdentityGroupID: p.st.GroupID, PoolID: p.st.PoolID, PolicySetID: p.policyID,
		Counts: c,
	}
	res.FailedRows = append(res.FailedRows, p.st.FailedRows...)
	for _, r := range p.in.Pool.Refused {
		if len(res.FailedRows) >= MaxListedRowsPerPool {
			break
		}
		res.FailedRows = append(res.FailedRows, r)
	}
	switch {
	case ctx.Err() != nil:
		res.Status = StatusCanceled
	case failure != nil && c.Migrated() == 0:
		res.Status = StatusFailed
	case p.in.Pool.Rows > 0 && c.Migrated() == 0 && c.Failed > 0:
		res.Status = StatusFailed
	case failure != nil || c.Failed > 0 || c.Refused > 0:
		res.Status = StatusPartial
	default:
		res.Status = StatusCompleted
	}
	if failure != nil {
		res.Error = failure.Error()
		if res.Status != StatusCanceled && c.Migrated()+c.Failed < p.in.Pool.Rows {
			// Rows never attempted count as failed, so the totals add up.
			res.Counts.Failed += p.in.Pool.Rows - c.Migrated() - c.Failed
		}
	}
	return res
}

func (p *poolRunV1) fail(ref activities.RowRef, why string) {
	p.st.Counts.Failed++
	if len(p.st.FailedRows) < MaxListedRowsPerPool {
		p.st.FailedRows = append(p.st.FailedRows, cloudpath.RowOutcome{Index: ref.Index, Username: ref.Username, Reason: why})
	}
}

func (p *poolRunV1) rowsInput(rows []int) activities.RowsInput {
	return activities.RowsInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.PoolID, Rows: rows}
}

func (p *poolRunV1) rowInput(row int) activities.RowInput {
	return activities.RowInput{ExportInput: p.in.ExportInput, PoolKey: p.in.Pool.Key, PoolID: p.st.PoolID, Row: row}
}

// migrateRows brings rows [from, to) into R1: one query for what R1 already
// holds, one create or VLAN patch per row that needs it (bounded in flight),
// then one query to confirm what was created.
func (p *poolRunV1) migrateRows(ctx workflow.Context, from, to int) {
	rows := make([]int, 0, to-from)
	for i := from; i < to; i++ {
		rows = append(rows, i)
	}
	var held activities.RowsResult
	if err := workflow.ExecuteActivity(p.r1, a.ReadRows, p.rowsInput(rows)).Get(ctx, &held); err != nil {
		// Unknown state: nothing is created blind. A re-run picks these rows up.
		for _, r := range rows {
			p.fail(activities.RowRef{Row: r, Index: -1, Username: fmt.Sprintf("(row %d)", r)}, "could not read the pool: "+reasonV1(err))
		}
		return
	}
	p.st.Counts.Adopted += len(held.Same)
	for _, c := range held.Conflicts {
		p.fail(c, activities.ConflictReason)
	}

	submitted := map[int]string{} // row → R1 requestId of its create
	byRow := map[int]activities.RowRef{}
	window := newWindowV1(ctx, p.in.PassphraseConcurrency)
	for _, fix := range held.VLANFix {
		if ctx.Err() != nil {
			break
		}
		in := activities.PatchVLANInput{RowInput: p.rowInput(fix.Row), PassphraseID: fix.PassphraseID}
		window.run(workflow.ExecuteActivity(p.r1, a.PatchPassphraseVLAN, in), func(f workflow.Future) {
			if err := f.Get(ctx, nil); err != nil {
				p.fail(fix, "VLAN patch: "+reasonV1(err))
				return
			}
			p.st.Counts.Patched++
		})
	}
	for _, ref := range held.Absent {
		if ctx.Err() != nil {
			break
		}
		byRow[ref.Row] = ref
		window.run(workflow.ExecuteActivity(p.r1, a.CreatePassphrase, p.rowInput(ref.Row)), func(f workflow.Future) {
			var acc activities.Accepted
			err := f.Get(ctx, &acc)
			switch {
			case err != nil && ctx.Err() != nil:
				submitted[ref.Row] = "" // may or may not have landed: the reconcile tells
			case err != nil:
				p.fail(ref, reasonV1(err))
			case acc.Existing:
				p.st.Counts.Created++ // an earlier attempt of ours landed
			default:
				submitted[ref.Row] = acc.RequestID
				p.accepted++
			}
		})
	}
	window.drain()
	p.confirm(ctx, submitted, byRow)
	p.accepted = 0
}

// confirm reconciles created rows with what R1 holds. Rows R1 does not show
// yet are explained by their R1 activity: failed (with R1's reason), or still
// pending, in which case they are read again after a timer, within a bound.
func (p *poolRunV1) confirm(ctx workflow.Context, submitted map[int]string, byRow map[int]activities.RowRef) {
	if ctx.Err() != nil {
		// Cancelled: one last read, on a context that outlives the cancellation,
		// so the counts say what R1 really holds.
		dctx, _ := workflow.NewDisconnectedContext(ctx)
		p.readBack(dctx, r1ContextV1(dctx, p.in.ActivityTimeout), submitted, byRow)
		return
	}
	deadline := workflow.Now(ctx).Add(confirmMaxWaitV1)
	delay := time.Second
	for len(submitted) > 0 {
		pending := p.readBack(ctx, p.r1, submitted, byRow)
		if len(pending) == 0 || ctx.Err() != nil {
			return
		}
		// Ask R1 why each missing row is missing.
		window := newWindowV1(ctx, p.in.PassphraseConcurrency)
		for _, row := range pending {
			reqID := submitted[row]
			if reqID == "" {
				continue
			}
			in := activities.R1ActivityInput{RequestID: reqID, Row: ptrV1(p.rowInput(row))}
			window.run(workflow.ExecuteActivity(p.r1, a.GetR1Activity, in), func(f workflow.Future) {
				var st activities.R1ActivityStatus
				if err := f.Get(ctx, &st); err == nil && st.Failed {
					p.fail(byRow[row], "R1 refused the passphrase: "+st.Message)
					delete(submitted, row)
				}
			})
		}
		window.drain()
		if len(submitted) == 0 {
			return
		}
		if !workflow.Now(ctx).Before(deadline) {
			for row, reqID := range sortedMapV1(submitted) {
				p.fail(byRow[row], fmt.Sprintf("R1 accepted the passphrase (request %s) but did not show it within %s", reqID, confirmMaxWaitV1))
			}
			return
		}
		_ = workflow.Sleep(ctx, delay)
		delay = min(delay*2, 30*time.Second)
	}
}

// readBack reads the submitted rows in pages of one query each, counts those
// R1 holds as created and returns the rows it does not hold.
func (p *poolRunV1) readBack(ctx, r1 workflow.Context, submitted map[int]string, byRow map[int]activities.RowRef) []int {
	rows := make([]int, 0, len(submitted))
	for r := range submitted {
		rows = append(rows, r)
	}
	slices.Sort(rows)
	var pending []int
	for chunk := range slices.Chunk(rows, activities.MaxRowsPerRead) {
		var held activities.RowsResult
		if err := workflow.ExecuteActivity(r1, a.ReadRows, p.rowsInput(chunk)).Get(ctx, &held); err != nil {
			for _, r := range chunk {
				p.fail(byRow[r], "could not confirm: "+reasonV1(err))
				delete(submitted, r)
			}
			continue
		}
		for _, r := range held.Same {
			p.st.Counts.Created++
			delete(submitted, r)
		}
		for _, ref := range held.VLANFix {
			p.fail(ref, "R1 holds the passphrase with another VLAN")
			delete(submitted, ref.Row)
		}
		for _, ref := range held.Conflicts {
			p.fail(ref, activities.ConflictReason)
			delete(submitted, ref.Row)
		}
		for _, ref := range held.Absent {
			if submitted[ref.Row] == "" {
				delete(submitted, ref.Row) // cancelled before R1 saw it
				continue
			}
			pending = append(pending, ref.Row)
		}
	}
	return pending
}

// sortedMap iterates a map in key order: workflow code must be deterministic.
func sortedMapV1(m map[int]string) func(func(int, string) bool) {
	return func(yield func(int, string) bool) {
		keys := make([]int, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, m[k]) {
				return
			}
		}
	}
}

// ensureGroup adopts the identity group named in the plan or creates it.
func (p *poolRunV1) ensureGroup(ctx workflow.Context) error {
	name := p.in.Pool.IdentityGroupName
	found, err := p.find(ctx, a.FindIdentityGroup, name, 0)
	if err != nil || found.Found {
		p.st.GroupID = found.ID
		return err
	}
	var acc activities.Accepted
	err = workflow.ExecuteActivity(p.r1, a.CreateIdentityGroup, activities.CreateGroupInput{Name: name, Description: p.in.Pool.IdentityGroupDescription}).Get(ctx, &acc)
	if errorTypeV1(err) == activities.ErrConflict {
		// Created meanwhile by someone else (another migration of the same export).
		found, err = p.find(ctx, a.FindIdentityGroup, name, 0)
		if err == nil && !found.Found {
			err = fmt.Errorf("R1 says the name is taken but no group of that name is visible")
		}
		p.st.GroupID = found.ID
		return err
	}
	if err != nil {
		return fmt.Errorf("%s", reasonV1(err))
	}
	if !acc.Existing {
		if err := p.waitR1(ctx, acc.RequestID); err != nil {
			return err
		}
	}
	p.st.GroupID = acc.ID
	return nil
}

// ensurePool adopts the DPSK pool named in the plan (lowering its minimum
// passphrase length if needed) or creates it under the identity group.
func (p *poolRunV1) ensurePool(ctx workflow.Context) error {
	name, want := p.in.Pool.PoolName, p.in.Pool.Settings.PassphraseLength
	found, err := p.find(ctx, a.FindPool, name, 1)
	if err != nil {
		return err
	}
	if !found.Found {
		var acc activities.Accepted
		err := workflow.ExecuteActivity(p.r1, a.CreatePool, activities.CreatePoolInput{
			IdentityGroupID: p.st.GroupID, Name: name, Description: p.in.Pool.PoolDescription, Settings: p.in.Pool.Settings,
		}).Get(ctx, &acc)
		if err != nil {
			return fmt.Errorf("%s", reasonV1(err))
		}
		var werr error
		if !acc.Existing {
			if werr = p.waitR1(ctx, acc.RequestID); werr == nil {
				p.st.PoolID = acc.ID
				return nil
			}
			if !strings.Contains(strings.ToLower(werr.Error()), "unique") {
				return werr
			}
		}
		// A retried create found the pool, or R1 refused a duplicate name
		// because someone created it meanwhile: adopt it after the checks below.
		if found, err = p.find(ctx, a.FindPool, name, 1); err != nil {
			return err
		}
		if !found.Found {
			return fmt.Errorf("R1 reports the pool exists but does not show it (%v)", werr)
		}
	}
	if !sameIDV1(found.IdentityGroupID, p.st.GroupID) {
		return fmt.Errorf("a DPSK pool of this name already exists in another identity group (%s); choose other names (name prefix/suffix) or remove it in R1", found.IdentityGroupID)
	}
	p.st.PoolID = found.ID
	if found.PassphraseLength > want {
		var acc activities.Accepted
		if err := workflow.ExecuteActivity(p.r1, a.PatchPoolLength, activities.PatchPoolLengthInput{PoolID: found.ID, PassphraseLength: want}).Get(ctx, &acc); err != nil {
			return fmt.Errorf("lowering the minimum passphrase length to %d: %s", want, reasonV1(err))
		}
		return p.waitR1(ctx, acc.RequestID)
	}
	return nil
}

// ensurePolicySet finds or creates the named policy set and attaches it to the pool.
func (p *poolRunV1) ensurePolicySet(ctx workflow.Context) error {
	name := p.in.PolicySetName
	found, err := p.find(ctx, a.FindPolicySet, name, 0)
	if err != nil {
		return err
	}
	id := found.ID
	if !found.Found {
		var acc activities.Accepted
		err := workflow.ExecuteActivity(p.r1, a.CreatePolicySet, activities.PolicySetInput{Name: name, Description: "Created by dpskmigrate"}).Get(ctx, &acc)
		if errorTypeV1(err) == activities.ErrConflict {
			// Another pool of the same migration created it first.
			if found, err = p.find(ctx, a.FindPolicySet, name, 0); err == nil && !found.Found {
				err = fmt.Errorf("R1 says the name is taken but no policy set of that name is visible")
			}
			acc.ID = found.ID
		}
		if err != nil {
			return fmt.Errorf("%s", reasonV1(err))
		}
		id = acc.ID
	}
	var acc activities.Accepted
	if err := workflow.ExecuteActivity(p.r1, a.AttachPolicySet, activities.AttachPolicySetInput{PoolID: p.st.PoolID, PolicySetID: id}).Get(ctx, &acc); err != nil {
		return fmt.Errorf("attaching to the pool: %s", reasonV1(err))
	}
	if err := p.waitR1(ctx, acc.RequestID); err != nil {
		return err
	}
	p.policyID = id
	return nil
}

// find pages through R1, one activity per page, until the name is found.
func (p *poolRunV1) find(ctx workflow.Context, fn any, name string, firstPage int) (activities.FindResult, error) {
	const maxPages = 200
	for page := firstPage; page < firstPage+maxPages; page++ {
		var res activities.FindResult
		if err := workflow.ExecuteActivity(p.r1, fn, activities.FindInput{Name: name, Page: page}).Get(ctx, &res); err != nil {
			return res, fmt.Errorf("looking it up: %s", reasonV1(err))
		}
		if res.Found || res.Last {
			return res, nil
		}
	}
	return activities.FindResult{}, fmt.Errorf("looked through %d pages without an end", maxPages)
}

// waitR1 waits for an R1 async activity with workflow timers between single
// reads, so the wait holds no worker slot and each read is one R1 call.
func (p *poolRunV1) waitR1(ctx workflow.Context, requestID string) error {
	if requestID == "" {
		return nil // R1 answered synchronously
	}
	deadline := workflow.Now(ctx).Add(r1ActivityMaxWaitV1)
	// R1 rarely shows an activity within the first second; reading it sooner
	// only spends budget.
	for i := 0; ; i++ {
		// One second, then 1, 2, 4, 8 and 10 s between reads.
		if err := workflow.Sleep(ctx, min(time.Second<<min(max(i-1, 0), 4), 10*time.Second)); err != nil {
			return err
		}
		var st activities.R1ActivityStatus
		if err := workflow.ExecuteActivity(p.r1, a.GetR1Activity, activities.R1ActivityInput{RequestID: requestID}).Get(ctx, &st); err != nil {
			return fmt.Errorf("reading R1 activity %s: %s", requestID, reasonV1(err))
		}
		switch {
		case st.Failed:
			return fmt.Errorf("R1 refused it: %s", st.Message)
		case st.Succeeded:
			return nil
		}
		if !workflow.Now(ctx).Before(deadline) {
			return fmt.Errorf("R1 activity %s has not finished after %s (last status %q)", requestID, r1ActivityMaxWaitV1, st.Status)
		}
	}
}

func ptrV1[T any](v T) *T { return &v }

// sameID compares R1 ids, which R1 returns with and without dashes.
func sameIDV1(x, y string) bool {
	return strings.EqualFold(strings.ReplaceAll(x, "-", ""), strings.ReplaceAll(y, "-", ""))
}
