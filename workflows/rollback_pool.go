package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// RollbackPoolWorkflow undoes one pool's record in R1's dependency order
// (CLEANUP_AND_ROLLBACK.md §0, §6): the policy-set attachment, the network's
// activations and the network, the passphrases the run created (checked to be
// exactly the export's), VLANs it patched, the identities of deleted
// passphrases, then the pool and the identity group if the run created them
// and nothing else is in them. Every step reads R1 first, so a re-run or a
// run after an interruption ends in the same state.
func RollbackPoolWorkflow(ctx workflow.Context, in RollbackPoolInput) (RollbackPoolResult, error) {
	p := &poolRun{in: PoolInput{ExportInput: in.ExportInput, Pool: in.Pool, ActivityTimeout: in.ActivityTimeout}, st: PoolState{Record: in.Record}}
	p.r1 = r1Context(ctx, in.ActivityTimeout)
	r := &rollbackRun{poolRun: p, rec: in.Record,
		res: RollbackPoolResult{Key: in.Pool.Key, DisplayName: in.Pool.DisplayName}}
	steps := []struct {
		name string
		run  func(workflow.Context) error
	}{
		{"policy set", r.restorePolicySet},
		{"network", r.takeOffAir},
		{"passphrases", r.deletePassphrases},
		{"VLANs", r.restoreVLANs},
		{"identities", r.deleteIdentities},
		{"DPSK pool", r.undoPool},
		{"identity group", r.undoGroup},
	}
	for _, step := range steps {
		if ctx.Err() != nil {
			break
		}
		workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s · rollback · %s", in.Pool.DisplayName, step.name))
		if err := step.run(ctx); err != nil {
			r.res.Error = step.name + ": " + err.Error()
			break
		}
	}
	res := r.res
	res.Counts.Kept = len(res.Kept)
	switch {
	case ctx.Err() != nil:
		res.Status = StatusCanceled
	case res.Error != "":
		res.Status = StatusFailed
	case len(res.Kept) > 0:
		res.Status = StatusPartial
	default:
		res.Status = StatusCompleted
	}
	workflow.SetCurrentDetails(ctx, fmt.Sprintf("%s · rollback %s · %d passphrases deleted · %d kept", in.Pool.DisplayName, res.Status, res.Counts.Passphrases, len(res.Kept)))
	return outcome(res, res.Status, fmt.Sprintf("rollback of pool %s: %s", in.Pool.DisplayName, res.Error), ErrPoolFailed)
}

type rollbackRun struct {
	*poolRun
	rec        runrecord.Pool
	res        RollbackPoolResult
	identities []string // of the passphrases deleted, to delete if R1 keeps them
	poolGone   bool
}

func (r *rollbackRun) keep(format string, args ...any) {
	r.res.Kept = append(r.res.Kept, fmt.Sprintf(format, args...))
}

// write runs one R1 write and waits for its asynchronous activity.
func (r *rollbackRun) write(ctx workflow.Context, activity, in any) (activities.Accepted, error) {
	var acc activities.Accepted
	if err := r.call(ctx, activity, in).Get(ctx, &acc); err != nil {
		return acc, errors.New(reason(err))
	}
	return acc, r.waitR1(ctx, acc.RequestID)
}

// restorePolicySet puts back the pool's policy set as it was before the run,
// unless someone changed it since.
func (r *rollbackRun) restorePolicySet(ctx workflow.Context) error {
	ps := r.rec.PolicySet
	if ps == nil || !ps.Attached || r.rec.DPSKPool.ID == "" {
		return nil
	}
	var pool activities.PoolState
	if err := r.call(ctx, a.ReadPool, activities.ReadPoolInput{PoolID: r.rec.DPSKPool.ID}).Get(ctx, &pool); err != nil {
		return errors.New(reason(err))
	}
	switch {
	case pool.Gone || r1client.SameID(pool.PolicySetID, ps.PreviousID):
		return nil // gone, or restored by an earlier try
	case !r1client.SameID(pool.PolicySetID, ps.ID):
		r.keep("policy set: the pool's policy set changed since the migration (now %q); left as it is", pool.PolicySetID)
		return nil
	case ps.PreviousID != "":
		_, err := r.write(ctx, a.AttachPolicySet, activities.AttachPolicySetInput{PoolID: r.rec.DPSKPool.ID, PolicySetID: ps.PreviousID})
		r.res.Counts.Restored++
		return err
	default:
		_, err := r.write(ctx, a.DetachPolicySet, activities.AttachPolicySetInput{PoolID: r.rec.DPSKPool.ID, PolicySetID: ps.ID})
		r.res.Counts.Restored++
		return err
	}
}

