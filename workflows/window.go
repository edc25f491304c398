package workflows

import "go.temporal.io/sdk/workflow"

// window runs futures with at most size of them pending, handling each one's
// completion as it arrives. Sequential mode is a window of one.
type window struct {
	ctx      workflow.Context
	sel      workflow.Selector
	size     int
	inFlight int
}

func newWindow(ctx workflow.Context, size int) *window {
	return &window{ctx: ctx, sel: workflow.NewSelector(ctx), size: max(size, 1)}
}

// run adds f, then returns once fewer than size futures are pending, so the
// caller's next start never exceeds the window; done is called when f is ready.
func (w *window) run(f workflow.Future, done func(workflow.Future)) {
	w.sel.AddFuture(f, func(f workflow.Future) {
		w.inFlight--
		done(f)
	})
	w.inFlight++
	for w.inFlight >= w.size {
		w.sel.Select(w.ctx)
	}
}

// drain waits for every pending future.
func (w *window) drain() {
	for w.inFlight > 0 {
		w.sel.Select(w.ctx)
	}
}
