package cloudpath

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// perPool is the per-pool network mode with the options of a test.
func perPool(o PlanOptions) PlanOptions {
	o.NetworkMode = NetworkPerPool
	if o.Now.IsZero() {
		o.Now = testNow
	}
	return o
}

func dpsksWithSSIDs(lists ...[]string) []DPSK {
	ds := make([]DPSK, len(lists))
	for i, l := range lists {
		ds[i] = DPSK{Name: "u" + string(rune('a'+i)), Passphrase: "password-" + string(rune('a'+i)), SSIDList: l}
	}
	return ds
}

func TestSiteSSIDFollowsTheExtractorsRule(t *testing.T) {
	l := func(s ...string) []string { return s }
	tests := []struct {
		name string
		pool Pool
		want string
	}{
		{"first SSID of the pool's list", Pool{SSIDList: l("Lakeside", "Other"), DPSKs: dpsksWithSSIDs(l("Other"), l("Other"))}, "Lakeside"},
		{"per-unit SSIDs of the pool's list are passed over", Pool{SSIDList: l("101@Lakeside", "102@Lakeside", "Lakeside")}, "Lakeside"},
		{"else the SSID of at least half the DPSKs", Pool{SSIDList: l("101@Lakeside"), DPSKs: dpsksWithSSIDs(l("B"), l("A"), l("A", "B"), l("A"))}, "A"},
		{"exactly half is enough", Pool{DPSKs: dpsksWithSSIDs(l("B"), l("A"), l("A"), l())}, "A"},
		{"the most listed wins over the first seen", Pool{DPSKs: dpsksWithSSIDs(l("B"), l("A", "B"), l("A"), l("A"))}, "A"},
		{"a tie goes to the first seen", Pool{DPSKs: dpsksWithSSIDs(l("B"), l("A"), l("A", "B"), l())}, "B"},
		{"a DPSK listing an SSID twice counts once", Pool{DPSKs: dpsksWithSSIDs(l("A", "A"), l("B"), l("B"), l())}, "B"},
		{"else the first SSID seen that is not per-unit", Pool{DPSKs: dpsksWithSSIDs(l("7@X", "C"), l("A"), l(), l(), l())}, "C"},
		{"per-unit SSIDs only: none", Pool{SSIDList: l("1@X"), DPSKs: dpsksWithSSIDs(l("1@X"), l("2@X"))}, ""},
		{"no SSID at all", Pool{DPSKs: dpsksWithSSIDs(l(), l())}, ""},
		{"no DPSK", Pool{}, ""},
		{"text that only looks per-unit is an SSID", Pool{SSIDList: l("12@", "@Lobby", "a1@X")}, "12@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.pool.SiteSSID())
		})
	}
}

func TestPerUnitSSIDs(t *testing.T) {
	for s, want := range map[string]bool{
		"108@Property": true, "1@x": true, "0042@Lake Side": true,
		"108@": false, "@Property": false, "a108@Property": false, "108 @Property": false, "108-Property": false, "108@Pro\nperty": false, "": false,
	} {
		assert.Equal(t, want, isUnitSSID(s), "%q", s)
	}
}

