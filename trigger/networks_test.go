package trigger_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/trigger"
)

func TestNetworkOptionsAreCheckedBeforeAnythingIsStored(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noWorker: true})
	export := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 2, Seed: 41}) // every pool on SSID "Residents"
	q := func(pairs ...string) string {
		v := url.Values{}
		for i := 0; i < len(pairs); i += 2 {
			v.Add(pairs[i], pairs[i+1])
		}
		return v.Encode()
	}

	for _, tc := range []struct{ query, mention string }{
		{q("networkMode", "per-unit"), `networkMode "per-unit" is not one of "none", "per-pool"`},
		{q("venue", "HQ", "mergeBySSID", "true"), `venues, mergeBySSID choose Wi-Fi networks, and networkMode "none" creates none`},
		{q("networkMode", "per-pool", "networkMode", "none"), `option "networkMode" is given 2 times`},
		{q("networkMode", "per-pool", "mergeBySSID", "yes please"), "mergeBySSID"},
		{q("networkMode", "per-pool", "ssid", "x"), `ssid "x" has 1 characters; R1 SSIDs have 2 to 32`},
		{q("networkMode", "per-pool", "ssidMap", "Building A1 s41"), `ssidMap: "Building A1 s41" is not "Cloudpath pool=value"`},
		{q("networkMode", "per-pool", "ssidMap", "A=One", "ssidMap", "A=Two"), `pool "A" is given two SSIDs`},
		{q("networkMode", "per-pool", "venueMap", "=HQ"), `venueMap: "=HQ" names no pool before its '='`},
		{q("networkMode", "per-pool", "venue", "HQ", "venue", "HQ"), `venue "HQ" is given twice`},
		{q("networkMode", "per-pool", "venue", strings.Repeat("v", 65)), "has 65 characters"},
	} {
		p := e.postJSON("/v1/migrations?"+tc.query, export).problem(t, http.StatusBadRequest)
		require.Equal(t, trigger.ProblemInvalidOptions, p.Type, tc.query)
		require.Contains(t, strings.Join(p.Problems, "\n"), tc.mention, tc.query)
	}
	p := e.postMultipart("/v1/migrations", export, map[string]string{"networkMode": "per-pool", "ssid": "a`b"}).problem(t, http.StatusBadRequest)
	require.Equal(t, trigger.ProblemInvalidOptions, p.Type)
	require.Contains(t, strings.Join(p.Problems, "\n"), "contains a backtick")

	// What only the export can tell: a shared SSID, a map naming no pool.
	for _, tc := range []struct{ query, mention string }{
		{q("networkMode", "per-pool", "venue", "HQ", "venue", "Annex"),
			`SSID "Residents" is shared by 3 pools (#1 "Building A1 s41", #2 "Building B1 s41", #3 "Building C1 s41"): an R1 network binds exactly one DPSK pool, ` +
				`so they cannot each get a network on it; merge them into one R1 pool with --merge-by-ssid (mergeBySSID), or give them distinct SSIDs with --ssid-map "POOL=SSID" (ssidMap)`},
		{q("networkMode", "per-pool", "mergeBySSID", "true", "venueMap", "Building A1=HQ"),
			`venueMap names no pool of the export: "Building A1"; the export's pools are "Building A1 s41", "Building B1 s41", "Building C1 s41" (display names, matched exactly)`},
	} {
		p := e.postJSON("/v1/migrations?"+tc.query, export).problem(t, http.StatusBadRequest)
		require.Equal(t, trigger.ProblemInvalidExport, p.Type, tc.query)
		require.Equal(t, []string{tc.mention}, p.Problems, tc.query)
	}
	require.Empty(t, e.storedExports(), "nothing was stored")
}

func TestPoolsMergedBySSIDMigrateIntoOneR1Pool(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	export := e.export(sampledata.Spec{Pools: 3, RowsPerPool: 4, Seed: 42})
	query := url.Values{
		"networkMode": {"per-pool"},
		"mergeBySSID": {"true"},
		"namePrefix":  {"m-"},
		// Repeated: two pools named explicitly, the third on its own SSID, all "Residents".
		"ssidMap": {"Building A1 s42=Residents", "Building B1 s42=Residents"},
	}
	s := e.started(e.postJSON("/v1/migrations?"+query.Encode(), export))
	require.Equal(t, 1, s.Summary.Pools, "three Cloudpath pools, one R1 pool")
	require.Equal(t, 12, s.Summary.Create)
	require.Contains(t, strings.Join(s.Summary.Warnings, "\n"), "no venue is given for the 3 pools merged on SSID \"Residents\"")

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.NotNil(t, st.Result)
	require.Len(t, st.Result.Pools, 1)
	require.Regexp(t, `^residents-[0-9a-f]{8}$`, st.Result.Pools[0].Key)
	require.Equal(t, map[string]int{"m-Residents": 12}, e.passphrasesInR1(), "R1 holds every row of the three pools in one pool")
}
