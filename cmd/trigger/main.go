// Command trigger serves the dpskmigrate HTTP trigger: start a migration by
// posting a Cloudpath export, follow it, pause, resume or cancel it, verify it
// against R1 and roll it back (see package trigger), and
// the web page for people at / (open http://127.0.0.1:8080/ in a browser).
// It needs the bearer token in DPSKMIGRATE_TRIGGER_TOKEN, Temporal settings in
// TEMPORAL_*, and the export directory the workers read (DPSKMIGRATE_EXPORT_DIR).
//
//	export DPSKMIGRATE_TRIGGER_TOKEN=$(openssl rand -hex 32)
//	trigger --addr 127.0.0.1:8080
//	curl -H "Authorization: Bearer $DPSKMIGRATE_TRIGGER_TOKEN" -H 'Content-Type: application/json' \
//	     --data-binary @export.json 'http://127.0.0.1:8080/v1/migrations?parallel=true&maxConcurrent=5'
//	curl -H "Authorization: Bearer $DPSKMIGRATE_TRIGGER_TOKEN" -F export=@export.json -F namePrefix=cp- \
//	     http://127.0.0.1:8080/v1/migrations
//	curl -H "Authorization: Bearer $DPSKMIGRATE_TRIGGER_TOKEN" http://127.0.0.1:8080/v1/migrations/<id>
//	curl -H "Authorization: Bearer $DPSKMIGRATE_TRIGGER_TOKEN" -X POST http://127.0.0.1:8080/v1/migrations/<id>/pause
//	curl -H "Authorization: Bearer $DPSKMIGRATE_TRIGGER_TOKEN" -H "Content-Type: application/json" -d '{"confirm": true}' \
//	     http://127.0.0.1:8080/v1/migrations/<id>/rollback
//
// With a payload key (DPSKMIGRATE_CODEC_KEYS or DPSKMIGRATE_CODEC_KEY_FILE) it
// also serves the codec endpoint /codec for the Temporal CLI and UI:
//
//	temporal workflow show --workflow-id <id> --codec-endpoint http://127.0.0.1:8080/codec \
//	  --codec-auth "Bearer $DPSKMIGRATE_TRIGGER_TOKEN"
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"go.temporal.io/sdk/converter"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/logging"
	"github.com/dpskmigrate/dpskmigrate/internal/payloadcrypt"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/trigger"
	"github.com/dpskmigrate/dpskmigrate/worker"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

const shutdownGrace = 30 * time.Second

func main() {
	logger := logging.New(os.Stderr, os.Getenv("LOG_FORMAT"), os.Getenv("LOG_LEVEL"))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, logger); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		logger.Error("trigger stopped", "error", err)
		stop()
		os.Exit(1)
	}
}

// run serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, getenv func(string) string, logger *slog.Logger) error {
	fs := flag.NewFlagSet("trigger", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (host:port)")
	insecureNoAuth := fs.Bool("insecure-no-auth", false, "serve without a bearer token; allowed only on a loopback --addr")
	maxBody := fs.Int64("max-body-bytes", trigger.DefaultMaxBodyBytes, "largest accepted request body (an export upload)")
	codecOrigins := fs.String("codec-cors-origin", getenv(trigger.CodecOriginEnv),
		"comma-separated browser origins (the Temporal UI's, such as http://localhost:8233) allowed to call /codec")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: the trigger takes flags only", fs.Args())
	}
	if *maxBody <= 0 {
		return fmt.Errorf("--max-body-bytes=%d: want a positive number of bytes", *maxBody)
	}
	callsPerMinute, err := callBudget(getenv("R1_CALLS_PER_MINUTE"))
	if err != nil {
		return err
	}
	token := getenv(trigger.TokenEnv)
	if err := trigger.CheckAuth(*addr, token, *insecureNoAuth); err != nil {
		return err
	}
	origins, err := trigger.ParseCORSOrigins(*codecOrigins)
	if err != nil {
		return err
	}
	ring, err := payloadcrypt.FromEnv(getenv)
	if err != nil {
		return fmt.Errorf("payload encryption: %w", err)
	}
	if token != "" && *insecureNoAuth {
		logger.Warn("--insecure-no-auth ignored: " + trigger.TokenEnv + " is set, so requests need the token")
	}

	exportDir := getenv("DPSKMIGRATE_EXPORT_DIR")
	if exportDir == "" {
		exportDir = worker.DefaultExportDir()
	}
	store, err := exportstore.New(exportDir)
	if err != nil {
		return err
	}
	c, err := worker.Dial(logger)
	if err != nil {
		return err
	}
	defer c.Close()
	queue := getenv("DPSKMIGRATE_TASK_QUEUE")
	if queue == "" {
		queue = workflows.TaskQueue
	}
	namespace := getenv("TEMPORAL_NAMESPACE")
	svc := &migrations.Service{Temporal: c, Store: store, TaskQueue: queue,
		Namespace: namespace, UIBaseURL: getenv("TEMPORAL_UI_URL"),
		DataConverter: payloadcrypt.DataConverter(converter.GetDefaultDataConverter(), ring)} // the client's: reports read migration inputs from histories
	codec := trigger.CodecConfig{Namespace: namespace, CORSOrigins: origins}
	if !ring.Empty() {
		codec.Codec = payloadcrypt.NewCodec(ring)
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	if err := trigger.CheckListener(ln.Addr(), token, *insecureNoAuth); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{
		Handler: trigger.NewHandler(svc, trigger.Config{
			Token: token, InsecureNoAuth: *insecureNoAuth && token == "", MaxBodyBytes: *maxBody, Logger: logger,
			Codec: codec, CallsPerMinute: callsPerMinute,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       5 * time.Minute, // a large export over a slow link
		WriteTimeout:      5 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	logger.Info("trigger listening", "addr", ln.Addr().String(), "auth", token != "",
		"web_page", "http://"+ln.Addr().String()+"/", "task_queue", queue, "export_dir", store.Dir, "max_body_bytes", *maxBody,
		"codec", !ring.Empty(), "payload_keys", ring.IDs(), "codec_cors_origins", origins)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: finishing the requests in flight")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// callBudget reads R1_CALLS_PER_MINUTE as the workers do, for the plans' and
// the web page's time estimates.
func callBudget(v string) (int, error) {
	if v == "" {
		return worker.DefaultCallsPerMinute, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 1_000_000 {
		return 0, fmt.Errorf("R1_CALLS_PER_MINUTE=%q: want a whole number from 1 to 1000000, the workers' budget (default %d)", v, worker.DefaultCallsPerMinute)
	}
	return n, nil
}
