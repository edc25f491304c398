package cloudpath

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPlanOptionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts PlanOptions
		want string // "" = valid
	}{
		{"defaults with now", PlanOptions{Now: testNow}, ""},
		{"every policy", PlanOptions{Now: testNow, Expired: ExpiredRenew, RenewDays: 30, ImportInactive: true}, ""},
		{"now missing", PlanOptions{}, "now is not set"},
		{"unknown expired policy", PlanOptions{Now: testNow, Expired: "forever"}, `expired policy "forever"`},
		{"negative renewal", PlanOptions{Now: testNow, RenewDays: -1}, "renewDays -1"},
		{"absurd renewal", PlanOptions{Now: testNow, RenewDays: 1 << 30}, "renewDays"},
		{"group name too long", PlanOptions{Now: testNow, IdentityGroupName: strings.Repeat("g", 256)}, "identityGroupName has 256 characters"},
		{"pool name too long", PlanOptions{Now: testNow, PoolName: strings.Repeat("é", 256)}, "poolName has 256 characters"},
		{"template leaves no room", PlanOptions{Now: testNow, NamePrefix: strings.Repeat("p", 200), NameSuffix: strings.Repeat("s", 50)}, "namePrefix and nameSuffix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.opts.Validate()
			if tt.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tt.want)
			_, err = NewPlan(&Export{}, tt.opts)
			require.ErrorContains(t, err, tt.want, "NewPlan validates too")
		})
	}
}

func TestNewPlanSortsTheSampleRowsWithDefaultPolicies(t *testing.T) {
	plan := planTestdata(t, "single_pool.json", PlanOptions{})
	require.Len(t, plan.Units, 1)
	u := plan.Units[0]

	var created []string
	for _, r := range u.Rows {
		created = append(created, r.Username)
	}
	assert.Equal(t, []string{"apt101_anna", "apt102_bruno", "apt105_emil", "apt109_hugo"}, created)
	assert.Equal(t, map[int]string{
		3: "status REVOKED",
		5: `duplicate username of row 0 (guid "AccountDpsk-0001")`,
		6: `duplicate passphrase of row 0 (username "apt101_anna")`,
	}, outcomeReasons(u.Skipped))
	assert.Equal(t, map[int]string{
		2: "passphrase has 6 characters; R1 accepts 8 to 63",
		7: "username is empty; passphrase is empty",
	}, outcomeReasons(u.Refused))

	assert.Equal(t, Row{Index: 0, GUID: "AccountDpsk-0001", Username: "apt101_anna", Passphrase: "river-stone-101", VLANID: 101,
		NumberOfDevicesType: DevicesLimited, NumberOfDevices: 4, ExpirationDate: "2027-03-01T05:00:00Z", SSIDs: []string{"Lakeside-Res"}},
		u.Rows[0])
	bruno := rowByUsername(t, u, "apt102_bruno")
	assert.Equal(t, 102, bruno.VLANID)
	assert.Equal(t, 50, bruno.NumberOfDevices, "80 devices clamped to R1's 50")
	assert.Equal(t, []string{"device limit 80 is above R1's maximum; lowered to 50"}, bruno.Warnings)
	assert.Equal(t, "2027-04-15T14:30:15Z", bruno.ExpirationDate)
	assert.Equal(t, []string{"Lakeside-Res", "102@Lakeside"}, bruno.SSIDs)

	emil := rowByUsername(t, u, "apt105_emil")
	assert.Equal(t, 0, emil.VLANID, `"0" is no VLAN`)
	assert.Equal(t, DevicesUnlimited, emil.NumberOfDevicesType, "a limit of 0 is unlimited")
	assert.Equal(t, "", emil.ExpirationDate, "expired: imported without expiry by default")
	assert.Equal(t, []string{"expired 2025-11-30T22:59:59Z; imported without expiry"}, emil.Warnings)

	hugo := rowByUsername(t, u, "apt109_hugo")
	assert.Equal(t, "2028-02-29T12:00:00Z", hugo.ExpirationDate)
	assert.Equal(t, 4094, hugo.VLANID)
	assert.Equal(t, 12, hugo.NumberOfDevices)

	// Shortest passphrase created is 13 ("Oak7tree!Lane"); Cloudpath said 14.
	assert.Equal(t, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 13, DeviceCountLimit: 6,
		ExpirationType: "MONTHS_AFTER_TIME", ExpirationOffset: 18}, u.Settings)
	assert.Empty(t, plan.Warnings)
}

