package activities

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/dpskmigrate/dpskmigrate/bulkimport"
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/exportstore"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/internal/secrettest"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// importEnv is an export whose rows include awkward ones, the activities
// over it, and a simulator R1 with two empty pools.
type importEnv struct {
	a        *Activities
	sim      *r1sim.Sim
	c        *r1client.Client
	in       ExportInput
	key      string
	unit     *cloudpath.PoolUnit
	act      *testsuite.TestActivityEnvironment
	imported string // pool ids
	created  string
}

func newImportEnv(t *testing.T, opts r1sim.Options) *importEnv {
	t.Helper()
	exp := sampledata.Build(sampledata.Spec{Pools: 1, RowsPerPool: 40, Awkward: true, Seed: 31})
	dpsks := exp.DPSKPools[0].DPSKs
	// Usernames and passphrases a CSV must quote, and some it cannot carry.
	for i, name := range []string{`Smith, Jane`, `say "hi", again`, `#42 not a comment`, `Zoë, 李 ✓`, `"quoted"`,
		"trailing space ", "line\nbreak", " leading space"} {
		dpsks[3+4*i].Name = name // rows 3, 7, ...: no expiry, no device limit
	}
	dpsks[6].Passphrase = `pa"ss,wo"rd#1`
	dpsks[10].Passphrase = `,comma-first`
	dpsks[14].Passphrase = `spaced-end-passphrase `
	store, err := exportstore.New(filepath.Join(t.TempDir(), "exports"))
	require.NoError(t, err)
	ref, err := store.PutBytes([]byte(jsonText(exp)))
	require.NoError(t, err)

	sim := r1sim.New(opts)
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "client-secret-1", Timeout: 10 * time.Second})
	require.NoError(t, err)
	e := &importEnv{a: New(c, store), sim: sim, c: c,
		in: ExportInput{Export: ref, Plan: cloudpath.PlanOptions{Now: time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)}}}
	p, err := e.a.plans.get(e.in)
	require.NoError(t, err)
	e.key = p.plan.Units[0].Key
	e.unit, err = e.a.unit(e.in, e.key)
	require.NoError(t, err)
	var s testsuite.WorkflowTestSuite
	e.act = s.NewTestActivityEnvironment()
	e.act.RegisterActivity(e.a)
	e.imported = e.pool(t, "imported")
	e.created = e.pool(t, "created")
	return e
}

func (e *importEnv) pool(t *testing.T, name string) string {
	t.Helper()
	ctx := context.Background()
	g, err := e.c.IdentityGroups.Create(ctx, name+"-group", "")
	require.NoError(t, err)
	p, err := e.c.Pools.Create(ctx, g.ID, r1client.Pool{Name: name, PassphraseFormat: "KEYBOARD_FRIENDLY", PassphraseLength: 8})
	require.NoError(t, err)
	return p.ID
}

func (e *importEnv) allRows() []int {
	rows := make([]int, len(e.unit.Rows))
	for i := range rows {
		rows[i] = i
	}
	return rows
}

func (e *importEnv) importRows(t *testing.T, rows []int) (ImportResult, error) {
	t.Helper()
	v, err := e.act.ExecuteActivity(e.a.ImportPassphrases, ImportInput{ExportInput: e.in, PoolKey: e.key, PoolID: e.imported, Rows: rows})
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	require.NoError(t, v.Get(&res))
	return res, nil
}

// waitFor reads an R1 activity until it is done, masking the rows' passphrases.
func (e *importEnv) waitFor(t *testing.T, requestID string, rows []int) R1ActivityStatus {
	t.Helper()
	in := R1ActivitiesInput{RequestIDs: []string{requestID}, Rows: &RowsInput{ExportInput: e.in, PoolKey: e.key, PoolID: e.imported, Rows: rows}}
	var st R1ActivityStatus
	require.Eventually(t, func() bool {
		res, err := e.a.ReadR1Activities(context.Background(), in)
		if err == nil && len(res.Activities) == 1 {
			st = res.Activities[0]
		}
		return st.Succeeded || st.Failed
	}, 10*time.Second, 5*time.Millisecond)
	return st
}

