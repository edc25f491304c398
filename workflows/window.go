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
	freed    int              // futures pending whose slot was freed early
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
	w.add(f, done)
	w.awaitSlot()
}

// add adds f without waiting for a slot. The function it returns frees f's
// slot before f is ready (f still runs, and done is still called): at most as
// many futures again may be pending so, beyond the window's size.
func (w *window) add(f workflow.Future, done func(workflow.Future)) (free func()) {
	counted := true
	free = func() {
		if counted {
			counted = false
			w.inFlight--
			w.freed++
			w.wake.SendAsync(true)
		}
	}
	w.sel.AddFuture(f, func(f workflow.Future) {
		if counted {
			counted = false
			w.inFlight--
		} else {
			w.freed--
		}
		done(f)
	})
	w.inFlight++
	return free
}

// awaitSlot returns once a future can be added within the window.
func (w *window) awaitSlot() {
	for (w.inFlight >= w.size || w.freed >= w.size) && w.ctx.Err() == nil {
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
	for w.inFlight > 0 || w.freed > 0 {
		w.sel.Select(w.ctx)
	}
}
