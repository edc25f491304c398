package cloudpath

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRecognisesEachExportShape(t *testing.T) {
	tests := []struct {
		file       string
		opts       ParseOptions
		shape      Shape
		poolNames  []string
		dpskCounts []int
	}{
		{file: "single_pool.json", shape: ShapeSinglePool, poolNames: []string{"Lakeside Residents"}, dpskCounts: []int{9}},
		{file: "multi_pool.json", shape: ShapeMultiPool,
			poolNames: []string{"North Hall", "South Hall", "North Hall", "Staff"}, dpskCounts: []int{2, 1, 0, 1}},
		{file: "legacy_array_bom.json", shape: ShapeLegacyArray, poolNames: []string{"Cloudpath Import"}, dpskCounts: []int{2}},
		{file: "legacy_array_bom.json", opts: ParseOptions{LegacyPoolName: "Guests"}, shape: ShapeLegacyArray,
			poolNames: []string{"Guests"}, dpskCounts: []int{2}},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.opts.LegacyPoolName, func(t *testing.T) {
			exp, err := Parse(bytes.NewReader(readTestdata(t, tt.file)), tt.opts)
			require.NoError(t, err)
			assert.Equal(t, tt.shape, exp.Shape)
			var names []string
			var counts []int
			for _, p := range exp.Pools {
				names = append(names, p.DisplayName)
				counts = append(counts, len(p.DPSKs))
			}
			assert.Equal(t, tt.poolNames, names)
			assert.Equal(t, tt.dpskCounts, counts)
		})
	}
}

func TestParseKeepsValuesAsCloudpathWroteThem(t *testing.T) {
	exp := parseTestdata(t, "single_pool.json")
	pool := exp.Pools[0]
	assert.Equal(t, "AccountDpskPool-lakeside-residents", pool.GUID)
	assert.Equal(t, "Residents of the Lakeside building", pool.Description)
	assert.Equal(t, 14, pool.PhraseDefaultLength)
	assert.Equal(t, "ALPHANUMERIC_MIXED", pool.PhraseRandomCharactersType)
	assert.Equal(t, []string{"Lakeside-Res"}, pool.SSIDList)
	assert.True(t, pool.EnforceExpirationDate)
	assert.Equal(t, "MONTHS_AFTER_TIME", pool.ExpirationDateType)
	assert.Equal(t, "18", pool.ExpirationDateValue)
	assert.True(t, pool.EnforceDeviceCountLimit)
	assert.Equal(t, 6, pool.DeviceCountLimit)

	assert.Equal(t, DPSK{GUID: "AccountDpsk-0001", Name: "apt101_anna", Passphrase: "river-stone-101", Status: "ACTIVE",
		ExpirationDateTime: "2027-03-01T00:00-05:00[America/New_York]", UseDeviceCountLimit: true, DeviceCountLimit: 4, VLAN: "101"},
		pool.DPSKs[0])
	second := pool.DPSKs[1]
	assert.Equal(t, "102", second.VLAN, "an int vlanid becomes its text")
	assert.Equal(t, []string{"Lakeside-Res", "102@Lakeside"}, second.SSIDList, "a comma-separated ssidList becomes a list")
	last := pool.DPSKs[8]
	assert.True(t, last.UseDeviceCountLimit, `"true" is accepted as a boolean`)
	assert.Equal(t, 12, last.DeviceCountLimit, `"12" is accepted as a number`)
	assert.Equal(t, "4094", last.VLAN)

	multi := parseTestdata(t, "multi_pool.json")
	north := multi.Pools[0]
	assert.Equal(t, "1", north.ExpirationDateValue, "a numeric expirationDateValue becomes its text")
	assert.Equal(t, []string{"Campus-North", "Campus-IoT"}, north.SSIDList)
	assert.Equal(t, "Staff", multi.Pools[3].DisplayName, "the pool name stands in for a missing displayName")
	assert.Equal(t, 12, multi.Pools[3].PhraseDefaultLength)
	assert.Equal(t, "", multi.Pools[3].DPSKs[0].VLAN, "a null vlanid is no VLAN")
}

