package r1client_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

func TestNewChoosesTheRegionHost(t *testing.T) {
	base := r1client.Config{TenantID: "t", ClientID: "c", ClientSecret: "s"}
	tests := []struct {
		region, baseURL, want string
		wantErr               bool
	}{
		{region: "", want: "https://api.ruckus.cloud"},
		{region: "NA", want: "https://api.ruckus.cloud"},
		{region: "eu", want: "https://api.eu.ruckus.cloud"},
		{region: "ASIA", want: "https://api.asia.ruckus.cloud"},
		{region: "EU", baseURL: "http://127.0.0.1:8555/", want: "http://127.0.0.1:8555"},
		{region: "MARS", wantErr: true},
		{baseURL: "ftp://x", wantErr: true},
	}
	for _, tt := range tests {
		cfg := base
		cfg.Region, cfg.BaseURL = tt.region, tt.baseURL
		c, err := r1client.New(cfg)
		if tt.wantErr {
			if err == nil {
				t.Errorf("region %q base %q: want an error", tt.region, tt.baseURL)
			}
			continue
		}
		if err != nil || c.BaseURL() != tt.want {
			t.Errorf("region %q base %q: got %v, %v; want %s", tt.region, tt.baseURL, c, err, tt.want)
		}
	}
	if _, err := r1client.New(r1client.Config{TenantID: "t", ClientID: "c"}); err == nil {
		t.Error("a config without a secret must be refused")
	}
}

func TestTokenIsFetchedOnceAndCached(t *testing.T) {
	e := newEnv(t, r1sim.Options{Credentials: map[string]string{"client-1": testSecret}})
	ctx := context.Background()
	for i := 0; i < 5; i++ {
		if _, err := e.c.IdentityGroups.Query(ctx, "", 0, 10); err != nil {
			t.Fatal(err)
		}
	}
	if st := e.sim.Stats(); st.TokensIssued != 1 || st.Unauthorized != 0 {
		t.Fatalf("tokens issued %d, unauthorized %d; want 1 and 0", st.TokensIssued, st.Unauthorized)
	}
}

func TestBadCredentialsAreUnauthorizedWithoutTheSecret(t *testing.T) {
	e := newEnv(t, r1sim.Options{Credentials: map[string]string{"client-1": "another-secret"}})
	_, err := e.c.IdentityGroups.Query(context.Background(), "", 0, 10)
	var ue *r1client.UnauthorizedError
	if !errors.As(err, &ue) {
		t.Fatalf("got %v, want *UnauthorizedError", err)
	}
	if strings.Contains(err.Error(), testSecret) || r1client.Retryable(err) {
		t.Fatalf("error %q leaks the secret or is retryable", err)
	}
}

func TestTokenIsRefreshedBeforeItExpires(t *testing.T) {
	clk := newFakeClock()
	e := newEnv(t, r1sim.Options{TokenTTL: 10 * time.Minute, Clock: clk.Now}, func(c *r1client.Config) { c.Clock = clk.Now })
	ctx := context.Background()
	if _, err := e.c.IdentityGroups.Query(ctx, "", 0, 1); err != nil {
		t.Fatal(err)
	}
	clk.Advance(9*time.Minute + 30*time.Second) // inside the refresh margin, not yet expired
	if _, err := e.c.IdentityGroups.Query(ctx, "", 0, 1); err != nil {
		t.Fatal(err)
	}
	if st := e.sim.Stats(); st.TokensIssued != 2 || st.Unauthorized != 0 {
		t.Fatalf("tokens issued %d, unauthorized %d; want a proactive refresh (2, 0)", st.TokensIssued, st.Unauthorized)
	}
}

func TestTokenIsRefreshedOnceOn401(t *testing.T) {
	simClock := newFakeClock()
	e := newEnv(t, r1sim.Options{TokenTTL: time.Hour, Clock: simClock.Now}) // the client keeps its own clock
	ctx := context.Background()
	if _, err := e.c.IdentityGroups.Query(ctx, "", 0, 1); err != nil {
		t.Fatal(err)
	}
	simClock.Advance(2 * time.Hour) // R1 expired the token; the client still believes in it
	if _, err := e.c.IdentityGroups.Query(ctx, "", 0, 1); err != nil {
		t.Fatalf("call after server-side expiry: %v", err)
	}
	if st := e.sim.Stats(); st.TokensIssued != 2 || st.Unauthorized != 1 {
		t.Fatalf("tokens issued %d, unauthorized %d; want 2 and 1", st.TokensIssued, st.Unauthorized)
	}
}

func TestMSPTenantHeaderSelectsTheCustomerTenant(t *testing.T) {
	e := newEnv(t, r1sim.Options{}, func(c *r1client.Config) { c.MSPTenantID = "customer-7" })
	acc, err := e.c.IdentityGroups.Create(context.Background(), "msp-group", "")
	if err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, e.c, acc)
	if inv := e.sim.Inventory("customer-7"); len(inv.IdentityGroups) != 1 {
		t.Fatalf("customer tenant holds %d groups, want 1", len(inv.IdentityGroups))
	}
	if inv := e.sim.Inventory(testTenant); len(inv.IdentityGroups) != 0 {
		t.Fatalf("MSP tenant holds %d groups, want 0", len(inv.IdentityGroups))
	}
}
