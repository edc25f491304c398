package r1sim

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// createGroup sends POST /identityGroups with ctx and returns the status.
func createGroup(s *Sim, ctx context.Context, tok, name string) int {
	r := httptest.NewRequest("POST", "/identityGroups", strings.NewReader(`{"name":"`+name+`"}`)).WithContext(ctx)
	r.Header.Set("Authorization", "Bearer "+tok)
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w.Code
}

func TestAbandonedCountsCallsWhoseClientWentAway(t *testing.T) {
	s := New(Options{Latency: Latency{Median: 10 * time.Millisecond}})
	tok := token(t, s, "t1")

	// A client that waits for the answer is not counted.
	if code := createGroup(s, context.Background(), tok, "answered"); code != http.StatusAccepted {
		t.Fatalf("create: %d", code)
	}
	if st := s.Stats(); st.Abandoned != 0 {
		t.Fatalf("abandoned %d after an answered call", st.Abandoned)
	}

	// A client gone during the latency: counted, nothing applied.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	createGroup(s, gone, tok, "gone-during-latency")
	st := s.Stats()
	if st.Abandoned != 1 || st.Tenants["t1"].Abandoned != 1 {
		t.Fatalf("abandoned %d (tenant %d), want 1", st.Abandoned, st.Tenants["t1"].Abandoned)
	}
	if n := len(s.Inventory("t1").IdentityGroups); n != 1 {
		t.Fatalf("%d groups, want only the answered one", n)
	}

	// No latency: the call is handled, but its answer has nobody to go to.
	if err := s.Configure(Settings{LatencyMedian: new(Duration)}); err != nil {
		t.Fatal(err)
	}
	createGroup(s, gone, tok, "gone-before-the-answer")
	if st := s.Stats(); st.Abandoned != 2 {
		t.Fatalf("abandoned %d, want 2", st.Abandoned)
	}
}
