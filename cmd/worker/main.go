// Command worker runs the dpskmigrate Temporal workers: workflows and the plan
// activity on DPSKMIGRATE_TASK_QUEUE, R1 calls on its rate-limited R1 queue.
// Configuration comes from the environment; see the README.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/dpskmigrate/dpskmigrate/internal/logging"
	"github.com/dpskmigrate/dpskmigrate/internal/metrics"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

func main() {
	logger := logging.New(os.Stderr, os.Getenv("LOG_FORMAT"), os.Getenv("LOG_LEVEL"))
	if err := run(logger); err != nil {
		logger.Error("worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(logger *slog.Logger) error {
	cfg, err := worker.ConfigFromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	cfg.Logger = logger
	ring, err := payloadcrypt.FromEnv(os.Getenv)
	if err != nil {
		return fmt.Errorf("payload encryption: %w", err)
	}
	if ring.Empty() {
		logger.Warn("histories are not encrypted: usernames, R1 IDs and R1 error text are stored in clear in Temporal; set " +
			payloadcrypt.KeysEnv + " or " + payloadcrypt.KeyFileEnv + " (README: Encrypting histories)")
	}
	if cfg.MetricsAddr != "" {
		cfg.Metrics = metrics.New(logger)
		srv, err := metrics.Serve(cfg.MetricsAddr, cfg.Metrics.Handler(), logger)
		if err != nil {
			return err
		}
		defer stopMetrics(logger, srv, cfg.Metrics) // after the workers and the client
		logger.Info("serving metrics", "addr", srv.Addr(), "path", metrics.Path)
	}
	c, err := worker.DialWithMetrics(logger, cfg.Metrics.TemporalHandler())
	if err != nil {
		return err
	}
	defer c.Close()
	sctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = worker.CheckSearchAttributes(sctx, c, os.Getenv("TEMPORAL_NAMESPACE"))
	cancel()
	if err != nil {
		return err
	}
	w, err := worker.New(c, cfg)
	if err != nil {
		return err
	}
	if err := w.Start(); err != nil {
		return err
	}
	logger.Info("worker started",
		"task_queue", cfg.TaskQueue, "r1_task_queue", workflows.R1TaskQueue(cfg.TaskQueue),
		"r1_calls_per_minute", cfg.CallsPerMinute, "export_dir", cfg.ExportDir,
		"r1_tenant", cfg.R1.TenantID, "r1_base_url", cfg.R1.BaseURL, "r1_region", cfg.R1.Region,
		"stop_timeout", cfg.StopTimeout,
		"payload_key", ring.EncryptingKeyID(), "payload_keys", ring.IDs())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	logger.Info("shutting down: finishing the R1 calls in flight", "stop_timeout", cfg.StopTimeout)
	w.Stop()
	logger.Info("worker stopped")
	return nil
}

// stopMetrics reports the last buffered SDK metrics, then stops the server,
// letting a scrape in progress finish.
func stopMetrics(logger *slog.Logger, srv *metrics.Server, m *metrics.Metrics) {
	_ = m.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		logger.Warn("metrics server shutdown", "error", err)
	}
}
