package r1sim

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Options configure a Sim. The zero value is a fast, unlimited, fault-free R1.
type Options struct {
	RateLimitPerMinute  int  // per tenant; 0 = no limit (cmd/r1sim defaults to 2000)
	Burst               int  // bucket capacity; 0 = one second's worth, at least 1
	SendRetryAfter      bool // add Retry-After (whole seconds) to 429s
	Latency             Latency
	ActivityNotFoundFor time.Duration // GET /activities/{id} answers 404 this long after the write
	ActivityPendingFor  time.Duration // then PENDING (first half) / INPROGRESS this long
	VisibilityDelay     time.Duration // a 202 write shows in reads this long after its acceptance; 0 = at once (see visibility.go)
	// RefuseUnfinishedParents refuses (404) a pool created under a group, or a
	// passphrase created in a pool, that R1 does not show yet: R1 may check a
	// reference against what its reads show.
	RefuseUnfinishedParents bool
	TokenTTL                time.Duration // default 1h
	Faults                  Faults
	Seed                    int64
	Clock                   func() time.Time  // optional, for tests; latency and slow faults still use real time
	Credentials             map[string]string // clientID → secret; nil = accept any non-empty pair
	Logger                  *slog.Logger      // optional request log (method, operation, tenant, status, duration)
	// Networks picks R1's behaviour where the contract does not establish it
	// (Wi-Fi networks, pool binding, venue activation).
	Networks NetworkBehaviour
}

// Sim is an in-memory R1. It implements http.Handler and is safe for heavy
// concurrent use: one mutex per tenant guards its data.
type Sim struct {
	mux   *http.ServeMux
	clock func() time.Time
	log   *slog.Logger

	optMu sync.RWMutex
	opts  Options

	rngMu sync.Mutex
	rng   *rand.Rand

	tokMu  sync.RWMutex
	tokens map[string]tokenInfo

	tenMu   sync.RWMutex
	tenants map[string]*tenant

	writeOps map[string]bool // the write operations, for validating CommitThenFailOps

	stats statsRecorder
}

type tokenInfo struct {
	tenant string
	expiry time.Time
}

// New builds a Sim.
func New(opts Options) *Sim {
	if opts.TokenTTL <= 0 {
		opts.TokenTTL = time.Hour
	}
	opts.Networks = opts.Networks.withDefaults()
	s := &Sim{
		mux:     http.NewServeMux(),
		clock:   opts.Clock,
		log:     opts.Logger,
		opts:    opts,
		rng:     rand.New(rand.NewPCG(uint64(opts.Seed), uint64(opts.Seed)^0x9e3779b97f4a7c15)),
		tokens:  map[string]tokenInfo{},
		tenants: map[string]*tenant{},
	}
	s.writeOps = map[string]bool{}
	if s.clock == nil {
		s.clock = time.Now
	}
	s.stats.reset()
	s.routes()
	return s
}

// ServeHTTP serves the R1 routes and the /__sim/ inspection API.
func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Sim) now() time.Time { return s.clock() }

func (s *Sim) options() Options {
	s.optMu.RLock()
	defer s.optMu.RUnlock()
	return s.opts
}

func (s *Sim) float() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.Float64()
}

func (s *Sim) norm() float64 {
	s.rngMu.Lock()
	defer s.rngMu.Unlock()
	return s.rng.NormFloat64()
}

