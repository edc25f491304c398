// Package worker builds the dpskmigrate Temporal workers: one on the workflow
// task queue (workflows and the plan activity) and one on its R1 queue (every
// activity that calls R1), whose activity rate limits are the tenant's R1 call
// budget. It also dials Temporal from the standard TEMPORAL_* settings.
package worker

import (
	"context"
	"fmt"
	"go.temporal.io/api/operatorservice/v1"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Workers are the two Temporal workers of one process.
type Workers struct {
	Workflows sdkworker.Worker // TaskQueue: workflows + plan activity
	R1        sdkworker.Worker // R1TaskQueue: R1 calls, rate limited

	budget     *budgetGauge // nil without metrics
	stopBudget context.CancelFunc
	budgetDone chan struct{}
}

// RegisterWorkflows registers the workflows under their public names.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.MigrationWorkflow, workflow.RegisterOptions{Name: workflows.MigrationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.PoolWorkflow, workflow.RegisterOptions{Name: workflows.PoolWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.VerifyWorkflow, workflow.RegisterOptions{Name: workflows.VerifyWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.VerifyPoolWorkflow, workflow.RegisterOptions{Name: workflows.VerifyPoolWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.RollbackWorkflow, workflow.RegisterOptions{Name: workflows.RollbackWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.RollbackPoolWorkflow, workflow.RegisterOptions{Name: workflows.RollbackPoolWorkflowName})
}

// New builds the workers from cfg on client c. Call Start or Run on the result.
func New(c client.Client, cfg Config) (*Workers, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	store, err := exportstore.New(cfg.ExportDir)
	if err != nil {
		return nil, err
	}
	r1cfg := cfg.R1
	r1cfg.Logger = cfg.Logger
	if cfg.Metrics != nil {
		r1cfg.Observe = cfg.Metrics.ObserveR1
		cfg.Metrics.SetR1Budget(float64(cfg.CallsPerMinute))
	}
	r1, err := r1client.New(r1cfg)
	if err != nil {
		return nil, fmt.Errorf("R1 client: %w", err)
	}
	acts := activities.New(r1, store)
	acts.Temporal = c

	// Without a stop timeout the SDK cancels running activities as soon as
	// Stop is called: R1 calls in flight would be cut off on every SIGTERM.
	stopTimeout := cfg.stopTimeout()
	wf := sdkworker.New(c, cfg.TaskQueue, sdkworker.Options{
		WorkerStopTimeout: stopTimeout,
		// A parallel migration is up to 20 pool workflows and their migration,
		// each woken by every R1 call it makes: two pollers (the SDK's default)
		// leave pools waiting for their next workflow task while budget idles.
		MaxConcurrentWorkflowTaskPollers: 8,
	})
	RegisterWorkflows(wf)
	wf.RegisterActivity(acts.Plan)
	wf.RegisterActivity(acts.PoolRecords) // reads Temporal, not R1: off the rate-limited queue
	wf.RegisterActivity(acts.PlanRows)    // no R1 call: it must not spend the budget

	perSecond := float64(cfg.CallsPerMinute) / 60
	r1w := sdkworker.New(c, workflows.R1TaskQueue(cfg.TaskQueue), sdkworker.Options{
		// Enforced by the server across every worker of the queue: the tenant's budget.
		TaskQueueActivitiesPerSecond: perSecond,
		// This process's share; equal to the budget unless configured lower.
		WorkerActivitiesPerSecond:          cfg.workerActivitiesPerSecond(),
		MaxConcurrentActivityExecutionSize: cfg.MaxConcurrentActivities,
		// The server splits the queue's rate across its partitions (four by
		// default); keep every partition polled so none wastes its share.
		MaxConcurrentActivityTaskPollers: 8,
		DisableWorkflowWorker:            true,
		WorkerStopTimeout:                stopTimeout,
	})
	r1w.RegisterActivity(acts) // every method: the per-row calls, ImportPassphrases (one CSV upload) and the rest
	w := &Workers{Workflows: wf, R1: r1w}
	if cfg.Metrics != nil {
		w.budget = &budgetGauge{c: c, namespace: cfg.Namespace, queue: workflows.R1TaskQueue(cfg.TaskQueue),
			every: cfg.budgetRefresh(), m: cfg.Metrics, logger: cfg.Logger}
	}
	return w, nil
}

