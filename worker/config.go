package worker

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// Defaults.
const (
	// DefaultCallsPerMinute is 90% of R1's 2000 calls per minute per tenant,
	// leaving room for people using the R1 UI during a migration.
	DefaultCallsPerMinute          = 1800
	DefaultMaxConcurrentActivities = 50
	DefaultR1Timeout               = 15 * time.Second
	// DefaultStopTimeout is how long a stopping worker lets the R1 calls in
	// flight finish before the SDK cancels them. It covers one activity
	// execution at the default R1_TIMEOUT, a retried create's two requests
	// included (2 × 15s), and stays below docker-compose.yml's
	// stop_grace_period of 60s for the worker, so the process reports the
	// results and exits before Docker sends SIGKILL.
	DefaultStopTimeout = 45 * time.Second
	// MaxStopTimeout bounds WORKER_STOP_TIMEOUT: longer only delays deploys.
	MaxStopTimeout = time.Hour
)

// Config configures a worker process. Every field has an environment
// variable (see ConfigFromEnv and the README).
type Config struct {
	TaskQueue string // DPSKMIGRATE_TASK_QUEUE
	ExportDir string // DPSKMIGRATE_EXPORT_DIR
	R1        r1client.Config
	// CallsPerMinute is the tenant's R1 budget, enforced by the Temporal server
	// on the R1 task queue across all workers (R1_CALLS_PER_MINUTE).
	CallsPerMinute int
	// WorkerActivitiesPerSecond caps this process (WORKER_ACTIVITIES_PER_SECOND);
	// 0 = the whole budget.
	WorkerActivitiesPerSecond float64
	// MaxConcurrentActivities caps R1 calls in flight in this process
	// (WORKER_MAX_CONCURRENT_ACTIVITIES).
	MaxConcurrentActivities int
	// StopTimeout is how long Stop lets running activities finish
	// (WORKER_STOP_TIMEOUT); 0 = DefaultStopTimeout.
	StopTimeout time.Duration
	// MetricsAddr is where the worker process serves Prometheus metrics
	// (METRICS_ADDR, host:port); "" = none.
	MetricsAddr string
	// Metrics, when set, receives the R1 requests and the budget in force
	// (New wires it); the process serves it at MetricsAddr.
	Metrics *metrics.Metrics
	// Namespace is the Temporal namespace (TEMPORAL_NAMESPACE; "" = default),
	// where the budget in force is read for the metrics.
	Namespace string
	// BudgetRefresh is how often the budget metric is re-read from the R1
	// queue; 0 = DefaultBudgetRefresh.
	BudgetRefresh time.Duration
	Logger        *slog.Logger
}

// DefaultExportDir is where exports are stored when DPSKMIGRATE_EXPORT_DIR is unset.
func DefaultExportDir() string {
	if home, err := os.UserHomeDir(); err == nil {
		return filepath.Join(home, ".dpskmigrate", "exports")
	}
	return filepath.Join(os.TempDir(), "dpskmigrate-exports")
}

// ConfigFromEnv reads the configuration from the environment.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	cfg := Config{
		TaskQueue: or(getenv("DPSKMIGRATE_TASK_QUEUE"), workflows.TaskQueue),
		ExportDir: or(getenv("DPSKMIGRATE_EXPORT_DIR"), DefaultExportDir()),
		R1: r1client.Config{
			Region:       getenv("R1_REGION"),
			BaseURL:      getenv("R1_BASE_URL"),
			TenantID:     getenv("R1_TENANT_ID"),
			ClientID:     getenv("R1_CLIENT_ID"),
			ClientSecret: getenv("R1_CLIENT_SECRET"),
			MSPTenantID:  getenv("R1_MSP_TENANT_ID"),
			Timeout:      DefaultR1Timeout,
		},
		CallsPerMinute:          DefaultCallsPerMinute,
		MaxConcurrentActivities: DefaultMaxConcurrentActivities,
		StopTimeout:             DefaultStopTimeout,
		MetricsAddr:             getenv("METRICS_ADDR"),
		Namespace:               getenv("TEMPORAL_NAMESPACE"),
	}
	var errs []error
	if v := getenv("R1_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("R1_TIMEOUT=%q: want a duration such as 15s", v))
		}
		cfg.R1.Timeout = d
	}
	if v := getenv("R1_CALLS_PER_MINUTE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("R1_CALLS_PER_MINUTE=%q: want a whole number such as 1800", v))
		}
		cfg.CallsPerMinute = n
	}
	if v := getenv("WORKER_ACTIVITIES_PER_SECOND"); v != "" {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			errs = append(errs, fmt.Errorf("WORKER_ACTIVITIES_PER_SECOND=%q: want a number such as 30", v))
		}
		cfg.WorkerActivitiesPerSecond = f
	}
	if v := getenv("WORKER_MAX_CONCURRENT_ACTIVITIES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("WORKER_MAX_CONCURRENT_ACTIVITIES=%q: want a whole number such as 50", v))
		}
		cfg.MaxConcurrentActivities = n
	}
	if v := getenv("WORKER_STOP_TIMEOUT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("WORKER_STOP_TIMEOUT=%q: want a positive duration such as 45s (how long R1 calls in flight may finish on shutdown)", v))
		}
		cfg.StopTimeout = d
	}
	if err := errors.Join(errs...); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

