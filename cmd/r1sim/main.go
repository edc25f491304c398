// Command r1sim serves the in-memory RUCKUS One simulator (package
// r1client/r1sim) for rehearsals, demos and end-to-end tests. Every simulator
// knob is a flag; the same knobs can be changed at run time with
// POST /__sim/config. It serves on loopback unless -allow-remote is given:
// its inventory holds passphrases.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "r1sim:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends (SIGINT/SIGTERM in main), then shuts down
// gracefully. ready, if set, is told the listening address.
func run(ctx context.Context, args []string, stderr io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("r1sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		addr        = fs.String("addr", "127.0.0.1:8555", "listen address (loopback unless -allow-remote)")
		allowRemote = fs.Bool("allow-remote", false, "allow a non-loopback listen address (e.g. inside a container)")
		logLevel    = fs.String("log-level", "info", "debug (one line per request), info, warn or error")
		rate        = fs.Int("rate-limit", 2000, "calls per minute per tenant (token bucket); 0 = unlimited")
		burst       = fs.Int("burst", 0, "token bucket capacity; 0 = one second's worth")
		retryAfter  = fs.Bool("retry-after", true, "send Retry-After (seconds) with 429s")
		latMedian   = fs.Duration("latency-median", 0, "median simulated latency (log-normal); 0 = off")
		latSigma    = fs.Float64("latency-sigma", 0.5, "log-normal spread of the latency")
		act404      = fs.Duration("activity-not-found-for", 500*time.Millisecond, "activities answer 404 this long after the write")
		actPending  = fs.Duration("activity-pending-for", 500*time.Millisecond, "then PENDING/INPROGRESS this long")
		visibility  = fs.Duration("visibility-delay", 3*time.Second, "a write shows in reads this long after its 202, as in R1 (eventual consistency); its activity completes no earlier; 0 = at once")
		tokenTTL    = fs.Duration("token-ttl", time.Hour, "access token lifetime")
		fault5xx    = fs.Float64("fault-5xx", 0, "rate (0..1) of 500/503 answers")
		faultSlow   = fs.Float64("fault-slow", 0, "rate (0..1) of answers delayed by -slow-delay")
		slowDelay   = fs.Duration("slow-delay", 35*time.Second, "delay of slow answers (beyond the client's timeout)")
		faultCommit = fs.Float64("fault-commit-then-fail", 0, "rate (0..1) of writes applied but answered with a 502 or a cut connection")
		commitMode  = fs.String("commit-then-fail-mode", "mixed", "mixed, 502 or cut")
		commitOps   = fs.String("commit-then-fail-ops", "", `comma-separated write operations the fault applies to, e.g. "creates" or "POST /dpskServices/{id}/passphrases"; empty = every write`)
		faultQuote  = fs.Float64("fault-quote-passphrase", 0, "rate (0..1) of passphrase creates and CSV imports refused with R1's answer quoting a passphrase")
		faultHeader = fs.Bool("fault-import-header", false, "refuse every passphrase CSV import at its header, as if R1 had changed its template")
		faultDrop   = fs.Bool("fault-import-drops-rows", false, "passphrase CSV imports silently leave out every other entry; their activity still succeeds")
		seed        = fs.Int64("seed", 1, "random seed (ids, latency, faults)")
		creds       = fs.String("credentials", "", "comma-separated clientId:secret pairs; empty = accept any (also R1SIM_CREDENTIALS)")
		// R1 behaviours around Wi-Fi networks that the contract leaves open (r1sim.NetworkBehaviour).
		ssidLimit     = fs.Int("ssid-limit", r1sim.DefaultSSIDLimit, "most Wi-Fi networks per AP group (venue-wide ones count in every group)")
		limitRefusal  = fs.String("ssid-limit-refusal", "sync", "an activation past -ssid-limit: sync (422) or async (202, then a FAIL activity)")
		wording       = fs.String("network-error-wording", "a", "a or b: which texts R1 uses for the limit, already activated, duplicate name/SSID")
		alreadyActive = fs.String("already-activated", "fail", "activating an active network: fail (FAIL activity) or success")
		duplicate     = fs.String("duplicate-network", "async", "creating a network with a name or SSID in use: async (FAIL activity) or conflict (409)")
		rebind        = fs.String("rebind-pool", "replace", "binding a network to a second pool: replace or refuse (FAIL activity)")
		networkGet    = fs.String("network-get", "frozen", "what GET /wifiNetworks/{id} shows of activations and the bound pool: frozen, lag or current")
		networkGetLag = fs.Duration("network-get-lag", time.Minute, "how stale -network-get=lag is")
		exposePool    = fs.Bool("expose-bound-pool", false, "network rows and GET bodies carry the bound pool as dpskServiceProfileId")
	)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := checkLoopback(*addr, *allowRemote); err != nil {
		return err
	}
	if *creds == "" {
		*creds = os.Getenv("R1SIM_CREDENTIALS")
	}
	credentials, err := parseCredentials(*creds)
	if err != nil {
		return err
	}
	opts := r1sim.Options{
		RateLimitPerMinute:  *rate,
		Burst:               *burst,
		SendRetryAfter:      *retryAfter,
		Latency:             r1sim.Latency{Median: *latMedian, Sigma: *latSigma},
		ActivityNotFoundFor: *act404,
		ActivityPendingFor:  *actPending,
		VisibilityDelay:     *visibility,
		TokenTTL:            *tokenTTL,
		Faults: r1sim.Faults{ServerErrorRate: *fault5xx, SlowRate: *faultSlow, SlowDelay: *slowDelay,
			CommitThenFailRate: *faultCommit, CommitThenFailMode: *commitMode, CommitThenFailOps: splitList(*commitOps),
			QuotePassphraseRate: *faultQuote, ImportHeaderChanged: *faultHeader, ImportDropsRows: *faultDrop},
		Seed:        *seed,
		Credentials: credentials,
		Logger:      log,
		Networks: r1sim.NetworkBehaviour{SSIDLimit: *ssidLimit, LimitRefusal: *limitRefusal, Wording: *wording,
			AlreadyActive: *alreadyActive, Duplicate: *duplicate, Rebind: *rebind, StaleGet: *networkGet,
			StaleGetLag: *networkGetLag, ExposePool: *exposePool},
	}
	sim := r1sim.New(opts)
	// Validate the knobs the same way POST /__sim/config does.
	if err := sim.Configure(r1sim.SettingsOf(opts)); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("r1sim listening", "addr", ln.Addr().String(), "rateLimitPerMinute", *rate,
		"latencyMedian", *latMedian, "activityNotFoundFor", *act404, "activityPendingFor", *actPending, "visibilityDelay", *visibility,
		"fault5xx", *fault5xx, "faultSlow", *faultSlow, "faultCommitThenFail", *faultCommit,
		"credentials", len(credentials))
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("r1sim shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Slow-fault handlers may still be sleeping; drop them.
		_ = srv.Close()
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	st := sim.Stats()
	log.Info("r1sim stopped", "totalCalls", st.TotalCalls, "rateLimited", st.RateLimited)
	return nil
}

func checkLoopback(addr string, allowRemote bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-addr: %w", err)
	}
	if allowRemote {
		return nil
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-addr %s is not a loopback address; pass -allow-remote to serve it anyway", addr)
}

// splitList reads "a, b" into its non-empty trimmed items.
func splitList(s string) []string {
	var out []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// parseCredentials reads "id:secret,id2:secret2". Errors never quote a secret.
func parseCredentials(s string) (map[string]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	out := map[string]string{}
	for i, pair := range strings.Split(s, ",") {
		id, secret, ok := strings.Cut(strings.TrimSpace(pair), ":")
		if !ok || id == "" || secret == "" {
			return nil, fmt.Errorf("-credentials: pair %d is not clientId:secret", i+1)
		}
		out[id] = secret
	}
	return out, nil
}
