package workflows

import (
	"errors"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Version of the workflows, checked once at the start of every run: histories
// begun by the first release (no marker) replay through the frozen v1 code;
// every run begun since takes the current code.
const (
	versionChange = "dpskmigrate-workflows"
	versionV2     = 1
)

// outcome maps a pool's or a migration's status onto how its workflow ends,
// following Temporal's conventions so that the UI's status, filter and colours
// tell the truth:
//
//	COMPLETED, PARTIAL → Completed, with the result
//	FAILED             → Failed, an application error of errType whose details are the result
//	CANCELED           → Canceled, the result as the cancellation's details
//
// Every figure stays readable: ResultFromError takes the result back out.
func outcome[R any](res R, status Status, message, errType string) (R, error) {
	var zero R
	switch status {
	case StatusFailed:
		return zero, temporal.NewNonRetryableApplicationError(message, errType, nil, res)
	case StatusCanceled:
		return zero, temporal.NewCanceledError(res)
	}
	return res, nil
}

// ResultFromError reads the result a failed or cancelled pool or migration
// carries in its error's details into out. It reports whether it found one.
func ResultFromError(err error, out any) bool {
	var app *temporal.ApplicationError
	if errors.As(err, &app) && app.HasDetails() {
		return app.Details(out) == nil
	}
	var can *temporal.CanceledError
	if errors.As(err, &can) && can.HasDetails() {
		return can.Details(out) == nil
	}
	return false
}

// canceled reports whether ctx's workflow was asked to stop.
func canceled(ctx workflow.Context) bool { return ctx.Err() != nil }