// takeOffAir deactivates the activations the run made and deletes the network
// if the run created it. A pool the run bound to an adopted network stays
// bound: R1 has no call to unbind it.
func (r *rollbackRun) takeOffAir(ctx workflow.Context) error {
	n := r.rec.Network
	if n == nil || n.ID == "" {
		return nil
	}
	for _, act := range n.Activations {
		if !act.Created {
			continue
		}
		acc, err := r.write(ctx, a.DeactivateNetwork, activities.ActivationInput{VenueID: act.VenueID, NetworkID: n.ID})
		if err != nil {
			return fmt.Errorf("venue %s: %w", act.VenueName, err)
		}
		if !acc.Existing {
			r.res.Counts.Activations++
		}
	}
	if !n.Created {
		if n.Bound {
			r.keep("network %q: the migration bound this pool to it; R1 has no call to unbind a pool, so it stays bound (the pool is deleted if the run created it)", n.Name)
		}
		return nil
	}
	acc, err := r.write(ctx, a.DeleteNetwork, activities.NetworkPoolInput{NetworkID: n.ID})
	if err != nil {
		r.keep("network %q: R1 refused to delete it (%s); it may have been activated elsewhere since", n.Name, err)
		return nil
	}
	if !acc.Existing {
		r.res.Counts.Networks++
	}
	return nil
}