func TestNewPlanExpiredPolicies(t *testing.T) {
	pool := Pool{DisplayName: "P", DPSKs: []DPSK{
		{Name: "past", Passphrase: "password-past", ExpirationDateTime: "2026-10-01T00:00Z"},
		{Name: "future", Passphrase: "password-future", ExpirationDateTime: "2026-10-03T00:00Z"},
		{Name: "exactly-now", Passphrase: "password-now", ExpirationDateTime: "2026-10-02T12:00Z"},
		{Name: "never", Passphrase: "password-never"},
		{Name: "unreadable", Passphrase: "password-garbled", ExpirationDateTime: "31/12/2026"},
	}}
	tests := []struct {
		name     string
		policy   ExpiredPolicy
		days     int
		wantPast string // the expired row's ExpirationDate; "skipped" when skipped
	}{
		{"default imports without expiry", "", 0, ""},
		{"no-expiry imports without expiry", ExpiredImportWithoutExpiry, 0, ""},
		{"renew by the default year", ExpiredRenew, 0, "2027-10-02T12:00:00Z"},
		{"renew by 30 days", ExpiredRenew, 30, "2026-11-01T12:00:00Z"},
		{"skip", ExpiredSkip, 0, "skipped"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := NewPlan(exportOf(pool), PlanOptions{Now: testNow, Expired: tt.policy, RenewDays: tt.days})
			require.NoError(t, err)
			u := plan.Units[0]
			if tt.wantPast == "skipped" {
				assert.Equal(t, []RowOutcome{{Index: 0, Username: "past", Reason: "expired 2026-10-01T00:00:00Z"}}, u.Skipped)
				require.Len(t, u.Rows, 4)
			} else {
				assert.Empty(t, u.Skipped)
				assert.Equal(t, tt.wantPast, rowByUsername(t, u, "past").ExpirationDate)
				assert.Len(t, rowByUsername(t, u, "past").Warnings, 1)
			}
			assert.Equal(t, "2026-10-03T00:00:00Z", rowByUsername(t, u, "future").ExpirationDate)
			assert.Equal(t, "2026-10-02T12:00:00Z", rowByUsername(t, u, "exactly-now").ExpirationDate, "not before now: not expired")
			assert.Equal(t, "", rowByUsername(t, u, "never").ExpirationDate)
			unreadable := rowByUsername(t, u, "unreadable")
			assert.Equal(t, "", unreadable.ExpirationDate)
			assert.Equal(t, []string{`expirationDateTime "31/12/2026" is not a date; imported without expiry`}, unreadable.Warnings)
		})
	}
}

func TestNewPlanSkipsInactiveRowsUnlessAsked(t *testing.T) {
	pool := Pool{DisplayName: "P", DPSKs: []DPSK{
		{Name: "a", Passphrase: "password-a", Status: "ACTIVE"},
		{Name: "b", Passphrase: "password-b", Status: "Active"},
		{Name: "c", Passphrase: "password-c", Status: ""},
		{Name: "d", Passphrase: "password-d", Status: "REVOKED"},
		{Name: "e", Passphrase: "password-e", Status: "SUSPENDED"},
	}}
	tests := []struct {
		name    string
		import_ bool
		rows    int
		skipped map[int]string
	}{
		{"by default", false, 3, map[int]string{3: "status REVOKED", 4: "status SUSPENDED"}},
		{"when asked", true, 5, map[int]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := NewPlan(exportOf(pool), PlanOptions{Now: testNow, ImportInactive: tt.import_})
			require.NoError(t, err)
			assert.Len(t, plan.Units[0].Rows, tt.rows)
			assert.Equal(t, tt.skipped, outcomeReasons(plan.Units[0].Skipped))
		})
	}
}

