package r1client_test

import (
	"context"
	"errors"
	"maps"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestRouteTemplateReplacesEveryIDAndKeepsR1Names(t *testing.T) {
	for _, tc := range []struct{ path, want string }{
		{"/identityGroups", "/identityGroups"},
		{"/identityGroups/query", "/identityGroups/query"},
		{"/identityGroups/6f1c0e52a4d94b7e9a0b3c1d2e4f5a6b", "/identityGroups/{id}"},
		{"/identityGroups/6F1C0E52-A4D9-4B7E-9A0B-3C1D2E4F5A6B/identities/0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f", "/identityGroups/{id}/identities/{id}"},
		{"/identityGroups/6f1c0e52-a4d9-4b7e-9a0b-3c1d2e4f5a6b/dpskServices", "/identityGroups/{id}/dpskServices"},
		{"/dpskServices/6f1c0e52-a4d9-4b7e-9a0b-3c1d2e4f5a6b/passphrases/query", "/dpskServices/{id}/passphrases/query"},
		{"/dpskServices/6f1c0e52-a4d9-4b7e-9a0b-3c1d2e4f5a6b/policySets/0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f", "/dpskServices/{id}/policySets/{id}"},
		{"/activities/deadbeef-cafe-babe-face-decafbadf00d", "/activities/{id}"},
		// Names of R1's other APIs: two names in a row, digits, dashes.
		{"/venues/apGroups/query", "/venues/apGroups/query"},
		{"/l2AclPolicies/12", "/l2AclPolicies/{id}"},
		{"/hotspot20Operators/query", "/hotspot20Operators/query"},
		{"/venues/6f1c0e52a4d94b7e9a0b3c1d2e4f5a6b/async-cleanup", "/venues/{id}/async-cleanup"},
		// Ids of any other shape are ids, never names.
		{"/dpskServices/deadbeefcafe", "/dpskServices/{id}"}, // hex without digits
		{"/dpskServices/pool-1/passphrases", "/dpskServices/{id}/passphrases"},
		{"/dpskServices/Pool/passphrases", "/dpskServices/{id}/passphrases"},
		{"/dpskServices/a%2Fb/passphrases", "/dpskServices/{id}/passphrases"},
		{"/dpskServices/xyz/passphrases", "/dpskServices/xyz/passphrases"}, // a name-shaped id stays: R1's ids are UUIDs
		{"/dpskServices/" + strings.Repeat("x", 65) + "/passphrases", "/dpskServices/{id}/passphrases"},
		// The token path's last segment is the tenant, whatever it looks like.
		{"/oauth2/token/tenant-a", "/oauth2/token/{id}"},
		{"/oauth2/token/acme", "/oauth2/token/{id}"},
		{"", "/"},
		{"/", "/"},
	} {
		if got := r1client.RouteTemplate(tc.path); got != tc.want {
			t.Errorf("RouteTemplate(%q) = %q, want %q", tc.path, got, tc.want)
		}
	}
}

func TestStatusClass(t *testing.T) {
	for status, want := range map[int]string{0: "transport", 200: "2xx", 202: "2xx", 204: "2xx", 400: "4xx", 401: "4xx", 404: "4xx", 429: "429", 500: "5xx", 503: "5xx", 302: "3xx", 999: "other"} {
		if got := r1client.StatusClass(status); got != want {
			t.Errorf("StatusClass(%d) = %q, want %q", status, got, want)
		}
	}
}

// observations records what Config.Observe is told.
type observations struct {
	mu      sync.Mutex
	byOp    map[string]int
	byClass map[string]int
}

func (o *observations) observe(op, class string, d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d < 0 {
		class = "negative duration"
	}
	o.byOp[op]++
	o.byClass[class]++
}

func (o *observations) snapshot() (map[string]int, map[string]int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return maps.Clone(o.byOp), maps.Clone(o.byClass)
}

// The simulator counts what it served under the names of its routes; the
// client observes every request it made. Both must agree, operation by
// operation, and a 429 and a 404 are told apart.
func TestEveryRequestIsObservedUnderTheSimulatorsOperationName(t *testing.T) {
	obs := &observations{byOp: map[string]int{}, byClass: map[string]int{}}
	e := newEnv(t, r1sim.Options{}, func(c *r1client.Config) { c.Observe = obs.observe })
	ctx := context.Background()

	groupID, poolID := setup(t, e.c, "observed", 12)
	acc, err := e.c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Username: "alice", Passphrase: "correct-horse-battery"})
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	page, err := e.c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Page: 1, PageSize: 10})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("query: %v %+v", err, page)
	}
	if _, err := e.c.Passphrases.Get(ctx, poolID, page.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Passphrases.List(ctx, poolID, 0, 10); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.Identities.List(ctx, groupID, 0, 10); err != nil {
		t.Fatal(err)
	}
	ps, err := e.c.PolicySets.Create(ctx, "observed-policies", "")
	if err != nil {
		t.Fatal(err)
	}
	if acc, err = e.c.Pools.AttachPolicySet(ctx, poolID, ps.ID); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	var nf *r1client.NotFoundError
	if _, err := e.c.IdentityGroups.Get(ctx, "0c9d8e7f-6a5b-4c3d-8e1f-0a9b8c7d6e5f"); !errors.As(err, &nf) {
		t.Fatalf("a missing group: %v, want a 404", err)
	}
	if err := e.sim.Configure(r1sim.Settings{RateLimitPerMinute: ptr(1), Burst: ptr(1)}); err != nil {
		t.Fatal(err)
	}
	var rl *r1client.RateLimitError
	for i := 0; i < 3 && rl == nil; i++ {
		_, err = e.c.Pools.Query(ctx, "", 1, 10)
		errors.As(err, &rl)
	}
	if rl == nil {
		t.Fatal("no 429 from a budget of one call per minute")
	}

	st := e.sim.Stats()
	byOp, byClass := obs.snapshot()
	if !maps.Equal(byOp, st.Calls) {
		t.Fatalf("observed %v\nsimulator served %v", byOp, st.Calls)
	}
	for _, op := range []string{"POST /oauth2/token/{id}", "POST /dpskServices/{id}/passphrases", "GET /dpskServices/{id}/passphrases/{id}", "PUT /dpskServices/{id}/policySets/{id}"} {
		if byOp[op] == 0 {
			t.Errorf("no %s observed: %v", op, byOp)
		}
	}
	if byClass["429"] != st.RateLimited || byClass["4xx"] == 0 || byClass["negative duration"] != 0 {
		t.Fatalf("classes %v, simulator rate limited %d", byClass, st.RateLimited)
	}
	total := 0
	for _, n := range byClass {
		total += n
	}
	if total != st.TotalCalls {
		t.Fatalf("classes add up to %d, simulator served %d", total, st.TotalCalls)
	}
}

func TestARequestWithoutAnswerIsObservedAsTransport(t *testing.T) {
	srv := httptest.NewServer(nil)
	url := srv.URL
	srv.Close() // nothing listens there any more
	obs := &observations{byOp: map[string]int{}, byClass: map[string]int{}}
	c, err := r1client.New(r1client.Config{BaseURL: url, TenantID: "t", ClientID: "c", ClientSecret: "s", Timeout: 2 * time.Second, Observe: obs.observe})
	if err != nil {
		t.Fatal(err)
	}
	var te *r1client.TransportError
	if _, err := c.Pools.Get(context.Background(), "6f1c0e52-a4d9-4b7e-9a0b-3c1d2e4f5a6b"); !errors.As(err, &te) {
		t.Fatalf("got %v, want a transport error", err)
	}
	byOp, byClass := obs.snapshot()
	if !maps.Equal(byOp, map[string]int{"POST /oauth2/token/{id}": 1}) || !maps.Equal(byClass, map[string]int{"transport": 1}) {
		t.Fatalf("observed %v %v: want the token request, without answer", byOp, byClass)
	}
}
