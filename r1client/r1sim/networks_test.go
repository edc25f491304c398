package r1sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// seedVenue adds a venue to tenant t1 and fails the test on error.
func seedVenue(t *testing.T, s *Sim, seed VenueSeed) SeededVenue {
	t.Helper()
	v, err := s.AddVenue("t1", seed)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// createNetwork creates a DPSK network through the R1 route and returns its id.
func createNetwork(t *testing.T, s *Sim, tok, name string) string {
	t.Helper()
	m := accept(t, s, "POST", "/wifiNetworks", tok,
		`{"type":"dpsk","name":"`+name+`","useDpskService":true,"wlan":{"ssid":"`+name+`","vlanId":1,"enabled":true}}`)
	return m["response"].(map[string]any)["id"].(string)
}

// ssidCounts is the inventory's count of networks per AP group name.
func ssidCounts(s *Sim, venueID string) map[string]int {
	out := map[string]int{}
	for _, v := range s.Inventory("t1").Venues {
		if v.ID == venueID {
			for _, g := range v.APGroups {
				out[g.Name] = g.SSIDCount
			}
		}
	}
	return out
}

func TestTheSSIDLimitRefusesTheActivationPastIt(t *testing.T) {
	for _, refusal := range []string{"sync", "async"} {
		t.Run(refusal, func(t *testing.T) {
			s := New(Options{Networks: NetworkBehaviour{LimitRefusal: refusal}})
			tok := token(t, s, "t1")
			// Every AP group one slot below the default limit of 15.
			v := seedVenue(t, s, VenueSeed{Name: "Tower", APGroups: []string{"Floor 1", "Floor 2"}, NetworksPerAPGroup: 14})
			first, second := createNetwork(t, s, tok, "first-ssid"), createNetwork(t, s, tok, "second-ssid")
			acc := accept(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+first, tok, `{"isAllApGroups":true}`)
			if st := activityStatus(t, s, tok, acc["requestId"].(string)); st != "SUCCESS" {
				t.Fatalf("activation at 14 of 15: %s", st)
			}
			if got := ssidCounts(s, v.ID); got["Default"] != 15 || got["Floor 1"] != 15 || got["Floor 2"] != 15 {
				t.Fatalf("a venue-wide network takes a slot in every AP group: %v", got)
			}
			code, _, body := call(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+second, tok, `{"isAllApGroups":true}`)
			var text string
			switch refusal {
			case "sync":
				if code != http.StatusUnprocessableEntity {
					t.Fatalf("activation past the limit: %d %v, want 422", code, body)
				}
				text = body["errors"].([]any)[0].(map[string]any)["message"].(string)
			case "async":
				if code != http.StatusAccepted {
					t.Fatalf("activation past the limit: %d %v, want 202", code, body)
				}
				_, _, a := call(t, s, "GET", "/activities/"+body["requestId"].(string), tok, "")
				if a["status"] != "FAIL" {
					t.Fatalf("activity %v, want FAIL", a)
				}
				text = a["error"].(string)
			}
			if !strings.Contains(text, "15") {
				t.Errorf("the refusal %q does not name the limit", text)
			}
			for _, n := range s.Inventory("t1").Networks {
				if n.ID == second && len(n.Activations) != 0 {
					t.Fatalf("refused network is active: %+v", n)
				}
			}
			if got := ssidCounts(s, v.ID); got["Floor 1"] != 15 {
				t.Fatalf("counts after the refusal: %v", got)
			}
		})
	}
}

func TestTheSSIDLimitIsConfigurable(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	if err := s.Configure(Settings{SSIDLimitPerAPGroup: ptr(2)}); err != nil {
		t.Fatal(err)
	}
	v := seedVenue(t, s, VenueSeed{Name: "Small", VenueWideNetworks: 1})
	a, b := createNetwork(t, s, tok, "net-a"), createNetwork(t, s, tok, "net-b")
	accept(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+a, tok, "")
	code, _, body := call(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+b, tok, "")
	if code != 422 || !strings.Contains(body["errors"].([]any)[0].(map[string]any)["message"].(string), "(2)") {
		t.Fatalf("third network on a limit of 2: %d %v", code, body)
	}
}

func TestANetworkActiveOnAVenueCannotBeDeleted(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	v := seedVenue(t, s, VenueSeed{Name: "Lobby"})
	id := createNetwork(t, s, tok, "guests-dpsk")
	accept(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+id, tok, "")
	code, _, body := call(t, s, "DELETE", "/wifiNetworks/"+id, tok, "")
	if code != 400 || !strings.Contains(body["errors"].([]any)[0].(map[string]any)["message"].(string), "activated") {
		t.Fatalf("deleting an active network: %d %v, want a 400 saying it is activated", code, body)
	}
	if len(s.Inventory("t1").Networks) != 1 {
		t.Fatal("the refused delete removed the network")
	}
	accept(t, s, "DELETE", "/venues/"+v.ID+"/wifiNetworks/"+id, tok, "")
	accept(t, s, "DELETE", "/wifiNetworks/"+id, tok, "")
	if n := len(s.Inventory("t1").Networks); n != 0 {
		t.Fatalf("%d networks after deactivation and delete", n)
	}
}

func TestDeactivationAnswers404WhenThereIsNothingToDeactivate(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	v := seedVenue(t, s, VenueSeed{Name: "Annex"})
	id := createNetwork(t, s, tok, "annex-dpsk")
	for _, tc := range []struct{ name, path string }{
		{"not active", "/venues/" + v.ID + "/wifiNetworks/" + id},
		{"unknown venue", "/venues/no-such-venue/wifiNetworks/" + id},
		{"unknown network", "/venues/" + v.ID + "/wifiNetworks/no-such-network"},
	} {
		if code, _, body := call(t, s, "DELETE", tc.path, tok, ""); code != 404 || body["errors"] == nil {
			t.Errorf("%s: %d %v, want 404 with the Wi-Fi error shape", tc.name, code, body)
		}
	}
	accept(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+id, tok, "")
	accept(t, s, "DELETE", "/venues/"+v.ID+"/wifiNetworks/"+id, tok, "")
	if code, _, _ := call(t, s, "DELETE", "/venues/"+v.ID+"/wifiNetworks/"+id, tok, ""); code != 404 {
		t.Fatalf("second deactivation: %d, want 404", code)
	}
}

func TestAPoolBoundToANetworkCannotBeDeleted(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	_, poolID := fixture(t, s, tok, 8)
	id := createNetwork(t, s, tok, "bound-dpsk")
	accept(t, s, "PUT", "/wifiNetworks/"+id+"/dpskServices/"+poolID, tok, "")
	if code, _, body := call(t, s, "DELETE", "/dpskServices/"+poolID, tok, ""); code != 400 || !strings.Contains(body["message"].(string), "bound-dpsk") {
		t.Fatalf("deleting a bound pool: %d %v, want a 400 naming the network", code, body)
	}
	accept(t, s, "DELETE", "/wifiNetworks/"+id, tok, "")
	accept(t, s, "DELETE", "/dpskServices/"+poolID, tok, "")
}

func TestDeletingIdentitiesTakesTheirPassphrases(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	groupID, poolID := fixture(t, s, tok, 8)
	for _, u := range []string{"alice", "bob"} {
		accept(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"username":"`+u+`","passphrase":"secret-of-`+u+`"}`)
	}
	inv := s.Inventory("t1")
	alice := inv.IdentityGroups[0].Identities[0]
	accept(t, s, "DELETE", "/identityGroups/"+groupID+"/identities", tok, `["`+alice.ID+`","unknown-id"]`)
	inv = s.Inventory("t1")
	if ids := inv.IdentityGroups[0].Identities; len(ids) != 1 || ids[0].Name != "bob" {
		t.Fatalf("identities left: %+v", ids)
	}
	if pps := inv.Pools[0].Passphrases; len(pps) != 1 || pps[0].Username != "bob" {
		t.Fatalf("passphrases left: %+v", pps)
	}
	if code, _, _ := call(t, s, "DELETE", "/identityGroups/"+groupID+"/identities", tok, `[]`); code != 400 {
		t.Fatalf("empty id list: %d, want 400", code)
	}
}

func TestSeedingThroughTheInspectionAPI(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(path, body string, out any) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if out != nil {
			_ = json.NewDecoder(resp.Body).Decode(out)
		}
		return resp.StatusCode
	}
	var v SeededVenue
	if code := post("/__sim/venues", `{"tenant":"t1","name":"Campus","apGroups":["East","West"],"networksPerApGroup":3}`, &v); code != 201 {
		t.Fatalf("seed venue: %d", code)
	}
	if len(v.APGroups) != 3 || !v.APGroups[0].IsDefault || v.APGroups[1].Name != "East" || len(v.NetworkIDs) != 9 {
		t.Fatalf("seeded venue: %+v", v)
	}
	var n struct{ ID string }
	if code := post("/__sim/networks", `{"tenant":"t1","name":"Lobby PSK","ssid":"Lobby","venueId":"`+v.ID+`","apGroupIds":["`+v.APGroups[1].ID+`"]}`, &n); code != 201 || n.ID == "" {
		t.Fatalf("seed network: %d %+v", code, n)
	}
	if got := ssidCounts(s, v.ID); got["Default"] != 3 || got["East"] != 4 || got["West"] != 3 {
		t.Fatalf("SSID counts: %v", got)
	}
	for _, bad := range []string{
		`{"tenant":"t1","name":"Campus"}`,                     // name taken
		`{"tenant":"t1","name":"X"}`,                          // too short
		`{"name":"Other"}`,                                    // no tenant
		`{"tenant":"t1","name":"Dup","apGroups":["Default"]}`, // the default group's name
		`{"tenant":"t1","name":"Typo","apGroup":["A1"]}`,      // unknown key
	} {
		if code := post("/__sim/venues", bad, nil); code != 400 {
			t.Errorf("seed %s: %d, want 400", bad, code)
		}
	}
	if code := post("/__sim/networks", `{"tenant":"t1","name":"Lobby PSK","ssid":"Other"}`, nil); code != 400 {
		t.Errorf("seeding a taken name: %d, want 400", code)
	}
	// A network and its AP groups as R1's queries show them.
	tok := token(t, s, "t1")
	_, _, q := call(t, s, "POST", "/venues/apGroups/query", tok, `{"filters":{"venueId":["`+v.ID+`"]},"pageSize":10}`)
	for _, row := range q["data"].([]any) {
		g := row.(map[string]any)
		want := 3
		if g["name"] == "East" {
			want = 4
		}
		if ids := g["wifiNetworkIds"].([]any); len(ids) != want || (g["name"] == "East" && !slices.Contains(ids, any(n.ID))) {
			t.Errorf("AP group %v: %d networks, want %d", g["name"], len(ids), want)
		}
	}
}

func TestNetworkSwitchesRoundTripThroughConfig(t *testing.T) {
	s := New(Options{})
	st := SettingsOf(s.Options())
	if *st.SSIDLimitPerAPGroup != 15 || *st.SSIDLimitRefusal != "sync" || *st.NetworkErrorWording != "a" ||
		*st.AlreadyActivated != "fail" || *st.DuplicateNetwork != "async" || *st.RebindPool != "replace" ||
		*st.NetworkGet != "frozen" || *st.ExposeBoundPool {
		t.Fatalf("defaults: %s", mustJSON(st))
	}
	if err := s.Configure(Settings{SSIDLimitRefusal: ptr("async"), NetworkErrorWording: ptr("b"), AlreadyActivated: ptr("success"),
		DuplicateNetwork: ptr("conflict"), RebindPool: ptr("refuse"), NetworkGet: ptr("lag"), ExposeBoundPool: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	o := s.Options().Networks
	if o.LimitRefusal != "async" || o.Wording != "b" || o.AlreadyActive != "success" || o.Duplicate != "conflict" ||
		o.Rebind != "refuse" || o.StaleGet != "lag" || !o.ExposePool {
		t.Fatalf("after configure: %+v", o)
	}
	for _, bad := range []Settings{{SSIDLimitPerAPGroup: ptr(0)}, {SSIDLimitRefusal: ptr("later")}, {NetworkGet: ptr("")},
		{NetworkGetLag: ptr(Duration(0))}, {RebindPool: ptr("REPLACE")}} {
		if err := s.Configure(bad); err == nil {
			t.Errorf("configure %s: accepted", mustJSON(bad))
		}
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestOtherNetworkTypesTakeAMinimalBody(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	m := accept(t, s, "POST", "/wifiNetworks", tok, `{"type":"psk","name":"Guest PSK","wlan":{"ssid":"Guest","passphrase":"not-kept-anywhere"}}`)
	if m["response"].(map[string]any)["id"] == "" {
		t.Fatalf("no id: %v", m)
	}
	for _, bad := range []string{
		`{"type":"DPSK","name":"Upper","wlan":{"ssid":"Upper"}}`, // R1 wants the type lowercase
		`{"type":"psk","name":"No SSID"}`,
		`{"type":"psk","name":"x","wlan":{"ssid":"Short name"}}`,
		`{"type":"dpsk","name":"Bad VLAN","wlan":{"ssid":"Bad VLAN","vlanId":4095}}`,
	} {
		if code, _, body := call(t, s, "POST", "/wifiNetworks", tok, bad); code != 400 || body["errors"] == nil {
			t.Errorf("%s: %d %v, want a 400 in the Wi-Fi error shape", bad, code, body)
		}
	}
	inv := s.Inventory("t1")
	if len(inv.Networks) != 1 || inv.Networks[0].Type != "psk" || inv.Networks[0].SSID != "Guest" {
		t.Fatalf("networks %+v", inv.Networks)
	}
	if strings.Contains(mustJSON(inv), "not-kept-anywhere") {
		t.Fatal("the PSK passphrase was kept")
	}
	// A PSK network holds its SSID: a DPSK network cannot take it.
	code, _, body := call(t, s, "POST", "/wifiNetworks", tok, `{"type":"dpsk","name":"Guest DPSK","wlan":{"ssid":"Guest"}}`)
	if code != 202 || activityStatus(t, s, tok, body["requestId"].(string)) != "FAIL" {
		t.Fatalf("a DPSK network on a taken SSID: %d %v, want 202 then FAIL", code, body)
	}
}

func TestNetworkRefusalsSeeWritesReadsDoNotShowYet(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{Networks: NetworkBehaviour{SSIDLimit: 1}})
	v := seedVenue(t, s, VenueSeed{Name: "Eventual"})
	a, b := createNetwork(t, s, tok, "net-a"), createNetwork(t, s, tok, "net-b")
	if len(s.VisibleInventory("t1").Networks) != 0 || len(s.Inventory("t1").Networks) != 2 {
		t.Fatal("created networks must be committed and not yet visible")
	}
	// A duplicate of an invisible network is refused.
	code, _, dup := call(t, s, "POST", "/wifiNetworks", tok, `{"type":"dpsk","name":"net-a","wlan":{"ssid":"other"}}`)
	clk.advance(delay)
	if code != 202 || activityStatus(t, s, tok, dup["requestId"].(string)) != "FAIL" {
		t.Fatalf("duplicate of an invisible network: %d %v", code, dup)
	}
	accept(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+a, tok, "")
	if code, _, _ := call(t, s, "PUT", "/venues/"+v.ID+"/wifiNetworks/"+b, tok, ""); code != 422 {
		t.Fatalf("the limit must count an activation reads do not show yet: %d", code)
	}
	if got := ssidCounts(s, v.ID); got["Default"] != 1 {
		t.Fatalf("committed counts %v", got)
	}
	visible := func() int { return s.VisibleInventory("t1").Venues[0].APGroups[0].SSIDCount }
	if visible() != 0 {
		t.Fatal("the activation shows before the delay")
	}
	clk.advance(delay)
	if visible() != 1 {
		t.Fatal("the activation does not show after the delay")
	}
	// Deactivated: the delete is allowed at once, though reads still show the network active.
	accept(t, s, "DELETE", "/venues/"+v.ID+"/wifiNetworks/"+a, tok, "")
	accept(t, s, "DELETE", "/wifiNetworks/"+a, tok, "")
	if visible() != 1 || len(s.VisibleInventory("t1").Networks) != 2 {
		t.Fatal("the deactivation and delete show before the delay")
	}
	clk.advance(delay)
	if visible() != 0 || len(s.VisibleInventory("t1").Networks) != 1 {
		t.Fatal("the deactivation and delete do not show after the delay")
	}
}
