// Command bench measures a migration on the full local stack (the pinned
// Temporal dev server, workers, the R1 simulator) and prints ratios taken side
// by side in one run. It is `make bench`, not a test: it asserts nothing and
// writes its figures to bench/results.json so runs can be compared.
package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

var (
	out   = flag.String("out", "bench/results.json", "where to write the figures")
	quick = flag.Bool("quick", false, "a tenth of the sizes, to try the benchmark itself")
	only  = flag.String("only", "", "comma-separated scenarios to run ("+strings.Join(scenarioNames, ",")+"); all when empty")
)

// scenarioNames are the scenarios of a default run, in order; -only picks some.
var scenarioNames = []string{"r1", "latency", "engine", "rss", "histories", "shapes", "stricter", "bigexport"}

// Result is one figure.
type Result struct {
	Name   string  `json:"name"`
	Value  float64 `json:"value"`
	Unit   string  `json:"unit"`
	Target string  `json:"target,omitempty"`
	Met    *bool   `json:"met,omitempty"` // whether Value meets Target, where the benchmark judges it
	Note   string  `json:"note,omitempty"`
}

type bench struct {
	ctx       context.Context
	c         client.Client
	tmp       string
	results   []Result
	seq       int
	scale     int
	hostPort  string
	shapeRuns []shapeRun // for the shapes table
}

func main() {
	flag.Parse()
	log.SetFlags(log.Ltime)
	selected := map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if !slices.Contains(scenarioNames, name) {
				log.Fatalf("-only %s: no scenario %q (scenarios: %s)", *only, name, strings.Join(scenarioNames, ", "))
			}
			selected[name] = true
		}
	}
	checkShapeFlags() // a misspelt name is refused before the dev server starts
	ctx := context.Background()
	logs, err := os.CreateTemp("", "bench-temporal-*.log")
	must(err)
	srv, err := stack.StartTemporal(ctx, logs)
	must(err)
	defer srv.Stop()
	b := &bench{ctx: ctx, c: srv.Client(), tmp: must1(os.MkdirTemp("", "dpskmigrate-bench-")), scale: 1, hostPort: srv.FrontendHostPort()}
	if *quick {
		b.scale = 10
	}
	defer os.RemoveAll(b.tmp)

	scenarios := map[string]func(){
		"r1": b.r1Bound, "latency": b.latencyBound, "engine": b.engineBound, "rss": b.peakRSS,
		"histories": b.histories, "shapes": b.shapes, "stricter": b.stricterR1, "bigexport": b.bigExport,
	}
	for _, name := range scenarioNames {
		if len(selected) == 0 || selected[name] {
			scenarios[name]()
			b.write() // after each scenario: a long run that stops keeps what it measured
		}
	}
	b.print()
	b.printShapes()
	fmt.Println("figures written to", *out)
}

func (b *bench) write() {
	data, err := json.MarshalIndent(map[string]any{"when": time.Now().UTC().Format(time.RFC3339), "quick": *quick, "results": b.results}, "", "  ")
	must(err)
	must(os.MkdirAll(filepath.Dir(*out), 0o755))
	must(os.WriteFile(*out, data, 0o644))
}

func (b *bench) add(r Result) {
	log.Printf("%s = %.3f %s", r.Name, r.Value, r.Unit)
	b.results = append(b.results, r)
}

// run is one migration on a fresh simulator, task queue and in-process worker.
type run struct {
	spec   sampledata.Spec
	sim    r1sim.Options
	budget int // worker calls per minute
	// activitySlots is the worker's MaxConcurrentActivities; 0 = 200.
	activitySlots int
	opts          migrations.Options
	process       bool // worker as a separate process (for its RSS)
}

type runResult struct {
	wall            time.Duration
	res             workflows.MigrationResult
	stats           r1sim.Stats
	peakRSS         int64 // bytes, process workers only
	rows            int
	workflowID      string
	steadyPerMinute float64 // R1 calls per minute between 10% and 90% of the run's calls
	peakPerMinute   float64 // R1 calls per minute in the busiest window of peakWindow
	peakWindow      time.Duration
}

