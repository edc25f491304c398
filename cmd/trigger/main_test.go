package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/stack"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestRunRefusesToStartWithoutATokenOffLoopback(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		args    []string
		token   string
		refusal string
	}{
		{"no token, default loopback address", nil, "", trigger.TokenEnv},
		{"no token, every interface", []string{"--addr", "0.0.0.0:0"}, "", trigger.TokenEnv},
		{"insecure flag off loopback", []string{"--addr", "0.0.0.0:0", "--insecure-no-auth"}, "", "loopback"},
		{"insecure flag with an empty host", []string{"--addr", ":0", "--insecure-no-auth"}, "", "loopback"},
		{"insecure flag on a host name", []string{"--addr", "trigger.example.net:0", "--insecure-no-auth"}, "", "loopback"},
		{"a short token", []string{"--addr", "0.0.0.0:0"}, "abc", "at least"},
		{"a body limit of zero", []string{"--max-body-bytes", "0"}, strings.Repeat("t", 32), "--max-body-bytes"},
		{"stray arguments", []string{"serve"}, strings.Repeat("t", 32), "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := run(ctx, tc.args, env(map[string]string{trigger.TokenEnv: tc.token, "DPSKMIGRATE_EXPORT_DIR": dir}),
				slog.New(slog.NewTextHandler(&logs, nil)))
			require.ErrorContains(t, err, tc.refusal)
			require.NotContains(t, logs.String(), "trigger listening")
		})
	}
}

func TestRunServesWithTheTokenAndShutsDownGracefully(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dev, err := stack.StartTemporal(ctx, nil)
	require.NoError(t, err)
	defer dev.Stop()
	t.Setenv("TEMPORAL_ADDRESS", dev.FrontendHostPort())
	t.Setenv("TEMPORAL_NAMESPACE", "default")

	addr := freeLoopbackAddr(t)
	token := "main-test-token-0123456789"
	var logs syncBuffer
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- run(runCtx, []string{"--addr", addr, "--max-body-bytes", "1024"},
			env(map[string]string{trigger.TokenEnv: token, "DPSKMIGRATE_EXPORT_DIR": filepath.Join(t.TempDir(), "exports")}),
			slog.New(slog.NewJSONHandler(&logs, nil)))
	}()

	base := "http://" + addr
	require.Eventually(t, func() bool {
		res, err := http.Get(base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 20*time.Second, 50*time.Millisecond, "the trigger answers /healthz")

	status := func(path, token string, body string) int {
		req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		res.Body.Close()
		return res.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, status("/v1/migrations", "", "{}"))
	require.Equal(t, http.StatusRequestEntityTooLarge, status("/v1/migrations", token, strings.Repeat(" ", 2048)),
		"--max-body-bytes reaches the handler")
	require.Equal(t, http.StatusNotFound, status("/v1/migrations/unknown/cancel", token, ""))

	stop()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("run did not return after its context ended")
	}
	require.Contains(t, logs.String(), "shutting down")
	require.NotContains(t, logs.String(), token)
}

func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return fmt.Sprintf("127.0.0.1:%d", ln.Addr().(*net.TCPAddr).Port)
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
