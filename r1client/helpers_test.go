package r1client_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// fakeClock is shared by the simulator and the client where a test needs time to pass.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const (
	testTenant = "tenant-a"
	testSecret = "s3cr3t-client-secret-value"
)

type env struct {
	c   *r1client.Client
	sim *r1sim.Sim
	srv *httptest.Server
}

// newEnv starts a simulator on real HTTP and a client for it.
func newEnv(t testing.TB, opts r1sim.Options, mod ...func(*r1client.Config)) *env {
	t.Helper()
	sim := r1sim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	cfg := r1client.Config{BaseURL: srv.URL, TenantID: testTenant, ClientID: "client-1", ClientSecret: testSecret, Timeout: 5 * time.Second}
	for _, m := range mod {
		m(&cfg)
	}
	c, err := r1client.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &env{c: c, sim: sim, srv: srv}
}

// mustSucceed waits for an activity (the simulator's timings are zero unless
// a test sets them) and fails the test unless it succeeded.
func mustSucceed(t testing.TB, c *r1client.Client, acc r1client.Accepted) {
	t.Helper()
	a := waitActivity(t, c, acc.RequestID)
	if a.Status != r1client.StatusSuccess {
		t.Fatalf("activity %s: status %s: %s", acc.RequestID, a.Status, a.FailureMessage())
	}
}

func waitActivity(t testing.TB, c *r1client.Client, requestID string) r1client.Activity {
	t.Helper()
	if requestID == "" {
		t.Fatal("no requestId in the 202 answer")
	}
	for i := 0; i < 200; i++ {
		a, err := c.Activities.Get(context.Background(), requestID)
		var nf *r1client.NotFoundError
		switch {
		case errors.As(err, &nf):
		case err != nil:
			t.Fatalf("activity %s: %v", requestID, err)
		case a.Done():
			return a
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("activity %s never finished", requestID)
	return r1client.Activity{}
}

// setup creates a group and a pool in it.
func setup(t testing.TB, c *r1client.Client, name string, length int) (groupID, poolID string) {
	t.Helper()
	ctx := context.Background()
	g, err := c.IdentityGroups.Create(ctx, name+"-group", "Cloudpath Import - "+name)
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, c, g)
	p, err := c.Pools.Create(ctx, g.ID, r1client.Pool{Name: name, PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: length})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, c, p)
	return g.ID, p.ID
}

func ptr[T any](v T) *T { return &v }
