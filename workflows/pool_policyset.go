package workflows

import (
	"errors"
	"fmt"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// ensurePolicySet finds or creates the named policy set and attaches it to the
// pool, recording the set the pool had before so a rollback can restore it.
func (p *poolRun) ensurePolicySet(ctx workflow.Context) error {
	name := p.in.PolicySetName
	found, err := p.find(ctx, a.FindPolicySet, name, 0)
	if err != nil {
		return err
	}
	change := &runrecord.PolicySetChange{ID: found.ID}
	if !found.Found {
		var acc activities.Accepted
		err := p.call(ctx, a.CreatePolicySet, activities.PolicySetInput{Name: name, Description: "Created by dpskmigrate"}).Get(ctx, &acc)
		switch {
		case errorType(err) == activities.ErrConflict:
			// Another pool of this migration created it first; its record says so.
			if found, err = p.findOnceVisible(ctx, a.FindPolicySet, name, 0); err != nil {
				return err
			}
			change.ID = found.ID
		case err != nil:
			return errors.New(reason(err))
		default:
			change.ID, change.Created = acc.ID, true
		}
	}
	p.st.Record.PolicySet = change // recorded before attaching: a created set is a fact even if attaching fails
	// What the pool has attached now (an adopted pool may have a set already).
	pool, err := p.find(ctx, a.FindPool, p.in.Pool.PoolName, 1)
	if err != nil {
		return fmt.Errorf("reading the pool's policy set: %w", err)
	}
	if pool.Found && r1client.SameID(pool.PolicySetID, change.ID) {
		return nil
	}
	var acc activities.Accepted
	if err := p.call(ctx, a.AttachPolicySet, activities.AttachPolicySetInput{PoolID: p.st.Record.DPSKPool.ID, PolicySetID: change.ID}).Get(ctx, &acc); err != nil {
		return fmt.Errorf("attaching to the pool: %s", reason(err))
	}
	if err := p.waitR1(ctx, acc.RequestID); err != nil {
		return fmt.Errorf("attaching to the pool: %w", err)
	}
	change.Attached, change.PreviousID = true, pool.PolicySetID
	return nil
}