// callSamples records the simulator's served-call count over time.
type callSamples struct {
	stop  chan struct{}
	mu    sync.Mutex
	times []time.Time
	calls []int
}

func sampleCalls(sim *stack.Sim) *callSamples {
	s := &callSamples{stop: make(chan struct{})}
	go func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				return
			case now := <-t.C:
				n := r1Calls(sim.Stats())
				s.mu.Lock()
				s.times, s.calls = append(s.times, now), append(s.calls, n)
				s.mu.Unlock()
			}
		}
	}()
	return s
}

// finish stops the sampling.
func (s *callSamples) finish() {
	close(s.stop)
}

// steadyRate is the call rate while the migration is under way: between the
// moments it had made 10% and 90% of its calls (ramp-up and tail excluded).
func (s *callSamples) steadyRate() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) < 3 {
		return 0
	}
	total := s.calls[len(s.calls)-1]
	i10 := sort.SearchInts(s.calls, total/10)
	i90 := sort.SearchInts(s.calls, total*9/10)
	if i90 <= i10 || i90 >= len(s.calls) {
		return 0
	}
	return float64(s.calls[i90]-s.calls[i10]) / s.times[i90].Sub(s.times[i10]).Minutes()
}

// peakRate is the most calls made in any window of the run's samples, per
// minute, and the window used: a minute, or a third of a run shorter than
// 3 minutes (at least 10 s), so a short run still shows its bursts.
func (s *callSamples) peakRate(wall time.Duration) (float64, time.Duration) {
	window := min(time.Minute, max(10*time.Second, wall/3))
	s.mu.Lock()
	defer s.mu.Unlock()
	peak, j := 0, 0
	for i := range s.calls {
		for s.times[i].Sub(s.times[j]) > window {
			j++
		}
		peak = max(peak, s.calls[i]-s.calls[j])
	}
	return float64(peak) / window.Minutes(), window
}

func (b *bench) migrate(r run) runResult {
	out, err := b.tryMigrate(r)
	must(err)
	return out
}

// tryMigrate runs r and reports a migration that did not complete every row
// as an error, with what it measured.
func (b *bench) tryMigrate(r run) (runResult, error) {
	b.seq++
	queue := fmt.Sprintf("bench-%d-%d", time.Now().Unix(), b.seq)
	sim := stack.StartSim(r.sim)
	defer sim.Close()
	store, err := exportstore.New(filepath.Join(b.tmp, queue))
	must(err)
	cfg := sim.WorkerConfig("bench", queue, store.Dir)
	cfg.CallsPerMinute = r.budget
	cfg.MaxConcurrentActivities = cmp.Or(r.activitySlots, 200)

	var rss *rssSampler
	if r.process {
		rss = b.startWorkerProcess(cfg)
		defer rss.stop()
	} else {
		w, err := worker.New(b.c, cfg)
		must(err)
		must(w.Start())
		defer w.Stop()
	}

	export := sampledata.JSON(r.spec)
	svc := &migrations.Service{Temporal: b.c, Store: store, TaskQueue: queue}
	r.opts.Plan = cloudpath.PlanOptions{Now: time.Now().UTC()}
	start := time.Now()
	st, err := svc.Start(b.ctx, export, r.opts)
	must(err)
	samples := sampleCalls(sim)
	res, err := svc.Wait(b.ctx, st.WorkflowID)
	out := runResult{wall: time.Since(start), res: res, stats: sim.Stats(), rows: r.spec.Pools * r.spec.RowsPerPool, workflowID: st.WorkflowID}
	samples.finish()
	out.steadyPerMinute = samples.steadyRate()
	out.peakPerMinute, out.peakWindow = samples.peakRate(out.wall)
	if rss != nil {
		out.peakRSS = rss.stop()
	}
	if err != nil {
		return out, fmt.Errorf("migration %s after %s: %w", st.WorkflowID, out.wall.Round(time.Second), err)
	}
	if res.Status != workflows.StatusCompleted || res.Totals.Created != out.rows {
		return out, fmt.Errorf("migration %s did not complete: %s, %+v", st.WorkflowID, res.Status, res.Totals)
	}
	return out, nil
}

