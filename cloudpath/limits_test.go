package cloudpath

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chars is a text of n characters and 2n bytes: limits count characters.
func chars(n int) string { return strings.Repeat("é", n) }

// ssids is a JSON list of n distinct SSIDs.
func ssids(n int) string {
	list := make([]string, n)
	for i := range list {
		list[i] = strconv.Quote(fmt.Sprintf("ssid-%d", i))
	}
	return "[" + strings.Join(list, ", ") + "]"
}

// limitCase places a value for one field on line 3 of an export; the value
// starts right after prefix on that line, plus skip characters.
type limitCase struct {
	name   string
	key    string // as the export spells it
	field  string // LimitError.Field
	limit  int
	value  func(n int) string // the JSON value of length n
	skip   int                // characters from the value's start to what is refused
	path   string             // of the refused value
	pool   bool               // a pool field; else a DPSK field
	stored func(*Export) string
}

func (c limitCase) export(n int) (doc string, line, column int) {
	if c.pool {
		prefix := `   "` + c.key + `": `
		return "{\"metadata\": {},\n \"pool\": {\"guid\": \"g\",\n" + prefix + c.value(n) + "},\n \"dpsks\": []}", 3, len(prefix) + 1 + c.skip
	}
	prefix := `   {"guid": "second", "` + c.key + `": `
	return "{\"dpskPools\": [{\"displayName\": \"P\", \"dpsks\": [\n  {\"name\": \"first\", \"passphrase\": \"first-pass\"},\n" +
		prefix + c.value(n) + "}]}]}", 3, len(prefix) + 1 + c.skip
}

func quoted(n int) string { return strconv.Quote(chars(n)) }

func firstPool(e *Export) *Pool  { return &e.Pools[0] }
func secondDPSK(e *Export) *DPSK { return &e.Pools[0].DPSKs[1] }

