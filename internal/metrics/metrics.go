// Package metrics is the worker's Prometheus registry: the Temporal SDK's own
// metrics (through tally, as Temporal's samples wire them) and dpskmigrate's,
// served in the Prometheus text format at /metrics.
//
// Ours, all prefixed dpskmigrate_:
//   - dpskmigrate_r1_requests_total{operation,status}: R1 requests by
//     operation (method and route template, "POST /dpskServices/{id}/passphrases")
//     and status class (2xx, 4xx, 429, 5xx, transport).
//   - dpskmigrate_r1_rate_limited_total{operation}: R1's 429 answers.
//   - dpskmigrate_r1_request_duration_seconds{operation}: R1 latency histogram.
//   - dpskmigrate_r1_budget_calls_per_minute: the R1 budget in force on the
//     R1 task queue: its rate limit while one is set, R1_CALLS_PER_MINUTE
//     otherwise (the worker re-reads it; see worker.Config.BudgetRefresh).
//   - dpskmigrate_passphrases_total{outcome,...}: passphrases by outcome as
//     pools finish, counted by the pool workflow through the SDK's
//     replay-safe handler (workflows.PassphrasesMetric).
//
// Labels stay bounded: operations are route templates, never raw paths, and
// no metric carries a tenant, a pool name or a username.
package metrics

import (
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"

	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// Names of our metrics (see the package comment).
const (
	R1Requests    = "dpskmigrate_r1_requests_total"
	R1RateLimited = "dpskmigrate_r1_rate_limited_total"
	R1Duration    = "dpskmigrate_r1_request_duration_seconds"
	R1Budget      = "dpskmigrate_r1_budget_calls_per_minute"
)

// reportEvery is how often the SDK's buffered metrics reach the registry.
const reportEvery = time.Second

// r1Buckets spans a fast R1 answer to the longest R1_TIMEOUT worth waiting for.
var r1Buckets = []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 30}

// Metrics holds one process's registry. Its methods are safe for concurrent use.
type Metrics struct {
	registry    *prometheus.Registry
	scope       tally.Scope
	closeScope  io.Closer
	closeOnce   sync.Once
	requests    *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	budget      prometheus.Gauge
}

// New builds the registry: Go runtime and process metrics, ours, and a tally
// scope for the Temporal SDK. logger (may be nil) hears of SDK metrics the
// registry refuses.
func New(logger *slog.Logger) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: R1Requests,
			Help: "R1 HTTP requests by operation (method and route template) and status class (2xx, 4xx, 429, 5xx, transport = no answer).",
		}, []string{"operation", "status"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: R1RateLimited,
			Help: "R1 answers 429 Too Many Requests, by operation: the tenant's budget is shared with someone else or set too high.",
		}, []string{"operation"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    R1Duration,
			Help:    "Time from sending an R1 request to having read its answer (or to its failure), by operation.",
			Buckets: r1Buckets,
		}, []string{"operation"}),
		budget: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: R1Budget,
			Help: "The tenant's R1 call budget in force on the R1 task queue, in calls per minute: the queue's rate limit while one is set (temporal task-queue config set), the workers' R1_CALLS_PER_MINUTE otherwise.",
		}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.rateLimited, m.duration, m.budget,
	)

	var refused sync.Map // log each refusal once
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer:       reg,
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			if _, seen := refused.LoadOrStore(err.Error(), true); !seen && logger != nil {
				logger.Warn("a Temporal SDK metric cannot be exported", "error", err)
			}
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
		// tally's own bookkeeping (tally_internal_*) says nothing about a migration.
		OmitCardinalityMetrics: true,
	}, reportEvery)
	m.scope = sdktally.NewPrometheusNamingScope(scope)
	m.closeScope = closer
	return m
}

// TemporalHandler is the metrics handler for the Temporal client
// (client.Options.MetricsHandler): the SDK's metrics, and the workflows' own
// through workflow.GetMetricsHandler. Nil when m is nil.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	if m == nil {
		return nil
	}
	return sdktally.NewMetricsHandler(m.scope)
}

// ObserveR1 records one R1 request; it is an r1client.ObserveFunc.
func (m *Metrics) ObserveR1(operation, statusClass string, d time.Duration) {
	m.requests.WithLabelValues(operation, statusClass).Inc()
	m.duration.WithLabelValues(operation).Observe(d.Seconds())
	if statusClass == r1client.Status429 {
		m.rateLimited.WithLabelValues(operation).Inc()
	}
}

// SetR1Budget records the R1 budget in force (calls per minute).
func (m *Metrics) SetR1Budget(callsPerMinute float64) { m.budget.Set(callsPerMinute) }

// Handler serves the registry in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}

// Close reports the SDK's last buffered metrics and stops the reporting loop.
func (m *Metrics) Close() error {
	var err error
	m.closeOnce.Do(func() { err = m.closeScope.Close() })
	return err
}