// r1Bound: the simulator at R1's 2000 calls/min with 150 ms latency, the
// worker's budget at 1900/min: how close the migration runs to its budget.
func (b *bench) r1Bound() {
	const budget = 1900
	r := b.migrate(run{
		spec:   sampledata.Spec{Pools: 20, RowsPerPool: 100 / b.scale, Seed: 101},
		sim:    r1sim.Options{RateLimitPerMinute: 2000, SendRetryAfter: true, Latency: r1sim.Latency{Median: 150 * time.Millisecond, Sigma: 0.25}, ActivityNotFoundFor: time.Second, ActivityPendingFor: time.Second},
		budget: budget,
		// Twenty pools at once: their identity-group and pool creation (which
		// waits on R1's asynchronous activities) overlaps with passphrase work.
		opts: migrations.Options{ParallelExecution: true, MaxConcurrent: 20},
	})
	calls := r1Calls(r.stats)
	perMin := float64(calls) / r.wall.Minutes()
	b.add(Result{Name: "r1_bound.calls_per_minute_over_budget", Value: perMin / budget, Unit: "ratio", Target: ">= 0.95",
		Note: fmt.Sprintf("%d R1 calls in %s at a budget of %d/min", calls, r.wall.Round(time.Second), budget)})
	b.add(Result{Name: "r1_bound.steady_calls_per_minute_over_budget", Value: r.steadyPerMinute / budget, Unit: "ratio", Target: ">= 0.95",
		Note: "between 10% and 90% of the calls: ramp-up (pool creation) and tail excluded"})
	b.add(Result{Name: "r1_bound.calls_per_passphrase", Value: float64(calls) / float64(r.rows), Unit: "calls", Target: "<= 1.02",
		Note: "all calls: ~10 per pool create its identity group and pool and wait for them"})
	b.add(Result{Name: "r1_bound.passphrase_calls_per_passphrase", Value: float64(passphraseCalls(r.stats)) / float64(r.rows), Unit: "calls", Target: "<= 1.02",
		Note: "calls on /passphrases routes (creates, reads, confirmations): identity-group and pool setup excluded"})
	b.add(Result{Name: "r1_bound.429s_received", Value: float64(r.stats.RateLimited), Unit: "responses"})
	b.add(Result{Name: "projection.10000_passphrases_at_2000_per_min", Value: float64(calls) / float64(r.rows) * 10000 / 2000, Unit: "minutes",
		Note: "calls per passphrase measured above × 10,000 ÷ R1's 2000 calls/min"})
}

// latencyBound: no rate limit, 150 ms per R1 call: what parallel mode buys.
func (b *bench) latencyBound() {
	spec := sampledata.Spec{Pools: 10, RowsPerPool: 100 / b.scale, Seed: 102}
	sim := r1sim.Options{Latency: r1sim.Latency{Median: 150 * time.Millisecond, Sigma: 0.25}, ActivityNotFoundFor: 200 * time.Millisecond, ActivityPendingFor: 200 * time.Millisecond}
	seq := b.migrate(run{spec: spec, sim: sim, budget: 100000, opts: migrations.Options{}})
	par := b.migrate(run{spec: spec, sim: sim, budget: 100000, opts: migrations.Options{ParallelExecution: true, MaxConcurrent: 5}})
	b.add(Result{Name: "latency_bound.sequential_over_parallel", Value: seq.wall.Seconds() / par.wall.Seconds(), Unit: "ratio", Target: ">= 8",
		Note: fmt.Sprintf("sequential %s, parallel (5 pools × 10 passphrases) %s", seq.wall.Round(time.Second), par.wall.Round(time.Millisecond))})
}

