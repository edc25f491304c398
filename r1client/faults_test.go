package r1client_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestRateLimitIsATypedErrorCarryingRetryAfter(t *testing.T) {
	clk := newFakeClock()
	e := newEnv(t, r1sim.Options{Clock: clk.Now, RateLimitPerMinute: 60, Burst: 2, SendRetryAfter: true})
	ctx := context.Background()
	for i := 0; i < 2; i++ {
		if _, err := e.c.PolicySets.Query(ctx, 0, 10); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := e.c.PolicySets.Query(ctx, 0, 10)
	var rl *r1client.RateLimitError
	if !errors.As(err, &rl) || rl.StatusCode != http.StatusTooManyRequests || rl.RetryAfter != time.Second || !r1client.Retryable(err) {
		t.Fatalf("got %v, want a retryable *RateLimitError with RetryAfter 1s", err)
	}
	clk.Advance(rl.RetryAfter) // honour it
	if _, err := e.c.PolicySets.Query(ctx, 0, 10); err != nil {
		t.Fatalf("after waiting Retry-After: %v", err)
	}
	if st := e.sim.Stats(); st.RateLimited != 1 || st.Tenants[testTenant].RateLimited != 1 {
		t.Fatalf("stats: %+v", st)
	}

	if err := e.sim.Configure(r1sim.Settings{SendRetryAfter: ptr(false)}); err != nil {
		t.Fatal(err)
	}
	e.c.PolicySets.Query(ctx, 0, 10)
	_, err = e.c.PolicySets.Query(ctx, 0, 10)
	if !errors.As(err, &rl) || rl.RetryAfter != 0 {
		t.Fatalf("without Retry-After: %v (RetryAfter %v), want 0", err, rl.RetryAfter)
	}
}

func TestServerErrorsAreRetryable(t *testing.T) {
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{ServerErrorRate: 1}})
	_, err := e.c.IdentityGroups.Create(context.Background(), "g", "")
	var se *r1client.ServerError
	if !errors.As(err, &se) || se.StatusCode < 500 || !r1client.Retryable(err) {
		t.Fatalf("got %v, want a retryable *ServerError", err)
	}
	if inv := e.sim.Inventory(testTenant); len(inv.IdentityGroups) != 0 {
		t.Fatal("a 5xx fault must not apply the write")
	}
	if st := e.sim.Stats(); st.ServerErrors != 1 {
		t.Fatalf("serverErrors = %d", st.ServerErrors)
	}
}

func TestSlowResponsesTimeOut(t *testing.T) {
	e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{SlowRate: 1, SlowDelay: 2 * time.Second}},
		func(c *r1client.Config) { c.Timeout = 50 * time.Millisecond })
	start := time.Now()
	_, err := e.c.IdentityGroups.Query(context.Background(), "", 0, 10)
	var te *r1client.TransportError
	if !errors.As(err, &te) || !te.Timeout || !r1client.Retryable(err) {
		t.Fatalf("got %v, want a retryable timeout *TransportError", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("the per-request timeout took %s", d)
	}
	if st := e.sim.Stats(); st.SlowResponses != 1 {
		t.Fatalf("slowResponses = %d", st.SlowResponses)
	}
}

func TestCommitThenFailAppliesTheWrite(t *testing.T) {
	for _, mode := range []string{"502", "cut"} {
		t.Run(mode, func(t *testing.T) {
			e := newEnv(t, r1sim.Options{Faults: r1sim.Faults{CommitThenFailRate: 1, CommitThenFailMode: mode}})
			ctx := context.Background()
			_, err := e.c.IdentityGroups.Create(ctx, "committed", "")
			switch mode {
			case "502":
				var se *r1client.ServerError
				if !errors.As(err, &se) || se.StatusCode != http.StatusBadGateway {
					t.Fatalf("got %v, want *ServerError 502", err)
				}
			case "cut":
				var te *r1client.TransportError
				if !errors.As(err, &te) || te.Timeout {
					t.Fatalf("got %v, want a non-timeout *TransportError", err)
				}
			}
			if !r1client.Retryable(err) {
				t.Fatalf("%v must be retryable", err)
			}
			// The write happened: a retry must find it first (the migration's idempotency).
			g, err := e.c.IdentityGroups.FindByName(ctx, "committed")
			if err != nil || g == nil {
				t.Fatalf("reads are never faulted and the group must exist: %+v, %v", g, err)
			}
			if st := e.sim.Stats(); st.CommitThenFail != 1 {
				t.Fatalf("commitThenFail = %d", st.CommitThenFail)
			}
		})
	}
}

func TestContextCancellationIsHonoured(t *testing.T) {
	e := newEnv(t, r1sim.Options{Latency: r1sim.Latency{Median: time.Second}})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.c.IdentityGroups.Query(ctx, "", 0, 1)
	if !errors.Is(err, context.DeadlineExceeded) || r1client.Retryable(err) {
		t.Fatalf("got %v, want the caller's deadline, not retryable", err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Fatalf("cancellation took %s", d)
	}
	ctx, cancel = context.WithCancel(context.Background())
	cancel()
	if _, err := e.c.Pools.Get(ctx, "x"); !errors.Is(err, context.Canceled) || r1client.Retryable(err) {
		t.Fatalf("got %v, want context.Canceled, not retryable", err)
	}
}

func TestConnectionsAreReused(t *testing.T) {
	var conns atomic.Int32
	srv := httptest.NewUnstartedServer(r1sim.New(r1sim.Options{}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 50; i++ {
		if _, err := c.PolicySets.Query(context.Background(), 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Fatalf("51 sequential requests opened %d connections, want 1", n)
	}
}