// held is what R1's reads show of a pool, by username.
func (e *importEnv) held(t *testing.T, poolID string) map[string]r1client.Passphrase {
	t.Helper()
	out := map[string]r1client.Passphrase{}
	for page := 1; ; page++ {
		p, err := e.c.Passphrases.Query(context.Background(), poolID, r1client.PassphraseQuery{Page: page, PageSize: 500})
		require.NoError(t, err)
		for _, pp := range p.Items {
			out[pp.Username] = pp
		}
		if p.Last {
			return out
		}
	}
}

func TestImportedRowsReadBackAsPerRowCreatesMakeThem(t *testing.T) {
	e := newImportEnv(t, r1sim.Options{})
	res, err := e.importRows(t, e.allRows())
	require.NoError(t, err)
	require.NotEmpty(t, res.RequestID)
	require.Empty(t, res.Rest)

	// Every row is carried or left to a per-row create, as bulkimport decides.
	var wantCarried, wantPerRow []int
	for pos := range e.unit.Rows {
		if bulkimport.Reason(&e.unit.Rows[pos]) == "" {
			wantCarried = append(wantCarried, pos)
		} else {
			wantPerRow = append(wantPerRow, pos)
		}
	}
	require.Equal(t, wantCarried, res.Carried)
	require.Equal(t, wantPerRow, res.PerRow)
	require.Greater(t, len(res.PerRow), 15, "rows with an expiry date and unsafe text go one by one")
	require.Greater(t, len(res.Carried), 15)
	require.True(t, e.waitFor(t, res.RequestID, res.Carried).Succeeded)

	// The same rows created one by one, in the other pool.
	for _, pos := range res.Carried {
		v, err := e.act.ExecuteActivity(e.a.CreatePassphrase, RowInput{ExportInput: e.in, PoolKey: e.key, PoolID: e.created, Row: pos})
		require.NoError(t, err)
		var acc Accepted
		require.NoError(t, v.Get(&acc))
		require.True(t, e.waitFor(t, acc.RequestID, []int{pos}).Succeeded)
	}
	imported, created := e.held(t, e.imported), e.held(t, e.created)
	require.Len(t, imported, len(res.Carried))
	require.Len(t, created, len(res.Carried))
	for _, pos := range res.Carried {
		row := &e.unit.Rows[pos]
		got, want := imported[row.Username], created[row.Username]
		require.Equal(t, row.Passphrase, got.Passphrase, "row %d (%q): passphrase", pos, row.Username)
		require.Equal(t, want.Passphrase, got.Passphrase)
		require.Equal(t, want.VLANID, got.VLANID, "row %d (%q): VLAN", pos, row.Username)
		require.Equal(t, want.NumberOfDevicesType, got.NumberOfDevicesType, "row %d (%q): device limit type", pos, row.Username)
		require.Equal(t, want.NumberOfDevices, got.NumberOfDevices, "row %d (%q): devices", pos, row.Username)
		require.Equal(t, want.ExpirationDate, got.ExpirationDate, "row %d (%q): expiry", pos, row.Username)
	}
	for _, name := range []string{`Smith, Jane`, `say "hi", again`, `#42 not a comment`, `Zoë, 李 ✓`, `"quoted"`} {
		require.Contains(t, imported, name, "an awkward username made it through the CSV")
	}
	for _, name := range []string{"trailing space ", "line\nbreak", " leading space"} {
		require.NotContains(t, imported, name, "a username a CSV reader may alter is created one by one")
	}

	// ReadRows, the check a workflow makes after an import, finds them all.
	rr, err := e.a.ReadRows(context.Background(), RowsInput{ExportInput: e.in, PoolKey: e.key, PoolID: e.imported, Rows: res.Carried})
	require.NoError(t, err)
	require.Equal(t, res.Carried, rr.Same)

	// And R1 made each one's identity as it does for a per-row create.
	identities := func(group string) map[string]int {
		out := map[string]int{}
		for _, g := range e.sim.Inventory("t").IdentityGroups {
			if g.Name == group {
				for _, idn := range g.Identities {
					out[idn.Name] = idn.VLAN
				}
			}
		}
		return out
	}
	require.Equal(t, identities("created-group"), identities("imported-group"))
	require.Equal(t, 1, e.sim.Stats().Calls[r1sim.OpImportPassphrases], "one R1 request for the whole file")
}