func TestNewPlanRefusesRowsR1CannotAccept(t *testing.T) {
	tests := []struct {
		name   string
		dpsk   DPSK
		reason string // "" = accepted
	}{
		{"8 characters", DPSK{Name: "u", Passphrase: "12345678"}, ""},
		{"63 characters", DPSK{Name: "u", Passphrase: strings.Repeat("x", 63)}, ""},
		{"printable ASCII symbols", DPSK{Name: "u", Passphrase: "p@ss w0rd!~"}, ""},
		{"non-ASCII characters", DPSK{Name: "u", Passphrase: "ééééééée"}, "passphrase has characters outside printable ASCII; WPA2 passphrases allow only those"},
		{"a control character", DPSK{Name: "u", Passphrase: "pass\tword"}, "passphrase has characters outside printable ASCII; WPA2 passphrases allow only those"},
		{"7 characters", DPSK{Name: "u", Passphrase: "1234567"}, "passphrase has 7 characters; R1 accepts 8 to 63"},
		{"64 characters", DPSK{Name: "u", Passphrase: strings.Repeat("x", 64)}, "passphrase has 64 characters; R1 accepts 8 to 63"},
		{"empty passphrase", DPSK{Name: "u"}, "passphrase is empty"},
		{"empty username", DPSK{Passphrase: "password"}, "username is empty"},
		{"blank username", DPSK{Name: " \t", Passphrase: "password"}, "username is empty"},
		{"both", DPSK{Name: "", Passphrase: "short"}, "username is empty; passphrase has 5 characters; R1 accepts 8 to 63"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := NewPlan(exportOf(Pool{DisplayName: "P", DPSKs: []DPSK{tt.dpsk}}), PlanOptions{Now: testNow})
			require.NoError(t, err)
			u := plan.Units[0]
			if tt.reason == "" {
				assert.Len(t, u.Rows, 1)
				assert.Empty(t, u.Refused)
				return
			}
			assert.Empty(t, u.Rows)
			assert.Equal(t, []RowOutcome{{Index: 0, Username: tt.dpsk.Name, Reason: tt.reason}}, u.Refused)
		})
	}
}

func TestNewPlanDuplicatesKeepTheFirstRowThatWillBeSent(t *testing.T) {
	pool := Pool{DisplayName: "P", DPSKs: []DPSK{
		{GUID: "g0", Name: "alice", Passphrase: "short"},                             // refused: does not claim "alice"
		{GUID: "g1", Name: "alice", Passphrase: "alice-password", Status: "REVOKED"}, // skipped: does not claim either
		{GUID: "g2", Name: "alice", Passphrase: "alice-password"},                    // sent
		{GUID: "g3", Name: "alice", Passphrase: "another-password"},                  // duplicate username of row 2
		{GUID: "g4", Name: "bob", Passphrase: "alice-password"},                      // duplicate passphrase of row 2
		{GUID: "", Name: "Alice", Passphrase: "capital-alice"},                       // usernames are compared exactly
		{GUID: "", Name: "Alice", Passphrase: "capital-alice-2"},                     // duplicate of a row without guid
	}}
	plan, err := NewPlan(exportOf(pool), PlanOptions{Now: testNow})
	require.NoError(t, err)
	u := plan.Units[0]
	require.Len(t, u.Rows, 2)
	assert.Equal(t, 2, u.Rows[0].Index)
	assert.Equal(t, 5, u.Rows[1].Index)
	assert.Equal(t, []RowOutcome{
		{Index: 1, Username: "alice", Reason: "status REVOKED"},
		{Index: 3, Username: "alice", Reason: `duplicate username of row 2 (guid "g2")`},
		{Index: 4, Username: "bob", Reason: `duplicate passphrase of row 2 (username "alice")`},
		{Index: 6, Username: "Alice", Reason: "duplicate username of row 5"},
	}, u.Skipped)
}