// rowChunks yields the rows of set in reads of up to 500.
func rowChunks(set runrecord.RowSet) [][]int {
	var out [][]int
	var cur []int
	for row := range set.All() {
		cur = append(cur, row)
		if len(cur) == activities.MaxRowsPerRead {
			out, cur = append(out, cur), nil
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// deletePassphrases deletes the passphrases the run created (and those it
// sent but never saw confirmed), only where R1 holds them exactly as the
// export has them: anything changed or made by someone else stays.
func (r *rollbackRun) deletePassphrases(ctx workflow.Context) error {
	if r.rec.DPSKPool.ID == "" {
		return nil
	}
	var rows runrecord.RowSet
	rows.AddSet(r.rec.Rows.Created)
	rows.AddSet(r.rec.Rows.Unconfirmed)
	for _, chunk := range rowChunks(rows) {
		var held activities.HeldRowsResult
		if err := r.call(ctx, a.HeldRows, r.rowsInput(chunk)).Get(ctx, &held); err != nil {
			return errors.New(reason(err))
		}
		if len(held.Held) == 0 {
			continue
		}
		ids := make([]string, 0, len(held.Held))
		for _, h := range held.Held {
			ids = append(ids, h.PassphraseID)
			if h.IdentityID != "" {
				r.identities = append(r.identities, h.IdentityID)
			}
		}
		acc, err := r.write(ctx, a.DeletePassphrases, activities.DeleteIDsInput{ParentID: r.rec.DPSKPool.ID, IDs: ids})
		if err != nil {
			return err
		}
		if !acc.Existing {
			r.res.Counts.Passphrases += len(ids)
		}
	}
	return nil
}

// restoreVLANs sets the VLAN of every passphrase the run patched back to what
// it was, unless someone changed it since.
func (r *rollbackRun) restoreVLANs(ctx workflow.Context) error {
	for _, change := range r.rec.Rows.Patched {
		if change.From == 0 {
			r.keep("%d passphrase(s) had no VLAN before the migration set one; R1's API cannot clear a passphrase's VLAN, so they keep the export's", change.Rows.Len())
			continue
		}
		for _, chunk := range rowChunks(change.Rows) {
			var held activities.HeldRowsResult
			if err := r.call(ctx, a.HeldRows, r.rowsInput(chunk)).Get(ctx, &held); err != nil {
				return errors.New(reason(err))
			}
			for _, h := range held.Held {
				switch h.VLANID {
				case change.From: // restored by an earlier try
				case h.PlannedVLAN:
					if _, err := r.write(ctx, a.RestoreVLAN, activities.RestoreVLANInput{PoolID: r.rec.DPSKPool.ID, PassphraseID: h.PassphraseID, VLANID: change.From}); err != nil {
						return err
					}
					r.res.Counts.VLANs++
				default:
					r.keep("row %d: its VLAN changed since the migration (now %d); left as it is", h.Row, h.VLANID)
				}
			}
		}
	}
	return nil
}

// deleteIdentities deletes the identities of the deleted passphrases, in case
// R1 keeps them (whether it does is not established).
func (r *rollbackRun) deleteIdentities(ctx workflow.Context) error {
	if len(r.identities) == 0 || r.rec.IdentityGroup.ID == "" {
		return nil
	}
	for chunk := range slices.Chunk(r.identities, activities.MaxRowsPerRead) {
		acc, err := r.write(ctx, a.DeleteIdentities, activities.DeleteIDsInput{ParentID: r.rec.IdentityGroup.ID, IDs: chunk})
		if err != nil {
			return err
		}
		if !acc.Existing {
			r.res.Counts.Identities += len(chunk)
		}
	}
	return nil
}

// undoPool deletes the pool if the run created it and it is empty now, or
// puts back the minimum passphrase length the run lowered on an adopted pool.
func (r *rollbackRun) undoPool(ctx workflow.Context) error {
	pool := r.rec.DPSKPool
	if pool.ID == "" {
		r.poolGone = true
		return nil
	}
	if !pool.Created {
		if pool.LengthBefore == 0 {
			return nil
		}
		var st activities.PoolState
		if err := r.call(ctx, a.ReadPool, activities.ReadPoolInput{PoolID: pool.ID}).Get(ctx, &st); err != nil {
			return errors.New(reason(err))
		}
		switch {
		case st.Gone || st.PassphraseLength == pool.LengthBefore:
			return nil
		case st.PassphraseLength != r.in.Pool.Settings.PassphraseLength:
			r.keep("DPSK pool %q: its minimum passphrase length changed since the migration (now %d); left as it is", r.in.Pool.PoolName, st.PassphraseLength)
			return nil
		}
		_, err := r.write(ctx, a.PatchPoolLength, activities.PatchPoolLengthInput{PoolID: pool.ID, PassphraseLength: pool.LengthBefore})
		r.res.Counts.Restored++
		return err
	}
	var count activities.CountResult
	if err := r.call(ctx, a.CountPassphrases, activities.CountInput{ID: pool.ID}).Get(ctx, &count); err != nil {
		return errors.New(reason(err))
	}
	switch {
	case count.Gone:
		r.poolGone = true
		return nil
	case count.Count > 0:
		r.keep("DPSK pool %q: created by the migration, but it holds %d passphrase(s) the migration did not create (added since, or changed); kept with them", r.in.Pool.PoolName, count.Count)
		return nil
	}
	acc, err := r.write(ctx, a.DeletePool, activities.DeleteObjectInput{ID: pool.ID})
	if err != nil {
		r.keep("DPSK pool %q: R1 refused to delete it (%s); a network may still serve it", r.in.Pool.PoolName, err)
		return nil
	}
	r.poolGone = true
	if !acc.Existing {
		r.res.Counts.Pools++
	}
	return nil
}

// undoGroup deletes the identity group if the run created it, its pool is
// gone and no identity is left in it.
func (r *rollbackRun) undoGroup(ctx workflow.Context) error {
	g := r.rec.IdentityGroup
	if !g.Created || g.ID == "" || !r.poolGone {
		if g.Created && !r.poolGone {
			r.keep("identity group %q: created by the migration, kept because its DPSK pool is kept", r.in.Pool.IdentityGroupName)
		}
		return nil
	}
	var count activities.CountResult
	if err := r.call(ctx, a.CountIdentities, activities.CountInput{ID: g.ID}).Get(ctx, &count); err != nil {
		return errors.New(reason(err))
	}
	switch {
	case count.Gone:
		return nil
	case count.Count > 0:
		r.keep("identity group %q: created by the migration, but it holds %d identit(ies) the migration did not create; kept", r.in.Pool.IdentityGroupName, count.Count)
		return nil
	}
	acc, err := r.write(ctx, a.DeleteIdentityGroup, activities.DeleteObjectInput{ID: g.ID})
	if err != nil {
		r.keep("identity group %q: R1 refused to delete it (%s)", r.in.Pool.IdentityGroupName, err)
		return nil
	}
	if !acc.Existing {
		r.res.Counts.Groups++
	}
	return nil
}
