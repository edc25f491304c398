package r1sim

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

const delay = 10 * time.Second

// consistentSim is a simulator whose writes show in reads after delay, on a fake clock.
func consistentSim(t *testing.T, o Options) (*Sim, *clock, string) {
	t.Helper()
	clk := newClock()
	o.Clock, o.VisibilityDelay = clk.now, delay
	s := New(o)
	return s, clk, token(t, s, "t1")
}

// reads is what every read route shows of one group, its pool and one passphrase.
type reads struct {
	groupInQuery, group        bool
	groupPoolID                string
	identityCount, identities  int
	poolInQuery, pool          bool
	poolName                   string
	listed, queried            int // passphrases in the Spring list and in the body query
	byUsername, byValue, getPP bool
}

func readAll(t *testing.T, s *Sim, tok, groupID, poolID, ppID, username, value string) reads {
	t.Helper()
	var r reads
	_, _, q := call(t, s, "POST", "/identityGroups/query?page=0&size=100", tok, `{}`)
	for _, g := range q["content"].([]any) {
		g := g.(map[string]any)
		if normID(g["id"].(string)) == normID(groupID) {
			r.groupInQuery = true
			r.identityCount = int(g["identityCount"].(float64))
			r.groupPoolID, _ = g["dpskPoolId"].(string)
		}
	}
	code, _, g := call(t, s, "GET", "/identityGroups/"+groupID, tok, "")
	r.group = code == 200
	if r.group != r.groupInQuery || (r.group && int(g["identityCount"].(float64)) != r.identityCount) {
		t.Fatalf("group query and get disagree: %v %d %v", r, code, g)
	}
	if code, _, l := call(t, s, "GET", "/identityGroups/"+groupID+"/identities?page=0&size=100", tok, ""); code == 200 {
		r.identities = int(l["totalElements"].(float64))
	}
	_, _, pq := call(t, s, "POST", "/dpskServices/query", tok, `{"page":1,"pageSize":100}`)
	for _, p := range pq["data"].([]any) {
		if p := p.(map[string]any); p["id"] == poolID {
			r.poolInQuery = true
			r.poolName = p["name"].(string)
		}
	}
	code, _, p := call(t, s, "GET", "/dpskServices/"+poolID, tok, "")
	r.pool = code == 200
	if r.pool != r.poolInQuery || (r.pool && p["name"] != r.poolName) {
		t.Fatalf("pool query and get disagree: %v %d %v", r, code, p)
	}
	if !r.pool {
		return r
	}
	_, _, l := call(t, s, "GET", "/dpskServices/"+poolID+"/passphrases?page=0&size=100", tok, "")
	r.listed = int(l["totalElements"].(float64))
	_, _, bq := call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"page":1,"pageSize":100}`)
	r.queried = int(bq["totalCount"].(float64))
	_, _, bq = call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"filters":{"username":["`+username+`"]}}`)
	r.byUsername = bq["totalCount"].(float64) == 1
	_, _, bq = call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"filters":{"passphrase":["`+value+`"]}}`)
	r.byValue = bq["totalCount"].(float64) == 1
	if ppID != "" {
		code, _, _ := call(t, s, "GET", "/dpskServices/"+poolID+"/passphrases/"+ppID, tok, "")
		r.getPP = code == 200
	}
	return r
}

func activityStatus(t *testing.T, s *Sim, tok, requestID string) string {
	t.Helper()
	code, _, a := call(t, s, "GET", "/activities/"+requestID, tok, "")
	if code == 404 {
		return "404"
	}
	return a["status"].(string)
}

func accept(t *testing.T, s *Sim, method, path, tok, body string) map[string]any {
	t.Helper()
	code, _, m := call(t, s, method, path, tok, body)
	if code != 202 || m["requestId"] == nil {
		t.Fatalf("%s %s: %d %v, want 202 with a requestId", method, path, code, m)
	}
	return m
}

func TestCreatesShowInEveryReadOnlyAfterTheDelay(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{ActivityNotFoundFor: time.Second, ActivityPendingFor: 2 * time.Second})
	t0 := clk.now()
	g := accept(t, s, "POST", "/identityGroups", tok, `{"name":"g1"}`)
	groupID := g["id"].(string)
	// The pool is committed on the group although nobody can read the group yet.
	clk.advance(delay / 2)
	p := accept(t, s, "POST", "/identityGroups/"+groupID+"/dpskServices", tok, `{"name":"p1","passphraseFormat":"KEYBOARD_FRIENDLY","passphraseLength":8}`)
	poolID := p["id"].(string)

	steps := []struct {
		at          time.Duration
		group, pool string // activity statuses
		want        reads
	}{
		{0, "404", "404", reads{}},
		// Each activity: 404 for 1s, then PENDING for the first half of the rest, INPROGRESS, and SUCCESS when its write shows.
		{delay/2 + time.Second, "INPROGRESS", "PENDING", reads{}},
		{delay - time.Millisecond, "INPROGRESS", "PENDING", reads{}},
		{delay, "SUCCESS", "PENDING", reads{groupInQuery: true, group: true}},
		{delay + delay/2 - time.Millisecond, "SUCCESS", "INPROGRESS", reads{groupInQuery: true, group: true}},
		{delay + delay/2, "SUCCESS", "SUCCESS", reads{groupInQuery: true, group: true, groupPoolID: poolID, poolInQuery: true, pool: true, poolName: "p1"}},
	}
	for _, st := range steps {
		clk.t = t0.Add(st.at)
		if got := activityStatus(t, s, tok, g["requestId"].(string)); got != st.group {
			t.Errorf("+%s: group activity %s, want %s", st.at, got, st.group)
		}
		if got := activityStatus(t, s, tok, p["requestId"].(string)); got != st.pool && st.at >= delay/2 {
			t.Errorf("+%s: pool activity %s, want %s", st.at, got, st.pool)
		}
		if got := readAll(t, s, tok, groupID, poolID, "", "u1", "passphrase-1"); got != st.want {
			t.Errorf("+%s: reads %+v, want %+v", st.at, got, st.want)
		}
	}
	// The committed state (what tests compare with) had both from the start.
	if inv := s.Inventory("t1"); len(inv.IdentityGroups) != 1 || len(inv.Pools) != 1 || inv.IdentityGroups[0].DPSKPoolID != poolID {
		t.Fatalf("committed inventory: %+v", inv)
	}

	// A passphrase, its identity and the group's identity count show together.
	t1 := clk.now()
	pp := accept(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"passphrase":"passphrase-1","username":"u1"}`)
	ppID := s.Inventory("t1").Pools[0].Passphrases[0].ID
	identityID := s.Inventory("t1").Pools[0].Passphrases[0].IdentityID
	before := reads{groupInQuery: true, group: true, groupPoolID: poolID, poolInQuery: true, pool: true, poolName: "p1"}
	after := before
	after.identityCount, after.identities, after.listed, after.queried, after.byUsername, after.byValue, after.getPP = 1, 1, 1, 1, true, true, true
	if got := readAll(t, s, tok, groupID, poolID, ppID, "u1", "passphrase-1"); got != before {
		t.Fatalf("right after the 202: %+v, want %+v", got, before)
	}
	if vis := s.VisibleInventory("t1"); len(vis.Pools[0].Passphrases) != 0 || vis.IdentityGroups[0].IdentityCount != 0 {
		t.Fatalf("visible inventory shows the passphrase early: %+v", vis)
	}
	if code, _, _ := call(t, s, "GET", "/identityGroups/"+groupID+"/identities/"+identityID, tok, ""); code != 404 {
		t.Fatalf("identity GET before the delay: %d, want 404", code)
	}
	stale := s.Stats().StaleReads
	if stale == 0 || s.Stats().Tenants["t1"].StaleReads != stale {
		t.Fatalf("stats count %d stale reads", stale)
	}
	clk.t = t1.Add(delay - time.Millisecond)
	if got := activityStatus(t, s, tok, pp["requestId"].(string)); got != "INPROGRESS" {
		t.Fatalf("passphrase activity just before the delay: %s", got)
	}
	if got := readAll(t, s, tok, groupID, poolID, ppID, "u1", "passphrase-1"); got != before {
		t.Fatalf("just before the delay: %+v, want %+v", got, before)
	}
	clk.t = t1.Add(delay)
	if got := activityStatus(t, s, tok, pp["requestId"].(string)); got != "SUCCESS" {
		t.Fatalf("passphrase activity at the delay: %s", got)
	}
	stale = s.Stats().StaleReads
	if got := readAll(t, s, tok, groupID, poolID, ppID, "u1", "passphrase-1"); got != after {
		t.Fatalf("at the delay: %+v, want %+v", got, after)
	}
	if code, _, _ := call(t, s, "GET", "/identityGroups/"+groupID+"/identities/"+identityID, tok, ""); code != 200 {
		t.Fatalf("identity GET after the delay: %d", code)
	}
	if s.Stats().StaleReads != stale {
		t.Fatal("reads of a settled tenant were counted stale")
	}
	if vis, inv := s.VisibleInventory("t1"), s.Inventory("t1"); !reflect.DeepEqual(vis, inv) {
		t.Fatalf("settled: visible %+v != committed %+v", vis, inv)
	}
}