func TestNewPlanPoolSettings(t *testing.T) {
	rows := func(passphrases ...string) []DPSK {
		var ds []DPSK
		for i, p := range passphrases {
			ds = append(ds, DPSK{Name: fmt.Sprint("u", i), Passphrase: p})
		}
		return ds
	}
	tests := []struct {
		name     string
		pool     Pool
		want     PoolSettings
		warnings []string
	}{
		{"defaults: length 12, format inferred", Pool{DPSKs: rows("abcdefghijklmnop")},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"length lowered to the shortest passphrase", Pool{PhraseDefaultLength: 20, DPSKs: rows("abcdefghij", "abcdefghijkl")},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 10}, nil},
		{"refused short passphrases do not lower it below 8", Pool{PhraseDefaultLength: 9, DPSKs: rows("abc", "abcdefghij")},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 9}, nil},
		{"never below 8", Pool{PhraseDefaultLength: 4},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 8}, nil},
		{"never above 63", Pool{PhraseDefaultLength: 100},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 63}, nil},
		{"NUMERIC", Pool{PhraseRandomCharactersType: "NUMERIC"}, PoolSettings{PassphraseFormat: FormatNumbersOnly, PassphraseLength: 12}, nil},
		{"ALPHANUMERIC_LOWERCASE", Pool{PhraseRandomCharactersType: "ALPHANUMERIC_LOWERCASE"}, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"ALPHANUMERIC_UPPER", Pool{PhraseRandomCharactersType: "alphanumeric_upper"}, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"COMPLEX", Pool{PhraseRandomCharactersType: "COMPLEX"}, PoolSettings{PassphraseFormat: FormatMostSecured, PassphraseLength: 12}, nil},
		{"inferred digits only", Pool{DPSKs: rows("12345678", "87654321")}, PoolSettings{PassphraseFormat: FormatNumbersOnly, PassphraseLength: 8}, nil},
		{"inferred symbols", Pool{DPSKs: rows("12345678", "abc-defgh")}, PoolSettings{PassphraseFormat: FormatMostSecured, PassphraseLength: 8}, nil},
		{"unknown type is inferred with a warning", Pool{PhraseRandomCharactersType: "WORDS", DPSKs: rows("12345678")},
			PoolSettings{PassphraseFormat: FormatNumbersOnly, PassphraseLength: 8},
			[]string{`pool #1 "P": phraseRandomCharactersType "WORDS" is unknown; passphrase format NUMBERS_ONLY inferred from the passphrases`}},
		{"device limit when enforced", Pool{EnforceDeviceCountLimit: true, DeviceCountLimit: 5},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, DeviceCountLimit: 5}, nil},
		{"device limit ignored when not enforced", Pool{DeviceCountLimit: 5},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"enforced limit 0 is unlimited", Pool{EnforceDeviceCountLimit: true},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"device limit clamped", Pool{EnforceDeviceCountLimit: true, DeviceCountLimit: 500},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, DeviceCountLimit: 50},
			[]string{`pool #1 "P": device limit 500 is above R1's maximum; lowered to 50`}},
		{"months stay months", Pool{EnforceExpirationDate: true, ExpirationDateType: "MONTHS_AFTER_TIME", ExpirationDateValue: "12"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, ExpirationType: "MONTHS_AFTER_TIME", ExpirationOffset: 12}, nil},
		{"years stay years", Pool{EnforceExpirationDate: true, ExpirationDateType: "YEARS_AFTER_TIME", ExpirationDateValue: " 2 "},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, ExpirationType: "YEARS_AFTER_TIME", ExpirationOffset: 2}, nil},
		{"hours, weeks and days too", Pool{EnforceExpirationDate: true, ExpirationDateType: "weeks_after_time", ExpirationDateValue: "3"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12, ExpirationType: "WEEKS_AFTER_TIME", ExpirationOffset: 3}, nil},
		{"expiration not enforced", Pool{ExpirationDateType: "DAYS_AFTER_TIME", ExpirationDateValue: "3"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12}, nil},
		{"unknown expiration type", Pool{EnforceExpirationDate: true, ExpirationDateType: "SPECIFIED_DATE", ExpirationDateValue: "3"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12},
			[]string{`pool #1 "P": expiration type "SPECIFIED_DATE" has no R1 equivalent; the R1 pool gets no expiration`}},
		{"zero expiration value", Pool{EnforceExpirationDate: true, ExpirationDateType: "DAYS_AFTER_TIME", ExpirationDateValue: "0"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12},
			[]string{`pool #1 "P": expiration value "0" is not a positive whole number; the R1 pool gets no expiration`}},
		{"garbage expiration value", Pool{EnforceExpirationDate: true, ExpirationDateType: "DAYS_AFTER_TIME", ExpirationDateValue: "a year"},
			PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 12},
			[]string{`pool #1 "P": expiration value "a year" is not a positive whole number; the R1 pool gets no expiration`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.pool.DisplayName = "P"
			plan, err := NewPlan(exportOf(tt.pool), PlanOptions{Now: testNow})
			require.NoError(t, err)
			assert.Equal(t, tt.want, plan.Units[0].Settings)
			assert.Equal(t, tt.warnings, plan.Warnings)
		})
	}
}

