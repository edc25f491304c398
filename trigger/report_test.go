package trigger_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/report"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

func TestTheReportIsCSVByDefaultJSONByAcceptAndOnlyForAMigration(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 5, Awkward: true, Seed: 61})
	s := e.started(e.postJSON("/v1/migrations", export))
	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	path := s.StatusURL + "/report"

	accept := func(value string) response { return e.getAccepting(path, value) }
	// Without Accept, and for whatever prefers it: CSV, as a file to save.
	for _, a := range []string{"", "*/*", "text/*", "text/csv", "application/json;q=0.1, text/csv", "text/html, */*;q=0.8"} {
		r := accept(a)
		require.Equal(t, http.StatusOK, r.status, "Accept %q: %s", a, r.body)
		require.Equal(t, "text/csv; charset=utf-8; header=present", r.header.Get("Content-Type"), "Accept %q", a)
		require.Equal(t, "attachment; filename="+report.FileName(s.WorkflowID, "csv"), r.header.Get("Content-Disposition"))
		require.Equal(t, "no-store", r.header.Get("Cache-Control"))
		recs, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
		require.NoError(t, err)
		require.Equal(t, report.Columns, recs[0])
		require.Len(t, recs, 1+30, "a line per DPSK of the export")
		counts := map[string]int{}
		for _, rec := range recs[1:] {
			counts[rec[5]]++
		}
		// Per pool: 5 rows, the expired one and three with bad VLANs created; three refused, three skipped.
		require.Equal(t, map[string]int{"created": 18, "refused": 6, "skipped": 6}, counts)
		require.Equal(t, "30 rows: 18 created, 0 adopted, 0 patched, 6 skipped, 6 refused, 0 conflict, 0 failed, 0 not attempted", r.header.Get("X-Report-Totals"))
	}
	// JSON when asked for.
	for _, a := range []string{"application/json", "application/*", "text/csv;q=0.5, application/json", "text/csv;q=0, */*"} {
		r := accept(a)
		require.Equal(t, http.StatusOK, r.status, "Accept %q: %s", a, r.body)
		require.Equal(t, "application/json", r.header.Get("Content-Type"), "Accept %q", a)
		require.Empty(t, r.header.Get("Content-Disposition"))
		var rep report.Report
		r.json(t, &rep)
		require.Equal(t, s.WorkflowID, rep.MigrationID)
		require.Equal(t, "COMPLETED", rep.State)
		require.Equal(t, 30, rep.ExportRows)
		require.Len(t, rep.Rows, 30)
		require.Equal(t, report.Totals{Created: 18, Skipped: 6, Refused: 6}, rep.Totals)
	}
	// Anything else: 406, and Temporal is not asked.
	for _, a := range []string{"text/html", "application/xml", "text/csv;q=0", "image/*"} {
		p := accept(a).problem(t, http.StatusNotAcceptable)
		require.Contains(t, p.Detail, "text/csv")
	}

	// Only a migration has a report: not a pool's workflow, not an unknown ID.
	require.NotEmpty(t, st.Result.Pools)
	for _, id := range []string{st.Result.Pools[0].WorkflowID, "migration-nobody-started"} {
		p := e.get("/v1/migrations/"+url.PathEscape(id)+"/report").problem(t, http.StatusNotFound)
		require.Equal(t, "no migration with ID "+id, p.Detail)
	}
	e.do(http.MethodGet, path, "", nil, "").problem(t, http.StatusUnauthorized)

	// The report plans the export again: without it, it says how to put it back.
	stored := e.storedExports()
	require.Len(t, stored, 1)
	require.NoError(t, os.Remove(stored[0]))
	p := e.get(path).problem(t, http.StatusConflict)
	require.Equal(t, trigger.ProblemExportUnavailable, p.Type)
	require.Contains(t, p.Detail, "dpskmigrate store FILE")
}

// getAccepting is e.get with an Accept header ("" = none); the answer is
// scanned for secrets like every other.
func (e *env) getAccepting(path, accept string) response {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodGet, e.server.URL+path, nil)
	require.NoError(e.t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	res, err := e.server.Client().Do(req)
	require.NoError(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(e.t, err)
	e.mu.Lock()
	fmt.Fprintf(&e.seen, "GET %s (Accept %s) -> %d\n", path, accept, res.StatusCode)
	_ = res.Header.Write(&e.seen)
	e.seen.Write(b)
	e.seen.WriteString("\n")
	e.mu.Unlock()
	return response{status: res.StatusCode, header: res.Header, body: b}
}