// newID is a random (seeded) version-4 UUID.
func (s *Sim) newID() string {
	var b [16]byte
	s.rngMu.Lock()
	for i := 0; i < 16; i += 8 {
		v := s.rng.Uint64()
		for j := 0; j < 8; j++ {
			b[i+j] = byte(v >> (8 * j))
		}
	}
	s.rngMu.Unlock()
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

func (s *Sim) randomHex(n int) string {
	b := make([]byte, n)
	s.rngMu.Lock()
	for i := range b {
		b[i] = byte(s.rng.Uint32())
	}
	s.rngMu.Unlock()
	return hex.EncodeToString(b)
}

// sampleLatency draws one service time from the configured distribution.
func (s *Sim) sampleLatency(l Latency) time.Duration {
	if l.Median <= 0 {
		return 0
	}
	f := math.Exp(l.Sigma * s.norm())
	f = math.Min(f, 20) // keep the tail finite
	return time.Duration(float64(l.Median) * f)
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

var wildcard = regexp.MustCompile(`\{[^}]+\}`)

// opName turns a mux pattern into the stats name, e.g.
// "POST /dpskServices/{poolId}/passphrases" → "POST /dpskServices/{id}/passphrases".
func opName(pattern string) string { return wildcard.ReplaceAllString(pattern, "{id}") }

// r1Handler serves one R1 operation. It decodes its body before taking the
// tenant lock and returns the answer, which is written after the lock is released.
type r1Handler func(r *http.Request, t *tenant) reply

// reply is an HTTP answer: a status, a JSON body (nil = none) and headers.
type reply struct {
	code int
	body any
}

func errReply(code int, msg string, subs ...subError) reply {
	return reply{code: code, body: apiError{
		Status:    statusText(code),
		Timestamp: time.Now().UTC().Format(timeFormat),
		Message:   msg,
		SubErrors: subs,
	}}
}

func writeReply(w http.ResponseWriter, rep reply) {
	if rep.body == nil {
		w.WriteHeader(rep.code)
		return
	}
	writeJSON(w, rep.code, rep.body)
}

// r1 registers an R1 route behind the common pipeline: bearer token, tenant,
// rate limit, latency, faults, stats.
func (s *Sim) r1(pattern string, write bool, h r1Handler) {
	op := opName(pattern)
	if write {
		s.writeOps[op] = true
	}
	s.mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w}
		tenantID := s.serveR1(rw, r, op, write, h)
		if s.log != nil {
			s.log.LogAttrs(r.Context(), slog.LevelDebug, "r1sim request", slog.String("method", r.Method),
				slog.String("op", op), slog.String("tenant", tenantID), slog.Int("status", rw.code()),
				slog.Duration("duration", time.Since(start)))
		}
	})
}

func (s *Sim) serveR1(w *statusWriter, r *http.Request, op string, write bool, h r1Handler) string {
	opts := s.options()
	tenantID, ok := s.authenticate(r)
	if !ok {
		s.stats.unauthorized(op)
		writeError(w, http.StatusUnauthorized, "Full authentication is required to access this resource")
		return ""
	}
	if msp := r.Header.Get("x-rks-tenantid"); msp != "" {
		tenantID = msp // an MSP acting for one of its customer tenants
	}
	// Read the body now: until it is consumed net/http cannot notice a client
	// that hangs up, and the latency and slow-fault sleeps must end with it.
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(r.Body, int64(bodyLimit(op))+1))
		if err != nil {
			s.stats.abandoned(tenantID)
			return tenantID
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
	}
	t := s.tenant(tenantID)
	s.stats.call(op, tenantID)
	if ok, wait := t.bucket.take(s.now()); !ok {
		s.stats.rateLimited(tenantID)
		if opts.SendRetryAfter {
			w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		}
		writeError(w, http.StatusTooManyRequests, "Too many requests, the tenant's API rate limit is exceeded")
		return tenantID
	}
	if !sleepCtx(r.Context(), s.sampleLatency(opts.Latency)) {
		s.stats.abandoned(tenantID)
		return tenantID
	}
	f := opts.Faults
	if f.ServerErrorRate > 0 && s.float() < f.ServerErrorRate {
		s.stats.serverError(tenantID)
		code := http.StatusInternalServerError
		if s.float() < 0.5 {
			code = http.StatusServiceUnavailable
		}
		writeError(w, code, "Internal error, please try again later")
		return tenantID
	}
	if f.SlowRate > 0 && s.float() < f.SlowRate {
		s.stats.slow(tenantID)
		d := f.SlowDelay
		if d <= 0 {
			d = 35 * time.Second
		}
		if !sleepCtx(r.Context(), d) {
			s.stats.abandoned(tenantID)
			return tenantID // the client gave up; nothing is applied
		}
	}
	if write && f.CommitThenFailRate > 0 && faultsOp(f.CommitThenFailOps, op) && s.float() < f.CommitThenFailRate {
		s.stats.commitThenFail(tenantID)
		h(r, t) // the write is applied...
		cut := f.CommitThenFailMode == "cut" || ((f.CommitThenFailMode == "" || f.CommitThenFailMode == "mixed") && s.float() < 0.5)
		if cut {
			if hj, ok := w.ResponseWriter.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close() // ...and the answer never arrives
					w.status = -1
					return tenantID
				}
			}
		}
		writeError(w, http.StatusBadGateway, "Bad gateway") // ...and the answer is lost
		return tenantID
	}
	if q := s.quoteHandler(op); q != nil && f.QuotePassphraseRate > 0 && s.float() < f.QuotePassphraseRate {
		h = q
	}
	rep := h(r, t)
	if r.Context().Err() != nil {
		s.stats.abandoned(tenantID) // the call was handled, but nobody waits for the answer
	}
	writeReply(w, rep)
	return tenantID
}

