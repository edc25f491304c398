package cloudpath

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sampleExport is examples/sample-export.json: 8 pools of 60 rows, all on SSID "Residents".
func sampleExport(t testing.TB) *Export {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "sample-export.json"))
	require.NoError(t, err)
	exp, err := ParseBytes(b, ParseOptions{})
	require.NoError(t, err)
	require.Len(t, exp.Pools, 8)
	return exp
}

func TestTheSamplePoolsShareTheirSSIDAndMergeIntoOneUnit(t *testing.T) {
	exp := sampleExport(t)
	_, err := NewPlan(exp, perPool(PlanOptions{}))
	require.ErrorContains(t, err, `SSID "Residents" is shared by 8 pools (#1 "Building A1", #2 "Building B1", #3 "Building C1", #4 "Building D1", #5 "Building E1", #6 "Building F1", #7 "Building G1", #8 "Building H1"): an R1 network binds exactly one DPSK pool`)
	require.ErrorContains(t, err, "--merge-by-ssid")

	plan, err := NewPlan(exp, perPool(PlanOptions{MergeBySSID: true, NamePrefix: "LS ", Venues: []string{"HQ"}}))
	require.NoError(t, err)
	require.Len(t, plan.Units, 1)
	u := plan.Units[0]
	assert.Regexp(t, `^residents-[0-9a-f]{8}$`, u.Key)
	assert.Equal(t, "Residents (8 pools)", u.DisplayName)
	assert.Empty(t, u.SourceGUID)
	assert.Equal(t, "LS Residents", u.IdentityGroupName)
	assert.Equal(t, "LS Residents", u.PoolName)
	assert.Equal(t, "Cloudpath Import - LS Residents", u.PoolDescription)
	assert.Equal(t, &NetworkPlan{SSID: "Residents", Name: "LS Residents", Description: "Cloudpath Import - LS Residents", Venues: []string{"HQ"}}, u.Network)
	require.Len(t, u.Sources, 8)
	assert.Equal(t, PoolSource{Index: 7, GUID: "AccountDpskPool-s0-p007", DisplayName: "Building H1"}, u.Sources[7])
	assert.Equal(t, []SharedSSID{{SSID: "Residents", Pools: u.Sources, UnitKey: u.Key}}, plan.SharedSSIDs)

	// Every row, in export order, saying where it came from.
	require.Len(t, u.Rows, 480)
	assert.Empty(t, u.Skipped)
	assert.Empty(t, u.Refused)
	for i, r := range u.Rows {
		d := exp.Pools[i/60].DPSKs[i%60]
		require.Equal(t, i/60, r.SourcePool)
		require.Equal(t, i%60, r.Index)
		require.Equal(t, d.Name, r.Username)
		require.Equal(t, d.Passphrase, r.Passphrase)
	}
	// The pools agree on their settings, so the unit keeps them.
	assert.Equal(t, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, ExpirationType: "MONTHS_AFTER_TIME", ExpirationOffset: 12}, u.Settings)
	assert.Empty(t, plan.Warnings)

	// A unit of one pool keeps the pool's names and key.
	alone, err := NewPlan(&Export{Pools: exp.Pools[:1]}, perPool(PlanOptions{MergeBySSID: true, NamePrefix: "LS ", Venues: []string{"HQ"}}))
	require.NoError(t, err)
	none, err := NewPlan(&Export{Pools: exp.Pools[:1]}, PlanOptions{Now: testNow, NamePrefix: "LS "})
	require.NoError(t, err)
	assert.Equal(t, none.Units[0].Key, alone.Units[0].Key)
	assert.Equal(t, "LS Building A1", alone.Units[0].PoolName)
	assert.Equal(t, "LS Residents", alone.Units[0].Network.Name)
	assert.Empty(t, alone.SharedSSIDs)
}

