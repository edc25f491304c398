package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A worker process with METRICS_ADDR serves /metrics: what it counts of R1
// agrees with what the simulator served, operation by operation; the budget
// is the configured one; the passphrases by outcome are the migration's
// totals; and the Temporal SDK's own metrics are there too.
func TestWorkerMetricsAgreeWithR1AndTheMigrationResult(t *testing.T) {
	t.Parallel()
	// No faults: every request the worker sends reaches the simulator, so the
	// two counts can be equal (a request cut off before R1 sees it would be
	// counted by the worker only, as "transport").
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: 5 * time.Millisecond, Sigma: 0.3}, SendRetryAfter: true})
	bin := buildWorker(t)
	addr := freeLoopbackAddr(t)
	const budget = 54321
	proc := e.workerProcess(t, bin, "METRICS_ADDR="+addr, "R1_CALLS_PER_MINUTE="+strconv.Itoa(budget))
	url := "http://" + addr + metrics.Path
	require.Eventually(t, func() bool { _, err := scrape(url); return err == nil }, time.Minute, 50*time.Millisecond, "the worker serves %s", url)

	export := sampledata.JSON(sampledata.Spec{Pools: 3, RowsPerPool: 80, Awkward: true, Seed: 31})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st, err := e.svc.Start(ctx, export, migrations.Options{Plan: e.planOptions(), ParallelExecution: true})
	require.NoError(t, err)

	// During the migration: the worker counts a request once its answer is
	// read, R1 when it arrives, so the worker's count never runs ahead.
	require.Eventually(t, func() bool { return held(e) >= 20 }, 2*time.Minute, 10*time.Millisecond)
	// For a moment R1 allows far less than the budget: some requests are
	// answered 429, and retried once the limit is lifted.
	tight, burst, none := 60, 1, 0
	require.NoError(t, e.sim.Configure(r1sim.Settings{RateLimitPerMinute: &tight, Burst: &burst}))
	during, err := scrape(url)
	require.NoError(t, err)
	served := e.sim.Stats()
	duringOps := r1Requests(during)
	require.NotZero(t, duringOps[createOp], "passphrase creates are counted while they happen: %v", duringOps)
	for op, n := range duringOps {
		require.LessOrEqual(t, n, served.Calls[op], "%s: the worker counted more than R1 served", op)
	}
	require.Eventually(t, func() bool { return e.sim.Stats().RateLimited >= 5 }, time.Minute, 10*time.Millisecond)
	require.NoError(t, e.sim.Configure(r1sim.Settings{RateLimitPerMinute: &none}))

	res, err := e.svc.Wait(ctx, st.WorkflowID)
	if err != nil {
		e.explain(st.WorkflowID)
	}
	require.NoError(t, err)
	require.Equal(t, workflows.StatusPartial, res.Status, "awkward rows are refused: %+v", res)
	require.NotZero(t, res.Totals.Created)
	require.NotZero(t, res.Totals.Skipped)
	require.NotZero(t, res.Totals.Refused)

	// After it: the pools' outcome counters reach the registry within the
	// SDK's reporting interval (a second).
	var after map[string]*dto.MetricFamily
	require.Eventually(t, func() bool {
		after, err = scrape(url)
		return err == nil && sum(after, workflows.PassphrasesMetric, nil) == float64(res.Totals.Rows())
	}, time.Minute, 100*time.Millisecond, "passphrase outcomes add up to the migration's %d rows", res.Totals.Rows())

	served = e.sim.Stats()
	require.Equal(t, served.Calls, r1Requests(after), "one count per request, under the simulator's operation names")
	require.Equal(t, float64(served.RateLimited), sum(after, metrics.R1Requests, map[string]string{"status": "429"}))
	require.Equal(t, float64(served.RateLimited), sum(after, metrics.R1RateLimited, nil))
	require.Equal(t, float64(served.ServerErrors), sum(after, metrics.R1Requests, map[string]string{"status": "5xx"}))
	require.Zero(t, sum(after, metrics.R1Requests, map[string]string{"status": "transport"}))
	require.Equal(t, float64(served.TotalCalls), sum(after, metrics.R1Duration, nil), "every request is in the latency histogram")
	require.Equal(t, float64(budget), sum(after, metrics.R1Budget, nil))

	want := res.Totals
	for outcome, n := range map[string]int{
		"created": want.Created, "adopted": want.Adopted, "patched": want.Patched, "skipped": want.Skipped,
		"refused": want.Refused, "conflicts": want.Conflicts, "failed": want.Failed, "not_attempted": want.NotAttempted,
	} {
		require.Equal(t, float64(n), sum(after, workflows.PassphrasesMetric, map[string]string{"outcome": outcome}), outcome)
	}

	// The SDK's own metrics, from the worker's Temporal client.
	require.Positive(t, sum(after, "temporal_activity_execution_latency_seconds", map[string]string{"activity_type": "CreatePassphrase"}))
	require.Positive(t, sum(after, "temporal_workflow_task_schedule_to_start_latency_seconds", nil))
	require.Positive(t, sum(after, "temporal_activity_poll_no_task_total", nil)+sum(after, "temporal_request_total", nil))
	requireBoundedLabels(t, after, e.tenant)
	requireLintFree(t, url)
	t.Logf("sample of %s after the migration:\n%s", url, sample(after))

	// SIGTERM: the worker stops its workers and the metrics server, and exits 0.
	require.NoError(t, proc.Process.Signal(syscall.SIGTERM))
	exited := make(chan error, 1)
	go func() { exited <- proc.Wait() }()
	select {
	case err := <-exited:
		require.NoError(t, err, "the worker exits 0 after a graceful stop")
	case <-time.After(2 * time.Minute):
		t.Fatal("the worker did not exit after SIGTERM")
	}
	_, err = scrape(url)
	require.Error(t, err, "nothing serves metrics once the worker has stopped")
	e.requireInventoryEqualsExport(export, cloudpath.PlanOptions{})
}

