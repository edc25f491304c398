package r1client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// cannedR1 answers the token call and then every call with status + body.
func cannedR1(t *testing.T, status int, header map[string]string, body string) *r1client.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
			fmt.Fprint(w, `{"access_token":"tok","expires_in":3600}`)
			return
		}
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrorsAreTypedFromR1Answers(t *testing.T) {
	long := strings.Repeat("x", 20000)
	tests := []struct {
		name      string
		status    int
		header    map[string]string
		body      string
		check     func(error) bool
		wantText  string
		retryable bool
	}{
		{"validation with sub-errors", 400, nil,
			`{"status":"400 BAD_REQUEST","message":"Validation Error","subErrors":[{"object":"identityGroup","field":"name","message":"must not be blank"}],"requestId":"rq"}`,
			func(err error) bool {
				var e *r1client.ValidationError
				return errors.As(err, &e) && e.RequestID == "rq" && len(e.SubErrors) == 1
			},
			"R1 POST /identityGroups: 400 Bad Request: Validation Error; identityGroup.name: must not be blank", false},
		{"422", 422, nil, `{"message":"Some of the provided query data is invalid."}`,
			func(err error) bool { var e *r1client.ValidationError; return errors.As(err, &e) }, "422 Unprocessable Entity", false},
		{"409", 409, nil, `{"message":"Invalid policy set details provided."}`,
			func(err error) bool { var e *r1client.ConflictError; return errors.As(err, &e) }, "409 Conflict", false},
		{"duplicate text on a 400", 400, nil, `{"message":"Passphrase username already exists"}`,
			func(err error) bool { var e *r1client.ConflictError; return errors.As(err, &e) }, "already exists", false},
		{"code in sub-errors", 400, nil, `{"message":"cannot delete","subErrors":[{"code":"DPSK-026","message":"contains passphrases"}]}`,
			func(err error) bool {
				var e *r1client.ValidationError
				return errors.As(err, &e) && e.Code == "DPSK-026"
			}, "DPSK-026: contains passphrases", false},
		{"APM errors list", 400, nil, `{"message":"bad","errors":[{"code":"E1","message":"first"}]}`,
			func(err error) bool { var e *r1client.ValidationError; return errors.As(err, &e) && e.Code == "E1" }, "bad; E1: first", false},
		{"404", 404, nil, `{"message":"DPSK pool not found"}`,
			func(err error) bool { var e *r1client.NotFoundError; return errors.As(err, &e) }, "404 Not Found: DPSK pool not found", false},
		{"403", 403, nil, `{"message":"forbidden"}`,
			func(err error) bool { var e *r1client.UnauthorizedError; return errors.As(err, &e) }, "403 Forbidden", false},
		{"429 with seconds", 429, map[string]string{"Retry-After": "7"}, `{}`,
			func(err error) bool {
				var e *r1client.RateLimitError
				return errors.As(err, &e) && e.RetryAfter == 7*time.Second
			}, "retry after 7s", true},
		{"429 without header", 429, nil, ``,
			func(err error) bool { var e *r1client.RateLimitError; return errors.As(err, &e) && e.RetryAfter == 0 }, "429 Too Many Requests", true},
		{"503 non-JSON", 503, nil, `<html>upstream unavailable</html>`,
			func(err error) bool { var e *r1client.ServerError; return errors.As(err, &e) }, "<html>upstream unavailable</html>", true},
		{"huge body is capped", 500, nil, `{"message":"` + long + `"}`,
			func(err error) bool { return len(err.Error()) < 1000 }, "500 Internal Server Error", true},
		{"loose error field", 400, nil, `{"error":"bad grant"}`,
			func(err error) bool { var e *r1client.ValidationError; return errors.As(err, &e) }, "bad grant", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cannedR1(t, tt.status, tt.header, tt.body)
			_, err := c.IdentityGroups.Create(context.Background(), "n", "d")
			if err == nil || !tt.check(err) {
				t.Fatalf("got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Fatalf("error %q does not contain %q", err, tt.wantText)
			}
			if r1client.Retryable(err) != tt.retryable {
				t.Fatalf("Retryable = %v, want %v", !tt.retryable, tt.retryable)
			}
			wrapped := fmt.Errorf("activity: %w", err)
			var api *r1client.ValidationError
			_ = errors.As(wrapped, &api)
			if r1client.Retryable(wrapped) != tt.retryable {
				t.Fatal("Retryable must see through wrapping")
			}
		})
	}
}

func TestSameIDIgnoresDashesAndCase(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"6f1c2a3b-1111-2222-3333-444455556666", "6f1c2a3b111122223333444455556666", true},
		{"6F1C2A3B-1111-2222-3333-444455556666", "6f1c2a3b-1111-2222-3333-444455556666", true},
		{"6f1c2a3b-1111-2222-3333-444455556666", "6f1c2a3b-1111-2222-3333-444455556667", false},
		{"", "", true},
		{"abc", "", false},
	}
	for _, tt := range tests {
		if got := r1client.SameID(tt.a, tt.b); got != tt.want {
			t.Errorf("SameID(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
}

func TestAsAPIErrorReachesEveryTypedError(t *testing.T) {
	for _, status := range []int{400, 401, 404, 409, 422, 429, 500, 418} {
		c := cannedR1(t, status, nil, `{"message":"m","subErrors":[{"code":"C-1","message":"x"}]}`)
		_, err := c.Pools.Get(context.Background(), "p")
		api, ok := r1client.AsAPIError(fmt.Errorf("wrapped: %w", err))
		if !ok || api.StatusCode != status || api.Message != "m" || api.Code != "C-1" || api.Method != "GET" || api.Path != "/dpskServices/p" {
			t.Errorf("%d: %+v %v", status, api, ok)
		}
	}
	if _, ok := r1client.AsAPIError(errors.New("plain")); ok {
		t.Error("a plain error is not an API error")
	}
}

func TestFindByNameStopsWhenR1RepeatsAPage(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
			fmt.Fprint(w, `{"access_token":"tok","expires_in":3600}`)
			return
		}
		calls++ // the same page, never "last", whatever page is asked for
		fmt.Fprint(w, `{"content":[{"id":"a1","name":"alpha"},{"id":"b2","name":"beta"}],"totalElements":99,"number":0,"last":false}`)
	}))
	defer srv.Close()
	c, _ := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "s", FindPageSize: 2})
	g, err := c.IdentityGroups.FindByName(context.Background(), "gamma")
	if g != nil || err != nil || calls != 2 {
		t.Fatalf("got %+v, %v after %d queries; want nil, nil after 2", g, err, calls)
	}
}