// authenticate resolves the bearer token to its tenant.
func (s *Sim) authenticate(r *http.Request) (string, bool) {
	auth := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || tok == "" {
		return "", false
	}
	s.tokMu.RLock()
	ti, ok := s.tokens[tok]
	s.tokMu.RUnlock()
	if !ok || !s.now().Before(ti.expiry) {
		return "", false
	}
	return ti.tenant, true
}

// tenant returns the tenant, creating it on first use.
func (s *Sim) tenant(id string) *tenant {
	s.tenMu.RLock()
	t := s.tenants[id]
	s.tenMu.RUnlock()
	if t != nil {
		return t
	}
	s.tenMu.Lock()
	defer s.tenMu.Unlock()
	if t = s.tenants[id]; t == nil {
		o := s.options()
		t = newTenant(id, newBucket(o.RateLimitPerMinute, o.Burst, s.now()))
		s.tenants[id] = t
	}
	return t
}

// handleToken is POST /oauth2/token/{tenantId}: OAuth2 client credentials.
func (s *Sim) handleToken(w http.ResponseWriter, r *http.Request) {
	tenantID := r.PathValue("tenantId")
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		s.stats.tokenCall(false)
		writeOAuthError(w, http.StatusBadRequest, "invalid_request")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" {
		s.stats.tokenCall(false)
		writeOAuthError(w, http.StatusBadRequest, "unsupported_grant_type")
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	opts := s.options()
	valid := id != "" && secret != ""
	if valid && opts.Credentials != nil {
		want, known := opts.Credentials[id]
		valid = known && subtle.ConstantTimeCompare([]byte(want), []byte(secret)) == 1
	}
	if !valid || tenantID == "" {
		s.stats.tokenCall(false)
		writeOAuthError(w, http.StatusUnauthorized, "invalid_client")
		return
	}
	s.stats.tokenCall(true)
	s.tenant(tenantID)
	tok := s.randomHex(24)
	now := s.now()
	s.tokMu.Lock()
	if len(s.tokens) > 10000 {
		for k, v := range s.tokens {
			if !now.Before(v.expiry) {
				delete(s.tokens, k)
			}
		}
	}
	s.tokens[tok] = tokenInfo{tenant: tenantID, expiry: now.Add(opts.TokenTTL)}
	s.tokMu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok,
		"token_type":   "Bearer",
		"expires_in":   int64(math.Ceil(opts.TokenTTL.Seconds())),
	})
}

func writeOAuthError(w http.ResponseWriter, code int, e string) {
	writeJSON(w, code, map[string]string{"error": e})
}

// apiError is R1's error body (IDM ApiError / APM ErrorResource shape).
type apiError struct {
	Status    string     `json:"status"`
	Timestamp string     `json:"timestamp"`
	Message   string     `json:"message"`
	SubErrors []subError `json:"subErrors,omitempty"`
	RequestID string     `json:"requestId,omitempty"`
}

type subError struct {
	Code    string `json:"code,omitempty"`
	Object  string `json:"object,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func statusText(code int) string {
	return strconv.Itoa(code) + " " + strings.ToUpper(strings.ReplaceAll(http.StatusText(code), " ", "_"))
}

func writeError(w http.ResponseWriter, code int, msg string, subs ...subError) {
	writeJSON(w, code, apiError{
		Status:    statusText(code),
		Timestamp: time.Now().UTC().Format(timeFormat),
		Message:   msg,
		SubErrors: subs,
	})
}

const timeFormat = "2006-01-02T15:04:05.000Z"

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"message":"encoding error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