const createOp = "POST /dpskServices/{id}/passphrases"

// A worker that replays finished pools (here: to answer queries, after the
// worker that ran them has gone) counts none of their passphrases again: the
// pools count through the SDK's replay-safe metrics handler.
func TestReplayedPoolsCountNoPassphrases(t *testing.T) {
	t.Parallel()
	e := newEnv(t, r1sim.Options{})
	export := sampledata.JSON(sampledata.Spec{Pools: 2, RowsPerPool: 10, Seed: 32})
	first, err := worker.New(temporalC, e.workerConfig())
	require.NoError(t, err)
	require.NoError(t, first.Start())
	_, res := e.migrate(export, migrations.Options{ParallelExecution: true})
	first.Stop()
	require.Equal(t, workflows.StatusCompleted, res.Status, "%+v", res)
	require.Equal(t, 20, res.Totals.Created)

	m := metrics.New(nil)
	c, err := client.Dial(client.Options{
		HostPort: devServer.FrontendHostPort(), Namespace: "default",
		MetricsHandler: m.TemporalHandler(), Logger: log.NewStructuredLogger(slog.New(slog.DiscardHandler)),
	})
	require.NoError(t, err)
	defer c.Close()
	cfg := e.workerConfig()
	cfg.Metrics = m
	second, err := worker.New(c, cfg)
	require.NoError(t, err)
	require.NoError(t, second.Start())
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, p := range res.Pools {
		progress, err := e.svc.PoolProgress(ctx, p.WorkflowID)
		require.NoError(t, err)
		require.Equal(t, p.Counts, progress.Counts, "the replayed pool %s reached its end", p.Key)
	}
	second.Stop()
	require.NoError(t, m.Close()) // reports what the SDK buffered

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, metrics.Path, nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	require.NoError(t, err)
	require.GreaterOrEqual(t, sum(fams, "temporal_workflow_task_replay_latency_seconds", map[string]string{"workflow_type": workflows.PoolWorkflowName}), float64(len(res.Pools)),
		"the second worker replayed every pool")
	require.Zero(t, sum(fams, workflows.PassphrasesMetric, nil), "replays count no passphrases")
	require.Zero(t, sum(fams, metrics.R1Requests, nil), "replays call no R1")
}