func TestPerPoolNetworkOfASinglePool(t *testing.T) {
	tests := []struct {
		name string
		opts PlanOptions
		want NetworkPlan
	}{
		{"the export's SSID, no venue", PlanOptions{},
			NetworkPlan{SSID: "Lakeside-Res", Name: "Lakeside-Res", Description: "Cloudpath Import - Lakeside Residents"}},
		{"venues as given, trimmed", PlanOptions{Venues: []string{"Lakeside HQ", " 6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b "}},
			NetworkPlan{SSID: "Lakeside-Res", Name: "Lakeside-Res", Description: "Cloudpath Import - Lakeside Residents", Venues: []string{"Lakeside HQ", "6f1c0c3a9f2e4b7d8a1b2c3d4e5f6a7b"}}},
		{"the name takes the prefix and suffix", PlanOptions{NamePrefix: "LS ", NameSuffix: " DPSK", Venues: []string{"HQ"}},
			NetworkPlan{SSID: "Lakeside-Res", Name: "LS Lakeside-Res DPSK", Description: "Cloudpath Import - LS Lakeside Residents DPSK", Venues: []string{"HQ"}}},
		{"ssid wins over the export", PlanOptions{SSID: "Lakeside Living"},
			NetworkPlan{SSID: "Lakeside Living", Name: "Lakeside Living", Description: "Cloudpath Import - Lakeside Residents"}},
		{"ssidMap wins over ssid", PlanOptions{SSID: "Lakeside Living", SSIDMap: map[string]string{" Lakeside Residents ": "LR"}},
			NetworkPlan{SSID: "LR", Name: "LR", Description: "Cloudpath Import - Lakeside Residents"}},
		{"venueMap replaces venues", PlanOptions{Venues: []string{"HQ"}, VenueMap: map[string][]string{"Lakeside Residents": {"Annex", "HQ"}}},
			NetworkPlan{SSID: "Lakeside-Res", Name: "Lakeside-Res", Description: "Cloudpath Import - Lakeside Residents", Venues: []string{"Annex", "HQ"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan := planTestdata(t, "single_pool.json", perPool(tt.opts))
			require.Len(t, plan.Units, 1)
			require.NotNil(t, plan.Units[0].Network)
			assert.Equal(t, tt.want, *plan.Units[0].Network)
			assert.Empty(t, plan.SharedSSIDs)
			if len(tt.want.Venues) > 0 {
				assert.Empty(t, plan.Warnings)
			} else {
				assert.Equal(t, []string{`no venue is given for pool #1 "Lakeside Residents": the network is created and bound to the pool but activated nowhere; name venues with --venue (venues) or --venue-map (venueMap)`}, plan.Warnings)
			}
		})
	}
}

func TestNoneModeLeavesThePlanAsItWas(t *testing.T) {
	for _, opts := range []PlanOptions{{}, {NetworkMode: NetworkNone}} {
		plan := planTestdata(t, "multi_pool.json", opts)
		for _, u := range plan.Units {
			assert.Nil(t, u.Network)
			assert.Len(t, u.Sources, 1)
		}
		assert.Nil(t, plan.SharedSSIDs)
		assert.Equal(t, planTestdata(t, "multi_pool.json", PlanOptions{}), plan)
	}
}

func TestPoolsThatLookPerUnitAreReported(t *testing.T) {
	l := func(s ...string) []string { return s }
	perUnit := Pool{GUID: "g1", DisplayName: "Maple Court", SSIDList: l("Maple", "101@Maple", "102@Maple"),
		DPSKs: dpsksWithSSIDs(l("101@Maple"), l("102@Maple"), l("Maple"), l())} // the last inherits the pool's list: 3 of 4
	propertyWide := Pool{GUID: "g2", DisplayName: "Oak Row", SSIDList: l("Oak"),
		DPSKs: dpsksWithSSIDs(l("7@Oak"), l(), l(), l())} // 1 of 4
	exp := &Export{Pools: []Pool{perUnit, propertyWide}}

	plan, err := NewPlan(exp, perPool(PlanOptions{Venues: []string{"HQ"}}))
	require.NoError(t, err)
	assert.Equal(t, []string{`pool #1 "Maple Court" looks per-unit: 3 of its 4 DPSKs carry per-unit SSIDs such as "101@Maple"; ` +
		`this migration gives its R1 pool one network, on SSID "Maple", and builds no per-unit networks: set those up in R1 yourself`}, plan.Warnings)
	assert.Equal(t, "Maple", plan.Units[0].Network.SSID)
	assert.Equal(t, "Oak", plan.Units[1].Network.SSID)

	none, err := NewPlan(exp, PlanOptions{Now: testNow})
	require.NoError(t, err)
	assert.Empty(t, none.Warnings, "without networks nothing is said about them")
}

func TestPoolsWithoutAnSSIDRefuseThePlanWithTheFix(t *testing.T) {
	_, err := NewPlan(parseTestdata(t, "multi_pool.json"), perPool(PlanOptions{}))
	var pe *PlanError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, []string{
		`pool #3 "North Hall" has no site-wide SSID: neither its ssidList nor its DPSKs' lists name one that is not per-unit (digits@name); give it one with --ssid-map "North Hall=SSID" (ssidMap)`,
		`pool #4 "Staff" has no site-wide SSID: neither its ssidList nor its DPSKs' lists name one that is not per-unit (digits@name); give it one with --ssid-map "Staff=SSID" (ssidMap)`,
	}, pe.Problems)

	long := exportOf(Pool{DisplayName: "Long", SSIDList: []string{strings.Repeat("s", 33)}})
	_, err = NewPlan(long, perPool(PlanOptions{}))
	require.ErrorContains(t, err, `pool #1 "Long": its SSID "sssssssssssssssssssssssssssssssss" has 33 characters; R1 SSIDs have 2 to 32; give it one with --ssid-map "Long=SSID" (ssidMap)`)
	_, err = NewPlan(long, perPool(PlanOptions{SSID: "Long Net"}))
	require.NoError(t, err, "an SSID of the options replaces the export's")
}