func TestNewPlanRowMapping(t *testing.T) {
	tests := []struct {
		name  string
		dpsk  DPSK
		check func(t *testing.T, r Row)
	}{
		{"vlan text", DPSK{VLAN: " 44 "}, func(t *testing.T, r Row) { assert.Equal(t, 44, r.VLANID); assert.Empty(t, r.Warnings) }},
		{"vlan empty", DPSK{VLAN: ""}, func(t *testing.T, r Row) { assert.Equal(t, 0, r.VLANID); assert.Empty(t, r.Warnings) }},
		{"vlan zero", DPSK{VLAN: "0"}, func(t *testing.T, r Row) { assert.Equal(t, 0, r.VLANID); assert.Empty(t, r.Warnings) }},
		{"vlan garbage", DPSK{VLAN: "abc"}, func(t *testing.T, r Row) {
			assert.Equal(t, 0, r.VLANID)
			assert.Equal(t, []string{`vlanid "abc" is not a number; imported without a VLAN`}, r.Warnings)
		}},
		{"vlan too high", DPSK{VLAN: "4095"}, func(t *testing.T, r Row) {
			assert.Equal(t, 0, r.VLANID)
			assert.Equal(t, []string{`vlanid "4095" is outside 1..4094; imported without a VLAN`}, r.Warnings)
		}},
		{"vlan negative", DPSK{VLAN: "-3"}, func(t *testing.T, r Row) { assert.Equal(t, 0, r.VLANID); assert.Len(t, r.Warnings, 1) }},
		{"devices flag without limit", DPSK{UseDeviceCountLimit: true}, func(t *testing.T, r Row) {
			assert.Equal(t, DevicesUnlimited, r.NumberOfDevicesType)
			assert.Equal(t, 0, r.NumberOfDevices)
		}},
		{"devices limit without flag", DPSK{DeviceCountLimit: 9}, func(t *testing.T, r Row) {
			assert.Equal(t, DevicesUnlimited, r.NumberOfDevicesType)
		}},
		{"devices limited", DPSK{UseDeviceCountLimit: true, DeviceCountLimit: 50}, func(t *testing.T, r Row) {
			assert.Equal(t, DevicesLimited, r.NumberOfDevicesType)
			assert.Equal(t, 50, r.NumberOfDevices)
			assert.Empty(t, r.Warnings)
		}},
		{"own ssids win", DPSK{SSIDList: []string{"mine"}}, func(t *testing.T, r Row) { assert.Equal(t, []string{"mine"}, r.SSIDs) }},
		{"no ssids inherit the pool's", DPSK{}, func(t *testing.T, r Row) { assert.Equal(t, []string{"pool-ssid"}, r.SSIDs) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.dpsk.Name, tt.dpsk.Passphrase, tt.dpsk.GUID = "user", "password", "guid-1"
			plan, err := NewPlan(exportOf(Pool{DisplayName: "P", SSIDList: []string{"pool-ssid"}, DPSKs: []DPSK{tt.dpsk}}), PlanOptions{Now: testNow})
			require.NoError(t, err)
			require.Len(t, plan.Units[0].Rows, 1)
			r := plan.Units[0].Rows[0]
			assert.Equal(t, "guid-1", r.GUID)
			tt.check(t, r)
		})
	}
}

var keyPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)

