package r1client_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// requireNoPiece fails if text holds a piece of the secret.
func requireNoPiece(t *testing.T, what, text, secret string) {
	t.Helper()
	if piece, around, found := secrettest.Find(text, secrettest.Pieces(secret)); found {
		t.Fatalf("%s holds %q, a piece of the secret %q: ...%s...", what, piece, secret, around)
	}
}

// randomSecret is 8..63 printable characters, some of them escaped by JSON.
func randomSecret(rng *rand.Rand) string { return secrettest.Random(rng, 8+rng.IntN(56), true) }

func jsonOf(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// inner is s JSON-escaped, without its quotes.
func inner(s string) string { q := jsonOf(s); return q[1 : len(q)-1] }

func pad(n int) string { return secrettest.Pad(n) }

// quotingBodies are R1 error bodies quoting a secret, each way a client may
// get it wrong.
var quotingBodies = []struct {
	name string
	body func(secret string) string
}{
	{"plain message", func(s string) string { return jsonOf(map[string]any{"message": "Passphrase " + s + " is not allowed"}) }},
	{"message cut at 512", func(s string) string {
		return jsonOf(map[string]any{"status": "400 BAD_REQUEST", "message": pad(512-len(s)/2) + s + " is not allowed"})
	}},
	{"sub-error cut at 200", func(s string) string {
		return jsonOf(map[string]any{"message": "Invalid content supplied",
			"subErrors": []map[string]string{{"object": "DPSK passphrase", "field": "passphrase", "message": pad(200-len(s)/2) + s}}})
	}},
	{"APM errors cut at 200", func(s string) string {
		return jsonOf(map[string]any{"errors": []map[string]string{{"code": "E-1", "message": pad(200-len(s)/2) + s}}})
	}},
	{"numeric status, JSON-escaped", func(s string) string {
		return `{"status":400,"error":"Bad Request","message":"passphrase ` + inner(s) + ` refused"}`
	}},
	{"broken JSON, JSON-escaped", func(s string) string { return `{"code":400,"message":"passphrase ` + inner(s) + ` refused` }},
	{"not JSON", func(s string) string { return "<html>passphrase " + s + " refused</html>" }},
	{"escaped twice inside the message", func(s string) string {
		return jsonOf(map[string]any{"message": "Invalid value " + jsonOf(map[string]string{"passphrase": s})})
	}},
	{"body over 8 KiB, across the read limit", func(s string) string {
		head := `{"message":"`
		return head + pad(8192-len(head)-len(inner(s))/2) + inner(s) + pad(4000) + `"}`
	}},
}

func TestR1ErrorsNeverQuoteASecret(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, status := range []int{400, 409, 500} {
		for _, q := range quotingBodies {
			t.Run(fmt.Sprintf("%d %s", status, q.name), func(t *testing.T) {
				for range 10 {
					secret := randomSecret(rng)
					body := q.body(secret)
					c := cannedR1(t, status, nil, body)
					ctx := context.Background()
					// The passphrase is carried by the request...
					_, err := c.Passphrases.Create(ctx, "pool-1", r1client.PassphraseCreate{Passphrase: secret, Username: "u"})
					requireMasked(t, err, secret)
					// ... or attached by the caller.
					_, err = c.Pools.Get(r1client.WithSecrets(ctx, "other-secret-value", secret), "pool-1")
					requireMasked(t, err, secret)
					if api, ok := r1client.AsAPIError(err); !ok || api.StatusCode != status {
						t.Fatalf("status lost: %v", err)
					}
				}
			})
		}
	}
}

func requireMasked(t *testing.T, err error, secret string) {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	requireNoPiece(t, "err.Error()", err.Error(), secret)
	requireNoPiece(t, "%+v", fmt.Sprintf("%+v", err), secret)
}

func TestMaskingKeepsWhatIsNotSecret(t *testing.T) {
	const secret = `pa"ss<w0rd>&/more`
	c := cannedR1(t, 400, nil, jsonOf(map[string]any{"message": "Passphrase " + secret + " is too common",
		"subErrors": []map[string]string{{"code": "DPSK-012", "field": "passphrase", "message": "rejected"}}}))
	_, err := c.Passphrases.Create(context.Background(), "p", r1client.PassphraseCreate{Passphrase: secret, Username: "u"})
	want := "R1 POST /dpskServices/p/passphrases: 400 Bad Request: Passphrase [REDACTED] is too common; passphrase: rejected"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v\nwant %s", err, want)
	}
	if api, _ := r1client.AsAPIError(err); api.Code != "DPSK-012" {
		t.Fatalf("code lost: %+v", api)
	}
}

