package activities

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

func TestR1ErrorsMapToRetryPolicyTypes(t *testing.T) {
	api := r1client.APIError{StatusCode: 400, Method: "POST", Path: "/dpskServices/p/passphrases", Message: "rejected value"}
	for _, tc := range []struct {
		name      string
		err       error
		typ       string
		retryable bool
		delay     time.Duration
	}{
		{"429 waits for Retry-After", &r1client.RateLimitError{APIError: api, RetryAfter: 3 * time.Second}, ErrRateLimited, true, 3 * time.Second},
		{"429 without Retry-After backs off", &r1client.RateLimitError{APIError: api}, ErrRateLimited, true, 0},
		{"validation is final", &r1client.ValidationError{APIError: api}, ErrValidation, false, 0},
		{"conflict is final", &r1client.ConflictError{APIError: api}, ErrConflict, false, 0},
		{"not found is final", &r1client.NotFoundError{APIError: api}, ErrNotFound, false, 0},
		{"unauthorized is final", &r1client.UnauthorizedError{APIError: api}, ErrUnauthorized, false, 0},
		{"5xx is retried", &r1client.ServerError{APIError: api}, ErrTransient, true, 0},
		{"a cut connection is retried", &r1client.TransportError{Method: "POST", Path: "/x", Err: errors.New("EOF")}, ErrTransient, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r1Error("create passphrase", tc.err)
			var app *temporal.ApplicationError
			require.True(t, errors.As(err, &app))
			require.Equal(t, tc.typ, app.Type())
			require.Equal(t, !tc.retryable, app.NonRetryable())
			require.Equal(t, tc.delay, app.NextRetryDelay())
		})
	}
	require.True(t, errors.Is(r1Error("x", context.Canceled), context.Canceled))
}

func TestCompareClassifiesWhatR1Holds(t *testing.T) {
	row := &cloudpath.Row{Username: "u", Passphrase: "right-pass", VLANID: 10}
	same := &r1client.Passphrase{ID: "1", Username: "u", Passphrase: "right-pass", VLANID: 10}
	otherVLAN := &r1client.Passphrase{ID: "2", Username: "u", Passphrase: "right-pass", VLANID: 20}
	otherPass := &r1client.Passphrase{ID: "3", Username: "u", Passphrase: "wrong-pass", VLANID: 10}
	for _, tc := range []struct {
		name string
		row  *cloudpath.Row
		held []*r1client.Passphrase
		want rowState
	}{
		{"absent", row, nil, rowAbsent},
		{"same", row, []*r1client.Passphrase{same}, rowSame},
		{"other VLAN", row, []*r1client.Passphrase{otherVLAN}, rowVLANDiffers},
		{"a row without VLAN adopts R1's", &cloudpath.Row{Username: "u", Passphrase: "right-pass"}, []*r1client.Passphrase{otherVLAN}, rowSame},
		{"other passphrase", row, []*r1client.Passphrase{otherPass}, rowConflict},
		{"the matching one wins", row, []*r1client.Passphrase{otherPass, same}, rowSame},
	} {
		_, got := compare(tc.row, tc.held)
		require.Equal(t, tc.want, got, tc.name)
	}
}
