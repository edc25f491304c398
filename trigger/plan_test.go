package trigger_test

import (
	"bytes"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/migrations"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

// POST /v1/plans answers what a start with the same body would do, and
// stores and starts nothing.
func TestPlanAnswersTheSummaryAndStoresNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true, callsPerMinute: 1800})
	export := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 7, Awkward: true, Seed: 31})
	plan, err := migrations.Check(export, cloudpath.PlanOptions{NamePrefix: "cp-", Now: time.Now().UTC()})
	require.NoError(t, err)
	want := plan.Summarize(1800)
	require.Positive(t, want.TotalSkip)
	require.Positive(t, want.TotalRefuse)

	for name, r := range map[string]response{
		"json":      e.postJSON("/v1/plans?namePrefix=cp-&parallel=true&maxConcurrent=3", export),
		"multipart": e.postMultipart("/v1/plans", export, map[string]string{"namePrefix": "cp-", "parallel": "true", "maxConcurrent": "3"}),
	} {
		t.Run(name, func(t *testing.T) {
			require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
			var got trigger.PlanResponse
			r.json(t, &got)
			require.Equal(t, trigger.PlanSummary{
				Pools: len(want.Pools), Create: want.TotalCreate, Skipped: want.TotalSkip, Refused: want.TotalRefuse,
				EstimatedCalls: want.EstimatedCalls, Warnings: want.Warnings,
			}, got.Summary)
			require.Equal(t, 1800, got.CallsPerMinute)
			require.InDelta(t, want.MinDuration.Seconds(), got.MinDurationSeconds, 0.001)
			require.Equal(t, trigger.PlanOptions{Parallel: true, MaxConcurrent: 3, Window: 3, PassphraseConcurrency: 10,
				Expired: "no-expiry", NamePrefix: "cp-"}, got.Options)
			require.Len(t, got.Pools, len(want.Pools))
			for i, p := range want.Pools {
				g := got.Pools[i]
				require.Equal(t, []any{p.Key, p.DisplayName, p.IdentityGroupName, p.PoolName, p.Create, p.Skip, p.Refuse, p.EstimatedCalls},
					[]any{g.Key, g.DisplayName, g.IdentityGroupName, g.PoolName, g.Create, g.Skip, g.Refuse, g.EstimatedCalls})
				require.True(t, strings.HasPrefix(g.PoolName, "cp-"), "the options reach the plan")
				require.Equal(t, p.Skipped, g.Skipped, "every skipped row with its reason")
				require.Equal(t, p.Refused, g.Refused, "every refused row with its reason")
			}
		})
	}
	require.Empty(t, e.storedExports(), "a plan stores no export")
	entries, err := os.ReadDir(e.store.Dir)
	require.NoError(t, err)
	require.Empty(t, entries, "nothing at all was written to the store")
	require.Empty(t, e.listed(t, ""), "a plan starts no migration")
	// No passphrase in any answer: env checks every response and log line.
}

func TestPlanNamesThePolicySetCallsAndTheRenewal(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 3, Seed: 32})
	r := e.postJSON("/v1/plans?policySet=Residents&expired=renew&renewDays=30", export)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var got trigger.PlanResponse
	r.json(t, &got)
	require.Equal(t, 2*cloudpath.EstimatePolicyCalls, got.PolicyCalls)
	require.Equal(t, got.Pools[0].EstimatedCalls+got.Pools[1].EstimatedCalls+got.PolicyCalls, got.Summary.EstimatedCalls)
	require.Zero(t, got.CallsPerMinute, "no budget configured")
	require.Zero(t, got.MinDurationSeconds)
	require.Equal(t, trigger.PlanOptions{MaxConcurrent: 5, Window: 1, PassphraseConcurrency: 1, PolicySet: "Residents",
		Expired: "renew", RenewDays: 30}, got.Options)
}

// A plan refuses what a start refuses, with the same problem documents.
func TestPlanRefusesBadExportsAndOptionsLikeStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true, maxBodyBytes: 64 << 10})
	good := e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 33})
	broken := []byte("{\n  \"dpskPools\": [\n    {\"displayName\": \"Lobby\",, }\n  ]\n}\n")

	for _, tc := range []struct {
		name      string
		send      func(path string) response
		status    int
		typ       string
		inProblem string
	}{
		{"malformed JSON is located", func(p string) response { return e.postJSON(p, broken) },
			http.StatusBadRequest, trigger.ProblemInvalidExport, "line 3, column"},
		{"an export without pools", func(p string) response { return e.postJSON(p, []byte(`{"dpskPools": []}`)) },
			http.StatusBadRequest, trigger.ProblemInvalidExport, "no DPSK pool"},
		{"an out-of-range option", func(p string) response { return e.postJSON(p+"?parallel=true&maxConcurrent=21", good) },
			http.StatusBadRequest, trigger.ProblemInvalidOptions, "maxConcurrent 21 is out of range"},
		{"an unknown option", func(p string) response {
			return e.postMultipart(p, good, map[string]string{"paralel": "true"})
		}, http.StatusBadRequest, trigger.ProblemInvalidOptions, `unknown option "paralel"`},
		{"a body over the limit", func(p string) response {
			return e.postJSON(p, append([]byte(`{"dpskPools": [`), bytes.Repeat([]byte(" "), 70<<10)...))
		}, http.StatusRequestEntityTooLarge, "about:blank", ""},
		{"another media type", func(p string) response {
			return e.do(http.MethodPost, p, "text/plain", bytes.NewReader(good))
		}, http.StatusUnsupportedMediaType, "about:blank", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			plan := tc.send("/v1/plans").problem(t, tc.status)
			start := tc.send("/v1/migrations").problem(t, tc.status)
			require.Equal(t, tc.typ, plan.Type)
			require.Equal(t, start.Type, plan.Type)
			require.Equal(t, start.Problems, plan.Problems, "the same reasons as a start")
			if tc.inProblem != "" {
				require.Contains(t, strings.Join(plan.Problems, "\n"), tc.inProblem)
			}
		})
	}
	require.Empty(t, e.storedExports())
	require.Empty(t, e.listed(t, ""))
}

func TestPlansAndListsNeedTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	export := e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 34})
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + testToken} {
		for _, r := range []response{
			e.do(http.MethodPost, "/v1/plans", "application/json", bytes.NewReader(export), auth),
			e.do(http.MethodGet, "/v1/migrations", "", nil, auth),
		} {
			p := r.problem(t, http.StatusUnauthorized)
			require.Equal(t, `Bearer realm="dpskmigrate"`, r.header.Get("WWW-Authenticate"))
			require.Contains(t, p.Detail, "Authorization: Bearer")
		}
	}
}

// listed reads GET /v1/migrations (with query) and returns the IDs in order.
func (e *env) listed(t *testing.T, query string) []string {
	t.Helper()
	r := e.get("/v1/migrations" + query)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var l trigger.ListResponse
	r.json(t, &l)
	ids := []string{}
	for _, m := range l.Migrations {
		ids = append(ids, m.WorkflowID)
	}
	return ids
}
