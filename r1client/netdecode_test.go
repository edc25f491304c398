package r1client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// R1's answers to the view-model queries and to GET /wifiNetworks/{id} come
// in more shapes than the simulator's; the client reads each.

func TestNetworkQueriesReadEveryAnswerShape(t *testing.T) {
	row := `{"id":"n1","name":"Tower","ssid":"Tower","vlan":7,"nwSubType":"DPSK","venueApGroups":[{"venueId":"v1","apGroupIds":["g1"],"isAllApGroups":true}]}`
	tests := []struct {
		name, body   string
		items, total int
		last         bool
	}{
		{"the observed wrapper", `{"fields":["id"],"totalCount":3,"page":1,"data":[` + row + `,` + row + `]}`, 2, 3, false},
		{"the wrapper on its last page", `{"totalCount":2,"page":1,"data":[` + row + `,` + row + `]}`, 2, 2, true},
		{"the wrapper without totalCount", `{"page":1,"data":[` + row + `]}`, 1, 1, true},
		{"the spec's bare row", row, 1, 1, true},
		{"a bare array", `[` + row + `]`, 1, 1, true},
		{"an empty object", `{}`, 0, 0, true},
		{"an empty wrapper", `{"totalCount":0,"data":[]}`, 0, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cannedR1(t, 200, nil, tc.body)
			p, err := c.WifiNetworks.Query(context.Background(), r1client.WifiNetworkQuery{PageSize: 2})
			if err != nil || len(p.Items) != tc.items || p.TotalCount != tc.total || p.Last != tc.last || p.Page != 1 {
				t.Fatalf("got %+v, %v; want %d items of %d, last %v", p, err, tc.items, tc.total, tc.last)
			}
			if tc.items > 0 {
				n := p.Items[0]
				if !n.IsDPSK() || n.VLAN != 7 || n.SSID != "Tower" {
					t.Fatalf("row %+v (nwSubType DPSK must read as DPSK)", n)
				}
				if a, ok := n.ActiveOn("v1"); !ok || !a.IsAllApGroups || a.APGroupIDs[0] != "g1" {
					t.Fatalf("activation %+v", n.VenueApGroups)
				}
			}
		})
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/oauth2/token/") {
			fmt.Fprint(w, `{"access_token":"tok","expires_in":3600}`)
			return
		}
		fmt.Fprint(w, `{"totalCount":0,"data":[],"errorMessage":"query failed: field nope unknown (client `+testSecret+`)"}`)
	}))
	defer srv.Close()
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Venues.Query(context.Background(), r1client.VenueQuery{})
	if _, ok := r1client.AsAPIError(err); !ok || !strings.Contains(err.Error(), "field nope unknown") {
		t.Fatalf("an errorMessage without rows: %v, want an *APIError with it", err)
	}
	if strings.Contains(err.Error(), testSecret[:gramLen]) {
		t.Fatalf("the client secret is not masked: %v", err)
	}
}

// gramLen is the shortest piece of a secret the client masks.
const gramLen = 6

func TestGetReadsTheNetworkInItsOwnShape(t *testing.T) {
	for _, tc := range []struct{ name, body string }{
		{"venueApGroups", `{"id":"n1","name":"Tower","type":"dpsk","useDpskService":true,"wlan":{"ssid":"Tower SSID","vlanId":12},` +
			`"venueApGroups":[{"venueId":"v1","isAllApGroups":true}],"dpskServiceProfileId":"p1"}`},
		{"legacy venues", `{"id":"n1","name":"Tower","type":"dpsk","useDpskService":true,"wlan":{"ssid":"Tower SSID","vlanId":12},` +
			`"venues":[{"id":"activation-1","venueId":"v1","isAllApGroups":true,"apGroups":[]}],"dpskServiceId":"p1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := cannedR1(t, 200, nil, tc.body)
			n, err := c.WifiNetworks.Get(context.Background(), "n1")
			if err != nil || n.SSID != "Tower SSID" || n.VLAN != 12 || !n.IsDPSK() || !n.UseDPSKService || n.DPSKPoolID != "p1" {
				t.Fatalf("Get = %+v, %v", n, err)
			}
			if a, ok := n.ActiveOn("v1"); !ok || !a.IsAllApGroups {
				t.Fatalf("activation %+v: the venue is venueId, not the activation id", n.VenueApGroups)
			}
		})
	}
}

func TestCreateDPSKReadsTheNewIDFromTheResponse(t *testing.T) {
	c := cannedR1(t, 202, nil, `{"requestId":"rq-1","response":{"id":"net-1"}}`)
	acc, err := c.WifiNetworks.CreateDPSK(context.Background(), r1client.DPSKNetwork{Name: "Tower", SSID: "Tower"})
	if err != nil || acc.RequestID != "rq-1" || acc.ID != "net-1" {
		t.Fatalf("got %+v, %v", acc, err)
	}
	c = cannedR1(t, 202, nil, `{"requestId":"rq-2","response":"queued"}`)
	if acc, err := c.WifiNetworks.CreateDPSK(context.Background(), r1client.DPSKNetwork{Name: "Tower", SSID: "Tower"}); err != nil || acc.RequestID != "rq-2" || acc.ID != "" {
		t.Fatalf("a response without an id: %+v, %v", acc, err)
	}
}

func TestNetworksAndVenuesSurviveAJSONRoundTrip(t *testing.T) {
	n := r1client.WifiNetwork{ID: "n1", Name: "Tower", SSID: "Tower SSID", VLAN: 12, NwSubType: "dpsk", UseDPSKService: true,
		VenueApGroups: []r1client.VenueApGroup{{VenueID: "v1", APGroupIDs: []string{"g1"}, IsAllApGroups: true}}, DPSKPoolID: "p1"}
	b, err := json.Marshal(n)
	if err != nil {
		t.Fatal(err)
	}
	var back r1client.WifiNetwork
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, n) {
		t.Fatalf("round trip of %s: %+v, %v", b, back, err)
	}
	v := r1client.Venue{ID: "v1", Name: "Tower", City: "Austin", Country: "United States"}
	b, _ = json.Marshal(v)
	var vb r1client.Venue
	if err := json.Unmarshal(b, &vb); err != nil || vb != v {
		t.Fatalf("round trip of %s: %+v, %v", b, vb, err)
	}
}