// requireBoundedLabels: no label value names the tenant, and no operation
// carries a raw id.
func requireBoundedLabels(t *testing.T, fams map[string]*dto.MetricFamily, tenant string) {
	t.Helper()
	for name, f := range fams {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				require.NotContains(t, l.GetValue(), tenant, "%s{%s}", name, l.GetName())
				if l.GetName() == "operation" && strings.HasPrefix(name, "dpskmigrate_r1_") {
					method, path, ok := strings.Cut(l.GetValue(), " ")
					require.True(t, ok && method != "" && strings.HasPrefix(path, "/"), "%s: %q", name, l.GetValue())
					for _, seg := range strings.Split(path, "/") {
						require.False(t, strings.ContainsAny(seg, "0123456789-") && seg != "{id}" && seg != "oauth2", "%s: %q", name, l.GetValue())
					}
				}
			}
		}
	}
}

// requireLintFree: every metric follows Prometheus' naming conventions (the
// checks of promtool check metrics).
func requireLintFree(t *testing.T, url string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	problems, err := promlint.New(resp.Body).Lint()
	require.NoError(t, err)
	require.Empty(t, problems)
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

// scrape reads url in the Prometheus text format.
func scrape(url string) (map[string]*dto.MetricFamily, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.LegacyValidation)
	return p.TextToMetricFamilies(resp.Body)
}

// sum adds the samples of a family whose labels include want: counter and
// gauge values, histogram sample counts.
func sum(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f, ok := fams[name]
	if !ok {
		return 0
	}
	total := 0.0
	for _, m := range f.Metric {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.Counter.GetValue()
		case m.Gauge != nil:
			total += m.Gauge.GetValue()
		case m.Histogram != nil:
			total += float64(m.Histogram.GetSampleCount())
		}
	}
	return total
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	for k, v := range want {
		found := false
		for _, l := range m.Label {
			if l.GetName() == k && l.GetValue() == v {
				found = true
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// r1Requests is dpskmigrate_r1_requests_total by operation, all status classes.
func r1Requests(fams map[string]*dto.MetricFamily) map[string]int {
	out := map[string]int{}
	if f, ok := fams[metrics.R1Requests]; ok {
		for _, m := range f.Metric {
			for _, l := range m.Label {
				if l.GetName() == "operation" {
					out[l.GetValue()] += int(m.Counter.GetValue())
				}
			}
		}
	}
	return out
}

// sample renders our counters and gauges, and of histograms (ours and one of
// the SDK's) the counts, for the test log.
func sample(fams map[string]*dto.MetricFamily) string {
	var names []string
	for name := range fams {
		if strings.HasPrefix(name, "dpskmigrate_") || name == "temporal_activity_execution_latency_seconds" || name == "temporal_workflow_completed_total" {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		for _, m := range fams[name].Metric {
			var labels []string
			for _, l := range m.Label {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			switch {
			case m.Histogram != nil:
				fmt.Fprintf(&b, "%s_count{%s} %d\n", name, strings.Join(labels, ","), m.Histogram.GetSampleCount())
			case m.Counter != nil:
				fmt.Fprintf(&b, "%s{%s} %g\n", name, strings.Join(labels, ","), m.Counter.GetValue())
			case m.Gauge != nil:
				fmt.Fprintf(&b, "%s{%s} %g\n", name, strings.Join(labels, ","), m.Gauge.GetValue())
			}
		}
	}
	return b.String()
}
