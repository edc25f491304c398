package workflows

import (
	"errors"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// ensureGroup adopts the identity group named in the plan or creates it.
//
// A group the lookup did not show but that exists once we try to create it
// counts as created by this run: it is our own earlier attempt whose answer
// was lost (R1 shows new objects late), or, rarely, another migration of the
// same export running at the same moment.
func (p *poolRun) ensureGroup(ctx workflow.Context) error {
	name := p.in.Pool.IdentityGroupName
	found, err := p.find(ctx, a.FindIdentityGroup, name, 0)
	if err != nil {
		return err
	}
	if found.Found {
		p.setGroup(found.ID, false)
		return nil
	}
	var acc activities.Accepted
	err = p.call(ctx, a.CreateIdentityGroup, activities.CreateGroupInput{Name: name, Description: p.in.Pool.IdentityGroupDescription}).Get(ctx, &acc)
	switch {
	case errorType(err) == activities.ErrConflict:
		return p.adoptCreatedGroup(ctx, name)
	case err != nil:
		return errors.New(reason(err))
	case !acc.Existing:
		if err := p.waitR1(ctx, acc.RequestID); err != nil {
			if refusedAsDuplicate(err) {
				return p.adoptCreatedGroup(ctx, name)
			}
			return err
		}
	}
	p.setGroup(acc.ID, true)
	return nil
}

func (p *poolRun) adoptCreatedGroup(ctx workflow.Context, name string) error {
	found, err := p.findOnceVisible(ctx, a.FindIdentityGroup, name, 0)
	if err != nil {
		return err
	}
	p.setGroup(found.ID, true)
	return nil
}

func (p *poolRun) setGroup(id string, created bool) {
	p.st.Record.IdentityGroup = runrecord.Object{ID: id, Created: created}
	p.st.GroupID = id
}
