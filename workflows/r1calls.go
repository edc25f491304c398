package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// Waits for R1's asynchronous work.
const (
	r1ActivityMaxWait = 5 * time.Minute // creating a group, a pool, attaching a policy set
	visibleMaxWait    = 2 * time.Minute // an object R1 says exists, until its reads show it
	visibleFirstDelay = time.Second     // ... read again after 1 s, doubling up to 15 s
	visibleMaxDelay   = 15 * time.Second
)

// call runs one R1 activity (one R1 request) on the rate-limited queue. Every
// R1 call of a pool goes through here.
func (p *poolRun) call(ctx workflow.Context, activity, in any) workflow.Future {
	p.awaitRunning(ctx) // paused: no new R1 call starts
	return workflow.ExecuteActivity(p.r1, activity, in)
}

// find pages through R1, one activity per page, until the name is found.
func (p *poolRun) find(ctx workflow.Context, fn any, name string, firstPage int) (activities.FindResult, error) {
	const maxPages = 200
	for page := firstPage; page < firstPage+maxPages; page++ {
		var res activities.FindResult
		if err := p.call(ctx, fn, activities.FindInput{Name: name, Page: page}).Get(ctx, &res); err != nil {
			return res, fmt.Errorf("looking it up: %s", reason(err))
		}
		if res.Found || res.Last {
			return res, nil
		}
	}
	return activities.FindResult{}, fmt.Errorf("looked through %d pages without an end", maxPages)
}

// findOnceVisible finds an object R1 says exists (it refused a create as a
// duplicate). R1 shows a new object only once its asynchronous work is done,
// so the lookup is repeated with timers, within a bound.
func (p *poolRun) findOnceVisible(ctx workflow.Context, fn any, name string, firstPage int) (activities.FindResult, error) {
	deadline := p.activeNow(ctx).Add(visibleMaxWait)
	for delay := visibleFirstDelay; ; delay = min(delay*2, visibleMaxDelay) {
		found, err := p.find(ctx, fn, name, firstPage)
		if err != nil || found.Found {
			return found, err
		}
		if !p.activeNow(ctx).Before(deadline) {
			return found, fmt.Errorf("R1 says the name is taken but shows no object of that name after %s", visibleMaxWait)
		}
		if err := workflow.Sleep(ctx, delay); err != nil {
			return found, err
		}
	}
}

// errR1Late: R1's activity did not finish within r1ActivityMaxWait.
var errR1Late = errors.New("R1 activity late")

// errR1Refused is R1's asynchronous refusal of a write.
type errR1Refused struct{ status activities.R1ActivityStatus }

func (e *errR1Refused) Error() string { return "R1 refused it: " + e.status.Message }

// refusedAsDuplicate reports whether err is R1 refusing a write because the
// object already exists.
func refusedAsDuplicate(err error) bool {
	var r *errR1Refused
	return errors.As(err, &r) && r.status.Duplicate
}

// waitR1 waits for an R1 asynchronous activity with workflow timers between
// single reads, so the wait holds no worker slot and each read is one R1 call.
// R1's refusal is an *errR1Refused.
func (p *poolRun) waitR1(ctx workflow.Context, requestID string) error {
	if requestID == "" {
		return nil // R1 answered synchronously
	}
	if p.shared() {
		st, err := p.waitShared(ctx, requestID)
		switch {
		case errors.Is(err, errR1Late):
			return fmt.Errorf("R1 activity %s has not finished after %s", requestID, r1ActivityMaxWait)
		case err != nil:
			return err
		case st.Failed:
			return &errR1Refused{st}
		}
		return nil
	}
	deadline := p.activeNow(ctx).Add(r1ActivityMaxWait)
	// R1 rarely shows an activity within the first second; reading it sooner
	// only spends budget. Then 1, 2, 4, 8 and 10 s between reads.
	for i := 0; ; i++ {
		if err := workflow.Sleep(ctx, min(time.Second<<min(max(i-1, 0), 4), 10*time.Second)); err != nil {
			return err
		}
		var st activities.R1ActivityStatus
		if err := p.call(ctx, a.GetR1Activity, activities.R1ActivityInput{RequestID: requestID}).Get(ctx, &st); err != nil {
			return fmt.Errorf("reading R1 activity %s: %s", requestID, reason(err))
		}
		switch {
		case st.Failed:
			return &errR1Refused{st}
		case st.Succeeded:
			return nil
		}
		if !p.activeNow(ctx).Before(deadline) {
			return fmt.Errorf("R1 activity %s has not finished after %s (last status %q)", requestID, r1ActivityMaxWait, st.Status)
		}
	}
}