func TestSharedSSIDsAreRefusedWithoutMergeAndExplained(t *testing.T) {
	exp := parseTestdata(t, "multi_pool.json")
	opts := perPool(PlanOptions{SSIDMap: map[string]string{"Staff": "Campus-North", "North Hall": "Campus-North"}})
	_, err := NewPlan(exp, opts)
	var pe *PlanError
	require.True(t, errors.As(err, &pe), "%v", err)
	assert.Equal(t, []string{`SSID "Campus-North" is shared by 3 pools (#1 "North Hall", #3 "North Hall", #4 "Staff"): an R1 network binds exactly one DPSK pool, ` +
		`so they cannot each get a network on it; merge them into one R1 pool with --merge-by-ssid (mergeBySSID), or give them distinct SSIDs with --ssid-map "POOL=SSID" (ssidMap)`}, pe.Problems)

	opts.MergeBySSID = true
	plan, err := NewPlan(exp, opts)
	require.NoError(t, err)
	require.Len(t, plan.Units, 2)
	merged, south := plan.Units[0], plan.Units[1]
	assert.Equal(t, "Campus-North", merged.IdentityGroupName)
	assert.Equal(t, "Campus-North (3 pools)", merged.DisplayName)
	assert.Equal(t, []PoolSource{
		{Index: 0, GUID: "AccountDpskPool-north", DisplayName: "North Hall"},
		{Index: 2, GUID: "AccountDpskPool-north-annex", DisplayName: "North Hall"},
		{Index: 3, GUID: "AccountDpskPool-staff", DisplayName: "Staff"},
	}, merged.Sources)
	assert.Equal(t, []SharedSSID{{SSID: "Campus-North", Pools: merged.Sources, UnitKey: merged.Key}}, plan.SharedSSIDs)
	assert.Equal(t, []string{"n-ada", "n-ben", "t-dev"}, usernames(merged.Rows))
	assert.Equal(t, []int{0, 0, 3}, sourcePools(merged.Rows))
	assert.Equal(t, []int{0, 1, 0}, rowIndexes(merged.Rows))
	assert.Equal(t, "Campus-South", south.Network.SSID)
	assert.Equal(t, []PoolSource{{Index: 1, GUID: "AccountDpskPool-south", DisplayName: "South Hall"}}, south.Sources)
	// North Hall is NUMERIC, the annex unknown (inferred from no passphrase), Staff has none (inferred from its own).
	assert.Equal(t, []string{
		`pool #3 "North Hall": phraseRandomCharactersType "PRONOUNCEABLE" is unknown; passphrase format KEYBOARD_FRIENDLY inferred from the passphrases`,
		`the 3 pools merged on SSID "Campus-North": their passphrase formats differ (NUMBERS_ONLY, KEYBOARD_FRIENDLY, MOST_SECURED); MOST_SECURED inferred from the passphrases`,
		`the 3 pools merged on SSID "Campus-North": their expirations differ (1 YEARS_AFTER_TIME, none); the R1 pool gets none`,
		`pool #2 "South Hall": expiration type "SPECIFIED_DATE" has no R1 equivalent; the R1 pool gets no expiration`,
		`no venue is given for the 3 pools merged on SSID "Campus-North", pool #2 "South Hall": the network is created and bound to the pool but activated nowhere; name venues with --venue (venues) or --venue-map (venueMap)`,
	}, plan.Warnings)
	assert.Equal(t, PoolSettings{PassphraseFormat: FormatMostSecured, PassphraseLength: 8}, merged.Settings, "the shortest length, no expiration")
}

func TestMapsMustNameThePoolsOfTheExport(t *testing.T) {
	exp := parseTestdata(t, "multi_pool.json")
	_, err := NewPlan(exp, perPool(PlanOptions{
		SSIDMap:  map[string]string{"north hall": "NH", "Staff": "ST", "Annex": "AX"},
		VenueMap: map[string][]string{"Gym": {"HQ"}},
	}))
	var pe *PlanError
	require.True(t, errors.As(err, &pe), "%v", err)
	require.GreaterOrEqual(t, len(pe.Problems), 2)
	assert.Equal(t, `ssidMap names no pool of the export: "Annex", "north hall"; the export's pools are "North Hall", "South Hall", "Staff" (display names, matched exactly)`, pe.Problems[0])
	assert.Equal(t, `venueMap names no pool of the export: "Gym"; the export's pools are "North Hall", "South Hall", "Staff" (display names, matched exactly)`, pe.Problems[1])

	_, err = NewPlan(exp, perPool(PlanOptions{SSID: "One"}))
	require.ErrorContains(t, err, "ssid needs an export with exactly one pool, this one has 4; give each pool its SSID with ssidMap instead")
}

func TestNetworkOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts PlanOptions
		want string // "" = valid
	}{
		{"per-pool alone", PlanOptions{NetworkMode: NetworkPerPool}, ""},
		{"every option", PlanOptions{NetworkMode: NetworkPerPool, SSID: "Lakeside Living", SSIDMap: map[string]string{"A": "Ab"},
			Venues: []string{"HQ", "Annex"}, VenueMap: map[string][]string{"A": {"HQ"}}, MergeBySSID: true}, ""},
		{"32 characters and 32 bytes", PlanOptions{NetworkMode: NetworkPerPool, SSID: strings.Repeat("s", 32)}, ""},
		{"inner spaces and symbols", PlanOptions{NetworkMode: NetworkPerPool, SSID: "Café $(guest) @ 5G!"}, ""},
		{"unknown mode", PlanOptions{NetworkMode: "per-unit"}, `networkMode "per-unit" is not one of "none", "per-pool"`},
		{"network options without a network", PlanOptions{SSID: "A1", Venues: []string{"HQ"}, MergeBySSID: true},
			`ssid, venues, mergeBySSID choose Wi-Fi networks, and networkMode "none" creates none: set networkMode "per-pool" (--network-mode per-pool), or leave them out`},
		{"maps without a network", PlanOptions{NetworkMode: NetworkNone, SSIDMap: map[string]string{"A": "Ab"}, VenueMap: map[string][]string{"A": {"HQ"}}}, "ssidMap, venueMap choose Wi-Fi networks"},
		{"SSID of one character", PlanOptions{NetworkMode: NetworkPerPool, SSID: "A"}, `ssid "A" has 1 characters; R1 SSIDs have 2 to 32`},
		{"SSID of 33 characters", PlanOptions{NetworkMode: NetworkPerPool, SSID: strings.Repeat("s", 33)}, "has 33 characters; R1 SSIDs have 2 to 32"},
		{"SSID over 32 bytes", PlanOptions{NetworkMode: NetworkPerPool, SSID: strings.Repeat("é", 17)}, "has 34 bytes in UTF-8; a Wi-Fi SSID holds at most 32"},
		{"SSID with a backtick", PlanOptions{NetworkMode: NetworkPerPool, SSID: "Res`idents"}, "contains a backtick, which R1 refuses"},
		{"SSID with a leading space", PlanOptions{NetworkMode: NetworkPerPool, SSID: " Residents"}, "starts or ends with a space"},
		{"SSID with a tab", PlanOptions{NetworkMode: NetworkPerPool, SSID: "Resi\tdents"}, "contains a tab, a line break or another control character"},
		{"SSID with a line break", PlanOptions{NetworkMode: NetworkPerPool, SSID: "Resi\ndents"}, "another control character"},
		{"ssidMap SSID", PlanOptions{NetworkMode: NetworkPerPool, SSIDMap: map[string]string{"North": "x"}}, `ssidMap: the SSID "x" of pool "North" has 1 characters`},
		{"ssidMap without a pool name", PlanOptions{NetworkMode: NetworkPerPool, SSIDMap: map[string]string{" ": "North"}}, "ssidMap has an entry without a pool name"},
		{"ssidMap naming a pool twice", PlanOptions{NetworkMode: NetworkPerPool, SSIDMap: map[string]string{"North": "N1", "North ": "N2"}}, `ssidMap names pool "North" twice`},
		{"ssidMap pool name too long", PlanOptions{NetworkMode: NetworkPerPool, SSIDMap: map[string]string{strings.Repeat("p", 256): "N1"}}, "has 256 characters; Cloudpath pool names have at most 255"},
		{"empty venue", PlanOptions{NetworkMode: NetworkPerPool, Venues: []string{"HQ", "  "}}, "venues: venue 2 is empty; give a venue name or id"},
		{"venue too long", PlanOptions{NetworkMode: NetworkPerPool, Venues: []string{strings.Repeat("v", 65)}}, "has 65 characters; R1 venue names have at most 32 and ids fewer than 64"},
		{"venue with a control character", PlanOptions{NetworkMode: NetworkPerPool, Venues: []string{"H\x00Q"}}, "contains a control character"},
		{"venue twice", PlanOptions{NetworkMode: NetworkPerPool, Venues: []string{"HQ", " HQ"}}, `venues: venue "HQ" is given twice`},
		{"too many venues", PlanOptions{NetworkMode: NetworkPerPool, Venues: make([]string, 101)}, "venues has 101 venues; at most 100 are accepted per network"},
		{"venueMap without venues", PlanOptions{NetworkMode: NetworkPerPool, VenueMap: map[string][]string{"North": nil}}, `venueMap for pool "North" names no venue`},
		{"venueMap venue", PlanOptions{NetworkMode: NetworkPerPool, VenueMap: map[string][]string{"North": {""}}}, `venueMap for pool "North": venue 1 is empty`},
		{"template leaves no room for the SSID", PlanOptions{NetworkMode: NetworkPerPool, NamePrefix: strings.Repeat("p", 20), NameSuffix: strings.Repeat("s", 11)},
			"namePrefix and nameSuffix have 31 characters together; network names hold at most 32, so at most 30 leave room for the SSID"},
		{"a long template is fine without networks", PlanOptions{NamePrefix: strings.Repeat("p", 20), NameSuffix: strings.Repeat("s", 11)}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = testNow
			err := tt.opts.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
			_, err = NewPlan(exportOf(Pool{DisplayName: "North"}), tt.opts)
			require.ErrorContains(t, err, tt.want, "NewPlan validates too")
		})
	}
}