// visiblePool creates a group and a pool and waits until reads show them.
func visiblePool(t *testing.T, s *Sim, clk *clock, tok string) (string, string) {
	t.Helper()
	groupID, poolID := fixture(t, s, tok, 8)
	clk.advance(delay)
	return groupID, poolID
}

func TestDuplicateOfAnInvisiblePassphraseFails(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{})
	_, poolID := visiblePool(t, s, clk, tok)
	path := "/dpskServices/" + poolID + "/passphrases"
	first := accept(t, s, "POST", path, tok, `{"passphrase":"same-value","username":"u1"}`)
	sameValue := accept(t, s, "POST", path, tok, `{"passphrase":"same-value","username":"u2"}`)
	sameUser := accept(t, s, "POST", path, tok, `{"passphrase":"other-value","username":"u1"}`)
	for _, a := range []map[string]any{first, sameValue, sameUser} {
		if got := activityStatus(t, s, tok, a["requestId"].(string)); got != "INPROGRESS" && got != "PENDING" {
			t.Fatalf("activity before the delay: %s, want PENDING or INPROGRESS", got)
		}
	}
	clk.advance(delay)
	if got := activityStatus(t, s, tok, first["requestId"].(string)); got != "SUCCESS" {
		t.Fatalf("first create: %s", got)
	}
	for a, want := range map[string]string{sameValue["requestId"].(string): "Passphrase already exists", sameUser["requestId"].(string): "Passphrase username already exists"} {
		_, _, act := call(t, s, "GET", "/activities/"+a, tok, "")
		if act["status"] != "FAIL" || !strings.Contains(act["error"].(string), want) {
			t.Fatalf("duplicate create: %v, want FAIL with %q", act, want)
		}
	}
	for name, inv := range map[string]Inventory{"committed": s.Inventory("t1"), "visible": s.VisibleInventory("t1")} {
		if pps := inv.Pools[0].Passphrases; len(pps) != 1 || pps[0].Username != "u1" || pps[0].Passphrase != "same-value" {
			t.Fatalf("%s passphrases: %+v, want one", name, pps)
		}
	}
}

