package r1client

import (
	"net/http"
	"testing"
	"time"
)

func TestRetryAfterIsBoundedAndNeverOverflows(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	date := func(d time.Duration) string { return now.Add(d).Format(http.TimeFormat) }
	tests := []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 7 ", 7 * time.Second},
		{"0", 0},
		{"1.5", 1500 * time.Millisecond},
		{"300", maxRetryAfter},
		{"301", maxRetryAfter},
		{"86400", maxRetryAfter},
		{"9223372036854775807", maxRetryAfter},
		{"99999999999999999999999999999999", maxRetryAfter},
		{"1e300", maxRetryAfter},
		{"1e400", maxRetryAfter}, // beyond float64
		{"Inf", maxRetryAfter},
		{"-1", 0},
		{"-1e300", 0},
		{"-1e400", 0},
		{"1e-400", 0},
		{"NaN", 0},
		{"soon", 0},
		{date(42 * time.Second), 42 * time.Second},
		{date(-42 * time.Second), 0},
		{date(10 * time.Minute), maxRetryAfter},
		{"Fri, 31 Dec 9999 23:59:59 GMT", maxRetryAfter},
		{"Mon, 01 Jan 0001 00:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.header, now); got != tt.want {
			t.Errorf("Retry-After %q: got %s, want %s", tt.header, got, tt.want)
		}
	}
}
