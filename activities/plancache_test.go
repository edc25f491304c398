package activities

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
)

func TestAnExportTheStoreRefusesFailsThePlanWithoutRetries(t *testing.T) {
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	ref, err := store.PutBytes(sampledata.JSON(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 1}))
	require.NoError(t, err)
	cache := newPlanCache(store, 4)
	plan := cloudpath.PlanOptions{Now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}

	_, err = cache.get(ExportInput{Export: exportstore.Ref{SHA256: ref.SHA256}, Plan: plan})
	require.NoError(t, err, "the digest alone finds the export")

	outside := filepath.Join(t.TempDir(), "x.json")
	require.NoError(t, os.WriteFile(outside, []byte("{}"), 0o600))
	linked := strings.Repeat("ef", 32)
	require.NoError(t, os.Symlink(outside, filepath.Join(store.Dir, linked+".json")))
	for name, r := range map[string]exportstore.Ref{
		"a path outside the store": {SHA256: ref.SHA256, URI: "../" + ref.SHA256 + ".json"},
		"a link":                   {SHA256: linked},
	} {
		_, err := cache.get(ExportInput{Export: r, Plan: plan})
		var app *temporal.ApplicationError
		require.True(t, errors.As(err, &app), name)
		require.Equal(t, ErrExportInvalid, app.Type(), name)
		require.True(t, app.NonRetryable(), "%s: no retry makes it readable", name)
	}

	// A missing file may be a store not mounted yet: retried.
	_, err = cache.get(ExportInput{Export: exportstore.Ref{SHA256: strings.Repeat("0", 64)}, Plan: plan})
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	require.Equal(t, ErrExportUnavailable, app.Type())
	require.False(t, app.NonRetryable())
}