func TestNewPlanNamesAndKeys(t *testing.T) {
	multi := parseTestdata(t, "multi_pool.json")
	tests := []struct {
		name     string
		exp      *Export
		opts     PlanOptions
		groups   []string
		pools    []string
		warnings int
	}{
		{"display names, made unique", multi, PlanOptions{},
			[]string{"North Hall", "South Hall", "North Hall (2)", "Staff"},
			[]string{"North Hall", "South Hall", "North Hall (2)", "Staff"}, 3},
		{"prefix and suffix", multi, PlanOptions{NamePrefix: "Campus ", NameSuffix: " DPSK"},
			[]string{"Campus North Hall DPSK", "Campus South Hall DPSK", "Campus North Hall DPSK (2)", "Campus Staff DPSK"},
			[]string{"Campus North Hall DPSK", "Campus South Hall DPSK", "Campus North Hall DPSK (2)", "Campus Staff DPSK"}, 3},
		{"explicit names for one pool", exportOf(Pool{DisplayName: "X"}), PlanOptions{IdentityGroupName: " Residents IDG ", PoolName: "Residents DPSK"},
			[]string{"Residents IDG"}, []string{"Residents DPSK"}, 0},
		{"one explicit name, the other from the template", exportOf(Pool{DisplayName: "X"}), PlanOptions{PoolName: "Only Pool", NamePrefix: "p-"},
			[]string{"p-X"}, []string{"Only Pool"}, 0},
		{"case-insensitive collisions", &Export{Pools: []Pool{{DisplayName: "Hall"}, {DisplayName: "HALL"}, {DisplayName: "Hall (2)"}}}, PlanOptions{},
			[]string{"Hall", "HALL (2)", "Hall (2) (2)"}, []string{"Hall", "HALL (2)", "Hall (2) (2)"}, 2},
		{"no display name", &Export{Pools: []Pool{{GUID: "AccountDpskPool-x"}}}, PlanOptions{},
			[]string{"Cloudpath Import"}, []string{"Cloudpath Import"}, 1},
		{"long names fit 255 characters", &Export{Pools: []Pool{{DisplayName: strings.Repeat("é", 300)}, {DisplayName: strings.Repeat("é", 301)}}},
			PlanOptions{NamePrefix: "[", NameSuffix: "]"},
			[]string{"[" + strings.Repeat("é", 253) + "]", "[" + strings.Repeat("é", 249) + "] (2)"},
			[]string{"[" + strings.Repeat("é", 253) + "]", "[" + strings.Repeat("é", 249) + "] (2)"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Now = testNow
			plan, err := NewPlan(tt.exp, tt.opts)
			require.NoError(t, err)
			var groups, pools []string
			keys := map[string]bool{}
			for _, u := range plan.Units {
				groups = append(groups, u.IdentityGroupName)
				pools = append(pools, u.PoolName)
				assert.Regexp(t, keyPattern, u.Key)
				assert.False(t, keys[u.Key], "key %s twice", u.Key)
				keys[u.Key] = true
				assert.Equal(t, truncate("Cloudpath Import - "+u.IdentityGroupName, 255), u.IdentityGroupDescription)
				assert.Equal(t, truncate("Cloudpath Import - "+u.PoolName, 255), u.PoolDescription)
				assert.LessOrEqual(t, len([]rune(u.IdentityGroupDescription)), 255)
			}
			assert.Equal(t, tt.groups, groups)
			assert.Equal(t, tt.pools, pools)
			assert.Len(t, plan.Warnings, tt.warnings, "%q", plan.Warnings)
		})
	}
}

func TestNewPlanRefusesExplicitNamesForSeveralPools(t *testing.T) {
	_, err := NewPlan(parseTestdata(t, "multi_pool.json"), PlanOptions{Now: testNow, IdentityGroupName: "One"})
	require.ErrorContains(t, err, "exactly one pool, this one has 4")
}

func TestNewPlanKeysAreReadableStableAndUnique(t *testing.T) {
	exp := &Export{Pools: []Pool{
		{GUID: "AccountDpskPool-1", DisplayName: "North Hall / Wing B"},
		{GUID: "AccountDpskPool-1", DisplayName: "North Hall / Wing B"}, // the same pool twice
		{GUID: "AccountDpskPool-2", DisplayName: "!!!"},
		{GUID: "AccountDpskPool-3", DisplayName: "Résidence Étudiante " + strings.Repeat("very long ", 20)},
	}}
	plan, err := NewPlan(exp, PlanOptions{Now: testNow})
	require.NoError(t, err)
	keys := make([]string, len(plan.Units))
	for i, u := range plan.Units {
		keys[i] = u.Key
		assert.Regexp(t, keyPattern, u.Key)
	}
	assert.True(t, strings.HasPrefix(keys[0], "north-hall-wing-b-"), keys[0])
	assert.NotEqual(t, keys[0], keys[1])
	assert.True(t, strings.HasPrefix(keys[2], "pool-"), keys[2])
	assert.True(t, strings.HasPrefix(keys[3], "r-sidence-tudiante-very-long"), keys[3])

	// The key of a pool does not depend on the other pools or their order.
	alone, err := NewPlan(&Export{Pools: []Pool{exp.Pools[3]}}, PlanOptions{Now: testNow})
	require.NoError(t, err)
	assert.Equal(t, keys[3], alone.Units[0].Key)
}

