package migrations

import (
	"context"
	"errors"
	"fmt"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Pause holds a running migration: no new pool starts, running pools finish
// the R1 calls in flight and start no new one (their wait deadlines stop).
func (s *Service) Pause(ctx context.Context, id string) (workflows.ControlState, error) {
	return s.update(ctx, id, workflows.PauseUpdate)
}

// Resume lets a paused migration go on.
func (s *Service) Resume(ctx context.Context, id string) (workflows.ControlState, error) {
	return s.update(ctx, id, workflows.ResumeUpdate)
}

// Configure changes a running migration's window (maxConcurrent) and per-pool
// concurrency; the migration refuses values out of range.
func (s *Service) Configure(ctx context.Context, id string, c workflows.Configure) (workflows.ControlState, error) {
	if err := c.Validate(); err != nil {
		return workflows.ControlState{}, &RefusedError{Reason: err.Error()}
	}
	return s.update(ctx, id, workflows.ConfigureUpdate, c)
}

// RefusedError is a control the migration refused (its validator said why);
// nothing changed.
type RefusedError struct{ Reason string }

func (e *RefusedError) Error() string { return "refused: " + e.Reason }

func (s *Service) update(ctx context.Context, id, name string, args ...any) (workflows.ControlState, error) {
	var state workflows.ControlState
	if _, err := s.Migration(ctx, id); err != nil {
		return state, err
	}
	h, err := s.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID: id, UpdateName: name, Args: args, WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = h.Get(ctx, &state)
	}
	var app *temporal.ApplicationError
	switch {
	case err == nil:
		return state, nil
	case errors.As(err, &app):
		return state, &RefusedError{Reason: app.Message()}
	case notFound(err) == ErrNotFound:
		return state, fmt.Errorf("migration %s is not running: %w", id, ErrNotFound)
	}
	return state, err
}