func TestMergedPoolsKeepUsernamesAndPassphrasesUnique(t *testing.T) {
	exp := sampleExport(t)
	a0, b2 := exp.Pools[0].DPSKs[5], exp.Pools[1].DPSKs[2]
	d := &exp.Pools[3]
	d.DPSKs = append(d.DPSKs,
		DPSK{GUID: "AccountDpsk-x1", Name: a0.Name, Passphrase: "another-passphrase-1", Status: "ACTIVE"}, // row 60: username of A1's row 5
		DPSK{GUID: "AccountDpsk-x2", Name: "fresh-user", Passphrase: b2.Passphrase, Status: "ACTIVE"},     // row 61: passphrase of B1's row 2
		DPSK{GUID: "AccountDpsk-x3", Name: d.DPSKs[0].Name, Passphrase: "another-passphrase-3"},           // row 62: username of its own row 0
		DPSK{GUID: "AccountDpsk-x4", Name: "", Passphrase: "short"},                                       // row 63: refused
	)
	plan, err := NewPlan(exp, perPool(PlanOptions{MergeBySSID: true, Venues: []string{"HQ"}}))
	require.NoError(t, err)
	u := plan.Units[0]
	assert.Len(t, u.Rows, 480)
	assert.Equal(t, []RowOutcome{
		{Index: 60, Username: a0.Name, SourcePool: 3, SourcePoolName: "Building D1",
			Reason: `duplicate username of row 5 of pool #1 "Building A1" (guid "AccountDpsk-0000-000-00005")`},
		{Index: 61, Username: "fresh-user", SourcePool: 3, SourcePoolName: "Building D1",
			Reason: fmt.Sprintf(`duplicate passphrase of row 2 of pool #2 "Building B1" (username %q)`, b2.Name)},
		{Index: 62, Username: d.DPSKs[0].Name, SourcePool: 3, SourcePoolName: "Building D1",
			Reason: `duplicate username of row 0 of pool #4 "Building D1" (guid "AccountDpsk-0000-003-00000")`},
	}, u.Skipped)
	assert.Equal(t, []RowOutcome{{Index: 63, Username: "", SourcePool: 3, SourcePoolName: "Building D1", Reason: "username is empty; passphrase has 5 characters; R1 accepts 8 to 63"}}, u.Refused)

	// The plan says where each of them comes from.
	var out strings.Builder
	require.NoError(t, plan.Summarize(2000).WriteText(&out))
	text := out.String()
	t.Log("\n" + text)
	for _, want := range []string{
		"Plan: 1 pool from 8 Cloudpath pools, 480 to create, 3 skipped, 1 refused",
		`60 of #4 "Building D1"`,
		`63 of #4 "Building D1"`,
		`SSID "Residents" -> ` + u.Key + `: #1 "Building A1", #2 "Building B1"`,
	} {
		assert.Contains(t, text, want)
	}
	for _, secret := range []string{a0.Passphrase, b2.Passphrase, "another-passphrase-1"} {
		assert.NotContains(t, text, secret)
		assert.NotContains(t, fmt.Sprintf("%+v", plan), secret)
	}
}

func TestMergedSettingsAreDerivedFromThePools(t *testing.T) {
	base := func(name string, mutate func(*Pool)) Pool {
		p := Pool{GUID: "g-" + name, DisplayName: name, SSIDList: []string{"Shared"}, PhraseDefaultLength: 12, PhraseRandomCharactersType: "ALPHANUMERIC_MIXED",
			DPSKs: []DPSK{{Name: "u-" + name, Passphrase: "pass" + name + "12345"}}}
		if mutate != nil {
			mutate(&p)
		}
		return p
	}
	tests := []struct {
		name     string
		second   func(*Pool)
		want     PoolSettings
		warnings []string
	}{
		{"all agree", nil, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10}, nil},
		{"the shortest length", func(p *Pool) { p.PhraseDefaultLength = 9; p.DPSKs[0].Passphrase = "passB12345678" },
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 9}, nil},
		{"formats differ: inferred", func(p *Pool) { p.PhraseRandomCharactersType = "COMPLEX"; p.DPSKs[0].Passphrase = "1234567890" },
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10},
			[]string{`the 2 pools merged on SSID "Shared": their passphrase formats differ (KEYBOARD_FRIENDLY, MOST_SECURED); KEYBOARD_FRIENDLY inferred from the passphrases`}},
		{"device limits agree", nil, PoolSettings{}, nil}, // replaced below
		{"device limits differ: none", func(p *Pool) { p.EnforceDeviceCountLimit, p.DeviceCountLimit = true, 3 },
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10},
			[]string{`the 2 pools merged on SSID "Shared": their device limits differ (unlimited, 3); the R1 pool gets none`}},
		{"expirations differ: none", func(p *Pool) {
			p.EnforceExpirationDate, p.ExpirationDateType, p.ExpirationDateValue = true, "DAYS_AFTER_TIME", "30"
		},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10},
			[]string{`the 2 pools merged on SSID "Shared": their expirations differ (none, 30 DAYS_AFTER_TIME); the R1 pool gets none`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := base("A", nil)
			if tt.name == "device limits agree" {
				limit := func(p *Pool) {
					p.EnforceDeviceCountLimit, p.DeviceCountLimit = true, 4
					p.EnforceExpirationDate, p.ExpirationDateType, p.ExpirationDateValue = true, "YEARS_AFTER_TIME", "1"
				}
				limit(&first)
				tt.second = limit
				tt.want = PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10, DeviceCountLimit: 4, ExpirationType: "YEARS_AFTER_TIME", ExpirationOffset: 1}
			}
			plan, err := NewPlan(&Export{Pools: []Pool{first, base("B", tt.second)}}, perPool(PlanOptions{MergeBySSID: true, Venues: []string{"HQ"}}))
			require.NoError(t, err)
			require.Len(t, plan.Units, 1)
			assert.Equal(t, tt.want, plan.Units[0].Settings)
			assert.Equal(t, tt.warnings, plan.Warnings)
		})
	}
}

