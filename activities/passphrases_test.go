package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// A retried create decides from what R1 holds, and only from a complete read:
// an R1 that ignores the username filter (more than a page for one username)
// is refused rather than guessed about.
func TestARetriedCreateDecidesOnlyFromACompleteRead(t *testing.T) {
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	ref, err := store.PutBytes(sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 19}))
	require.NoError(t, err)
	r1 := &quotingR1{}
	srv := httptest.NewServer(r1)
	defer srv.Close()
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "s", Timeout: 5 * time.Second})
	require.NoError(t, err)
	a := New(c, store)
	in := ExportInput{Export: ref, Plan: cloudpath.PlanOptions{Now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}}
	p, err := a.plans.get(in)
	require.NoError(t, err)
	row := &p.plan.Units[0].Rows[0]
	held := func(pp r1client.Passphrase) r1client.Passphrase {
		pp.VLANID, pp.NumberOfDevicesType, pp.NumberOfDevices, pp.ExpirationDate = row.VLANID, row.NumberOfDevicesType, row.NumberOfDevices, row.ExpirationDate
		return pp
	}
	ctx := context.Background()

	t.Run("R1 ignored the filter", func(t *testing.T) {
		others := make([]r1client.Passphrase, 10)
		for i := range others {
			others[i] = r1client.Passphrase{ID: fmt.Sprint("pp-", i), Username: fmt.Sprint("someone-", i), Passphrase: "another-passphrase"}
		}
		r1.answer(200, jsonText(map[string]any{"totalCount": 25, "totalPages": 3, "page": 1, "data": others}))
		_, landed, err := a.earlierCreate(ctx, "pool-1", row)
		require.False(t, landed)
		var appErr *temporal.ApplicationError
		require.True(t, errors.As(err, &appErr), "%v", err)
		require.Equal(t, ErrValidation, appErr.Type())
		require.True(t, appErr.NonRetryable())
		require.Contains(t, err.Error(), "not guessing")
	})
	t.Run("the earlier attempt landed", func(t *testing.T) {
		r1.answer(200, jsonText(map[string]any{"totalCount": 1, "totalPages": 1, "page": 1,
			"data": []r1client.Passphrase{held(r1client.Passphrase{ID: "pp-7", Username: row.Username, Passphrase: row.Passphrase})}}))
		acc, landed, err := a.earlierCreate(ctx, "pool-1", row)
		require.NoError(t, err)
		require.True(t, landed)
		require.Equal(t, Accepted{ID: "pp-7", Existing: true}, acc)
	})
	t.Run("it did not land", func(t *testing.T) {
		r1.answer(200, jsonText(map[string]any{"totalCount": 0, "totalPages": 0, "page": 1, "data": []r1client.Passphrase{}}))
		_, landed, err := a.earlierCreate(ctx, "pool-1", row)
		require.NoError(t, err)
		require.False(t, landed)
	})
	t.Run("R1 holds the username with another passphrase", func(t *testing.T) {
		r1.answer(200, jsonText(map[string]any{"totalCount": 1, "totalPages": 1, "page": 1,
			"data": []r1client.Passphrase{held(r1client.Passphrase{ID: "pp-8", Username: row.Username, Passphrase: "not-the-exported-one"})}}))
		_, landed, err := a.earlierCreate(ctx, "pool-1", row)
		require.False(t, landed)
		require.ErrorContains(t, err, ConflictReason)
	})
}