// Start starts both workers.
func (w *Workers) Start() error {
	if err := w.Workflows.Start(); err != nil {
		return err
	}
	if err := w.R1.Start(); err != nil {
		w.Workflows.Stop()
		return err
	}
	if w.budget != nil {
		ctx, cancel := context.WithCancel(context.Background())
		w.stopBudget, w.budgetDone = cancel, make(chan struct{})
		go func() {
			defer close(w.budgetDone)
			w.budget.run(ctx)
		}()
	}
	return nil
}

// Stop stops both workers, letting running activities finish within the
// workers' stop timeout (Config.StopTimeout). The two stop at once, so the
// whole stop takes at most one stop timeout.
func (w *Workers) Stop() {
	var wg sync.WaitGroup
	wg.Go(w.R1.Stop)
	wg.Go(w.Workflows.Stop)
	wg.Wait()
	if w.stopBudget != nil {
		w.stopBudget()
		<-w.budgetDone
	}
}

// Dial connects to Temporal using the standard settings: TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* (and a temporal.toml
// profile when TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE are set). Payloads and
// failure messages are encrypted with the key ring of
// DPSKMIGRATE_CODEC_KEYS / DPSKMIGRATE_CODEC_KEY_FILE when one is set (see
// payloadcrypt), so every worker and client of ours reads the same histories.
func Dial(logger *slog.Logger) (client.Client, error) { return DialWithMetrics(logger, nil) }

// DialWithMetrics is Dial with the SDK's metrics (and the workflows' own)
// sent to handler (internal/metrics' TemporalHandler); nil = none.
func DialWithMetrics(logger *slog.Logger, handler client.MetricsHandler) (client.Client, error) {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return nil, fmt.Errorf("temporal client settings: %w", err)
	}
	ring, err := payloadcrypt.FromEnv(os.Getenv)
	if err != nil {
		return nil, fmt.Errorf("payload encryption: %w", err)
	}
	payloadcrypt.ApplyTo(&opts, ring)
	if logger != nil {
		opts.Logger = log.NewStructuredLogger(logger)
	}
	if handler != nil {
		opts.MetricsHandler = handler
	}
	c, err := client.Dial(opts)
	if err != nil {
		addr := opts.HostPort
		if addr == "" {
			addr = client.DefaultHostPort
		}
		return nil, fmt.Errorf("cannot reach Temporal at %s (set TEMPORAL_ADDRESS, or start a dev server with `make dev`): %w", addr, err)
	}
	return c, nil
}

// CheckSearchAttributes refuses to run workflows that would stop at their
// first search-attribute upsert: it says which of the workflows' search
// attributes the namespace lacks, and the commands that register them.
func CheckSearchAttributes(ctx context.Context, c client.Client, namespace string) error {
	if namespace == "" {
		namespace = "default"
	}
	resp, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: namespace})
	if err != nil {
		return fmt.Errorf("listing the search attributes of namespace %s: %w", namespace, err)
	}
	var missing []string
	for _, name := range slices.Sorted(maps.Keys(workflows.SearchAttributes)) {
		if _, ok := resp.GetCustomAttributes()[name]; !ok {
			missing = append(missing, fmt.Sprintf("  temporal operator search-attribute create --namespace %s --name %s --type %s", namespace, name, workflows.SearchAttributes[name]))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("namespace %s lacks the search attributes dpskmigrate's workflows set; register them once (an admin of the namespace), then start the worker again:\n%s", namespace, strings.Join(missing, "\n"))
	}
	return nil
}
