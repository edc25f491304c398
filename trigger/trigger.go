// Package trigger is the HTTP face of dpskmigrate: start a migration by
// posting a Cloudpath export, follow it, list its pools, pause, resume,
// reconfigure or cancel it, verify it against R1 and roll it back. It is a
// thin http.Handler over migrations.Service; every decision about exports and
// options stays there and in workflows.
//
// It must never log or echo a passphrase or the bearer token: request logs
// carry the method, path, status and duration only, and error responses carry
// the problems the export parser and the option checks report.
package trigger

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/dpskmigrate/dpskmigrate/migrations"
)

// DefaultMaxBodyBytes bounds an uploaded export: about 80,000 passphrases.
const DefaultMaxBodyBytes = 32 << 20

// Config configures the handler.
type Config struct {
	// Token is the bearer token every /v1 request must present. An empty
	// token refuses every /v1 request unless InsecureNoAuth is set.
	Token string
	// InsecureNoAuth serves /v1 without a token; cmd/trigger allows it only
	// on a loopback address (see CheckAuth).
	InsecureNoAuth bool
	MaxBodyBytes   int64 // default DefaultMaxBodyBytes
	Logger         *slog.Logger
	// HealthTimeout bounds the Temporal health check of /healthz (default 2s).
	HealthTimeout time.Duration
	// Codec configures the codec server under /codec (see CodecConfig).
	Codec CodecConfig
	// CallsPerMinute is the tenant's R1 call budget the workers run at
	// (R1_CALLS_PER_MINUTE), for the time estimates of plans and of the web
	// page; 0 leaves them out.
	CallsPerMinute int
	// ControlTimeout bounds how long a pause, resume or configure waits for
	// the migration's answer (default DefaultControlTimeout).
	ControlTimeout time.Duration
}

type handler struct {
	svc *migrations.Service
	cfg Config
	log *slog.Logger
}

