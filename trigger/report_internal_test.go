package trigger

import "testing"

func TestNegotiateReportFollowsAccept(t *testing.T) {
	for _, tc := range []struct {
		accept []string
		want   string // "" = 406
	}{
		{nil, reportCSV},
		{[]string{"*/*"}, reportCSV},
		{[]string{"text/csv"}, reportCSV},
		{[]string{"text/csv; charset=utf-8"}, reportCSV},
		{[]string{"TEXT/CSV"}, reportCSV},
		{[]string{"application/json"}, reportJSON},
		{[]string{"application/json;q=0.9, text/csv;q=0.8"}, reportJSON},
		{[]string{"text/csv;q=0.8", "application/json;q=0.9"}, reportJSON},
		{[]string{"application/json, text/csv"}, reportCSV},
		{[]string{"text/csv;q=0, */*"}, reportJSON},
		{[]string{"application/json;q=0, */*;q=0.1"}, reportCSV},
		{[]string{"text/*;q=0.2, application/*;q=0.3"}, reportJSON},
		{[]string{"text/*, text/csv;q=0"}, ""},
		{[]string{"text/html"}, ""},
		{[]string{"application/xml, image/png"}, ""},
		{[]string{"text/csv;q=2"}, ""},
		{[]string{"garbage;;;"}, ""},
		{[]string{""}, reportCSV},
		{[]string{" ", ""}, reportCSV},
	} {
		got, ok := negotiateReport(tc.accept)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("Accept %q: got %q (%v), want %q", tc.accept, got, ok, tc.want)
		}
	}
}
