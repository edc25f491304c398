package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
)

// The shapes scenario measures each export shape against the physical limit
// of a migration, R1's budget: at B calls per minute, P passphrases in G new
// pools need at least (P + 2·G) / B minutes (one create per passphrase, per
// identity group and per pool; every other call is overhead).

var (
	shapesFlag = flag.String("shapes", "", "comma-separated shapes of the shapes scenario (100x100,10x1000,1x12000,1000x10,100x100-noexpiry); all when empty")
	leversFlag = flag.String("levers", "", "comma-separated lever sets the shapes run under (current,baseline,bulk-import); all a shape takes when empty")
)

// shape is an export shape and its goals.
type shape struct {
	name                  string
	pools, rowsPerPool    int
	minEfficiency         float64  // floor time ÷ wall time
	maxCallsPerPassphrase float64  // R1 calls served over the whole run ÷ passphrases
	noExpiry              bool     // rows without expiry dates (all of them fit R1's CSV import)
	levers                []string // the lever sets it runs under; nil: current and baseline
}

var exportShapes = []shape{
	{name: "100x100", pools: 100, rowsPerPool: 100, minEfficiency: 0.95, maxCallsPerPassphrase: 1.03},
	{name: "10x1000", pools: 10, rowsPerPool: 1000, minEfficiency: 0.95, maxCallsPerPassphrase: 1.02},
	{name: "1x12000", pools: 1, rowsPerPool: 12000, minEfficiency: 0.95, maxCallsPerPassphrase: 1.01},
	{name: "1000x10", pools: 1000, rowsPerPool: 10, minEfficiency: 0.85, maxCallsPerPassphrase: 1.3},
	// Below the per-call floor: R1's CSV import, on an export it can carry whole.
	{name: "100x100-noexpiry", pools: 100, rowsPerPool: 100, minEfficiency: 0.95, maxCallsPerPassphrase: 1.03, noExpiry: true, levers: []string{"current", "bulk-import"}},
}

// floorTime is the fastest a migration of passphrases into pools new pools
// can be at budget R1 calls per minute: one create per passphrase, per
// identity group and per pool.
func floorTime(passphrases, pools, budget int) time.Duration {
	return time.Duration(float64(passphrases+2*pools) / float64(budget) * float64(time.Minute))
}

// scaled is the shape at a tenth of its passphrases for -quick: a tenth of
// the pools where there are several (each pool keeps its size, so the
// per-pool overhead weighs the same), else a tenth of the rows.
func (s shape) scaled(scale int) shape {
	if s.pools > 1 {
		s.pools = max(1, s.pools/scale)
	} else {
		s.rowsPerPool = max(1, s.rowsPerPool/scale)
	}
	return s
}

// leverSet is one configuration of the migration's efficiency levers: the
// shapes run under each selected set, side by side, one column per set.
type leverSet struct {
	name  string
	apply func(*migrations.Options) // sets the options that turn levers on or off
}

// leverSets are the designs compared in one run: the current one, and the
// baseline before the floor levers (each pool looks up, waits and reads for
// itself; no survey, shared waits or unread sends).
var leverSets = []leverSet{
	{name: "current", apply: func(*migrations.Options) {}},
	{name: "baseline", apply: func(o *migrations.Options) { o.PerPoolReads = true }},
	{name: "bulk-import", apply: func(o *migrations.Options) { o.BulkImport = true }},
}

// runsUnder reports whether the shape runs under the lever set.
func (s shape) runsUnder(levers string) bool {
	if s.levers == nil {
		return levers == "current" || levers == "baseline"
	}
	return slices.Contains(s.levers, levers)
}

// checkShapeFlags refuses an unknown -shapes or -levers name before anything runs.
func checkShapeFlags() {
	pick("-shapes", *shapesFlag, exportShapes, func(s shape) string { return s.name })
	pick("-levers", *leversFlag, leverSets, func(l leverSet) string { return l.name })
}

// shapeRun is what one shape measured under one lever set.
type shapeRun struct {
	shape        shape
	levers       string
	floor, wall  time.Duration
	efficiency   float64
	callsPerPass float64
	rateLimited  int
	peakPerMin   float64
	peakWindow   time.Duration
	hs           stack.HistorySizes
}

