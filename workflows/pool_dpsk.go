package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// ensurePool adopts the DPSK pool named in the plan (lowering its minimum
// passphrase length if needed) or creates it under the identity group. As for
// groups, a pool the lookup did not show but that exists once we create it is
// recorded as created by this run.
func (p *poolRun) ensurePool(ctx workflow.Context) error {
	name := p.in.Pool.PoolName
	found, err := p.lookup(ctx, a.FindPool, name, 1, p.surveyedPool())
	if err != nil {
		return err
	}
	created := false
	if !found.Found {
		done, err := p.createPool(ctx, name)
		if err != nil || done {
			return err
		}
		// R1 refused a duplicate name: our own attempt whose answer was lost,
		// or someone else's pool; find it.
		if found, err = p.findOnceVisible(ctx, a.FindPool, name, 1); err != nil {
			return err
		}
		created = true
	}
	if !r1client.SameID(found.IdentityGroupID, p.st.Record.IdentityGroup.ID) {
		return fmt.Errorf("a DPSK pool of this name already exists in another identity group (%s); choose other names (name prefix/suffix) or remove it in R1", found.IdentityGroupID)
	}
	want := p.in.Pool.Settings.PassphraseLength
	if found.PassphraseLength <= want {
		p.setPool(found.ID, created, 0)
		return nil
	}
	var acc activities.Accepted
	if err := p.call(ctx, a.PatchPoolLength, activities.PatchPoolLengthInput{PoolID: found.ID, PassphraseLength: want}).Get(ctx, &acc); err != nil {
		return fmt.Errorf("lowering the minimum passphrase length to %d: %s", want, reason(err))
	}
	if err := p.waitR1(ctx, acc.RequestID); err != nil {
		return fmt.Errorf("lowering the minimum passphrase length to %d: %w", want, err)
	}
	before := found.PassphraseLength
	if created {
		before = 0 // a rollback deletes the pool; nothing to restore
	}
	p.setPool(found.ID, created, before)
	return nil
}

// createPool creates the pool and waits for R1 to finish it. done: the pool
// is set; !done with no error: R1 refused the name as a duplicate. A refusal
// that may come from a group R1 has not finished yet is tried once more
// after waiting for the group.
func (p *poolRun) createPool(ctx workflow.Context, name string) (done bool, err error) {
	for attempt := 0; ; attempt++ {
		var acc activities.Accepted
		err := p.call(ctx, a.CreatePool, activities.CreatePoolInput{
			IdentityGroupID: p.st.Record.IdentityGroup.ID, Name: name, Description: p.in.Pool.PoolDescription, Settings: p.in.Pool.Settings,
		}).Get(ctx, &acc)
		switch {
		case errorType(err) == activities.ErrConflict:
			return false, nil
		case err != nil && ctx.Err() != nil:
			// Cancelled while the create was on its way: R1 may hold the pool.
			if found, ok := p.findAfterCancel(ctx, a.FindPool, name, 1); ok {
				p.setPool(found.ID, true, 0)
			}
			return false, ctx.Err()
		case err != nil:
			if again, gerr := p.settleGroup(ctx); gerr != nil || !again || attempt > 0 {
				return false, errors.Join(errors.New(reason(err)), gerr)
			}
			continue
		case acc.Existing:
			return false, nil // an earlier attempt of ours landed: find it
		}
		// Recorded before the wait: a pool cancelled now still names it for a rollback.
		p.setPool(acc.ID, true, 0)
		werr := p.waitR1(ctx, acc.RequestID)
		switch {
		case werr == nil:
			// (PerPoolReads, which turns shared waits off, reads new pools too.)
			p.st.FreshPool = acc.ID != "" && p.in.SharedWaits
			return acc.ID != "", nil
		case ctx.Err() != nil:
			return false, ctx.Err()
		}
		p.setPool("", false, 0) // R1 did not create it
		if refusedAsDuplicate(werr) {
			return false, nil
		}
		if again, gerr := p.settleGroup(ctx); gerr != nil || !again || attempt > 0 {
			return false, errors.Join(werr, gerr)
		}
	}
}

func (p *poolRun) setPool(id string, created bool, lengthBefore int) {
	rec := &p.st.Record.DPSKPool
	rec.ID, rec.Created, rec.LengthBefore = id, created, lengthBefore
	p.st.PoolID = id
}
