package cloudpath

import (
	"bytes"
	"fmt"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// benchExport writes a multi-pool export of pools×rows DPSKs shaped like a
// real extractor run: metadata, unrelated top-level keys, links and device
// lists, every vlanid and expiry form, a few awkward rows.
func benchExport(pools, rows int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"metadata": {"extracted_at": "2026-10-02T09:00:00", "cloudpath_fqdn": "cp.bench.example", "extractor_version": "1.2.0"},` + "\n")
	b.WriteString(`"authenticationServers": [{"guid": "AuthServer-1", "name": "LDAP"}], "enrollments": {"error": "403 Forbidden"},` + "\n")
	b.WriteString(`"dpskPools": [` + "\n")
	expiries := []string{"2031-06-15T00:00-07:00[America/Denver]", "2030-01-31T12:30:45Z", "2024-03-01T00:00:00.5+01:00[Europe/Paris]", ""}
	for p := range pools {
		if p > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, ` {"guid": "AccountDpskPool-bench-%03d", "displayName": "Building %03d", "description": "bench pool", "enabled": true,
  "phraseDefaultLength": 12, "phraseRandomCharactersType": "ALPHANUMERIC_MIXED", "ssidList": ["Residents"],
  "enforceExpirationDate": true, "expirationDateType": "MONTHS_AFTER_TIME", "expirationDateValue": "12",
  "enforceDeviceCountLimit": false, "deviceCountLimit": 0, "supportsPolicies": true, "defaultAccess": "ACCEPT",
  "links": [{"rel": "self", "href": "https://cp.bench.example/admin/publicApi/dpskPools/AccountDpskPool-bench-%03d"}],
  "dpsks": [`, p, p, p)
		for r := range rows {
			if r > 0 {
				b.WriteByte(',')
			}
			vlan := fmt.Sprintf(`"%d"`, 100+r%20)
			switch r % 10 {
			case 7:
				vlan = fmt.Sprint(200 + r%5)
			case 9:
				vlan = `""`
			}
			pass := fmt.Sprintf("pw%03d-%06d-x", p, r)
			if r%250 == 125 {
				pass = "short" // refused
			}
			fmt.Fprintf(&b, `
   {"guid": "AccountDpsk-%03d-%06d-0000-4000-8000-000000000000", "name": "b%03d-unit%06d", "passphrase": %q, "status": "ACTIVE",
    "ssidList": [], "expirationDateTime": %q, "useDeviceCountLimit": %t, "deviceCountLimit": %d, "deviceCount": 1,
    "vlanid": %s, "devices": [{"mac": "aa:bb:cc:dd:ee:ff", "name": "phone"}]}`,
				p, r, p, r, pass, expiries[r%len(expiries)], r%3 == 0, r%7, vlan)
		}
		b.WriteString("]}")
	}
	b.WriteString("\n]}\n")
	return b.Bytes()
}

func parseAndPlan(tb testing.TB, data []byte) *Plan {
	exp, err := Parse(bytes.NewReader(data), ParseOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	plan, err := NewPlan(exp, PlanOptions{Now: testNow})
	if err != nil {
		tb.Fatal(err)
	}
	return plan
}

// BenchmarkParseAndPlan10000 is the target: parse and plan a
// 10,000-row multi-pool export in at most 150 ms, allocating at most 10x the
// file size. "alloc/file" is allocated bytes per operation over file bytes.
func BenchmarkParseAndPlan10000(b *testing.B) {
	data := benchExport(20, 500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	for b.Loop() {
		parseAndPlan(b, data)
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/float64(len(data)), "alloc/file")
	b.ReportMetric(float64(len(data)), "file-bytes")
}

// BenchmarkParse10000 is the parser alone, for comparison.
func BenchmarkParse10000(b *testing.B) {
	data := benchExport(20, 500)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseBytes(data, ParseOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// The allocation target, checked on every test run (time is left to the benchmark).
func TestParseAndPlanAllocateAtMostTenTimesTheFile(t *testing.T) {
	data := benchExport(20, 500)
	plan := parseAndPlan(t, data) // warm up
	s := plan.Summarize(0)
	require.Equal(t, 10000, s.TotalCreate+s.TotalRefuse+s.TotalSkip)
	assert.Equal(t, 40, s.TotalRefuse, "two short passphrases per pool")

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	plan = parseAndPlan(t, data)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("file %d bytes, allocated %d bytes (%.2fx)", len(data), allocated, float64(allocated)/float64(len(data)))
	assert.LessOrEqual(t, allocated, uint64(10*len(data)))
	runtime.KeepAlive(plan)
}