// shapes runs every selected shape under every selected lever set, each on a
// fresh simulator and task queue: R1 at its 2000 calls/min with a 100 ms
// median latency and writes visible after 2 s, the worker at its default
// budget and slots, --parallel --max-concurrent 20.
func (b *bench) shapes() {
	budget := worker.DefaultCallsPerMinute
	for _, sh := range pick("-shapes", *shapesFlag, exportShapes, func(s shape) string { return s.name }) {
		seed := 201 + slices.IndexFunc(exportShapes, func(s shape) bool { return s.name == sh.name })
		sh = sh.scaled(b.scale)
		for _, ls := range pick("-levers", *leversFlag, leverSets, func(l leverSet) string { return l.name }) {
			if !sh.runsUnder(ls.name) {
				continue
			}
			opts := migrations.Options{ParallelExecution: true, MaxConcurrent: 20}
			ls.apply(&opts)
			log.Printf("shape %s (%d pools × %d), levers %s", sh.name, sh.pools, sh.rowsPerPool, ls.name)
			r := b.migrate(run{
				// The same export and simulator seed under every lever set.
				spec: sampledata.Spec{Pools: sh.pools, RowsPerPool: sh.rowsPerPool, Seed: seed, NoExpiry: sh.noExpiry},
				sim: r1sim.Options{RateLimitPerMinute: 2000, SendRetryAfter: true,
					Latency:             r1sim.Latency{Median: 100 * time.Millisecond, Sigma: 0.25},
					VisibilityDelay:     2 * time.Second,
					ActivityNotFoundFor: time.Second, ActivityPendingFor: time.Second, Seed: int64(seed)},
				budget:        budget,
				activitySlots: worker.DefaultMaxConcurrentActivities,
				opts:          opts,
			})
			hs, err := stack.MeasureHistories(b.ctx, b.c, r.workflowID)
			must(err)
			passphrases := sh.pools * sh.rowsPerPool
			floor := floorTime(passphrases, sh.pools, budget)
			sr := shapeRun{shape: sh, levers: ls.name, floor: floor, wall: r.wall, efficiency: floor.Seconds() / r.wall.Seconds(),
				callsPerPass: float64(r1Calls(r.stats)) / float64(passphrases), rateLimited: r.stats.RateLimited,
				peakPerMin: r.peakPerMinute, peakWindow: r.peakWindow, hs: hs}
			b.shapeRuns = append(b.shapeRuns, sr)
			b.addShapeResults(sr, budget)
		}
	}
}

func (b *bench) addShapeResults(r shapeRun, budget int) {
	name := fmt.Sprintf("shapes.%s.%s.", r.shape.name, r.levers)
	about := fmt.Sprintf("%d pools × %d passphrases", r.shape.pools, r.shape.rowsPerPool)
	b.add(Result{Name: name + "efficiency", Value: r.efficiency, Unit: "ratio", Target: fmt.Sprintf(">= %.2f", r.shape.minEfficiency),
		Met:  met(r.efficiency >= r.shape.minEfficiency),
		Note: fmt.Sprintf("%s: floor %s ((P + 2·G) / %d per min) ÷ wall %s", about, r.floor.Round(time.Second), budget, r.wall.Round(time.Second))})
	b.add(Result{Name: name + "floor", Value: r.floor.Seconds(), Unit: "s"})
	b.add(Result{Name: name + "wall", Value: r.wall.Seconds(), Unit: "s", Note: "from the start to the migration's result"})
	b.add(Result{Name: name + "calls_per_passphrase", Value: r.callsPerPass, Unit: "calls", Target: fmt.Sprintf("<= %.2f", r.shape.maxCallsPerPassphrase),
		Met: met(r.callsPerPass <= r.shape.maxCallsPerPassphrase), Note: "R1 calls served over the whole run (429s excluded) ÷ passphrases"})
	b.add(Result{Name: name + "429s_received", Value: float64(r.rateLimited), Unit: "responses", Target: "= 0", Met: met(r.rateLimited == 0)})
	b.add(Result{Name: name + "peak_calls_per_minute", Value: r.peakPerMin, Unit: "calls/min",
		Note: fmt.Sprintf("busiest %s window; budget %d, R1 2000", r.peakWindow.Round(time.Second), budget)})
	b.add(Result{Name: name + "max_pool_events", Value: float64(r.hs.MaxPoolEvents), Unit: "events", Target: "< 10000", Met: met(r.hs.MaxPoolEvents < 10000),
		Note: fmt.Sprintf("the largest of %d pool runs", r.hs.PoolRuns)})
	b.add(Result{Name: name + "max_parent_events", Value: float64(r.hs.MaxParentEvents), Unit: "events", Target: "< 10000", Met: met(r.hs.MaxParentEvents < 10000),
		Note: fmt.Sprintf("the largest of %d parent runs", r.hs.ParentRuns)})
}

