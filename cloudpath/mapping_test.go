package cloudpath

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestParseExpiryAcceptsEveryFormCloudpathWrites(t *testing.T) {
	tests := []struct {
		raw  string
		want string // RFC 3339 UTC; "" = no expiry
		ok   bool
	}{
		{"2026-06-15T00:00-07:00[America/Denver]", "2026-06-15T07:00:00Z", true},
		{"2019-12-04T12:06:51-07:00[America/Denver]", "2019-12-04T19:06:51Z", true},
		{"2026-06-15T00:00:00.123456+02:00[Europe/Berlin]", "2026-06-14T22:00:00Z", true},
		{"2026-06-15T00:00Z", "2026-06-15T00:00:00Z", true},
		{"2026-06-15T00:00:30Z", "2026-06-15T00:00:30Z", true},
		{"2026-06-15T00:00:30.999Z[UTC]", "2026-06-15T00:00:30Z", true},
		{"2026-06-15T00:00+05:30", "2026-06-14T18:30:00Z", true},
		{"  2026-06-15T00:00Z  ", "2026-06-15T00:00:00Z", true},
		{"", "", true},
		{"   ", "", true},
		{"2026-06-15", "", false},
		{"2026-06-15T00:00", "", false},
		{"2026-02-30T00:00Z", "", false},
		{"[America/Denver]", "", false},
		{"tomorrow", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := parseExpiry(tt.raw)
			assert.Equal(t, tt.ok, ok)
			if tt.want == "" {
				assert.True(t, got.IsZero())
				return
			}
			assert.Equal(t, tt.want, formatTime(got))
		})
	}
}

func TestParseVLAN(t *testing.T) {
	tests := []struct {
		raw     string
		want    int
		warning bool
	}{
		{"44", 44, false},
		{" 44 ", 44, false},
		{"1", 1, false},
		{"4094", 4094, false},
		{"44.0", 44, false},
		{"", 0, false},
		{"0", 0, false},
		{"4095", 0, true},
		{"-1", 0, true},
		{"99999999999999999999", 0, true},
		{"1e400", 0, true},
		{"44.5", 0, true},
		{"abc", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
		{"true", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, warning := parseVLAN(tt.raw)
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.warning, warning != "", warning)
		})
	}
}

func TestDeviceLimit(t *testing.T) {
	tests := []struct {
		name    string
		use     bool
		limit   int
		kind    string
		n       int
		clamped bool
	}{
		{"flag off", false, 5, DevicesUnlimited, 0, false},
		{"flag on, no limit", true, 0, DevicesUnlimited, 0, false},
		{"negative limit", true, -4, DevicesUnlimited, 0, false},
		{"one", true, 1, DevicesLimited, 1, false},
		{"fifty", true, 50, DevicesLimited, 50, false},
		{"above fifty", true, 51, DevicesLimited, 50, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind, n, warning := deviceLimit(tt.use, tt.limit)
			assert.Equal(t, tt.kind, kind)
			assert.Equal(t, tt.n, n)
			assert.Equal(t, tt.clamped, warning != "")
		})
	}
}

func TestSlugify(t *testing.T) {
	tests := []struct{ in, want string }{
		{"North Hall", "north-hall"},
		{"  --A__B--  ", "a-b"},
		{"", "pool"},
		{"日本", "pool"},
		{"abc" + string(make([]byte, 100)), "abc"},
		{"aaaaaaaaaa bbbbbbbbbb", "aaaaaaaaaa-b"},
		{"aaaaaaaaaaa bbb", "aaaaaaaaaaa"}, // never ends with a dash
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, slugify(tt.in, 12), "slugify(%q)", tt.in)
	}
}