func TestImportOfRowsThatNeedNoFileSendsNothing(t *testing.T) {
	e := newImportEnv(t, r1sim.Options{})
	var perRow []int
	for pos := range e.unit.Rows {
		if bulkimport.Reason(&e.unit.Rows[pos]) != "" {
			perRow = append(perRow, pos)
		}
	}
	res, err := e.importRows(t, perRow)
	require.NoError(t, err)
	require.Equal(t, ImportResult{PerRow: perRow}, res)
	require.Zero(t, e.sim.Stats().Calls[r1sim.OpImportPassphrases])

	_, err = e.importRows(t, make([]int, MaxImportRows+1))
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app))
	require.True(t, app.NonRetryable())
}

func TestImportRefusedForItsHeaderIsFinal(t *testing.T) {
	e := newImportEnv(t, r1sim.Options{Faults: r1sim.Faults{ImportHeaderChanged: true}})
	_, err := e.importRows(t, e.allRows())
	var app *temporal.ApplicationError
	require.True(t, errors.As(err, &app), "%v", err)
	require.Equal(t, ErrValidation, app.Type())
	require.True(t, app.NonRetryable())
	require.Contains(t, err.Error(), "does not match the template")
	require.Empty(t, e.held(t, e.imported))
}

// TestImportThatDropsRowsIsFoundByReadingBack: R1 reports success for a file
// of which it made only some rows; only reading the rows back tells.
func TestImportThatDropsRowsIsFoundByReadingBack(t *testing.T) {
	e := newImportEnv(t, r1sim.Options{Faults: r1sim.Faults{ImportDropsRows: true}})
	res, err := e.importRows(t, e.allRows())
	require.NoError(t, err)
	require.True(t, e.waitFor(t, res.RequestID, res.Carried).Succeeded)
	rr, err := e.a.ReadRows(context.Background(), RowsInput{ExportInput: e.in, PoolKey: e.key, PoolID: e.imported, Rows: res.Carried})
	require.NoError(t, err)
	var absent []int
	for _, r := range rr.Absent {
		absent = append(absent, r.Row)
	}
	require.Len(t, rr.Same, (len(res.Carried)+1)/2)
	require.Len(t, absent, len(res.Carried)/2)
	require.Equal(t, res.Carried, slices.Sorted(slices.Values(append(absent, rr.Same...))))
}

// TestImportFailureTextIsMaskedWithTheCarriedRows: an R1 that quotes a
// passphrase of the file, at once or in the activity, leaks none of it into
// the activity's error or the activity status read with the carried rows.
func TestImportFailureTextIsMaskedWithTheCarriedRows(t *testing.T) {
	e := newImportEnv(t, r1sim.Options{Faults: r1sim.Faults{QuotePassphraseRate: 1}, Seed: 9})
	var secrets []string // the passphrases the file carries
	for i := range e.unit.Rows {
		if bulkimport.Reason(&e.unit.Rows[i]) == "" {
			secrets = append(secrets, e.unit.Rows[i].Passphrase)
		}
	}
	pieces := secrettest.Pieces(secrets...)
	requireClean := func(what, text string) {
		t.Helper()
		if piece, around, found := secrettest.Find(text, pieces); found {
			t.Fatalf("%s holds %q of a passphrase: ...%s...", what, piece, around)
		}
	}
	sync, async := 0, 0
	for range 24 {
		res, err := e.importRows(t, e.allRows())
		if err != nil {
			sync++
			requireClean("the activity's error", err.Error()+fmt.Sprintf("%+v", err))
			continue
		}
		async++
		st := e.waitFor(t, res.RequestID, res.Carried)
		require.True(t, st.Failed)
		require.Contains(t, st.Message, "REDACTED", "R1's text is kept, masked")
		requireClean("the activity status", st.Message)
	}
	require.NotZero(t, sync)
	require.NotZero(t, async)
	require.Empty(t, e.held(t, e.imported))
}