// engineBound: no limit, no latency: passphrases per second against no-op
// activities per second, with the same concurrency, on the same dev server.
func (b *bench) engineBound() {
	n := 5000 / b.scale
	r := b.migrate(run{spec: sampledata.Spec{Pools: 5, RowsPerPool: n / 5, Seed: 103}, sim: r1sim.Options{}, budget: 1000000,
		opts: migrations.Options{ParallelExecution: true, MaxConcurrent: 5}})
	pps := float64(n) / r.wall.Seconds()

	queue := fmt.Sprintf("bench-noop-%d", time.Now().UnixNano())
	// The same worker options as the R1 worker (see package worker), without rate limits.
	w := sdkworker.New(b.c, queue, sdkworker.Options{MaxConcurrentActivityExecutionSize: 200, MaxConcurrentActivityTaskPollers: 8})
	w.RegisterWorkflowWithOptions(noopMigration, workflow.RegisterOptions{Name: "NoopMigration"})
	w.RegisterWorkflowWithOptions(noopPool, workflow.RegisterOptions{Name: "NoopPool"})
	w.RegisterActivityWithOptions(noopActivity, activityName("Noop"))
	must(w.Start())
	defer w.Stop()
	start := time.Now()
	run, err := b.c.ExecuteWorkflow(b.ctx, client.StartWorkflowOptions{TaskQueue: queue}, "NoopMigration", noopInput{Pools: 5, PerPool: n / 5, Concurrency: 10})
	must(err)
	must(run.Get(b.ctx, nil))
	aps := float64(n) / time.Since(start).Seconds()
	b.add(Result{Name: "engine_bound.passphrases_per_second_over_noop_activities_per_second", Value: pps / aps, Unit: "ratio", Target: ">= 0.7",
		Note: fmt.Sprintf("%.0f passphrases/s vs %.0f no-op activities/s (5 child workflows × 10 in flight)", pps, aps)})
}

// peakRSS: a 10,000-passphrase, 100-pool migration with the worker in its own
// process; its peak RSS and wall time against the floor the budget allows
// (6000 calls/min: within what the engine sustains, so the budget binds).
func (b *bench) peakRSS() {
	const budget = 6000
	r := b.migrate(run{spec: sampledata.Spec{Pools: 100, RowsPerPool: 100 / b.scale, Seed: 104}, sim: r1sim.Options{}, budget: budget,
		opts: migrations.Options{ParallelExecution: true, MaxConcurrent: 10}, process: true})
	b.add(Result{Name: "rss.worker_peak_rss", Value: float64(r.peakRSS) / (1 << 20), Unit: "MiB", Target: "<= 150",
		Note: fmt.Sprintf("%d passphrases in %d pools", r.rows, 100)})
	calls := r1Calls(r.stats)
	floor := time.Duration(float64(calls) / budget * float64(time.Minute))
	b.add(Result{Name: "rss.wall_over_budget_floor", Value: r.wall.Seconds() / floor.Seconds(), Unit: "ratio",
		Note: fmt.Sprintf("wall %s, floor %s (%d calls at %d/min)", r.wall.Round(time.Second), floor.Round(time.Second), calls, budget)})
}

// passphraseCalls counts the calls on passphrase routes, 429s included.
func passphraseCalls(s r1sim.Stats) int {
	n := 0
	for op, c := range s.Calls {
		if strings.Contains(op, "/passphrases") {
			n += c
		}
	}
	return n
}

// r1Calls counts the R1 calls that R1 served: no token calls, no 429s.
func r1Calls(s r1sim.Stats) int { return s.TotalCalls - s.TokensIssued - s.RateLimited }