func TestNetworkNamesFitR1(t *testing.T) {
	ssid30 := strings.Repeat("a", 26) + " bcd" // 30 characters
	tests := []struct {
		name           string
		pools          []Pool
		opts           PlanOptions
		names, problem string
		warning        string
	}{
		{"cut to 32 characters", []Pool{{DisplayName: "P", SSIDList: []string{ssid30}}}, PlanOptions{NamePrefix: "LS "},
			"LS " + strings.Repeat("a", 26) + " bc", "",
			`pool #1 "P": network name "LS aaaaaaaaaaaaaaaaaaaaaaaaaa bc" is "LS aaaaaaaaaaaaaaaaaaaaaaaaaa bcd" cut to R1's 32 characters`},
		{"never ending in a space where cut", []Pool{{DisplayName: "P", SSIDList: []string{ssid30}}}, PlanOptions{NamePrefix: "LS ", NameSuffix: "!!"},
			"LS " + strings.Repeat("a", 26) + "!!", "",
			`pool #1 "P": network name "LS aaaaaaaaaaaaaaaaaaaaaaaaaa!!" is "LS aaaaaaaaaaaaaaaaaaaaaaaaaa bcd!!" cut to R1's 32 characters`},
		{"a template that makes $(", []Pool{{DisplayName: "P", SSIDList: []string{"(guest)"}}}, PlanOptions{NamePrefix: "$"},
			"", `pool #1 "P": its network name "$(guest)" contains "$(", which R1 refuses; shorten --name-prefix/--name-suffix, or give it another SSID with --ssid-map (ssidMap)`, ""},
		{"two SSIDs cut to one name", []Pool{{DisplayName: "P", SSIDList: []string{strings.Repeat("x", 30) + "-1"}}, {DisplayName: "Q", SSIDList: []string{strings.Repeat("x", 30) + "-2"}}},
			PlanOptions{NameSuffix: " !"}, "",
			`pool #1 "P" and pool #2 "Q" would both get a network named "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx !" (names compared without case, cut to 32 characters); give one of them another SSID with --ssid-map (ssidMap), or shorten --name-prefix/--name-suffix`, ""},
		{"names differing in case only", []Pool{{DisplayName: "P", SSIDList: []string{"Guest"}}, {DisplayName: "Q", SSIDList: []string{"GUEST"}}},
			PlanOptions{}, "", `pool #1 "P" and pool #2 "Q" would both get a network named "GUEST"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Venues = []string{"HQ"}
			plan, err := NewPlan(&Export{Pools: tt.pools}, perPool(tt.opts))
			if tt.problem != "" {
				require.ErrorContains(t, err, tt.problem)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.names, plan.Units[0].Network.Name)
			assert.LessOrEqual(t, len([]rune(plan.Units[0].Network.Name)), 32)
			assert.Equal(t, []string{tt.warning}, plan.Warnings)
		})
	}
}

func TestPlanOptionsTravelAsJSON(t *testing.T) {
	opts := perPool(PlanOptions{SSIDMap: map[string]string{"B": "Bee", "A": "Ay"}, Venues: []string{"HQ"},
		VenueMap: map[string][]string{"A": {"Annex", "HQ"}}, MergeBySSID: true})
	b, err := json.Marshal(opts)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"networkMode":"per-pool","ssidMap":{"A":"Ay","B":"Bee"},"venues":["HQ"],"venueMap":{"A":["Annex","HQ"]},"mergeBySSID":true`)
	var back PlanOptions
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, opts, back)

	b, err = json.Marshal(PlanOptions{Now: testNow})
	require.NoError(t, err)
	assert.Equal(t, `{"now":"2026-10-02T12:00:00Z"}`, string(b), "none mode adds nothing to workflow inputs")
}