// NewHandler returns the trigger service's routes:
//
//	POST /v1/migrations              start (JSON export body, or multipart with an "export" file)
//	POST /v1/plans                   the plan of the same body and options: nothing is stored or started
//	GET  /v1/migrations              running migrations, then the latest ended (?limit=1..200, default 50)
//	GET  /v1/migrations/{id}         status and progress
//	GET  /v1/migrations/{id}/pools   each pool's state
//	POST /v1/migrations/{id}/cancel  ask a running migration to stop
//	GET  /v1/migrations/{id}/report  every row of the export with its outcome (CSV, or JSON by Accept)
//	POST /v1/migrations/{id}/pause, /resume, /configure   hold, go on, change the window (see control.go)
//	POST /v1/migrations/{id}/verify  start a verification: R1 compared with the plan (see sweeps.go)
//	GET  /v1/migrations/{id}/verifications/{verifyId}   its state, result and differences (JSON, or CSV by Accept)
//	GET  /v1/migrations/{id}/rollback   what a rollback would undo, and its R1 calls
//	POST /v1/migrations/{id}/rollback   start it, with {"confirm": true}
//	GET  /v1/migrations/{id}/rollbacks/{rollbackId}     its progress and outcome
//	GET  /healthz                    the service and its Temporal connection
//	POST /codec/encode, /codec/decode Temporal's codec protocol for the CLI and UI (see CodecConfig)
//	GET  /, /migrations/{id}         the web page for people (see web.go); its data comes from /v1
//
// {id} must be a MigrationWorkflow's ID (migrations.Service.Migration): a
// pool's child workflow or any other workflow answers 404.
func NewHandler(svc *migrations.Service, cfg Config) http.Handler {
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.HealthTimeout <= 0 {
		cfg.HealthTimeout = 2 * time.Second
	}
	if cfg.ControlTimeout <= 0 {
		cfg.ControlTimeout = DefaultControlTimeout
	}
	h := &handler{svc: svc, cfg: cfg, log: cfg.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /v1/migrations", h.authorized(h.start))
	mux.Handle("POST /v1/plans", h.authorized(h.plan))
	mux.Handle("GET /v1/migrations", h.authorized(h.list))
	mux.Handle("GET /v1/migrations/{id}", h.authorized(h.status))
	mux.Handle("GET /v1/migrations/{id}/pools", h.authorized(h.pools))
	mux.Handle("POST /v1/migrations/{id}/cancel", h.authorized(h.cancel))
	mux.Handle("GET /v1/migrations/{id}/report", h.authorized(h.report))
	mux.Handle("POST /v1/migrations/{id}/pause", h.authorized(h.pause))
	mux.Handle("POST /v1/migrations/{id}/resume", h.authorized(h.resume))
	mux.Handle("POST /v1/migrations/{id}/configure", h.authorized(h.configure))
	mux.Handle("POST /v1/migrations/{id}/verify", h.authorized(h.verify))
	mux.Handle("GET /v1/migrations/{id}/verifications/{verifyId}", h.authorized(h.verification))
	mux.Handle("GET /v1/migrations/{id}/rollback", h.authorized(h.rollbackPreview))
	mux.Handle("POST /v1/migrations/{id}/rollback", h.authorized(h.rollback))
	mux.Handle("GET /v1/migrations/{id}/rollbacks/{rollbackId}", h.authorized(h.rollbackStatus))
	mux.HandleFunc("GET /healthz", h.healthz)
	h.routeCodec(mux)
	h.routeWeb(mux)
	return h.logged(mux)
}

// authorized checks the bearer token before anything reads the body.
func (h *handler) authorized(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.cfg.InsecureNoAuth && h.cfg.Token == "" {
			next(w, r)
			return
		}
		if !h.tokenMatches(r.Header.Get("Authorization")) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="dpskmigrate"`)
			writeProblem(w, r, Problem{Status: http.StatusUnauthorized,
				Detail: "send the trigger's token as Authorization: Bearer <token>"})
			return
		}
		next(w, r)
	})
}

func (h *handler) tokenMatches(header string) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || h.cfg.Token == "" {
		return false
	}
	token = strings.TrimSpace(token)
	return subtle.ConstantTimeCompare([]byte(token), []byte(h.cfg.Token)) == 1
}

// statusRecorder remembers the status for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// logged logs one line per request: never the query, headers or body.
func (h *handler) logged(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		began := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		h.log.LogAttrs(r.Context(), level, "http request",
			slog.String("method", r.Method), slog.String("path", r.URL.EscapedPath()),
			slog.Int("status", rec.status), slog.Int64("bytes", rec.bytes),
			slog.Duration("duration", time.Since(began)), slog.String("remote", r.RemoteAddr))
	})
}

func (h *handler) status(w http.ResponseWriter, r *http.Request) {
	st, err := h.svc.Status(r.Context(), r.PathValue("id"))
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (h *handler) pools(w http.ResponseWriter, r *http.Request) {
	view, err := h.svc.Pools(r.Context(), r.PathValue("id"))
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, view)
}

// CancelResponse answers an accepted cancellation.
type CancelResponse struct {
	WorkflowID string `json:"workflowId"`
	StatusURL  string `json:"statusUrl"`
	Detail     string `json:"detail"`
}

func (h *handler) cancel(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	st, err := h.svc.Status(r.Context(), id)
	if err != nil {
		h.serviceError(w, r, err)
		return
	}
	// Temporal answers "not found" when cancelling a finished workflow; say what happened instead.
	if st.State != "RUNNING" {
		writeProblem(w, r, Problem{Type: ProblemNotRunning, Title: "Migration is not running", Status: http.StatusConflict,
			Detail: "the migration has already ended: " + st.State})
		return
	}
	if err := h.svc.Cancel(r.Context(), id); err != nil {
		h.serviceError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, CancelResponse{WorkflowID: id, StatusURL: statusURL(id),
		Detail: "cancellation requested: running pools finish the R1 calls in flight and report what R1 holds"})
}

// Health answers /healthz.
type Health struct {
	Status   string `json:"status"`
	Temporal string `json:"temporal"`
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.HealthTimeout)
	defer cancel()
	if _, err := h.svc.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{}); err != nil {
		// The detail (addresses, TLS and auth errors) is for the log, not for whoever asks.
		h.log.Warn("temporal health check failed", "error", err)
		writeProblem(w, r, Problem{Status: http.StatusServiceUnavailable, Detail: "Temporal is not reachable; the trigger's log says why"})
		return
	}
	writeJSON(w, http.StatusOK, Health{Status: "ok", Temporal: "ok"})
}

func (h *handler) serviceError(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, migrations.ErrNotFound):
		writeProblem(w, r, Problem{Status: http.StatusNotFound, Detail: "no migration with ID " + r.PathValue("id")})
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		writeProblem(w, r, Problem{Status: http.StatusGatewayTimeout, Detail: "Temporal did not answer in time"})
	default:
		h.log.Error("request failed", "path", r.URL.EscapedPath(), "error", err)
		writeProblem(w, r, Problem{Status: http.StatusInternalServerError, Detail: err.Error()})
	}
}

func statusURL(id string) string { return "/v1/migrations/" + url.PathEscape(id) }