func TestPatchesAndDeletesShowAfterTheDelay(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{})
	groupID, poolID := visiblePool(t, s, clk, tok)
	accept(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"passphrase":"value-one","username":"u1","vlanId":10}`)
	clk.advance(delay)
	pp := s.Inventory("t1").Pools[0].Passphrases[0]
	ppPath := "/dpskServices/" + poolID + "/passphrases/" + pp.ID
	getPP := func() (string, float64) {
		t.Helper()
		code, _, m := call(t, s, "GET", ppPath, tok, "")
		if code != 200 {
			t.Fatalf("GET passphrase: %d", code)
		}
		return m["username"].(string), m["vlanId"].(float64)
	}
	queryUser := func(u string) int {
		_, _, m := call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"filters":{"username":["`+u+`"]}}`)
		return int(m["totalCount"].(float64))
	}

	// Two patches in a row show one after the other, each as a whole.
	t0 := clk.now()
	accept(t, s, "PATCH", ppPath, tok, `{"username":"u2","vlanId":20}`)
	clk.advance(delay / 2)
	accept(t, s, "PATCH", ppPath, tok, `{"vlanId":30}`)
	accept(t, s, "PATCH", "/dpskServices/"+poolID, tok, `{"name":"renamed"}`)
	identityPath := "/identityGroups/" + groupID + "/identities/" + pp.IdentityID
	accept(t, s, "PATCH", identityPath, tok, `{"description":"patched"}`)
	if c := s.Inventory("t1"); c.Pools[0].Passphrases[0].VLANID != 30 || c.Pools[0].Passphrases[0].Username != "u2" || c.Pools[0].Name != "renamed" {
		t.Fatalf("committed state must hold every patch: %+v", c.Pools[0])
	}
	for _, st := range []struct {
		at    time.Duration
		user  string
		vlan  float64
		pool  string
		descr string
	}{
		{delay - time.Millisecond, "u1", 10, "p1", ""},
		{delay, "u2", 20, "p1", ""},
		{delay + delay/2 - time.Millisecond, "u2", 20, "p1", ""},
		{delay + delay/2, "u2", 30, "renamed", "patched"},
	} {
		clk.t = t0.Add(st.at)
		if u, v := getPP(); u != st.user || v != st.vlan {
			t.Errorf("+%s: passphrase %s/%v, want %s/%v", st.at, u, v, st.user, st.vlan)
		}
		other := map[string]string{"u1": "u2", "u2": "u1"}[st.user]
		if queryUser(st.user) != 1 || queryUser(other) != 0 {
			t.Errorf("+%s: query by username must find %s only", st.at, st.user)
		}
		if _, _, p := call(t, s, "GET", "/dpskServices/"+poolID, tok, ""); p["name"] != st.pool {
			t.Errorf("+%s: pool name %v, want %s", st.at, p["name"], st.pool)
		}
		if _, _, i := call(t, s, "GET", identityPath, tok, ""); (i["description"] == nil) != (st.descr == "") {
			t.Errorf("+%s: identity %v, want description %q", st.at, i, st.descr)
		}
	}

	// A delete: committed at once (the pool may go, the username is free),
	// still read until the delay.
	t1 := clk.now()
	accept(t, s, "DELETE", "/dpskServices/"+poolID+"/passphrases", tok, `["`+pp.ID+`"]`)
	if c := s.Inventory("t1"); len(c.Pools[0].Passphrases) != 0 || len(c.IdentityGroups[0].Identities) != 0 {
		t.Fatalf("committed state after the delete: %+v", c)
	}
	again := accept(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"passphrase":"value-one","username":"u2"}`)
	clk.t = t1.Add(delay - time.Millisecond)
	if u, _ := getPP(); u != "u2" {
		t.Fatalf("deleted passphrase before the delay: %s", u)
	}
	if code, _, l := call(t, s, "GET", "/identityGroups/"+groupID+"/identities?page=0&size=10", tok, ""); code != 200 || l["totalElements"].(float64) != 1 {
		t.Fatalf("identities before the delay: %v", l)
	}
	clk.t = t1.Add(delay)
	if code, _, _ := call(t, s, "GET", ppPath, tok, ""); code != 404 {
		t.Fatalf("deleted passphrase after the delay: %d", code)
	}
	if got := activityStatus(t, s, tok, again["requestId"].(string)); got != "SUCCESS" || queryUser("u2") != 1 {
		t.Fatalf("the re-created passphrase: %s, %d rows", got, queryUser("u2"))
	}

	// Pool and group deletes: the passphrase delete is committed, so the pool
	// may go; reads still show the pool, and the group's link, until the delay.
	newID := s.Inventory("t1").Pools[0].Passphrases[0].ID
	accept(t, s, "DELETE", "/dpskServices/"+poolID+"/passphrases", tok, `["`+newID+`"]`)
	t2 := clk.now()
	accept(t, s, "DELETE", "/dpskServices/"+poolID, tok, "")
	accept(t, s, "DELETE", "/identityGroups/"+groupID, tok, "")
	if c := s.Inventory("t1"); len(c.Pools) != 0 || len(c.IdentityGroups) != 0 {
		t.Fatalf("committed state after the deletes: %+v", c)
	}
	clk.t = t2.Add(delay - time.Millisecond)
	if got := readAll(t, s, tok, groupID, poolID, "", "u2", "value-one"); !got.group || !got.pool || got.groupPoolID != poolID || !got.byUsername {
		t.Fatalf("before the delay reads must show the deleted objects: %+v", got)
	}
	clk.t = t2.Add(delay)
	if got := readAll(t, s, tok, groupID, poolID, "", "u2", "value-one"); got != (reads{}) {
		t.Fatalf("after the delay: %+v, want nothing", got)
	}
}

func TestRefusalsSeeTheCommittedState(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{})
	_, _, g := call(t, s, "POST", "/identityGroups", tok, `{"name":"g1"}`)
	groupID := g["id"].(string)
	if code, _, _ := call(t, s, "POST", "/identityGroups", tok, `{"name":"g1"}`); code != 409 {
		t.Fatalf("duplicate of an invisible group: %d, want 409", code)
	}
	poolBody := `{"name":"p1","passphraseFormat":"KEYBOARD_FRIENDLY","passphraseLength":8}`
	p := accept(t, s, "POST", "/identityGroups/"+groupID+"/dpskServices", tok, poolBody)
	if code, _, _ := call(t, s, "POST", "/identityGroups/"+groupID+"/dpskServices", tok, poolBody); code != 409 {
		t.Fatalf("second pool on a group whose pool is invisible: %d, want 409", code)
	}
	_, _, g2 := call(t, s, "POST", "/identityGroups", tok, `{"name":"g2"}`)
	dup := accept(t, s, "POST", "/identityGroups/"+g2["id"].(string)+"/dpskServices", tok, poolBody)
	accept(t, s, "POST", "/dpskServices/"+p["id"].(string)+"/passphrases", tok, `{"passphrase":"invisible","username":"u"}`)
	if code, _, e := call(t, s, "DELETE", "/dpskServices/"+p["id"].(string), tok, ""); code != 400 || !strings.Contains(e["message"].(string), "DPSK-026") {
		t.Fatalf("pool holding an invisible passphrase: %d %v, want DPSK-026", code, e)
	}
	if code, _, e := call(t, s, "DELETE", "/identityGroups/"+groupID, tok, ""); code != 400 || !strings.Contains(e["message"].(string), "GENERAL-026") {
		t.Fatalf("group with an invisible pool: %d %v, want GENERAL-026", code, e)
	}
	clk.advance(delay)
	if got := activityStatus(t, s, tok, dup["requestId"].(string)); got != "FAIL" {
		t.Fatalf("duplicate name of an invisible pool: %s, want FAIL", got)
	}
	if inv := s.VisibleInventory("t1"); len(inv.Pools) != 1 || len(inv.IdentityGroups) != 2 || len(inv.Pools[0].Passphrases) != 1 {
		t.Fatalf("after the delay: %+v", inv)
	}
}

func TestCommitThenFailCanAimAtCreates(t *testing.T) {
	s, clk, tok := consistentSim(t, Options{})
	_, poolID := visiblePool(t, s, clk, tok)
	if err := s.Configure(Settings{CommitThenFailRate: ptr(1.0), CommitThenFailMode: ptr("502"), CommitThenFailOps: &[]string{OpCreatePassphrase}}); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := call(t, s, "PATCH", "/dpskServices/"+poolID, tok, `{"description":"x"}`); code != 202 {
		t.Fatalf("a pool patch is not aimed at: %d", code)
	}
	path := "/dpskServices/" + poolID + "/passphrases"
	if code, _, _ := call(t, s, "POST", path, tok, `{"passphrase":"lost-answer","username":"u"}`); code != 502 {
		t.Fatalf("a passphrase create is aimed at: %d, want 502", code)
	}
	if err := s.Configure(Settings{CommitThenFailOps: &[]string{}}); err != nil { // back to every write
		t.Fatal(err)
	}
	if code, _, _ := call(t, s, "POST", path, tok, `{"passphrase":"lost-answer","username":"u"}`); code != 502 {
		t.Fatalf("every write: %d, want 502", code)
	}
	if err := s.Configure(Settings{CommitThenFailRate: ptr(0.0)}); err != nil {
		t.Fatal(err)
	}
	retry := accept(t, s, "POST", path, tok, `{"passphrase":"lost-answer","username":"u"}`)["requestId"].(string)
	if st := s.Stats(); st.CommitThenFail != 2 {
		t.Fatalf("commitThenFail = %d, want 2", st.CommitThenFail)
	}
	if vis := s.VisibleInventory("t1"); len(vis.Pools[0].Passphrases) != 0 {
		t.Fatal("the lost create must not show before the delay")
	}
	clk.advance(delay)
	if got := activityStatus(t, s, tok, retry); got != "FAIL" {
		t.Fatalf("retried create: %s, want FAIL (already exists)", got)
	}
	if vis := s.VisibleInventory("t1"); len(vis.Pools[0].Passphrases) != 1 {
		t.Fatalf("after the delay the row is there once: %+v", vis.Pools[0].Passphrases)
	}
}

func ptr[T any](v T) *T { return &v }

func TestVisibilityConfigRoundTrip(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	post := func(body string) (int, map[string]any) {
		t.Helper()
		resp, err := http.Post(srv.URL+"/__sim/config", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, m := post(`{"visibilityDelay":"2500ms","commitThenFailOps":["creates","DELETE /dpskServices/{id}/passphrases"]}`)
	if code != 200 || m["visibilityDelay"] != "2.5s" || len(m["commitThenFailOps"].([]any)) != 2 {
		t.Fatalf("config: %d %v", code, m)
	}
	if o := s.Options(); o.VisibilityDelay != 2500*time.Millisecond || o.Faults.CommitThenFailOps[1] != "DELETE /dpskServices/{id}/passphrases" {
		t.Fatalf("options: %+v", o)
	}
	resp, err := http.Get(srv.URL + "/__sim/config")
	if err != nil {
		t.Fatal(err)
	}
	var got Settings
	json.NewDecoder(resp.Body).Decode(&got)
	resp.Body.Close()
	if time.Duration(*got.VisibilityDelay) != 2500*time.Millisecond || (*got.CommitThenFailOps)[0] != "creates" {
		t.Fatalf("GET /__sim/config: %+v", got)
	}
	if code, m := post(`{"visibilityDelay":1000}`); code != 200 || m["visibilityDelay"] != "1s" || len(m["commitThenFailOps"].([]any)) != 2 {
		t.Fatalf("a setting left out must stay: %d %v", code, m)
	}
	for _, bad := range []string{`{"visibilityDelay":"-1s"}`, `{"commitThenFailOps":["GET /dpskServices/{id}"]}`, `{"commitThenFailOps":"creates"}`} {
		if code, m := post(bad); code != 400 || m["message"] == nil {
			t.Errorf("config %s: %d %v, want 400 with a message", bad, code, m)
		}
	}
	if err := s.Configure(Settings{CommitThenFailOps: &CreateOps}); err != nil {
		t.Errorf("CreateOps must name write operations: %v", err)
	}
	if _, m := post(`{"commitThenFailOps":["nope"]}`); !strings.Contains(m["message"].(string), OpCreatePassphrase) {
		t.Errorf("an unknown operation must list the known ones: %v", m)
	}
	for q, want := range map[string]int{"?view=visible": 200, "?view=committed&tenant=t1": 200, "?view=later": 400} {
		resp, err := http.Get(srv.URL + "/__sim/inventory" + q)
		if err != nil || resp.StatusCode != want {
			t.Errorf("GET /__sim/inventory%s: %v %v, want %d", q, err, resp.StatusCode, want)
		}
		resp.Body.Close()
	}
}
