package r1client_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestActivityAppearsLateThenPendsThenSucceeds(t *testing.T) {
	clk := newFakeClock()
	e := newEnv(t, r1sim.Options{Clock: clk.Now, ActivityNotFoundFor: 2 * time.Second, ActivityPendingFor: 2 * time.Second},
		func(c *r1client.Config) { c.Clock = clk.Now })
	ctx := context.Background()
	start := clk.Now()
	acc, err := e.c.IdentityGroups.Create(ctx, "late", "")
	if err != nil {
		t.Fatal(err)
	}
	// The write is visible at once even though its activity is not.
	if g, err := e.c.IdentityGroups.FindByName(ctx, "late"); g == nil || err != nil {
		t.Fatalf("group not visible right after the 202: %v", err)
	}
	steps := []struct {
		advance time.Duration
		want    string // "" = 404
	}{
		{0, ""},
		{1900 * time.Millisecond, ""},
		{200 * time.Millisecond, r1client.StatusPending},
		{1000 * time.Millisecond, r1client.StatusInProgress},
		{1000 * time.Millisecond, r1client.StatusSuccess},
	}
	for _, st := range steps {
		clk.Advance(st.advance)
		a, err := e.c.Activities.Get(ctx, acc.RequestID)
		if st.want == "" {
			var nf *r1client.NotFoundError
			if !errors.As(err, &nf) {
				t.Fatalf("at +%s: %v %+v, want *NotFoundError", clk.Now().Sub(start), err, a)
			}
			continue
		}
		if err != nil || a.Status != st.want || a.RequestID != acc.RequestID {
			t.Fatalf("at +%s: %+v, %v; want %s", clk.Now().Sub(start), a, err, st.want)
		}
		if a.Done() != (st.want == r1client.StatusSuccess) || a.EndDatetime == "" && a.Done() {
			t.Fatalf("at +%s: Done()=%v end=%q", clk.Now().Sub(start), a.Done(), a.EndDatetime)
		}
	}

	p, err := e.c.Activities.Query(ctx, start.Add(-time.Minute), clk.Now().Add(time.Minute), 1, 100)
	if err != nil || p.TotalCount != 1 || p.Items[0].RequestID != acc.RequestID || p.Items[0].Status != r1client.StatusSuccess {
		t.Fatalf("Query over the window: %+v, %v", p, err)
	}
	p, err = e.c.Activities.Query(ctx, start.Add(-time.Hour), start.Add(-time.Minute), 1, 100)
	if err != nil || p.TotalCount != 0 {
		t.Fatalf("Query before the write: %+v, %v", p, err)
	}
}

func TestActivityQueryPagesFromOne(t *testing.T) {
	clk := newFakeClock()
	e := newEnv(t, r1sim.Options{Clock: clk.Now})
	ctx := context.Background()
	start := clk.Now()
	for i := 0; i < 5; i++ {
		clk.Advance(time.Second)
		if _, err := e.c.PolicySets.Create(ctx, "x"+string(rune('a'+i)), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.c.IdentityGroups.Create(ctx, "g"+string(rune('a'+i)), ""); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for page := 1; ; page++ {
		p, err := e.c.Activities.Query(ctx, start, clk.Now(), page, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range p.Items {
			seen[a.RequestID] = true
		}
		if p.Last {
			break
		}
	}
	if len(seen) != 5 { // policy sets are synchronous: only the group creations have activities
		t.Fatalf("%d activities, want 5", len(seen))
	}
}

func TestFailureMessage(t *testing.T) {
	tests := []struct{ name, raw, want string }{
		{"observed double encoding",
			`{"requestId":"r1","errors":["{\"message\":\"Validation Error\",\"subErrors\":[{\"object\":\"DPSK service\",\"field\":\"name\",\"message\":\"Name must be unique\"}]}"]}`,
			"DPSK service.name: Name must be unique"},
		{"the whole text itself a JSON string",
			`"{\"errors\":[\"{\\\"message\\\":\\\"Validation Error\\\",\\\"subErrors\\\":[{\\\"object\\\":\\\"DPSK passphrase\\\",\\\"field\\\":\\\"username\\\",\\\"message\\\":\\\"Passphrase username already exists\\\"}]}\"]}"`,
			"DPSK passphrase.username: Passphrase username already exists"},
		{"two sub-errors", `{"errors":[{"subErrors":[{"field":"a","message":"x"},{"object":"o","field":"b","message":"y"}]}]}`, "a: x; o.b: y"},
		{"message only", `{"errors":["{\"message\":\"Something broke\"}"]}`, "Something broke"},
		{"plain text", `upstream timeout`, "upstream timeout"},
		{"errors as plain strings", `{"errors":["first","second"]}`, "first; second"},
	}
	for _, tt := range tests {
		a := r1client.Activity{Status: r1client.StatusFail, Error: tt.raw}
		if got := a.FailureMessage(); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := (r1client.Activity{Status: r1client.StatusSuccess}).FailureMessage(); got != "" {
		t.Errorf("success has failure message %q", got)
	}
}
