package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// Live control of a running migration, through Workflow Updates on the
// migration (validated, answered, refused without a history event). The
// migration passes pause, resume and new concurrency on to its running pools
// by signal.
const (
	PauseUpdate       = "pause"
	ResumeUpdate      = "resume"
	ConfigureUpdate   = "configure"
	PoolControlSignal = "pool-control" // migration → pool: ControlState
)

// ControlState is a migration's (or pool's) live settings.
type ControlState struct {
	Paused                bool      `json:"paused"`
	PausedSince           time.Time `json:"pausedSince,omitzero"`
	MaxConcurrent         int       `json:"maxConcurrent,omitempty"`
	PassphraseConcurrency int       `json:"passphraseConcurrency,omitempty"`
}

// Configure changes a running migration's window and per-pool concurrency;
// nil fields are left alone.
type Configure struct {
	MaxConcurrent         *int `json:"maxConcurrent,omitempty"`
	PassphraseConcurrency *int `json:"passphraseConcurrency,omitempty"`
}

// Validate refuses values out of range with what is allowed.
func (c Configure) Validate() error {
	if c.MaxConcurrent == nil && c.PassphraseConcurrency == nil {
		return errors.New("configure changes nothing: give maxConcurrent and/or passphraseConcurrency")
	}
	if n := c.MaxConcurrent; n != nil && (*n < 1 || *n > MaxMaxConcurrent) {
		return fmt.Errorf("maxConcurrent %d is out of range: use 1 to %d", *n, MaxMaxConcurrent)
	}
	if n := c.PassphraseConcurrency; n != nil && (*n < 1 || *n > MaxPassphraseConcurrency) {
		return fmt.Errorf("passphraseConcurrency %d is out of range: use 1 to %d", *n, MaxPassphraseConcurrency)
	}
	return nil
}

// control installs the migration's update handlers.
func (m *migration) control(ctx workflow.Context) error {
	notEnded := func() error {
		if m.final != "" {
			return fmt.Errorf("the migration has ended (%s)", m.final)
		}
		return nil
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, PauseUpdate, func(ctx workflow.Context) (ControlState, error) {
		if !m.st.Control.Paused {
			m.st.Control.Paused, m.st.Control.PausedSince = true, workflow.Now(ctx).UTC()
			m.pausedSearchAttribute(ctx)
			m.tellPools(ctx)
			m.showDetails(ctx)
		}
		return m.st.Control, nil
	}, workflow.UpdateHandlerOptions{Validator: func() error { return notEnded() }}); err != nil {
		return err
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ResumeUpdate, func(ctx workflow.Context) (ControlState, error) {
		if m.st.Control.Paused {
			m.st.Control.Paused, m.st.Control.PausedSince = false, time.Time{}
			m.pausedSearchAttribute(ctx)
			m.tellPools(ctx)
			m.showDetails(ctx)
		}
		return m.st.Control, nil
	}, workflow.UpdateHandlerOptions{Validator: func() error { return notEnded() }}); err != nil {
		return err
	}
	return workflow.SetUpdateHandlerWithOptions(ctx, ConfigureUpdate, func(ctx workflow.Context, c Configure) (ControlState, error) {
		if c.MaxConcurrent != nil {
			// A sequential migration given a window becomes parallel.
			m.st.Control.MaxConcurrent = *c.MaxConcurrent
			if m.window != nil {
				m.window.resize(*c.MaxConcurrent)
			}
		}
		if c.PassphraseConcurrency != nil {
			m.st.Control.PassphraseConcurrency = *c.PassphraseConcurrency
		}
		m.tellPools(ctx)
		m.showDetails(ctx)
		return m.st.Control, nil
	}, workflow.UpdateHandlerOptions{Validator: func(c Configure) error {
		if err := notEnded(); err != nil {
			return err
		}
		return c.Validate()
	}})
}

// tellPools passes the live settings on to every running pool.
func (m *migration) tellPools(ctx workflow.Context) {
	for _, r := range m.running {
		_ = workflow.SignalExternalWorkflow(ctx, r.WorkflowID, "", PoolControlSignal, m.st.Control).Get(ctx, nil)
	}
}

// awaitRunning blocks while the migration is paused.
func (m *migration) awaitRunning(ctx workflow.Context) {
	_ = workflow.Await(ctx, func() bool { return !m.st.Control.Paused })
}

// listenForControl applies the migration's control signals to a pool: pause
// and resume, and the per-pool concurrency.
func (p *poolRun) listenForControl(ctx workflow.Context) {
	ch := workflow.GetSignalChannel(ctx, PoolControlSignal)
	workflow.Go(ctx, func(gctx workflow.Context) {
		for {
			var c ControlState
			if !ch.Receive(gctx, &c) {
				return
			}
			p.applyControl(ctx, c)
		}
	})
}

func (p *poolRun) applyControl(ctx workflow.Context, c ControlState) {
	now := workflow.Now(ctx)
	switch {
	case c.Paused && !p.paused():
		p.st.PausedAt = now.Unix()
	case !c.Paused && p.paused():
		p.st.PausedFor += now.Unix() - p.st.PausedAt
		p.st.PausedAt = 0
	}
	if c.PassphraseConcurrency > 0 {
		p.in.PassphraseConcurrency = c.PassphraseConcurrency
		if p.window != nil {
			p.window.resize(c.PassphraseConcurrency)
		}
	}
	p.showDetails(ctx)
}

func (p *poolRun) paused() bool { return p.st.PausedAt != 0 }

// awaitRunning blocks while the pool is paused: no new R1 call starts.
func (p *poolRun) awaitRunning(ctx workflow.Context) {
	if p.paused() {
		_ = workflow.Await(ctx, func() bool { return !p.paused() })
	}
}

// activeNow is the pool's clock with its paused time taken out: deadlines
// measured on it are frozen while the migration is paused, so a long pause
// never fails a row R1 accepted.
func (p *poolRun) activeNow(ctx workflow.Context) time.Time {
	paused := p.st.PausedFor
	if p.paused() {
		paused += workflow.Now(ctx).Unix() - p.st.PausedAt
	}
	return workflow.Now(ctx).Add(-time.Duration(paused) * time.Second)
}
