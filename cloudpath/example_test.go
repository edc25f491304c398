package cloudpath_test

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

func Example() {
	export := `{
  "metadata": {"mode": "dpsk_only"},
  "pool": {"guid": "AccountDpskPool-1", "displayName": "Maple Court", "phraseDefaultLength": 12,
           "phraseRandomCharactersType": "ALPHANUMERIC_MIXED", "enforceExpirationDate": true,
           "expirationDateType": "MONTHS_AFTER_TIME", "expirationDateValue": "12"},
  "dpsks": [
    {"guid": "AccountDpsk-1", "name": "unit-1", "passphrase": "maple-court-1", "status": "ACTIVE", "vlanid": "10",
     "expirationDateTime": "2027-01-01T00:00-05:00[America/New_York]"},
    {"guid": "AccountDpsk-2", "name": "unit-2", "passphrase": "maple-c2", "status": "ACTIVE", "vlanid": ""},
    {"guid": "AccountDpsk-3", "name": "unit-3", "passphrase": "mc3", "status": "ACTIVE"},
    {"guid": "AccountDpsk-4", "name": "unit-4", "passphrase": "maple-court-4", "status": "REVOKED"}
  ]
}`
	exp, err := cloudpath.Parse(strings.NewReader(export), cloudpath.ParseOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	plan, err := cloudpath.NewPlan(exp, cloudpath.PlanOptions{Now: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		fmt.Println(err)
		return
	}
	u := plan.Units[0]
	fmt.Printf("%s -> group %q, pool %q, %+v\n", u.Key, u.IdentityGroupName, u.PoolName, u.Settings)
	for _, r := range u.Rows {
		fmt.Printf("%s vlan=%d expires=%q\n", r.Username, r.VLANID, r.ExpirationDate)
	}
	_ = plan.Summarize(2000).WriteText(os.Stdout)
	// Output:
	// maple-court-684b0f31 -> group "Maple Court", pool "Maple Court", {PassphraseFormat:KEYBOARD_FRIENDLY PassphraseLength:8 DeviceCountLimit:0 ExpirationType:MONTHS_AFTER_TIME ExpirationOffset:12}
	// unit-1 vlan=10 expires="2027-01-01T05:00:00Z"
	// unit-2 vlan=0 expires=""
	// Plan: 1 pool, 2 to create, 1 skipped, 1 refused
	// R1 calls: about 12, at least 360ms at 2000 calls/minute
	//
	// POOL                  IDENTITY GROUP  DPSK POOL    CREATE  SKIP  REFUSE  CALLS
	// maple-court-684b0f31  Maple Court     Maple Court  2       1     1       12
	// TOTAL                                              2       1     1       12
	//
	// Skipped: 1
	//   POOL                  ROW  USERNAME  REASON
	//   maple-court-684b0f31  3    "unit-4"  status REVOKED
	//
	// Refused (R1 cannot accept these rows): 1
	//   POOL                  ROW  USERNAME  REASON
	//   maple-court-684b0f31  2    "unit-3"  passphrase has 3 characters; R1 accepts 8 to 63
}

func ExampleSyntaxError() {
	_, err := cloudpath.ParseBytes([]byte("{\n  \"pool\": {},\n  \"dpsks\": [,]\n}"), cloudpath.ParseOptions{})
	fmt.Println(err)
	// Output: line 3, column 13: invalid character ',' looking for beginning of value
}

func ExampleShapeError() {
	_, err := cloudpath.ParseBytes([]byte(`{"dpskPools": [{"dpsks": "none"}]}`), cloudpath.ParseOptions{})
	fmt.Println(err)
	// Output: at $.dpskPools[0].dpsks: expected an array of DPSK objects, found a string
}