func TestParseLooselyTypedFields(t *testing.T) {
	tests := []struct {
		name, field string
		want        DPSK
	}{
		{"vlan as a float", `"vlanid": 44.0`, DPSK{VLAN: "44.0"}},
		{"vlan as a boolean", `"vlanid": true`, DPSK{VLAN: "true"}},
		{"ssid list with blanks and numbers", `"ssidList": [" a ", "", 7, null]`, DPSK{SSIDList: []string{"a", "7"}}},
		{"ssid list as an empty string", `"ssidList": ""`, DPSK{}},
		{"device limit as a fraction", `"deviceCountLimit": 2.9`, DPSK{DeviceCountLimit: 2}},
		{"device limit beyond int32", `"deviceCountLimit": 1e30`, DPSK{DeviceCountLimit: 1<<31 - 1}},
		{"device limit as an empty string", `"deviceCountLimit": ""`, DPSK{}},
		{"boolean as a string", `"useDeviceCountLimit": "FALSE"`, DPSK{}},
		{"name as a number", `"name": 12345`, DPSK{Name: "12345"}},
		{"escaped passphrase", `"passphrase": "caf\u00e9 \"q\" 12"`, DPSK{Passphrase: `café "q" 12`}},
		{"key case does not matter", `"VLANID": "7"`, DPSK{VLAN: "7"}},
		{"unknown keys are ignored", `"devices": [{"mac": "x"}], "ap_name": "AP-1"`, DPSK{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exp, err := ParseBytes([]byte("[{"+tt.field+"}]"), ParseOptions{})
			require.NoError(t, err)
			assert.Equal(t, tt.want, exp.Pools[0].DPSKs[0])
		})
	}
}

func TestParseAcceptsAByteOrderMark(t *testing.T) {
	plain := bytes.TrimPrefix(readTestdata(t, "legacy_array_bom.json"), bom)
	withBOM, err := ParseBytes(append(append([]byte{}, bom...), plain...), ParseOptions{})
	require.NoError(t, err)
	without, err := ParseBytes(plain, ParseOptions{})
	require.NoError(t, err)
	assert.Equal(t, without, withBOM)

	_, err = ParseBytes(bom, ParseOptions{})
	var se *SyntaxError
	require.ErrorAs(t, err, &se, "a BOM alone is an empty export")
}

func TestParseSyntaxErrorsNameLineAndColumn(t *testing.T) {
	tests := []struct {
		name, input  string
		line, column int
		msg          string
	}{
		{"empty input", "", 1, 1, "empty"},
		{"whitespace only", "  \n\t", 1, 1, "empty"},
		{"missing colon", "{\n  \"pool\" {}\n}", 2, 10, "after object key"},
		{"garbage after a member", "{\n  \"pool\": {\n} x", 3, 3, "invalid character 'x'"},
		{"bad literal inside a DPSK", "[{\"a\":1},\n {\"b\": tru}]", 2, 11, "in literal true"},
		{"bad escape in a key", "{\"a\":\n\"\\x\"}", 2, 3, "string escape"},
		{"bad escape in a DPSK value", "[\n  {\"name\": \"a\\qb\"}\n]", 2, 15, "string escape"},
		{"trailing comma in an array", "{\"dpsks\": [\n {},\n]}", 3, 1, "invalid character ']'"},
		{"cut short", "[\n{\"name\": \"x\"", 2, 13, "unexpected end of input"},
		{"cut short in a multi-pool export", "{\"dpskPools\": [{\"dpsks\": [", 1, 27, "unexpected end of input"},
		{"a second document", "[]\n[]", 2, 1, "after the end of the export"},
		{"garbage after the document", "[] ]", 1, 4, "invalid character ']'"},
		{"columns count characters, not bytes", "[{\"name\": \"é\" x}]", 1, 15, "invalid character 'x'"},
		{"a BOM does not shift columns", "\xef\xbb\xbf[\n  x]", 2, 3, "invalid character 'x'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tt.input), ParseOptions{})
			var se *SyntaxError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.line, se.Line, "line of %v", err)
			assert.Equal(t, tt.column, se.Column, "column of %v", err)
			assert.Contains(t, se.Msg, tt.msg)
			assert.True(t, strings.HasPrefix(err.Error(), fmt.Sprintf("line %d, column %d: ", tt.line, tt.column)), err.Error())
		})
	}
}

// A syntax error deep inside a large stream is located although the parser
// has long forgotten the bytes before it.
func TestParseLocatesSyntaxErrorsFarIntoAStream(t *testing.T) {
	var b strings.Builder
	b.WriteString("{\"dpsks\": [\n")
	for i := range 20000 {
		fmt.Fprintf(&b, "  {\"name\": \"user-%d\", \"passphrase\": \"passphrase-%05d\"},\n", i, i)
	}
	b.WriteString("  {\"name\": \"broken\", \"passphrase\": \"x\" \"vlanid\": 3}\n]}")
	_, err := Parse(io.MultiReader(strings.NewReader(b.String())), ParseOptions{})
	var se *SyntaxError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, 20002, se.Line)
	assert.Equal(t, 40, se.Column)
	assert.Equal(t, byte('"'), b.String()[se.Offset])
}