func TestMergedKeysAreStableReadableAndUnique(t *testing.T) {
	exp := sampleExport(t)
	opts := perPool(PlanOptions{MergeBySSID: true, Venues: []string{"HQ"}})
	first, err := NewPlan(exp, opts)
	require.NoError(t, err)

	// Other pools on the SSID make another unit: another key.
	fewer, err := NewPlan(&Export{Pools: exp.Pools[:7]}, opts)
	require.NoError(t, err)
	assert.NotEqual(t, first.Units[0].Key, fewer.Units[0].Key)
	assert.Regexp(t, keyPattern, fewer.Units[0].Key)

	// Two SSIDs, two merged units, and a pool named like an SSID keeps its own names.
	for i := 4; i < 8; i++ {
		exp.Pools[i].SSIDList = []string{"Staff Net"}
	}
	exp.Pools = append(exp.Pools, Pool{GUID: "p-res", DisplayName: "Residents", SSIDList: []string{"Residents Lobby"}})
	plan, err := NewPlan(exp, opts)
	require.NoError(t, err)
	require.Len(t, plan.Units, 3)
	assert.Equal(t, []string{"Residents", "Staff Net", "Residents (2)"}, []string{plan.Units[0].PoolName, plan.Units[1].PoolName, plan.Units[2].PoolName})
	assert.Equal(t, []string{"Residents", "Staff Net", "Residents Lobby"}, []string{plan.Units[0].Network.Name, plan.Units[1].Network.Name, plan.Units[2].Network.Name})
	assert.True(t, strings.HasPrefix(plan.Units[1].Key, "staff-net-"), plan.Units[1].Key)
	require.Len(t, plan.SharedSSIDs, 2)
	assert.Len(t, plan.SharedSSIDs[1].Pools, 4)
}

func TestNetworkPlansAreDeterministic(t *testing.T) {
	exp := parseTestdata(t, "multi_pool.json")
	opts := perPool(PlanOptions{MergeBySSID: true, NamePrefix: "C-",
		SSIDMap:  map[string]string{"Staff": "Campus-Staff", "North Hall": "Campus-North", "South Hall": "Campus-North"},
		VenueMap: map[string][]string{"Staff": {"Admin", "HQ"}, "South Hall": {"South"}, "North Hall": {"North", "HQ"}},
		Venues:   []string{"HQ"}})
	first, err := NewPlan(exp, opts)
	require.NoError(t, err)
	for range 20 {
		again, err := NewPlan(exp, opts)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	require.Len(t, first.Units, 2)
	assert.Equal(t, []string{"North", "HQ", "South"}, first.Units[0].Network.Venues, "each pool's venues in export order, each once")
	assert.Equal(t, []string{"Admin", "HQ"}, first.Units[1].Network.Venues)
}

func TestTheEstimateCountsTheNetworkSteps(t *testing.T) {
	for venues, want := range map[int]int{0: 8, 1: 12, 3: 20, -1: 8} {
		assert.Equal(t, want, EstimateNetworkCalls(venues), "EstimateNetworkCalls(%d)", venues)
	}
	plan := planTestdata(t, "single_pool.json", perPool(PlanOptions{Venues: []string{"HQ", "Annex"}}))
	s := plan.Summarize(60)
	require.Len(t, s.Pools, 1)
	assert.Equal(t, EstimateCalls(4)+EstimateNetworkCalls(2), s.Pools[0].EstimatedCalls)
	assert.Equal(t, EstimateCalls(4)+EstimateNetworkCalls(2)+2, s.EstimatedCalls, "one lookup per venue")
	assert.Equal(t, []string{"HQ", "Annex"}, s.Venues)
	assert.Equal(t, plan.Units[0].Network, s.Pools[0].Network)
	assert.Nil(t, s.Pools[0].Merged)
	assert.Equal(t, 32*1e9, float64(s.MinDuration), "32 calls at one a second")

	var out strings.Builder
	require.NoError(t, s.WriteText(&out))
	text := out.String()
	t.Log("\n" + text)
	assert.Contains(t, text, "R1 calls: about 32 (2 calls to resolve venues), at least 32s at 60 calls/minute")
	assert.Contains(t, text, "Wi-Fi networks: 1 network, each bound to its DPSK pool and activated venue-wide on its venues")
	assert.Regexp(t, `lakeside-residents-[0-9a-f]{8}\s+Lakeside-Res\s+Lakeside-Res\s+"HQ", "Annex"`, text)
	assert.NotContains(t, text, "Pools sharing an SSID")

	none := planTestdata(t, "single_pool.json", PlanOptions{}).Summarize(60)
	assert.Equal(t, EstimateCalls(4), none.EstimatedCalls)
	out.Reset()
	require.NoError(t, none.WriteText(&out))
	assert.NotContains(t, out.String(), "Wi-Fi")
}