// printShapes prints the shapes table: per shape its figures, the goal, and
// one column per lever set.
func (b *bench) printShapes() {
	if len(b.shapeRuns) == 0 {
		return
	}
	var sets []string
	for _, r := range b.shapeRuns {
		if !slices.Contains(sets, r.levers) {
			sets = append(sets, r.levers)
		}
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nSHAPE\tFIGURE\tGOAL\t%s\n", strings.Join(sets, "\t"))
	var order []string
	byShape := map[string]map[string]shapeRun{}
	for _, r := range b.shapeRuns {
		if byShape[r.shape.name] == nil {
			byShape[r.shape.name] = map[string]shapeRun{}
			order = append(order, r.shape.name)
		}
		byShape[r.shape.name][r.levers] = r
	}
	for _, name := range order {
		runs := byShape[name]
		var sh shape
		for _, r := range runs {
			sh = r.shape
		}
		label := sh.name
		if b.scale > 1 {
			label = fmt.Sprintf("%s at a tenth: %d × %d", sh.name, sh.pools, sh.rowsPerPool)
		}
		rows := []struct {
			figure, goal string
			cell         func(shapeRun) string
		}{
			{"efficiency", fmt.Sprintf(">= %.2f", sh.minEfficiency), func(r shapeRun) string {
				return fmt.Sprintf("%.3f %s", r.efficiency, verdict(r.efficiency >= sh.minEfficiency))
			}},
			{"floor / wall", "", func(r shapeRun) string {
				return fmt.Sprintf("%s / %s", r.floor.Round(time.Second), r.wall.Round(time.Second))
			}},
			{"R1 calls per passphrase", fmt.Sprintf("<= %.2f", sh.maxCallsPerPassphrase), func(r shapeRun) string {
				return fmt.Sprintf("%.3f %s", r.callsPerPass, verdict(r.callsPerPass <= sh.maxCallsPerPassphrase))
			}},
			{"429s", "= 0", func(r shapeRun) string { return fmt.Sprintf("%d %s", r.rateLimited, verdict(r.rateLimited == 0)) }},
			{"peak calls/min", "", func(r shapeRun) string {
				return fmt.Sprintf("%.0f (%s window)", r.peakPerMin, r.peakWindow.Round(time.Second))
			}},
			{"largest pool / parent run", "< 10000 events", func(r shapeRun) string {
				return fmt.Sprintf("%d / %d %s", r.hs.MaxPoolEvents, r.hs.MaxParentEvents, verdict(r.hs.MaxPoolEvents < 10000 && r.hs.MaxParentEvents < 10000))
			}},
		}
		for i, row := range rows {
			cells := make([]string, len(sets))
			for j, set := range sets {
				if r, ok := runs[set]; ok {
					cells[j] = row.cell(r)
				}
			}
			if i > 0 {
				label = ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", label, row.figure, row.goal, strings.Join(cells, "\t"))
		}
	}
	tw.Flush()
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

func met(ok bool) *bool { return &ok }

// pick returns the items a comma-separated flag names, in their own order;
// all of them when the flag is empty.
func pick[T any](flagName, value string, items []T, name func(T) string) []T {
	if strings.TrimSpace(value) == "" {
		return items
	}
	var names []string
	for _, it := range items {
		names = append(names, name(it))
	}
	want := map[string]bool{}
	for _, n := range strings.Split(value, ",") {
		n = strings.TrimSpace(n)
		if !slices.Contains(names, n) {
			log.Fatalf("%s %s: no %q (choose from %s)", flagName, value, n, strings.Join(names, ", "))
		}
		want[n] = true
	}
	var out []T
	for _, it := range items {
		if want[name(it)] {
			out = append(out, it)
		}
	}
	return out
}