func TestNewPlanIsDeterministic(t *testing.T) {
	exp := parseTestdata(t, "multi_pool.json")
	opts := PlanOptions{Now: testNow, Expired: ExpiredRenew, NamePrefix: "x "}
	first, err := NewPlan(exp, opts)
	require.NoError(t, err)
	for range 5 {
		again, err := NewPlan(exp, opts)
		require.NoError(t, err)
		require.Equal(t, first, again)
	}
	// Now in another zone is the same instant.
	opts.Now = testNow.In(time.FixedZone("east", 5*3600))
	again, err := NewPlan(exp, opts)
	require.NoError(t, err)
	require.Equal(t, first, again)
}

func TestNewPlanOfTheMultiPoolSample(t *testing.T) {
	plan := planTestdata(t, "multi_pool.json", PlanOptions{})
	require.Len(t, plan.Units, 4)
	north, south, annex, staff := plan.Units[0], plan.Units[1], plan.Units[2], plan.Units[3]

	assert.Equal(t, PoolSettings{PassphraseFormat: FormatNumbersOnly, PassphraseLength: 8, ExpirationType: "YEARS_AFTER_TIME", ExpirationOffset: 1}, north.Settings)
	assert.Equal(t, []string{"Campus-North", "Campus-IoT"}, rowByUsername(t, north, "n-ada").SSIDs)
	assert.Equal(t, 310, rowByUsername(t, north, "n-ben").VLANID)

	assert.Equal(t, PoolSettings{PassphraseFormat: FormatMostSecured, PassphraseLength: 16, DeviceCountLimit: 3}, south.Settings)
	assert.Empty(t, annex.Rows)
	assert.Equal(t, "AccountDpskPool-north-annex", annex.SourceGUID)
	assert.Equal(t, "North Hall", annex.DisplayName)
	assert.Equal(t, "Staff", staff.IdentityGroupName)

	assert.Equal(t, []string{
		`pool #2 "South Hall": expiration type "SPECIFIED_DATE" has no R1 equivalent; the R1 pool gets no expiration`,
		`pool #3 "North Hall": another pool already uses its names; this one becomes identity group "North Hall (2)" and DPSK pool "North Hall (2)"`,
		`pool #3 "North Hall": phraseRandomCharactersType "PRONOUNCEABLE" is unknown; passphrase format KEYBOARD_FRIENDLY inferred from the passphrases`,
	}, plan.Warnings)
}

// secretsOf lists every passphrase of an export long enough to search for.
func secretsOf(exp *Export) []string {
	var s []string
	for _, p := range exp.Pools {
		for _, d := range p.DPSKs {
			if len(d.Passphrase) >= 5 {
				s = append(s, d.Passphrase)
			}
		}
	}
	return s
}

func TestPlanOutputNeverContainsAPassphrase(t *testing.T) {
	for _, file := range []string{"single_pool.json", "multi_pool.json", "legacy_array_bom.json"} {
		t.Run(file, func(t *testing.T) {
			exp := parseTestdata(t, file)
			for _, policy := range []ExpiredPolicy{ExpiredImportWithoutExpiry, ExpiredRenew, ExpiredSkip} {
				plan, err := NewPlan(exp, PlanOptions{Now: testNow, Expired: policy})
				require.NoError(t, err)
				var text, logged strings.Builder
				require.NoError(t, plan.Summarize(2000).WriteText(&text))
				summaryJSON, err := json.Marshal(plan.Summarize(100))
				require.NoError(t, err)
				logger := slog.New(slog.NewJSONHandler(&logged, nil))
				printed := []string{text.String(), string(summaryJSON),
					fmt.Sprintf("%v", plan), fmt.Sprintf("%+v", plan), fmt.Sprintf("%#v", plan), fmt.Sprint(plan.Units),
					fmt.Sprintf("%v", *exp), fmt.Sprintf("%#v", exp.Pools), strings.Join(plan.Warnings, "\n")}
				for _, u := range plan.Units {
					for _, r := range u.Rows {
						logger.Info("row", "row", r)
						printed = append(printed, fmt.Sprint(r), fmt.Sprintf("%+v", &r), strings.Join(r.Warnings, "\n"))
					}
					for _, d := range exp.Pools[0].DPSKs {
						logger.Info("dpsk", "dpsk", d)
					}
				}
				printed = append(printed, logged.String())
				for _, secret := range secretsOf(exp) {
					for _, p := range printed {
						require.NotContains(t, p, secret)
					}
				}
				assert.Contains(t, printed[3], "[REDACTED]")
			}
		})
	}
}