func TestParseRefusesValuesOverTheirLimitAtTheirLineAndColumn(t *testing.T) {
	text := func(pool bool, key, field string, limit int, get func(*Export) string) limitCase {
		path := "$.dpskPools[0].dpsks[1]." + key
		if pool {
			path = "$.pool." + key
		}
		return limitCase{name: key, key: key, field: field, limit: limit, value: quoted, path: path, pool: pool, stored: get}
	}
	tests := []limitCase{
		text(true, "displayName", "displayName", 255, func(e *Export) string { return firstPool(e).DisplayName }),
		text(true, "name", "name", 255, func(e *Export) string { return firstPool(e).DisplayName }),
		text(true, "guid", "guid", 255, func(e *Export) string { return firstPool(e).GUID }),
		text(true, "phraseRandomCharactersType", "phraseRandomCharactersType", 64, func(e *Export) string { return firstPool(e).PhraseRandomCharactersType }),
		text(true, "expirationDateType", "expirationDateType", 64, func(e *Export) string { return firstPool(e).ExpirationDateType }),
		text(true, "ExpirationDateValue", "expirationDateValue", 64, func(e *Export) string { return firstPool(e).ExpirationDateValue }),
		text(false, "guid", "guid", 255, func(e *Export) string { return secondDPSK(e).GUID }),
		text(false, "name", "name", 255, func(e *Export) string { return secondDPSK(e).Name }),
		text(false, "NAME", "name", 255, func(e *Export) string { return secondDPSK(e).Name }),
		text(false, "passphrase", "passphrase", 255, func(e *Export) string { return secondDPSK(e).Passphrase }),
		text(false, "status", "status", 64, func(e *Export) string { return secondDPSK(e).Status }),
		text(false, "expirationDateTime", "expirationDateTime", 128, func(e *Export) string { return secondDPSK(e).ExpirationDateTime }),
		text(false, "vlanid", "vlanid", 64, func(e *Export) string { return secondDPSK(e).VLAN }),
		{name: "vlanid as a long number", key: "vlanid", field: "vlanid", limit: 64, path: "$.dpskPools[0].dpsks[1].vlanid",
			value:  func(n int) string { return "1" + strings.Repeat("0", n-1) },
			stored: func(e *Export) string { return secondDPSK(e).VLAN }},
		{name: "pool ssid count", key: "ssidList", field: "ssidList", limit: 1024, path: "$.pool.ssidList", pool: true,
			value: ssids, stored: func(e *Export) string { return strings.Repeat("x", len(firstPool(e).SSIDList)) }},
		{name: "dpsk ssid count", key: "ssidList", field: "ssidList", limit: 64, path: "$.dpskPools[0].dpsks[1].ssidList",
			value: ssids, stored: func(e *Export) string { return strings.Repeat("x", len(secondDPSK(e).SSIDList)) }},
		{name: "pool ssid", key: "ssidList", field: "ssidList", limit: 255, path: "$.pool.ssidList[2]", pool: true,
			value: func(n int) string { return `["ok", null, ` + quoted(n) + `]` }, skip: len(`["ok", null, `),
			stored: func(e *Export) string { return firstPool(e).SSIDList[1] }},
		{name: "dpsk ssid", key: "SSIDLIST", field: "ssidList", limit: 255, path: "$.dpskPools[0].dpsks[1].SSIDLIST[1]",
			value: func(n int) string { return `["", ` + quoted(n) + `, "ok"]` }, skip: len(`["", `),
			stored: func(e *Export) string { return secondDPSK(e).SSIDList[0] }},
		{name: "dpsk ssid in a comma-separated list", key: "ssidList", field: "ssidList", limit: 255,
			path:   "$.dpskPools[0].dpsks[1].ssidList (SSID 2 of the comma-separated list)",
			value:  func(n int) string { return strconv.Quote("ok, " + chars(n)) },
			stored: func(e *Export) string { return secondDPSK(e).SSIDList[1] }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, _, _ := tt.export(tt.limit)
			exp, err := ParseBytes([]byte(doc), ParseOptions{})
			require.NoError(t, err, "a value at the limit is accepted")
			assert.Equal(t, tt.limit, utf8.RuneCountInString(tt.stored(exp)), "and kept whole")

			doc, line, column := tt.export(tt.limit + 1)
			_, err = ParseBytes([]byte(doc), ParseOptions{})
			var le *LimitError
			require.ErrorAs(t, err, &le, "one more is refused")
			assert.Equal(t, tt.field, le.Field)
			assert.Equal(t, tt.path, le.Path)
			assert.Equal(t, tt.limit+1, le.Length)
			assert.Equal(t, tt.limit, le.Limit)
			assert.Equal(t, line, le.Line, "line of %v", err)
			assert.Equal(t, column, le.Column, "column of %v", err)
			assert.True(t, strings.HasPrefix(doc[le.Offset:], `"`) || strings.HasPrefix(doc[le.Offset:], "1") || strings.HasPrefix(doc[le.Offset:], "["),
				"the offset is the value's first byte: %.20q", doc[le.Offset:])
			assert.Equal(t, fmt.Sprintf("line %d, column %d: %s has %d %s, more than the %d allowed: %s", line, column, tt.path, tt.limit+1, le.Unit, tt.limit, le.Fix), err.Error())
			assert.NotContains(t, err.Error(), "éé", "the value is not shown")
			assert.Contains(t, le.Fix, "in the export", "the error says what to do")

			// The same error from a stream read one byte at a time.
			_, streamErr := Parse(iotest.OneByteReader(strings.NewReader(doc)), ParseOptions{})
			assert.Equal(t, err.Error(), streamErr.Error())
		})
	}
}

func TestAPassphraseBetweenR1sLimitAndTheParseLimitRefusesOnlyItsRow(t *testing.T) {
	for _, n := range []int{64, MaxPassphraseTextLength} {
		secret := strings.Repeat("s", n)
		doc := `[{"name": "long", "passphrase": "` + secret + `"}, {"name": "fine", "passphrase": "fine-pass"}]`
		exp, err := ParseBytes([]byte(doc), ParseOptions{})
		require.NoError(t, err)
		plan, err := NewPlan(exp, PlanOptions{Now: testNow})
		require.NoError(t, err)
		u := plan.Units[0]
		require.Len(t, u.Rows, 1)
		assert.Equal(t, map[int]string{0: fmt.Sprintf("passphrase has %d characters; R1 accepts 8 to 63", n)}, outcomeReasons(u.Refused))
	}

	secret := strings.Repeat("secret-", 40)
	_, err := ParseBytes([]byte(`[{"name": "huge", "passphrase": "`+secret+`"}]`), ParseOptions{})
	var le *LimitError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, "passphrase", le.Field)
	assert.NotContains(t, err.Error(), "secret", "the passphrase is never quoted")
}

