package workflows

import "go.temporal.io/sdk/workflow"

// window runs futures with at most size of them pending, handling each one's
// completion as it arrives. Sequential mode is a window of one. Its size can
// change while it runs (configure): a larger window starts more at once, a
// smaller one waits until enough have finished.
type window struct {
	ctx      workflow.Context
	sel      workflow.Selector
	size     int
	inFlight int
	wake     workflow.Channel // a resize wakes a run waiting for a slot
}

func newWindow(ctx workflow.Context, size int) *window {
	w := &window{ctx: ctx, sel: workflow.NewSelector(ctx), size: max(size, 1), wake: workflow.NewBufferedChannel(ctx, 1)}
	w.sel.AddReceive(w.wake, func(c workflow.ReceiveChannel, _ bool) { c.ReceiveAsync(nil) })
	return w
}

// run adds f, then returns once fewer than size futures are pending, so the
// caller's next start never exceeds the window; done is called when f is ready.
func (w *window) run(f workflow.Future, done func(workflow.Future)) {
	w.sel.AddFuture(f, func(f workflow.Future) {
		w.inFlight--
		done(f)
	})
	w.inFlight++
	for w.inFlight >= w.size && w.ctx.Err() == nil {
		w.sel.Select(w.ctx)
	}
}

// resize changes the window's size from the next start on.
func (w *window) resize(size int) {
	w.size = max(size, 1)
	w.wake.SendAsync(true)
}

// drain waits for every pending future.
func (w *window) drain() {
	for w.inFlight > 0 {
		w.sel.Select(w.ctx)
	}
}
