package workflows

import (
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
)

// DefaultActivityTimeout bounds one R1 call attempt (the client's own request
// timeout is shorter); a worker that dies mid-call is noticed after it.
const DefaultActivityTimeout = 40 * time.Second

// R1CallMaxWait bounds an R1 call from being scheduled to its last attempt's
// end: rate-limit queues (a lowered budget included) and 429 storms are
// waited out, up to this.
const R1CallMaxWait = 30 * time.Minute

// r1Context runs activities that call R1: on the rate-limited task queue,
// retried with backoff (or after Retry-After for a 429), never retried for
// what R1 refused on its merits.
func r1Context(ctx workflow.Context, timeout time.Duration) workflow.Context {
	if timeout <= 0 {
		timeout = DefaultActivityTimeout
	}
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		TaskQueue:              R1TaskQueue(workflow.GetInfo(ctx).TaskQueueName),
		StartToCloseTimeout:    timeout,
		ScheduleToCloseTimeout: R1CallMaxWait,
		WaitForCancellation:    true, // a call in flight finishes before a cancelled pool reports
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			BackoffCoefficient:     2,
			MaximumInterval:        time.Minute,
			NonRetryableErrorTypes: activities.NonRetryable,
		},
	})
}

// planContext runs the plan activity on the workflow's own task queue.
func planContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:        time.Second,
			MaximumAttempts:        5,
			NonRetryableErrorTypes: activities.NonRetryable,
		},
	})
}

// reason turns an activity error into the text a person reads: the message of
// the application error, without the SDK's wrapping.
func reason(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Error()
	}
	var timeout *temporal.TimeoutError
	if errors.As(err, &timeout) {
		return "R1 did not answer in time (" + strings.ToLower(timeout.TimeoutType().String()) + ")"
	}
	if temporal.IsCanceledError(err) {
		return "cancelled"
	}
	return err.Error()
}

func errorType(err error) string {
	var app *temporal.ApplicationError
	if errors.As(err, &app) {
		return app.Type()
	}
	return ""
}
