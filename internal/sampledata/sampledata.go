// Package sampledata writes synthetic Cloudpath exports for tests, benchmarks
// and the demo. Every value is made up; the same Spec always yields the same
// bytes.
package sampledata

import (
	"encoding/json"
	"fmt"
	"time"
)

// Spec describes an export to generate.
type Spec struct {
	Pools       int
	RowsPerPool int
	// Awkward adds, to each pool, rows R1 cannot take or that the plan skips:
	// a short passphrase, an empty one, an empty username, an expired row, a
	// revoked row, bad VLANs, a duplicate username and a duplicate passphrase.
	Awkward bool
	// NoExpiry leaves out the rows' expiry dates (by default half the rows
	// have one), as an export R1's CSV import can carry whole.
	NoExpiry bool
	Seed     int // varies names and passphrases between exports
}

// Export is the generated multi-pool export document.
type Export struct {
	Metadata  map[string]any `json:"metadata"`
	DPSKPools []Pool         `json:"dpskPools"`
}

// Pool is a Cloudpath pool in an export.
type Pool struct {
	GUID                       string   `json:"guid"`
	DisplayName                string   `json:"displayName"`
	Description                string   `json:"description"`
	PhraseDefaultLength        int      `json:"phraseDefaultLength"`
	PhraseRandomCharactersType string   `json:"phraseRandomCharactersType"`
	SSIDList                   []string `json:"ssidList"`
	EnforceExpirationDate      bool     `json:"enforceExpirationDate"`
	ExpirationDateType         string   `json:"expirationDateType"`
	ExpirationDateValue        string   `json:"expirationDateValue"`
	EnforceDeviceCountLimit    bool     `json:"enforceDeviceCountLimit"`
	DeviceCountLimit           int      `json:"deviceCountLimit"`
	DPSKs                      []DPSK   `json:"dpsks"`
}

// DPSK is one Cloudpath DPSK.
type DPSK struct {
	GUID                string   `json:"guid"`
	Name                string   `json:"name"`
	Passphrase          string   `json:"passphrase"`
	Status              string   `json:"status"`
	SSIDList            []string `json:"ssidList"`
	ExpirationDateTime  string   `json:"expirationDateTime,omitempty"`
	UseDeviceCountLimit bool     `json:"useDeviceCountLimit"`
	DeviceCountLimit    int      `json:"deviceCountLimit"`
	DeviceCount         int      `json:"deviceCount"`
	VLAN                any      `json:"vlanid"`
}

// Build returns the export described by s.
func Build(s Spec) Export {
	exp := Export{Metadata: map[string]any{
		"extracted_at": "2026-11-01T09:00:00.000000", "cloudpath_fqdn": "cloudpath.example.net",
		"extractor_version": "synthetic", "extraction_duration_seconds": 0.1,
	}}
	for p := 0; p < s.Pools; p++ {
		pool := Pool{
			GUID:                       fmt.Sprintf("AccountDpskPool-s%d-p%03d", s.Seed, p),
			DisplayName:                fmt.Sprintf("Building %c%d", 'A'+rune(p%26), p/26+1),
			Description:                "synthetic pool",
			PhraseDefaultLength:        12,
			PhraseRandomCharactersType: "ALPHANUMERIC_MIXED",
			SSIDList:                   []string{"Residents"},
			EnforceExpirationDate:      true,
			ExpirationDateType:         "MONTHS_AFTER_TIME",
			ExpirationDateValue:        "12",
		}
		if s.Seed != 0 {
			pool.DisplayName = fmt.Sprintf("%s s%d", pool.DisplayName, s.Seed)
		}
		for r := 0; r < s.RowsPerPool; r++ {
			d := row(s.Seed, p, r)
			if s.NoExpiry {
				d.ExpirationDateTime = ""
			}
			pool.DPSKs = append(pool.DPSKs, d)
		}
		if s.Awkward {
			pool.DPSKs = append(pool.DPSKs, awkward(s.Seed, p, pool.DPSKs)...)
		}
		exp.DPSKPools = append(exp.DPSKPools, pool)
	}
	return exp
}

// JSON returns the export as indented JSON.
func JSON(s Spec) []byte {
	b, err := json.MarshalIndent(Build(s), "", " ")
	if err != nil {
		panic(err) // only plain values above
	}
	return b
}

func row(seed, p, r int) DPSK {
	d := DPSK{
		GUID:       fmt.Sprintf("AccountDpsk-%04d-%03d-%05d", seed, p, r),
		Name:       fmt.Sprintf("unit%03d-res%05d", p, r),
		Passphrase: passphrase(seed, p, r),
		Status:     "ACTIVE",
		SSIDList:   []string{},
		VLAN:       fmt.Sprint(100 + r%20),
	}
	switch r % 4 {
	case 0:
		d.ExpirationDateTime = "2031-06-15T00:00-07:00[America/Denver]"
	case 1:
		d.ExpirationDateTime = "2030-01-31T12:30:45Z"
	case 2:
		d.UseDeviceCountLimit, d.DeviceCountLimit = true, 1+r%7
	}
	if r%10 == 9 {
		d.VLAN = ""
	}
	return d
}

// passphrase is deterministic, 12 characters, unique per (seed, pool, row).
func passphrase(seed, p, r int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	x := uint64(seed)*1_000_003 + uint64(p)*100_000 + uint64(r)
	x = x*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	b := make([]byte, 12)
	for i := range b {
		x ^= x >> 29
		x *= 0xBF58476D1CE4E5B9
		b[i] = alphabet[x%uint64(len(alphabet))]
	}
	// The row number makes it unique whatever the hash does.
	return fmt.Sprintf("%s%05d", b[:7], r%100000)
}

func awkward(seed, p int, rows []DPSK) []DPSK {
	base := func(name, pass string) DPSK {
		return DPSK{GUID: fmt.Sprintf("AccountDpsk-%04d-%03d-%s", seed, p, name), Name: fmt.Sprintf("unit%03d-%s", p, name),
			Passphrase: pass, Status: "ACTIVE", SSIDList: []string{}, VLAN: "200"}
	}
	short := base("short", "abc123")
	empty := base("emptypass", "")
	noName := base("", passphrase(seed, p, 90001))
	noName.Name = ""
	expired := base("expired", passphrase(seed, p, 90002))
	expired.ExpirationDateTime = time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC).Format("2006-01-02T15:04Z07:00") + "[UTC]"
	revoked := base("revoked", passphrase(seed, p, 90003))
	revoked.Status = "REVOKED"
	badVLAN := base("badvlan", passphrase(seed, p, 90004))
	badVLAN.VLAN = "5000"
	garbageVLAN := base("garbagevlan", passphrase(seed, p, 90005))
	garbageVLAN.VLAN = "abc"
	zeroVLAN := base("zerovlan", passphrase(seed, p, 90006))
	zeroVLAN.VLAN = "0"
	out := []DPSK{short, empty, noName, expired, revoked, badVLAN, garbageVLAN, zeroVLAN}
	if len(rows) > 0 {
		dupName := base("dupname", passphrase(seed, p, 90007))
		dupName.Name = rows[0].Name
		dupPass := base("duppass", rows[0].Passphrase)
		out = append(out, dupName, dupPass)
	}
	return out
}

// Demo is the export in examples/sample-export.json, which `make demo` migrates.
var Demo = Spec{Pools: 8, RowsPerPool: 60}