func TestParsePoolMaps(t *testing.T) {
	m, err := ParseSSIDMap([]string{"North Hall=Campus=North", " Staff =Staff ", "North Hall=Campus=North"})
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"North Hall": "Campus=North", "Staff": "Staff "}, m, "split at the first '='; the SSID as given")

	_, err = ParseSSIDMap([]string{"North Hall=A", "North Hall=B", "no equals", "=x"})
	require.EqualError(t, err, `pool "North Hall" is given two SSIDs, "A" and "B"; a pool has one network; "no equals" is not "Cloudpath pool=value"; "=x" names no pool before its '='`)

	vm, err := ParseVenueMap([]string{"North Hall= HQ", "Staff=Annex", "North Hall=Annex"})
	require.NoError(t, err)
	assert.Equal(t, map[string][]string{"North Hall": {"HQ", "Annex"}, "Staff": {"Annex"}}, vm)

	none, err := ParseVenueMap(nil)
	require.NoError(t, err)
	assert.Nil(t, none)
}

func usernames(rows []Row) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.Username
	}
	return out
}

func sourcePools(rows []Row) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.SourcePool
	}
	return out
}

func rowIndexes(rows []Row) []int {
	out := make([]int, len(rows))
	for i, r := range rows {
		out[i] = r.Index
	}
	return out
}

// FuzzNetworkPlan plans networks from arbitrary SSIDs, names and venues:
// nothing panics, and a plan that is made gives every unit a network R1
// accepts, or refuses with a reason.
func FuzzNetworkPlan(f *testing.F) {
	f.Add("Residents", "Residents", "", "LS ", "", "HQ", true)
	f.Add("101@Lake", "Lake Side", "Lake", "$", "", "", false)
	f.Add(" x", "`", "yy", "", strings.Repeat("s", 20), "a\tb", true)
	f.Add("é", strings.Repeat("é", 17), "Résidence Étudiante Été 2026 Nord", "", "", "HQ", false)
	f.Fuzz(func(t *testing.T, poolSSID, dpskSSID, mapped, prefix, suffix, venue string, merge bool) {
		exp := &Export{Pools: []Pool{
			{GUID: "g1", DisplayName: "A", SSIDList: splitList(poolSSID), DPSKs: []DPSK{{Name: "a", Passphrase: "password-a", SSIDList: splitList(dpskSSID)}}},
			{GUID: "g2", DisplayName: "B", SSIDList: splitList(dpskSSID), DPSKs: []DPSK{{Name: "b", Passphrase: "password-b"}}},
		}}
		opts := perPool(PlanOptions{NamePrefix: prefix, NameSuffix: suffix, MergeBySSID: merge})
		if mapped != "" {
			opts.SSIDMap = map[string]string{"B": mapped}
		}
		if venue != "" {
			opts.Venues = []string{venue}
		}
		plan, err := NewPlan(exp, opts)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a reason")
			}
			return
		}
		rows, ssids := 0, map[string]bool{}
		for _, u := range plan.Units {
			n := u.Network
			if n == nil || ssidProblem(n.SSID) != "" || networkNameProblem(n.Name) != "" || len([]rune(n.Name)) > MaxSSIDLength || ssids[n.SSID] {
				t.Fatalf("unit %s has a network R1 cannot take: %+v", u.Key, n)
			}
			ssids[n.SSID] = true
			if !keyPattern.MatchString(u.Key) {
				t.Fatalf("bad key %q", u.Key)
			}
			rows += len(u.Rows) + len(u.Skipped) + len(u.Refused)
		}
		if rows != 2 {
			t.Fatalf("%d outcomes for 2 DPSKs", rows)
		}
		if err := plan.Summarize(2000).WriteText(&strings.Builder{}); err != nil {
			t.Fatal(err)
		}
	})
}
