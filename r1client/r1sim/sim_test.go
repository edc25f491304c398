package r1sim

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)} }

// call serves one request in-process and returns the status, headers and decoded JSON body.
func call(t testing.TB, s *Sim, method, path, token, body string) (int, http.Header, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var m map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &m)
	return w.Code, w.Header(), m
}

func token(t testing.TB, s *Sim, tenant string) string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"s"}}
	r := httptest.NewRequest("POST", "/oauth2/token/"+tenant, strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	var m struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil || w.Code != 200 || m.AccessToken == "" {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	return m.AccessToken
}

func TestRateLimitAdmits2000CallsPerMinuteWhenSaturated(t *testing.T) {
	clk := newClock()
	s := New(Options{RateLimitPerMinute: 2000, SendRetryAfter: true, Clock: clk.now})
	tok := token(t, s, "t1")
	other := token(t, s, "t2")
	admitted, refused := 0, 0
	// Saturate for 60 s of fake time: every 10 ms, call until refused.
	for step := 0; step < 6000; step++ {
		for {
			code, hdr, _ := call(t, s, "POST", "/policySets/query", tok, `{}`)
			if code == http.StatusTooManyRequests {
				refused++
				if ra := hdr.Get("Retry-After"); ra != "1" {
					t.Fatalf("Retry-After %q, want 1 (whole seconds, rounded up)", ra)
				}
				break
			}
			if code != 200 {
				t.Fatalf("status %d", code)
			}
			admitted++
		}
		clk.advance(10 * time.Millisecond)
	}
	// A full bucket (one second's worth, 33) plus 60 s of refill (2000).
	dev := math.Abs(float64(admitted)-2000) / 2000
	t.Logf("admitted %d calls in 60 s of saturation (%.2f%% from 2000), refused %d", admitted, dev*100, refused)
	if dev > 0.02 {
		t.Fatalf("admitted %d, want 2000 ± 2%%", admitted)
	}
	if code, _, _ := call(t, s, "POST", "/policySets/query", other, `{}`); code != 200 {
		t.Fatalf("another tenant's bucket is separate; got %d", code)
	}
	if st := s.Stats(); st.RateLimited != refused || st.Tenants["t1"].RateLimited != refused {
		t.Fatalf("stats count %d 429s, want %d", st.RateLimited, refused)
	}
}

func TestTokenRouteAndInspectionAreNotRateLimited(t *testing.T) {
	clk := newClock()
	s := New(Options{RateLimitPerMinute: 60, Burst: 1, Clock: clk.now})
	tok := token(t, s, "t1")
	call(t, s, "POST", "/policySets/query", tok, `{}`)
	for i := 0; i < 5; i++ {
		token(t, s, "t1")
		if code, _, _ := call(t, s, "GET", "/__sim/stats", "", ""); code != 200 {
			t.Fatalf("stats %d", code)
		}
	}
}

func TestLatencyIsLogNormalAroundTheMedian(t *testing.T) {
	s := New(Options{Seed: 7})
	l := Latency{Median: 20 * time.Millisecond, Sigma: 0.5}
	var xs []time.Duration
	for i := 0; i < 4001; i++ {
		xs = append(xs, s.sampleLatency(l))
	}
	slices.Sort(xs)
	med := xs[len(xs)/2]
	if med < 18*time.Millisecond || med > 22*time.Millisecond {
		t.Fatalf("median %s, want about 20ms", med)
	}
	p90 := xs[len(xs)*9/10]
	// e^(0.5·1.2816) ≈ 1.90: the 90th percentile of a log-normal with σ 0.5.
	if p90 < 34*time.Millisecond || p90 > 42*time.Millisecond {
		t.Fatalf("p90 %s, want about 38ms", p90)
	}
	if s.sampleLatency(Latency{}) != 0 {
		t.Fatal("zero median must turn latency off")
	}
}

func TestR1RoutesRequireAValidToken(t *testing.T) {
	clk := newClock()
	s := New(Options{TokenTTL: time.Minute, Clock: clk.now, Credentials: map[string]string{"c": "s"}})
	if code, _, _ := call(t, s, "GET", "/dpskServices/x", "", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
	if code, _, _ := call(t, s, "GET", "/dpskServices/x", "forged", ""); code != 401 {
		t.Fatalf("unknown token: %d", code)
	}
	tok := token(t, s, "t1")
	if code, _, _ := call(t, s, "GET", "/dpskServices/x", tok, ""); code != 404 {
		t.Fatalf("valid token: %d, want 404 for the unknown pool", code)
	}
	clk.advance(time.Minute)
	if code, _, _ := call(t, s, "GET", "/dpskServices/x", tok, ""); code != 401 {
		t.Fatalf("expired token: %d", code)
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"c"}, "client_secret": {"wrong"}}
	r := httptest.NewRequest("POST", "/oauth2/token/t1", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	if w.Code != 401 || strings.Contains(w.Body.String(), "wrong") {
		t.Fatalf("bad secret: %d %s", w.Code, w.Body)
	}
}

// fixture creates a group and a pool and returns their ids.
func fixture(t *testing.T, s *Sim, tok string, length int) (string, string) {
	t.Helper()
	code, _, g := call(t, s, "POST", "/identityGroups", tok, `{"name":"g1"}`)
	if code != 202 || g["id"] == nil || g["requestId"] == nil {
		t.Fatalf("group create: %d %v", code, g)
	}
	code, _, p := call(t, s, "POST", "/identityGroups/"+g["id"].(string)+"/dpskServices", tok,
		`{"name":"p1","passphraseFormat":"KEYBOARD_FRIENDLY","passphraseLength":`+itoa(int64(length))+`}`)
	if code != 202 || p["id"] == nil || p["requestId"] == nil {
		t.Fatalf("pool create: %d %v", code, p)
	}
	return g["id"].(string), p["id"].(string)
}

func TestPagingStylesHaveR1Shapes(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	_, poolID := fixture(t, s, tok, 8)
	call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases", tok, `{"passphrase":"abcdefgh","username":"u1"}`)
	call(t, s, "POST", "/policySets", tok, `{"name":"ps","description":""}`)

	_, _, body := call(t, s, "POST", "/dpskServices/"+poolID+"/passphrases/query", tok, `{"page":1,"pageSize":10}`)
	for _, k := range []string{"data", "totalCount", "totalPages", "page", "fields"} {
		if _, ok := body[k]; !ok {
			t.Errorf("body paging lacks %q: %v", k, body)
		}
	}
	_, _, body = call(t, s, "GET", "/dpskServices/"+poolID+"/passphrases?page=0&size=10", tok, "")
	for _, k := range []string{"content", "totalElements", "totalPages", "last", "first", "number", "size", "numberOfElements", "empty", "pageable", "sort"} {
		if _, ok := body[k]; !ok {
			t.Errorf("Spring page lacks %q: %v", k, body)
		}
	}
	_, _, body = call(t, s, "POST", "/policySets/query", tok, `{"page":0,"pageSize":10}`)
	paging, _ := body["paging"].(map[string]any)
	if paging == nil || body["content"] == nil || paging["pageCount"] == nil || paging["totalCount"] == nil {
		t.Errorf("policy paging: %v", body)
	}
	if code, _, _ := call(t, s, "POST", "/policySets/query", tok, `{"page":0,"pageSize":2001}`); code != 422 {
		t.Errorf("pageSize 2001: %d, want 422", code)
	}
	// Identity-group query answers ids without dashes, as R1 does.
	_, _, body = call(t, s, "POST", "/identityGroups/query?page=0&size=5", tok, `{}`)
	id := body["content"].([]any)[0].(map[string]any)["id"].(string)
	if strings.Contains(id, "-") || len(id) != 32 {
		t.Errorf("identity group id from query %q, want 32 hex digits without dashes", id)
	}
	// Unknown keys in a DPSK query body are a 500, as observed.
	if code, _, _ := call(t, s, "POST", "/dpskServices/query", tok, `{"page":1,"defaultPageSize":10}`); code != 500 {
		t.Errorf("unknown DPSK query key: %d, want 500", code)
	}
}

func TestRefusedPassphrasesNeverEchoTheSecret(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	_, poolID := fixture(t, s, tok, 12)
	for _, body := range []string{
		`{"passphrase":"elevenchars","username":"u"}`,
		`{"passphrase":"seven77","username":"u"}`,
		`{"passphrase":"valid-length-12","username":"u","vlanId":0}`,
	} {
		r := httptest.NewRequest("POST", "/dpskServices/"+poolID+"/passphrases", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+tok)
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		var m struct {
			Status    string           `json:"status"`
			Message   string           `json:"message"`
			SubErrors []map[string]any `json:"subErrors"`
		}
		json.Unmarshal(w.Body.Bytes(), &m)
		if w.Code != 400 || m.Status != "400 BAD_REQUEST" || m.Message == "" || len(m.SubErrors) == 0 {
			t.Errorf("%s: %d %s", body, w.Code, w.Body)
		}
		for _, secret := range []string{"elevenchars", "seven77", "valid-length-12"} {
			if strings.Contains(w.Body.String(), secret) {
				t.Errorf("error body echoes the passphrase: %s", w.Body)
			}
		}
	}
}

func TestDuplicatePoolFailsWithTheDoubleEncodedError(t *testing.T) {
	s := New(Options{})
	tok := token(t, s, "t1")
	fixture(t, s, tok, 8)
	_, _, g2 := call(t, s, "POST", "/identityGroups", tok, `{"name":"g2"}`)
	code, _, acc := call(t, s, "POST", "/identityGroups/"+g2["id"].(string)+"/dpskServices", tok,
		`{"name":"p1","passphraseFormat":"KEYBOARD_FRIENDLY","passphraseLength":8}`)
	if code != 202 {
		t.Fatalf("duplicate pool: %d", code)
	}
	_, _, a := call(t, s, "GET", "/activities/"+acc["requestId"].(string), tok, "")
	if a["status"] != "FAIL" {
		t.Fatalf("activity %v", a)
	}
	// error is a JSON string whose errors[] items are JSON strings again.
	var outer struct {
		RequestID string   `json:"requestId"`
		Errors    []string `json:"errors"`
	}
	if err := json.Unmarshal([]byte(a["error"].(string)), &outer); err != nil || len(outer.Errors) != 1 {
		t.Fatalf("outer error: %v %q", err, a["error"])
	}
	var inner struct {
		Message   string `json:"message"`
		SubErrors []struct{ Object, Field, Message string }
	}
	if err := json.Unmarshal([]byte(outer.Errors[0]), &inner); err != nil || inner.SubErrors[0].Message != "Name must be unique" ||
		inner.SubErrors[0].Object != "DPSK service" || inner.SubErrors[0].Field != "name" {
		t.Fatalf("inner error: %v %q", err, outer.Errors[0])
	}
	if inv := s.Inventory("t1"); len(inv.Pools) != 1 || inv.IdentityGroups[1].DPSKPoolID != "" {
		t.Fatalf("the duplicate must create nothing: %+v", inv)
	}
}

func TestInspectionAPI(t *testing.T) {
	s := New(Options{})
	srv := httptest.NewServer(s)
	defer srv.Close()
	tok := token(t, s, "t1")
	fixture(t, s, tok, 8)
	token(t, s, "t2")

	get := func(path string, v any) {
		resp, err := http.Get(srv.URL + path)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("GET %s: %v %v", path, err, resp)
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
			t.Fatal(err)
		}
	}
	var all []Inventory
	get("/__sim/inventory", &all)
	if len(all) != 2 || all[0].Tenant != "t1" || len(all[0].Pools) != 1 {
		t.Fatalf("inventory of all tenants: %+v", all)
	}
	var one Inventory
	get("/__sim/inventory?tenant=t1", &one)
	if one.Tenant != "t1" || len(one.IdentityGroups) != 1 || one.Pools[0].Name != "p1" {
		t.Fatalf("inventory of t1: %+v", one)
	}
	var st Stats
	get("/__sim/stats", &st)
	if st.Calls["POST /identityGroups/{id}/dpskServices"] != 1 || st.PerTenant["t1"] != 2 || st.TokensIssued != 2 {
		t.Fatalf("stats: %+v", st)
	}

	post := func(path, body string) int {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("/__sim/config", `{"rateLimitPerMinute":120,"latencyMedian":"3ms","activityNotFoundFor":1500,"commitThenFailMode":"cut","serverErrorRate":0.25}`); code != 200 {
		t.Fatalf("config: %d", code)
	}
	o := s.Options()
	if o.RateLimitPerMinute != 120 || o.Latency.Median != 3*time.Millisecond || o.ActivityNotFoundFor != 1500*time.Millisecond ||
		o.Faults.CommitThenFailMode != "cut" || o.Faults.ServerErrorRate != 0.25 {
		t.Fatalf("options after config: %+v", o)
	}
	for _, bad := range []string{`{"serverErrorRate":2}`, `{"nope":1}`, `{"latencyMedian":"soon"}`, `{"commitThenFailMode":"x"}`} {
		if code := post("/__sim/config", bad); code != 400 {
			t.Errorf("config %s: %d, want 400", bad, code)
		}
	}
	if code := post("/__sim/reset", ""); code != 204 {
		t.Fatalf("reset: %d", code)
	}
	if len(s.Tenants()) != 0 || s.Stats().TotalCalls != 0 {
		t.Fatal("reset left state behind")
	}
	if code, _, _ := call(t, s, "GET", "/dpskServices/x", tok, ""); code != 401 {
		t.Fatal("reset must forget tokens")
	}
}

func TestActivityTimelineFollowsTheClock(t *testing.T) {
	clk := newClock()
	s := New(Options{Clock: clk.now, ActivityNotFoundFor: time.Second, ActivityPendingFor: 4 * time.Second})
	tok := token(t, s, "t1")
	_, _, acc := call(t, s, "POST", "/identityGroups", tok, `{"name":"g"}`)
	id := acc["requestId"].(string)
	want := []struct {
		at     time.Duration
		code   int
		status string
	}{{0, 404, ""}, {999 * time.Millisecond, 404, ""}, {time.Second, 200, "PENDING"}, {3 * time.Second, 200, "INPROGRESS"}, {5 * time.Second, 200, "SUCCESS"}}
	start := clk.now()
	for _, w := range want {
		clk.t = start.Add(w.at)
		code, _, a := call(t, s, "GET", "/activities/"+id, tok, "")
		if code != w.code || (w.status != "" && a["status"] != w.status) {
			t.Fatalf("at %s: %d %v, want %d %s", w.at, code, a, w.code, w.status)
		}
	}
}
