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
//
// A group this run creates is not waited for: creating the pool under it is
// what shows it exists, and ensurePool waits for the group only when R1 says
// it is not there yet (groupRequest).
func (p *poolRun) ensureGroup(ctx workflow.Context) error {
	name := p.in.Pool.IdentityGroupName
	found, err := p.lookup(ctx, a.FindIdentityGroup, name, 0, p.surveyedGroup())
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
	case err != nil && ctx.Err() != nil:
		// Cancelled while the create was on its way: R1 may hold the group.
		if found, ok := p.findAfterCancel(ctx, a.FindIdentityGroup, name, 0); ok {
			p.setGroup(found.ID, true)
		}
		return ctx.Err()
	case err != nil:
		return errors.New(reason(err))
	case acc.ID == "":
		// R1 gave no id: wait for its work and find the group.
		if err := p.waitR1(ctx, acc.RequestID); err != nil && !refusedAsDuplicate(err) {
			return err
		}
		return p.adoptCreatedGroup(ctx, name)
	case !acc.Existing:
		p.groupRequest = acc.RequestID
	}
	p.setGroup(acc.ID, true)
	return nil
}

// settleGroup waits for the group this run has just created, when creating
// the pool under it failed: R1 may not have finished it, or may have refused
// it as a duplicate (then the group of that name is adopted as created). It
// reports whether creating the pool is worth another try.
func (p *poolRun) settleGroup(ctx workflow.Context) (bool, error) {
	id := p.groupRequest
	if id == "" {
		return false, nil
	}
	p.groupRequest = ""
	err := p.waitR1(ctx, id)
	switch {
	case err == nil:
		return true, nil
	case refusedAsDuplicate(err):
		return true, p.adoptCreatedGroup(ctx, p.in.Pool.IdentityGroupName)
	}
	return false, err
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

// surveyedGroup and surveyedPool are what the migration's survey saw (nil:
// no survey; look it up).
func (p *poolRun) surveyedGroup() *activities.FindResult {
	if s := p.in.Survey; s != nil {
		return orNotFound(s.Group)
	}
	return nil
}

func (p *poolRun) surveyedPool() *activities.FindResult {
	if s := p.in.Survey; s != nil {
		return orNotFound(s.Pool)
	}
	return nil
}

func orNotFound(f *activities.FindResult) *activities.FindResult {
	if f == nil {
		return &activities.FindResult{Last: true}
	}
	return f
}

// lookup is the survey's answer when there was one, else a lookup in R1.
func (p *poolRun) lookup(ctx workflow.Context, fn any, name string, firstPage int, surveyed *activities.FindResult) (activities.FindResult, error) {
	if surveyed != nil {
		return *surveyed, nil
	}
	return p.find(ctx, fn, name, firstPage)
}

// findAfterCancel looks up, on a context that outlives the cancellation, an
// object whose create was cut short, so the record names it if R1 holds it
// (a rollback then removes it). R1 shows new objects late: a few reads.
func (p *poolRun) findAfterCancel(ctx workflow.Context, fn any, name string, page int) (activities.FindResult, bool) {
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	r1 := r1Context(dctx, p.in.ActivityTimeout)
	for delay := visibleFirstDelay; delay <= 8*visibleFirstDelay; delay *= 2 {
		var res activities.FindResult
		if err := workflow.ExecuteActivity(r1, fn, activities.FindInput{Name: name, Page: page}).Get(dctx, &res); err == nil && res.Found {
			return res, true
		}
		if workflow.Sleep(dctx, delay) != nil {
			break
		}
	}
	return activities.FindResult{}, false
}
