package worker

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func envOf(m map[string]string) func(string) string {
	base := map[string]string{"R1_TENANT_ID": "t", "R1_CLIENT_ID": "c", "R1_CLIENT_SECRET": "s"}
	for k, v := range m {
		base[k] = v
	}
	return func(k string) string { return base[k] }
}

func TestStopTimeoutFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(envOf(nil))
	require.NoError(t, err)
	require.Equal(t, DefaultStopTimeout, cfg.StopTimeout, "R1 calls in flight get the default to finish")

	cfg, err = ConfigFromEnv(envOf(map[string]string{"WORKER_STOP_TIMEOUT": "2m"}))
	require.NoError(t, err)
	require.Equal(t, 2*time.Minute, cfg.StopTimeout)

	for _, tc := range []struct{ env map[string]string }{
		{map[string]string{"WORKER_STOP_TIMEOUT": "45"}},
		{map[string]string{"WORKER_STOP_TIMEOUT": "soon"}},
		{map[string]string{"WORKER_STOP_TIMEOUT": "0s"}},
		{map[string]string{"WORKER_STOP_TIMEOUT": "-5s"}},
		{map[string]string{"WORKER_STOP_TIMEOUT": "2h"}},
		// A call in flight may take R1_TIMEOUT: a shorter stop would cut it off.
		{map[string]string{"WORKER_STOP_TIMEOUT": "10s", "R1_TIMEOUT": "15s"}},
		{map[string]string{"R1_TIMEOUT": "1m"}},
	} {
		_, err := ConfigFromEnv(envOf(tc.env))
		require.Error(t, err, "%v", tc.env)
		require.Contains(t, err.Error(), "WORKER_STOP_TIMEOUT", "the error names the variable to fix")
	}
}

func TestStopTimeoutZeroInCodeMeansDefault(t *testing.T) {
	cfg := Config{TaskQueue: "q", CallsPerMinute: 60, MaxConcurrentActivities: 1}
	cfg.R1.TenantID, cfg.R1.ClientID, cfg.R1.ClientSecret = "t", "c", "s"
	require.NoError(t, cfg.Validate())
	require.Equal(t, DefaultStopTimeout, cfg.stopTimeout())
}

func TestMetricsAddrFromEnv(t *testing.T) {
	cfg, err := ConfigFromEnv(envOf(nil))
	require.NoError(t, err)
	require.Empty(t, cfg.MetricsAddr, "no metrics unless asked")

	cfg, err = ConfigFromEnv(envOf(map[string]string{"METRICS_ADDR": "0.0.0.0:9090"}))
	require.NoError(t, err)
	require.Equal(t, "0.0.0.0:9090", cfg.MetricsAddr)

	for _, bad := range []string{"9090", "localhost", "127.0.0.1:0", "127.0.0.1:99999", "http://127.0.0.1:9090/metrics"} {
		_, err := ConfigFromEnv(envOf(map[string]string{"METRICS_ADDR": bad}))
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "METRICS_ADDR", "the error names the variable to fix")
	}
}