func TestParseShapeErrorsNameExpectedAndFound(t *testing.T) {
	tests := []struct {
		name, input           string
		path, expected, found string
	}{
		{"a number", "42", "$", "an export object", "a number"},
		{"a string", `"hello"`, "$", "an array of DPSKs", "a string"},
		{"an empty object", "{}", "$", `"pool" and "dpsks"`, "an empty object"},
		{"an object of something else", `{"metadata": {}, "policies": []}`, "$", `"dpskPools"`, `keys "metadata", "policies"`},
		{"dpsks without a pool", `{"dpsks": []}`, "$", `"pool" and "dpsks"`, `keys "dpsks"`},
		{"both shapes at once", `{"pool": {}, "dpsks": [], "dpskPools": []}`, "$", "either", "both"},
		{"pool not found by the extractor", string(readTestdata(t, "pool_not_found.json")), "$.pool", "a DPSK pool object",
			`null (the export says: "Pool not found: AccountDpskPool-gone")`},
		{"pool is a list", `{"pool": [], "dpsks": []}`, "$.pool", "a DPSK pool object", "an array"},
		{"dpsks is a string", `{"pool": {}, "dpsks": "none"}`, "$.dpsks", "an array of DPSK objects", "a string"},
		{"dpskPools is an error object", `{"dpskPools": {"error": "HTTP 500"}}`, "$.dpskPools", "an array of DPSK pool objects", `an error object ("HTTP 500")`},
		{"a pool is a number", `{"dpskPools": [{}, 3]}`, "$.dpskPools[1]", "a DPSK pool object", "a number"},
		{"a pool's dpsks is an object", `{"dpskPools": [{"dpsks": {}}]}`, "$.dpskPools[0].dpsks", "an array of DPSK objects", "an empty object"},
		{"a DPSK is a string", `{"dpskPools": [{"dpsks": [{}, {}, {}, "x"]}]}`, "$.dpskPools[0].dpsks[3]", "a DPSK object", "a string"},
		{"a DPSK is null", `[null]`, "$[0]", "a DPSK object", "null"},
		{"a passphrase is a number", `[{"passphrase": 12345678}]`, "$[0].passphrase", "a string", "a number"},
		{"a name is an object", `[{}, {"name": {}}]`, "$[1].name", "a string or a number", "an object"},
		{"a device limit is a word", `[{"deviceCountLimit": "five"}]`, "$[0].deviceCountLimit", "an integer", `the string "five"`},
		{"a flag is a word", `[{"useDeviceCountLimit": "maybe"}]`, "$[0].useDeviceCountLimit", "a boolean", `the string "maybe"`},
		{"an ssid list of objects", `[{"ssidList": [{}]}]`, "$[0].ssidList", "a list of strings", "objects or lists"},
		{"a pool length is a list", `{"pool": {"phraseDefaultLength": []}, "dpsks": []}`, "$.pool.phraseDefaultLength", "an integer", "an array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes([]byte(tt.input), ParseOptions{})
			var se *ShapeError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.path, se.Path)
			assert.Contains(t, se.Expected, tt.expected)
			assert.Contains(t, se.Found, tt.found)
			assert.Equal(t, "at "+se.Path+": expected "+se.Expected+", found "+se.Found, err.Error())
		})
	}
}

func TestParseErrorsNeverQuoteAPassphrase(t *testing.T) {
	for _, input := range []string{
		`[{"passphrase": 98765432109}]`,
		`[{"passphrase": ["secret-in-a-list"]}]`,
		`[{"passphrase": "secret-then-garbage" x}]`,
	} {
		_, err := ParseBytes([]byte(input), ParseOptions{})
		require.Error(t, err)
		assert.NotContains(t, err.Error(), "98765432109")
		assert.NotContains(t, err.Error(), "secret")
	}
}

// countingReader records how many bytes were asked of it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

func TestParseRefusesInputOverTheLimitAfterReadingAtMostOneByteMore(t *testing.T) {
	data := readTestdata(t, "multi_pool.json")
	tests := []struct {
		name    string
		limit   int64
		wantErr bool
	}{
		{"far below", 100, true},
		{"one byte short", int64(len(data)) - 1, true},
		{"exactly the size", int64(len(data)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := &countingReader{r: io.MultiReader(bytes.NewReader(data), strings.NewReader(strings.Repeat(" ", 1<<20)))}
			if !tt.wantErr {
				src.r = bytes.NewReader(data)
			}
			_, err := Parse(src, ParseOptions{MaxBytes: tt.limit})
			assert.LessOrEqual(t, src.n, tt.limit+1)
			if !tt.wantErr {
				require.NoError(t, err)
				return
			}
			var tl *TooLargeError
			require.ErrorAs(t, err, &tl)
			assert.Equal(t, tt.limit, tl.Limit)
			assert.Contains(t, err.Error(), fmt.Sprint(tt.limit))
		})
	}
	_, err := ParseBytes(make([]byte, 10), ParseOptions{MaxBytes: 5})
	var tl *TooLargeError
	assert.ErrorAs(t, err, &tl, "ParseBytes applies the limit too")
}

