package activities

import (
	"bytes"
	"encoding/json"
	"errors"
	"sync"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
)

// plannedExport is a parsed and planned export, indexed for row lookups.
type plannedExport struct {
	plan  *cloudpath.Plan
	units map[string]*cloudpath.PoolUnit
	rows  int
}

// planCache keeps the most recently used plans so that the thousands of
// passphrase activities of a migration parse the export once per worker.
// Concurrent requests for the same plan wait for one load.
type planCache struct {
	store *exportstore.Store
	size  int

	mu      sync.Mutex
	entries map[string]*planEntry
	order   []string // least recently used first
}

type planEntry struct {
	ready chan struct{}
	val   *plannedExport
	err   error
}

func newPlanCache(store *exportstore.Store, size int) *planCache {
	return &planCache{store: store, size: size, entries: map[string]*planEntry{}}
}

func (c *planCache) get(in ExportInput) (*plannedExport, error) {
	opts, err := json.Marshal(in.Plan)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("plan options: "+err.Error(), ErrExportInvalid, nil)
	}
	// The reference is checked even when its plan is cached: a path outside
	// the store is refused every time, not only on a cache miss.
	if _, err := c.store.Path(in.Export); err != nil {
		return nil, temporal.NewNonRetryableApplicationError("load export: "+err.Error(), ErrExportInvalid, nil)
	}
	key := in.Export.SHA256 + "|" + string(opts)

	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &planEntry{ready: make(chan struct{})}
		c.entries[key] = e
		c.evictLocked()
	}
	c.touchLocked(key)
	c.mu.Unlock()

	if !ok {
		e.val, e.err = c.load(in)
		close(e.ready)
		if e.err != nil {
			c.mu.Lock()
			delete(c.entries, key) // let a later attempt try again
			c.mu.Unlock()
		}
	}
	<-e.ready
	return e.val, e.err
}

func (c *planCache) touchLocked(key string) {
	for i, k := range c.order {
		if k == key {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	c.order = append(c.order, key)
}

func (c *planCache) evictLocked() {
	for len(c.order) >= c.size {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *planCache) load(in ExportInput) (*plannedExport, error) {
	data, err := c.store.Load(in.Export)
	if _, refused := errors.AsType[*exportstore.RefusedError](err); refused {
		// A reference outside the store, a link, a changed file: no retry helps.
		return nil, temporal.NewNonRetryableApplicationError("load export: "+err.Error(), ErrExportInvalid, nil)
	}
	if err != nil {
		// A missing store directory may be a mount that is not there yet: retry.
		return nil, temporal.NewApplicationError("load export: "+err.Error(), ErrExportUnavailable)
	}
	exp, err := cloudpath.Parse(bytes.NewReader(data), cloudpath.ParseOptions{})
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("parse export: "+err.Error(), ErrExportInvalid, nil)
	}
	plan, err := cloudpath.NewPlan(exp, in.Plan)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError("plan export: "+err.Error(), ErrExportInvalid, nil)
	}
	p := &plannedExport{plan: plan, units: make(map[string]*cloudpath.PoolUnit, len(plan.Units))}
	for i := range plan.Units {
		p.units[plan.Units[i].Key] = &plan.Units[i]
		p.rows += len(plan.Units[i].Rows)
	}
	return p, nil
}