// histories: the event counts of the largest parent and pool histories for a
// 12,000-row single pool and for a 100-pool export.
func (b *bench) histories() {
	for _, tc := range []struct {
		name string
		spec sampledata.Spec
		opts migrations.Options
	}{
		{"12000_row_pool", sampledata.Spec{Pools: 1, RowsPerPool: 12000 / b.scale, Seed: 105}, migrations.Options{ParallelExecution: true, PassphraseConcurrency: 50}},
		{"100_pools", sampledata.Spec{Pools: 100, RowsPerPool: 20, Seed: 106}, migrations.Options{ParallelExecution: true, MaxConcurrent: 20}},
	} {
		r := b.migrate(run{spec: tc.spec, sim: r1sim.Options{}, budget: 1000000, opts: tc.opts})
		hs, err := stack.MeasureHistories(b.ctx, b.c, r.workflowID)
		must(err)
		b.add(Result{Name: "histories." + tc.name + ".max_pool_events", Value: float64(hs.MaxPoolEvents), Unit: "events", Target: "< 10000",
			Note: fmt.Sprintf("%d pool runs (%d max for one pool)", hs.PoolRuns, hs.MaxPoolRunsOfOnePool)})
		b.add(Result{Name: "histories." + tc.name + ".max_parent_events", Value: float64(hs.MaxParentEvents), Unit: "events", Target: "< 10000",
			Note: fmt.Sprintf("%d parent runs", hs.ParentRuns)})
	}
}

func (b *bench) print() {
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "\nFIGURE\tVALUE\tUNIT\tTARGET\tMET\tNOTE")
	for _, r := range b.results {
		judged := ""
		if r.Met != nil {
			judged = verdict(*r.Met)
		}
		fmt.Fprintf(tw, "%s\t%.3f\t%s\t%s\t%s\t%s\n", r.Name, r.Value, r.Unit, r.Target, judged, r.Note)
	}
	tw.Flush()
}

// startWorkerProcess runs cmd/worker as its own process and samples its RSS.
func (b *bench) startWorkerProcess(cfg worker.Config) *rssSampler {
	bin := filepath.Join(b.tmp, "worker")
	if _, err := os.Stat(bin); err != nil {
		out, err := exec.Command("go", "build", "-o", bin, "./cmd/worker").CombinedOutput()
		if err != nil {
			log.Fatalf("building the worker: %v\n%s", err, out)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+b.hostPort,
		"DPSKMIGRATE_TASK_QUEUE="+cfg.TaskQueue, "DPSKMIGRATE_EXPORT_DIR="+cfg.ExportDir,
		"R1_BASE_URL="+cfg.R1.BaseURL, "R1_TENANT_ID="+cfg.R1.TenantID, "R1_CLIENT_ID="+cfg.R1.ClientID, "R1_CLIENT_SECRET="+cfg.R1.ClientSecret,
		"R1_CALLS_PER_MINUTE="+strconv.Itoa(cfg.CallsPerMinute), "WORKER_MAX_CONCURRENT_ACTIVITIES="+strconv.Itoa(cfg.MaxConcurrentActivities),
		"LOG_LEVEL=warn")
	cmd.Stderr = os.Stderr
	must(cmd.Start())
	s := &rssSampler{cmd: cmd, done: make(chan struct{})}
	go s.sample()
	time.Sleep(time.Second)
	return s
}

type rssSampler struct {
	cmd  *exec.Cmd
	done chan struct{}
	peak int64
	once bool
}

func (s *rssSampler) sample() {
	t := time.NewTicker(50 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if v := readRSS(s.cmd.Process.Pid); v > s.peak {
				s.peak = v
			}
		}
	}
}

func (s *rssSampler) stop() int64 {
	if !s.once {
		s.once = true
		// VmHWM is the kernel's own high-water mark; take it before stopping.
		if hwm := readStatus(s.cmd.Process.Pid, "VmHWM:"); hwm > s.peak {
			s.peak = hwm
		}
		close(s.done)
		_ = s.cmd.Process.Kill()
		_, _ = s.cmd.Process.Wait()
	}
	return s.peak
}

func readRSS(pid int) int64 { return readStatus(pid, "VmRSS:") }

func readStatus(pid int, field string) int64 {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func must(err error) {
	if err != nil {
		log.Fatal(err)
	}
}

func must1[T any](v T, err error) T {
	must(err)
	return v
}