// The location is the member the decoder kept: the last of its name.
func TestALimitErrorPointsAtTheRepeatedMemberThatWasKept(t *testing.T) {
	doc := `[{"name": "` + chars(300) + `", "Name": "short"}, {"name": "short", "NAME": "` + chars(300) + `"}]`
	_, err := ParseBytes([]byte(doc), ParseOptions{})
	var le *LimitError
	require.ErrorAs(t, err, &le, "the first DPSK keeps its short name")
	assert.Equal(t, "$[1].NAME", le.Path)
	assert.Equal(t, strings.Index(doc, `"NAME": `)+len(`"NAME": `), int(le.Offset))
}

func TestParseCutsALongPoolDescriptionAndThePlanSaysSo(t *testing.T) {
	for _, tt := range []struct {
		length, cut int
	}{
		{MaxDescriptionLength, 0},
		{MaxDescriptionLength + 1, 1},
		{10000, 10000 - MaxDescriptionLength},
	} {
		doc := `{"pool": {"displayName": "Oaks", "description": "` + chars(tt.length) + `"}, "dpsks": []}`
		exp, err := ParseBytes([]byte(doc), ParseOptions{})
		require.NoError(t, err, "a long description does not refuse the export")
		pool := exp.Pools[0]
		assert.Equal(t, chars(min(tt.length, MaxDescriptionLength)), pool.Description)
		assert.Equal(t, tt.cut, pool.DescriptionCut)

		plan, err := NewPlan(exp, PlanOptions{Now: testNow})
		require.NoError(t, err)
		if tt.cut == 0 {
			assert.Empty(t, plan.Warnings)
			continue
		}
		assert.Equal(t, []string{fmt.Sprintf(`pool #1 "Oaks": description has %d characters, more than R1's 255; only the first 255 were read`, tt.length)}, plan.Warnings)
	}
}

func TestThePlanWarnsOfSSIDsR1CannotHave(t *testing.T) {
	ok2, ok32 := "ab", strings.Repeat("é", 32)
	tests := []struct {
		name  string
		pool  []string
		dpsks [][]string
		want  string
	}{
		{"within 2 to 32", []string{ok2, ok32}, [][]string{{ok2}, {"Résidents-5G"}}, ""},
		{"too short and too long", []string{"a", ok2}, [][]string{{strings.Repeat("x", 33)}, {"a"}},
			`ssidList has 2 SSIDs R1 does not accept (not 2 to 32 characters long): "a", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; the passphrases are migrated all the same, but their Wi-Fi networks need other SSIDs in R1`},
		{"many", nil, [][]string{{"1", "2", "3", "4", "5"}},
			`ssidList has 5 SSIDs R1 does not accept (not 2 to 32 characters long): "1", "2", "3", and 2 more; the passphrases are migrated all the same, but their Wi-Fi networks need other SSIDs in R1`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pool := Pool{DisplayName: "Oaks", SSIDList: tt.pool}
			for i, list := range tt.dpsks {
				pool.DPSKs = append(pool.DPSKs, DPSK{Name: fmt.Sprint("u", i), Passphrase: fmt.Sprint("passphrase-", i), SSIDList: list})
			}
			plan, err := NewPlan(exportOf(pool), PlanOptions{Now: testNow})
			require.NoError(t, err)
			if tt.want == "" {
				assert.Empty(t, plan.Warnings)
				return
			}
			assert.Equal(t, []string{`pool #1 "Oaks": ` + tt.want}, plan.Warnings)
			assert.Len(t, plan.Units[0].Rows, len(tt.dpsks), "the rows are migrated all the same")
		})
	}
}

func TestParseRefusesALegacyPoolNameOverTheLimit(t *testing.T) {
	_, err := ParseBytes([]byte(`[]`), ParseOptions{LegacyPoolName: chars(MaxPoolNameLength)})
	require.NoError(t, err)
	_, err = ParseBytes([]byte(`[]`), ParseOptions{LegacyPoolName: chars(MaxPoolNameLength + 1)})
	require.ErrorContains(t, err, "legacy pool name has 256 characters; at most 255")
}
