package main

import (
	"context"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/workflow"
)

// The no-op baseline: the same shape as a migration (children with a window
// of activities in flight), with activities that do nothing.
type noopInput struct{ Pools, PerPool, Concurrency int }

func activityName(n string) activity.RegisterOptions { return activity.RegisterOptions{Name: n} }

func noopActivity(context.Context, int) (int, error) { return 0, nil }

func noopMigration(ctx workflow.Context, in noopInput) error {
	var futures []workflow.Future
	for i := 0; i < in.Pools; i++ {
		futures = append(futures, workflow.ExecuteChildWorkflow(ctx, "NoopPool", in))
	}
	for _, f := range futures {
		if err := f.Get(ctx, nil); err != nil {
			return err
		}
	}
	return nil
}

func noopPool(ctx workflow.Context, in noopInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{StartToCloseTimeout: time.Minute})
	sel := workflow.NewSelector(ctx)
	inFlight := 0
	for i := 0; i < in.PerPool; i++ {
		sel.AddFuture(workflow.ExecuteActivity(ctx, "Noop", i), func(workflow.Future) { inFlight-- })
		inFlight++
		for inFlight >= in.Concurrency {
			sel.Select(ctx)
		}
	}
	for inFlight > 0 {
		sel.Select(ctx)
	}
	return nil
}