// failedActivity is R1's answer to GET /activities/{id} for a failed write:
// its error is JSON (holding JSON strings) inside a JSON string.
func failedActivity(message string, wrapAgain bool) string {
	innerErr := jsonOf(map[string]any{"message": "Validation Error",
		"subErrors": []map[string]string{{"object": "DPSK passphrase", "field": "passphrase", "code": "DPSK-031", "message": message}}})
	text := jsonOf(map[string]any{"requestId": "rq-1", "errors": []string{innerErr}})
	if wrapAgain {
		text = jsonOf(text)
	}
	return jsonOf(map[string]any{"requestId": "rq-1", "status": "FAIL", "error": text})
}

func TestActivityFailureNeverQuotesTheRowsPassphrase(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, tc := range []struct {
		name    string
		message func(string) string
		again   bool
	}{
		{"plain", func(s string) string { return "Passphrase " + s + " already exists" }, false},
		{"cut at 512", func(s string) string { return pad(512-len(s)/2) + s + " already exists" }, false},
		{"encoded three times", func(s string) string { return "Passphrase " + s + " already exists" }, true},
		{"escaped inside the message", func(s string) string { return "value " + jsonOf(s) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for range 25 {
				secret := randomSecret(rng)
				body := failedActivity(tc.message(secret), tc.again)
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
						fmt.Fprint(w, `{"access_token":"tok-0123456789","expires_in":3600}`)
						return
					}
					if r.URL.Path == "/activities/query" {
						fmt.Fprint(w, `{"totalCount":1,"page":1,"data":[`+body+`]}`)
						return
					}
					fmt.Fprint(w, body)
				}))
				c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "client-secret-1"})
				if err != nil {
					t.Fatal(err)
				}
				ctx := r1client.WithSecrets(context.Background(), secret)
				a, err := c.Activities.Get(ctx, "rq-1")
				if err != nil || !a.Failed() {
					t.Fatalf("%+v, %v", a, err)
				}
				requireNoPiece(t, "FailureMessage", a.FailureMessage(), secret)
				requireNoPiece(t, "the activity", fmt.Sprintf("%+v", a), secret)
				if !strings.Contains(a.FailureMessage(), "DPSK passphrase.passphrase:") || a.FailureCode() != "DPSK-031" {
					t.Fatalf("R1's reason or code lost: %q, %q", a.FailureMessage(), a.FailureCode())
				}
				now := time.Now()
				page, err := c.Activities.Query(ctx, now.Add(-time.Minute), now, 1, 10)
				if err != nil || len(page.Items) != 1 {
					t.Fatalf("%+v, %v", page, err)
				}
				requireNoPiece(t, "a queried activity", page.Items[0].FailureMessage()+fmt.Sprintf("%+v", page.Items[0]), secret)
				byID, err := c.Activities.QueryByIDs(ctx, []string{"rq-1"})
				if err != nil || len(byID.Items) != 1 {
					t.Fatalf("%+v, %v", byID, err)
				}
				requireNoPiece(t, "an activity read by id", byID.Items[0].FailureMessage()+fmt.Sprintf("%+v", byID.Items[0]), secret)
				srv.Close()
			}
		})
	}
}

func TestTokenErrorsNeverQuoteTheClientSecret(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	bodies := []func(string) string{
		func(s string) string { return jsonOf(map[string]string{"error": "invalid_client: " + s}) },
		func(s string) string {
			return jsonOf(map[string]string{"error": "invalid_client", "message": pad(512-len(s)/2) + "client_secret=" + s})
		},
		func(s string) string { return `{"status":401,"message":"bad client_secret ` + inner(s) + `"}` },
		func(s string) string { return "client_id=c&client_secret=" + s },
	}
	for i, body := range bodies {
		for range 25 {
			secret := randomSecret(rng)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, body(secret))
			}))
			c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: secret})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Pools.Get(context.Background(), "p")
			var ue *r1client.UnauthorizedError
			if !errors.As(err, &ue) {
				t.Fatalf("body %d: got %T %v", i, err, err)
			}
			requireMasked(t, err, secret)
			srv.Close()
		}
	}
}

func TestErrorsNeverQuoteTheAccessToken(t *testing.T) {
	const token = "eyJhbGciOi.access-token-value.0123456789abcdef"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
			fmt.Fprint(w, jsonOf(map[string]any{"access_token": token, "expires_in": 3600}))
			return
		}
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, jsonOf(map[string]string{"message": "token " + r.Header.Get("Authorization")[len("Bearer ")+3:] + " has no access"}))
	}))
	defer srv.Close()
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "client-secret-1"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Pools.Get(context.Background(), "p")
	requireMasked(t, err, token)
}
