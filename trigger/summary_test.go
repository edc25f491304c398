package trigger_test

import (
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/internal/sampledata"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// The start answer names each pool's network, its venues and the calls they
// add; the status then says where each network went on the air.
func TestStartAnswerNamesTheNetworksAndTheirCalls(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	venue, err := e.sim.AddVenue(e.tenant, r1sim.VenueSeed{Name: "Campus North", APGroups: []string{"Floor 1"}})
	require.NoError(t, err)
	export := e.export(sampledata.Spec{Pools: 2, RowsPerPool: 3, Seed: 43})
	query := url.Values{
		"networkMode": {"per-pool"},
		"namePrefix":  {"LS "},
		"venue":       {"Campus North"},
		"ssidMap":     {"Building A1 s43=Res A", "Building B1 s43=Res B"},
	}
	r := e.postJSON("/v1/migrations?"+query.Encode(), export)
	s := e.started(r)
	require.Len(t, s.Summary.Networks, 2)
	for i, p := range []string{"A", "B"} {
		n := s.Summary.Networks[i]
		require.Regexp(t, `^building-`+regexp.QuoteMeta(map[string]string{"A": "a1", "B": "b1"}[p])+`-s43-[0-9a-f]{8}$`, n.Pool)
		require.Equal(t, "LS Res "+p, n.Name)
		require.Equal(t, "Res "+p, n.SSID)
		require.Equal(t, []string{"Campus North"}, n.Venues)
	}
	require.Zero(t, s.Summary.NetworksOmitted)
	require.Equal(t, 2*cloudpath.EstimateNetworkCalls(1)+cloudpath.EstimateVenueLookupCalls, s.Summary.NetworkCalls)
	require.Equal(t, 2*cloudpath.EstimateCalls(3)+s.Summary.NetworkCalls, s.Summary.EstimatedCalls, "the network calls are part of the estimate")
	require.Contains(t, string(r.body), `"networks":[{"pool":"building-a1-s43-`)
	require.Contains(t, string(r.body), `"ssid":"Res A","venues":["Campus North"]}`)

	st := e.waitDone(s.StatusURL)
	require.Equal(t, "COMPLETED", st.State, "error: %s", st.Error)
	require.Len(t, st.Result.Pools, 2)
	for _, p := range st.Result.Pools {
		require.NotNil(t, p.Network, "the status carries each pool's network")
		require.True(t, p.Network.Created)
		require.Len(t, p.Network.Activations, 1)
		require.Equal(t, venue.ID, p.Network.Activations[0].VenueID)
	}

	// Without networks the answer says nothing about them.
	s = e.started(e.postJSON("/v1/migrations", e.export(sampledata.Spec{Pools: 1, RowsPerPool: 2, Seed: 44})))
	require.Empty(t, s.Summary.Networks)
	require.Zero(t, s.Summary.NetworkCalls)
}
