package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// A client against an in-process simulator, as the tests use it.
func Example() {
	srv := httptest.NewServer(r1sim.New(r1sim.Options{RateLimitPerMinute: 2000, SendRetryAfter: true}))
	defer srv.Close()
	c, _ := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "tenant", ClientID: "id", ClientSecret: "secret"})
	ctx := context.Background()

	g, _ := c.IdentityGroups.Create(ctx, "Staff", "Cloudpath Import - Staff")
	p, _ := c.Pools.Create(ctx, g.ID, r1client.Pool{Name: "Staff", PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
	_, err := c.Passphrases.Create(ctx, p.ID, r1client.PassphraseCreate{Passphrase: "short", Username: "alice"})
	var ve *r1client.ValidationError
	fmt.Println(errors.As(err, &ve), r1client.Retryable(err))

	a, _ := c.Activities.Get(ctx, p.RequestID)
	fmt.Println(a.Status)

	// A duplicate pool name is accepted, then fails in its activity.
	g2, _ := c.IdentityGroups.Create(ctx, "Guests", "")
	dup, _ := c.Pools.Create(ctx, g2.ID, r1client.Pool{Name: "Staff", PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
	a, _ = c.Activities.Get(ctx, dup.RequestID)
	fmt.Println(a.Status, a.FailureMessage())
	// Output:
	// true false
	// SUCCESS
	// FAIL DPSK service.name: Name must be unique
}