type failingReader struct{ after io.Reader }

var errDisk = errors.New("disk on fire")

func (f *failingReader) Read(b []byte) (int, error) {
	n, err := f.after.Read(b)
	if err == io.EOF {
		return n, errDisk
	}
	return n, err
}

func TestParseReportsTheReadersOwnFailure(t *testing.T) {
	for _, prefix := range []string{"", "[", `[{"name": "a"}, `} {
		_, err := Parse(&failingReader{after: strings.NewReader(prefix)}, ParseOptions{})
		require.ErrorIs(t, err, errDisk, "after %q", prefix)
	}
}

func TestParseTheSharedReferenceSamples(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "r1", "samples")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference samples not present: %v", err)
	}
	tests := []struct {
		file       string
		rows       int
		emptyVLANs int
	}{
		{"cloudpath_dpsks_5.json", 5, 0},
		{"cloudpath_dpsks_100.json", 100, 0},
		{"cloudpath_dpsks_300.json", 300, 48},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(dir, tt.file))
			if err != nil {
				t.Skipf("sample not present: %v", err)
			}
			defer f.Close()
			exp, err := Parse(f, ParseOptions{})
			require.NoError(t, err)
			require.Equal(t, ShapeSinglePool, exp.Shape)
			require.Len(t, exp.Pools[0].DPSKs, tt.rows)

			// Judged before every expiry in the samples: nothing is skipped.
			plan, err := NewPlan(exp, PlanOptions{Now: testNow.AddDate(-3, 0, 0)})
			require.NoError(t, err)
			u := plan.Units[0]
			assert.Len(t, u.Rows, tt.rows)
			assert.Empty(t, u.Skipped)
			assert.Empty(t, u.Refused)
			assert.Equal(t, PoolSettings{PassphraseFormat: FormatKeyboardFriendly, PassphraseLength: 11,
				ExpirationType: "MONTHS_AFTER_TIME", ExpirationOffset: 12}, u.Settings)
			noVLAN := 0
			for _, r := range u.Rows {
				if r.VLANID == 0 {
					noVLAN++
				}
				assert.NotEmpty(t, r.ExpirationDate)
				assert.Equal(t, []string{"TestDPSKssid"}, r.SSIDs, "empty DPSK ssid lists inherit the pool's")
			}
			assert.Equal(t, tt.emptyVLANs, noVLAN)
		})
	}
}

// bigExport writes a multi-pool export of at least size bytes.
func bigExport(size int) []byte {
	w := bytes.NewBuffer(make([]byte, 0, size+size/8))
	w.WriteString(`{"metadata": {"mode": "all"}, "dpskPools": [`)
	for pool, row := 0, 0; w.Len() < size; row++ {
		if row%1000 == 0 {
			if pool > 0 {
				w.WriteString("]},\n")
			}
			fmt.Fprintf(w, `{"guid": "AccountDpskPool-%d", "displayName": "Pool %d", "ssidList": ["Res"], "dpsks": [`, pool, pool)
			pool++
		} else {
			w.WriteString(",\n")
		}
		fmt.Fprintf(w, `{"guid": "AccountDpsk-%08d", "name": "resident-%08d", "passphrase": "pass-%08d-word", "status": "ACTIVE", `+
			`"ssidList": [], "expirationDateTime": "2031-06-15T00:00-07:00[America/Denver]", "useDeviceCountLimit": true, `+
			`"deviceCountLimit": 5, "deviceCount": 0, "vlanid": "%d", "devices": []}`, row, row, row, 100+row%50)
	}
	w.WriteString("]}]}")
	return w.Bytes()
}

func TestParseA50MBExportHoldsLittleMoreThanItsSize(t *testing.T) {
	if testing.Short() {
		t.Skip("parses 50 MB")
	}
	data := bigExport(50 << 20)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	exp, err := Parse(bytes.NewReader(data), ParseOptions{})
	require.NoError(t, err)
	runtime.ReadMemStats(&after)

	// Everything the parser allocated bounds everything it ever held at once.
	allocated := after.TotalAlloc - before.TotalAlloc
	ratio := float64(allocated) / float64(len(data))
	t.Logf("%d DPSKs; allocated %.1f MB for %.1f MB of input (%.2fx)", countDPSKs(exp), float64(allocated)/(1<<20), float64(len(data))/(1<<20), ratio)
	assert.Less(t, ratio, 3.0, "allocated bytes within 3x the input")
	runtime.KeepAlive(exp)
}

func countDPSKs(exp *Export) int {
	n := 0
	for _, p := range exp.Pools {
		n += len(p.DPSKs)
	}
	return n
}
