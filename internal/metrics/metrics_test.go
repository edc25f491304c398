package metrics_test

import (
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
)

func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
	p := expfmt.NewTextParser(model.LegacyValidation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// value is the sample of fam whose labels include want (counter, gauge or
// histogram count); -1 when there is none.
func value(fams map[string]*dto.MetricFamily, fam string, want map[string]string) float64 {
	f, ok := fams[fam]
	if !ok {
		return -1
	}
next:
	for _, m := range f.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

func TestServesOurMetricsAndTheSDKsInThePrometheusTextFormat(t *testing.T) {
	m := metrics.New(nil)
	m.SetR1Budget(1800)
	const create = "POST /dpskServices/{id}/passphrases"
	m.ObserveR1(create, "2xx", 120*time.Millisecond)
	m.ObserveR1(create, "2xx", 80*time.Millisecond)
	m.ObserveR1(create, "429", 10*time.Millisecond)
	m.ObserveR1("POST /oauth2/token/{id}", "transport", time.Second)
	h := m.TemporalHandler()
	h.WithTags(map[string]string{"outcome": "created"}).Counter("dpskmigrate_passphrases_total").Inc(3)
	h.Counter("temporal_request").Inc(1)
	h.Timer("temporal_activity_execution_latency").Record(50 * time.Millisecond)
	require.NoError(t, m.Close()) // reports what the SDK side buffered

	srv, err := metrics.Serve("127.0.0.1:0", m.Handler(), nil)
	require.NoError(t, err)
	url := "http://" + srv.Addr() + metrics.Path
	fams := scrape(t, url)

	require.Equal(t, 1800.0, value(fams, metrics.R1Budget, nil))
	require.Equal(t, 2.0, value(fams, metrics.R1Requests, map[string]string{"operation": create, "status": "2xx"}))
	require.Equal(t, 1.0, value(fams, metrics.R1Requests, map[string]string{"operation": create, "status": "429"}))
	require.Equal(t, 1.0, value(fams, metrics.R1Requests, map[string]string{"operation": "POST /oauth2/token/{id}", "status": "transport"}))
	require.Equal(t, 1.0, value(fams, metrics.R1RateLimited, map[string]string{"operation": create}))
	require.Equal(t, -1.0, value(fams, metrics.R1RateLimited, map[string]string{"operation": "POST /oauth2/token/{id}"}))
	require.Equal(t, 3.0, value(fams, metrics.R1Duration, map[string]string{"operation": create}))
	require.Equal(t, 3.0, value(fams, "dpskmigrate_passphrases_total", map[string]string{"outcome": "created"}))
	require.Equal(t, 1.0, value(fams, "temporal_request_total", nil), "SDK counters get _total")
	require.Equal(t, 1.0, value(fams, "temporal_activity_execution_latency_seconds", nil), "SDK timers are histograms in seconds")
	require.Contains(t, fams, "go_goroutines")

	resp, err := http.Get("http://" + srv.Addr() + "/")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "only /metrics is served")

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.Shutdown(ctx))
	_, err = http.Get(url)
	require.Error(t, err, "nothing listens after Shutdown")
}

func TestServeRefusesATakenPort(t *testing.T) {
	first, err := metrics.Serve("127.0.0.1:0", http.NotFoundHandler(), nil)
	require.NoError(t, err)
	defer first.Shutdown(context.Background())
	_, err = metrics.Serve(first.Addr(), http.NotFoundHandler(), nil)
	require.ErrorContains(t, err, "METRICS_ADDR="+first.Addr())
	require.ErrorContains(t, err, "choose a free port")
}

func TestCheckAddr(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:9090", "0.0.0.0:9090", ":9090", "localhost:9464", "[::1]:9090"} {
		require.NoError(t, metrics.CheckAddr(ok), ok)
	}
	for _, bad := range []string{"9090", "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:http", "http://127.0.0.1:9090", ""} {
		err := metrics.CheckAddr(bad)
		require.Error(t, err, bad)
		require.ErrorContains(t, err, "want host:port such as 127.0.0.1:9090")
	}
}