// Validate says what is missing or out of range, and how to fix it.
func (c Config) Validate() error {
	var errs []error
	if c.R1.TenantID == "" || c.R1.ClientID == "" || c.R1.ClientSecret == "" {
		errs = append(errs, errors.New("R1 credentials are incomplete: set R1_TENANT_ID, R1_CLIENT_ID and R1_CLIENT_SECRET (an R1 application token)"))
	}
	if c.CallsPerMinute < 1 || c.CallsPerMinute > 1_000_000 {
		errs = append(errs, fmt.Errorf("R1_CALLS_PER_MINUTE=%d is out of range: use 1 to 1000000 (R1 allows 2000 per tenant; default %d)", c.CallsPerMinute, DefaultCallsPerMinute))
	}
	if c.WorkerActivitiesPerSecond < 0 {
		errs = append(errs, fmt.Errorf("WORKER_ACTIVITIES_PER_SECOND=%g must not be negative", c.WorkerActivitiesPerSecond))
	}
	if c.MaxConcurrentActivities < 1 || c.MaxConcurrentActivities > 1000 {
		errs = append(errs, fmt.Errorf("WORKER_MAX_CONCURRENT_ACTIVITIES=%d is out of range: use 1 to 1000", c.MaxConcurrentActivities))
	}
	if st := c.stopTimeout(); st < 0 || st > MaxStopTimeout {
		errs = append(errs, fmt.Errorf("WORKER_STOP_TIMEOUT=%s is out of range: use a positive duration up to %s (default %s), below your orchestrator's grace period", st, MaxStopTimeout, DefaultStopTimeout))
	} else if st < c.R1.Timeout {
		errs = append(errs, fmt.Errorf("WORKER_STOP_TIMEOUT=%s is shorter than R1_TIMEOUT=%s: an R1 call in flight at shutdown would be cut off; raise WORKER_STOP_TIMEOUT to at least R1_TIMEOUT (and keep it below the orchestrator's grace period, 60s in docker-compose.yml)", st, c.R1.Timeout))
	}
	if c.TaskQueue == "" {
		errs = append(errs, errors.New("DPSKMIGRATE_TASK_QUEUE is empty"))
	}
	if c.MetricsAddr != "" {
		errs = append(errs, metrics.CheckAddr(c.MetricsAddr))
	}
	return errors.Join(errs...)
}

func (c Config) workerActivitiesPerSecond() float64 {
	if c.WorkerActivitiesPerSecond > 0 {
		return c.WorkerActivitiesPerSecond
	}
	return float64(c.CallsPerMinute) / 60
}

func (c Config) budgetRefresh() time.Duration {
	if c.BudgetRefresh > 0 {
		return c.BudgetRefresh
	}
	return DefaultBudgetRefresh
}

// stopTimeout is the workers' graceful stop timeout: StopTimeout, or the
// default when it is unset.
func (c Config) stopTimeout() time.Duration {
	if c.StopTimeout == 0 {
		return DefaultStopTimeout
	}
	return c.StopTimeout
}

func or(v, def string) string {
	if v != "" {
		return v
	}
	return def
}
