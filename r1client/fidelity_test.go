package r1client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/r1client/r1sim"
)

// The cached public R1 specs live beside the checkout, not in it; the test
// skips when they are absent. R1_OPENAPI_DIR overrides the location.
func openapiDir(t *testing.T) string {
	t.Helper()
	candidates := []string{os.Getenv("R1_OPENAPI_DIR"), "../shared/r1/openapi", "../../shared/r1/openapi"}
	for _, d := range candidates {
		if d == "" {
			continue
		}
		if m, _ := filepath.Glob(filepath.Join(d, "*.yaml")); len(m) > 0 {
			return d
		}
	}
	t.Skip("R1 OpenAPI specs not found (../shared/r1/openapi); skipping the fidelity test")
	return ""
}

// Where R1's observed behaviour (what the client sends and the simulator
// answers, per R1_API_CONTRACT.md) differs from the cached specs, the check
// that would fail is skipped here, with the reason.
var (
	// Request bodies not validated.
	skipRequest = map[string]string{
		"PATCH /dpskServices/{poolId}": "spec reuses DpskPoolDto with required name/passphraseFormat/passphraseLength for a partial PATCH; R1 takes a subset (contract §5)",
		"POST /activities/query":       "spec types filter values as objects; the filters R1 takes are {fromTime, toTime} strings and {id: [...]} a plain array (contract §2.2)",
	}
	// Response bodies not validated.
	skipResponse = map[string]string{
		"GET /identityGroups/{groupId}/identities": "spec says a bare array; R1 answers a Spring Page (contract §4)",
		"POST /dpskServices/{poolId}/passphrases":  "spec types the 202 body as a string; R1 answers JSON {requestId} (contract §6.1)",
		"POST /dpskServices/{poolId}/passphrases/csvFiles": "spec declares only 200 with a string body; a newer rendering answers an OperationResponse, " +
			"and the simulator answers 202 {requestId} as R1's other writes do (IDENTITIES_AND_POLICIES.md §3.3)",
	}
	// Request bodies validated against a schema the spec names, instead of
	// (or besides) the operation's own.
	requestBodySchemas = map[string]struct {
		reason string
		schema func(body map[string]any) string
	}{
		"POST /wifiNetworks": {"the spec's oneOf of six network types has no discriminator mapping and a DPSK body also satisfies PskWifiNetwork, " +
			"so the oneOf cannot pass: validated against the branch its lowercase type names (NETWORK_ACTIVATION.md §3.1)",
			func(b map[string]any) string { return wifiNetworkBranches[fmt.Sprint(b["type"])] }},
		"PUT /venues/{venueId}/wifiNetworks/{wifiNetworkId}": {"the spec's body is {isAllApGroups}; R1 is sent the UI's legacy NetworkVenue object " +
			"(NETWORK_ACTIVATION.md §5): validated against both",
			func(map[string]any) string { return "NetworkVenue" }},
	}
	// 200 answers validated against the wrapper the spec puts under 501.
	wrapperUnder501 = map[string]string{
		"POST /wifiNetworks/query": "spec declares one bare WifiNetworkQueryData for 200; R1 answers the QueryResponse wrapper it puts under 501 (NETWORK_ACTIVATION.md §2.1)",
		"POST /venues/query":       "spec declares one bare VenueData for 200; R1 answers the QueryResponse wrapper it puts under 501 (NETWORK_ACTIVATION.md §1)",
	}
	// Operations the migration uses that are absent from the cached specs.
	wantUncovered = []string{
		"DELETE /identityGroups/{groupId}/identities",
		"DELETE /identityGroups/{id}",
		"PATCH /identityGroups/{groupId}/identities/{id}",
		"POST /identityGroups",
	}
	wifiNetworkBranches = map[string]string{"dpsk": "DpskWifiNetwork", "psk": "PskWifiNetwork", "open": "OpenWifiNetwork",
		"aaa": "AAAWifiNetwork", "guest": "GuestWifiNetwork", "hotspot20": "Hotspot20WifiNetwork"}
)

// r1Pattern compiles the specs' patterns: with Go's regexp where it can, and
// the Wi-Fi name pattern, whose lookaheads Go lacks, by hand.
func r1Pattern(expr string) (openapi3.RegexMatcher, error) {
	if re, err := regexp.Compile(expr); err == nil {
		return re, nil
	}
	if expr == "(?=^((?!(`|\\$\\()).){2,32}$)^(\\S.*\\S)$" {
		return nameMatcher{}, nil
	}
	return nil, fmt.Errorf("pattern %q: not supported by Go's regexp and not hand-written here", expr)
}

// nameMatcher is (?=^((?!(`|\$\()).){2,32}$)^(\S.*\S)$: 2 to 32 characters on
// one line, no backtick, no "$(", no space at either end.
type nameMatcher struct{}

func (nameMatcher) MatchString(s string) bool {
	rs := []rune(s)
	if len(rs) < 2 || len(rs) > 32 || strings.ContainsAny(s, "`\n\r") || strings.Contains(s, "$(") {
		return false
	}
	space := func(r rune) bool { return strings.ContainsRune(" \t\n\v\f\r", r) }
	return !space(rs[0]) && !space(rs[len(rs)-1])
}

type opCheck struct {
	calls  int
	errors []string
}

// validatingTransport checks each request against the specs before sending it
// and each answer after.
type validatingTransport struct {
	base    http.RoundTripper
	routers []routers.Router
	schemas openapi3.Schemas // the Wi-Fi spec's components
	mu      sync.Mutex
	ops     map[string]*opCheck
	missing map[string]bool
}

func (v *validatingTransport) record(op string, err error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.ops[op]
	if c == nil {
		c = &opCheck{}
		v.ops[op] = c
	}
	c.calls++
	if err != nil {
		c.errors = append(c.errors, err.Error())
	}
}

func (v *validatingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if strings.HasPrefix(req.URL.Path, "/oauth2/token/") { // not in any of the specs
		return v.base.RoundTrip(req)
	}
	var reqBody []byte
	if req.Body != nil {
		reqBody, _ = io.ReadAll(req.Body)
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
	}
	var route *routers.Route
	var params map[string]string
	for _, r := range v.routers {
		if rt, p, err := r.FindRoute(req); err == nil {
			route, params = rt, p
			break
		}
	}
	if route == nil {
		v.mu.Lock()
		v.missing[req.Method+" "+req.URL.Path] = true
		v.mu.Unlock()
		return v.base.RoundTrip(req)
	}
	op := req.Method + " " + route.Path
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true, RegexCompiler: r1Pattern}}
	_, skip := skipRequest[op]
	alt, hasAlt := requestBodySchemas[op]
	if skip || (hasAlt && op == "POST /wifiNetworks") {
		in.Options.ExcludeRequestBody = true
	}
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	if reqErr == nil && hasAlt {
		reqErr = v.validateBodyAs(reqBody, alt.schema)
	}
	req.Body = io.NopCloser(bytes.NewReader(reqBody))
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	// A request the spec refuses must be one the simulator refuses too (the
	// test sends a few on purpose); one it accepts must pass the spec.
	if reqErr != nil && resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusUnprocessableEntity {
		v.record(op, fmt.Errorf("request (answered %d): %w", resp.StatusCode, reqErr))
		return resp, nil
	}
	// 204 carries no body by definition; the APM spec still lists content for it.
	if reason := skipResponse[op]; reason != "" || resp.StatusCode == http.StatusNoContent {
		v.record(op, nil)
		return resp, nil
	}
	status := resp.StatusCode
	if _, wrapped := wrapperUnder501[op]; wrapped && status == http.StatusOK {
		status = http.StatusNotImplemented
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: status, Header: resp.Header,
		Options: &openapi3filter.Options{MultiError: true, RegexCompiler: r1Pattern}}
	out.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.record(op, fmt.Errorf("response %d: %w", resp.StatusCode, err))
	} else {
		v.record(op, nil)
	}
	return resp, nil
}

// validateBodyAs validates a JSON request body against the Wi-Fi spec's
// component the picker names.
func (v *validatingTransport) validateBodyAs(body []byte, pick func(map[string]any) string) error {
	var value map[string]any
	if err := json.Unmarshal(body, &value); err != nil {
		return fmt.Errorf("request body: %w", err)
	}
	name := pick(value)
	ref := v.schemas[name]
	if ref == nil || ref.Value == nil {
		return fmt.Errorf("request body: no schema %q in the Wi-Fi spec", name)
	}
	if err := ref.Value.VisitJSON(value, openapi3.MultiErrors(), openapi3.VisitAsRequest(), openapi3.SetSchemaRegexCompiler(r1Pattern)); err != nil {
		return fmt.Errorf("request body as %s: %w", name, err)
	}
	return nil
}

var specFiles = []string{"dpsk_service-0.0.3.yaml", "identity_management-0.0.2.yaml", "adaptive_policy_management-0.0.9.yaml",
	"activities_api-0.0.1.yaml", "wifi_api-17.3.3.205.yaml", "venue_service_api-0.2.8.yaml", "viewmodel_service_api-1.0.42.yaml"}

// loadRouters loads the specs, tried in order for each request, and the Wi-Fi spec's components.
func loadRouters(t *testing.T, dir, serverURL string) ([]routers.Router, openapi3.Schemas) {
	t.Helper()
	var out []routers.Router
	var wifi openapi3.Schemas
	for _, name := range specFiles {
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("loading %s: %v", name, err)
		}
		doc.Servers = openapi3.Servers{{URL: serverURL}}
		r, err := gorillamux.NewRouter(doc)
		if err != nil {
			t.Fatalf("router for %s: %v", name, err)
		}
		out = append(out, r)
		if strings.HasPrefix(name, "wifi_api") {
			wifi = doc.Components.Schemas
		}
	}
	return out, wifi
}

func TestRequestsAndAnswersMatchTheR1Specs(t *testing.T) {
	dir := openapiDir(t)
	sim := r1sim.New(r1sim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	rts, wifi := loadRouters(t, dir, srv.URL)
	vt := &validatingTransport{base: http.DefaultTransport, routers: rts, schemas: wifi, ops: map[string]*opCheck{}, missing: map[string]bool{}}
	c, err := r1client.New(r1client.Config{BaseURL: srv.URL, TenantID: "t", ClientID: "c", ClientSecret: "s",
		HTTPClient: &http.Client{Transport: vt}, FindPageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	must := func(_ any, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	// Every operation the migration uses, successes and the errors R1 answers.
	groupID, poolID := setup(t, c, "fidelity", 8)
	must(c.IdentityGroups.Query(ctx, "fid", 0, 10))
	must(c.IdentityGroups.FindByName(ctx, "fidelity-group"))
	must(c.IdentityGroups.Get(ctx, groupID))
	must(c.Pools.Query(ctx, "fid", 1, 10))
	must(c.Pools.FindByName(ctx, "fidelity"))
	must(c.Pools.Get(ctx, poolID))
	must(c.Pools.Patch(ctx, poolID, r1client.PoolPatch{PassphraseLength: ptr(9), DeviceCountLimit: ptr(2)}))
	for i := 0; i < 3; i++ {
		must(c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: fmt.Sprintf("fidelity-pass-%d", i),
			Username: fmt.Sprintf("user%d", i), VLANID: 10 + i, NumberOfDevicesType: "LIMITED", NumberOfDevices: 3, ExpirationDate: "2027-01-01T00:00:00Z"}))
	}
	must(c.Passphrases.ImportCSV(ctx, poolID, []byte(importHeader+"\r\n\"Smith, Jane\",-1,,fidelity-import-1,12,\r\nbob,3,,fidelity-import-2,,\r\n")))
	_, err = c.Passphrases.Create(ctx, poolID, r1client.PassphraseCreate{Passphrase: "short", Username: "x"}) // 400
	if err == nil {
		t.Fatal("want a 400")
	}
	page, err := c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{Page: 1, PageSize: 2, Usernames: []string{"user0", "user1"}, SortField: "createdDate", SortOrder: "DESC"})
	if err != nil || len(page.Items) != 2 {
		t.Fatal(page, err)
	}
	must(c.Passphrases.List(ctx, poolID, 0, 2))
	must(c.Passphrases.Get(ctx, poolID, page.Items[0].ID))
	must(c.Passphrases.Patch(ctx, poolID, page.Items[0].ID, r1client.PassphrasePatch{VLANID: ptr(99)}))
	idents, err := c.Identities.List(ctx, groupID, 0, 10)
	if err != nil || len(idents.Items) == 0 {
		t.Fatal(idents, err)
	}
	must(c.Identities.Patch(ctx, groupID, idents.Items[0].ID, r1client.IdentityPatch{Description: ptr("guid")}))
	must(c.Identities.Delete(ctx, groupID, []string{idents.Items[len(idents.Items)-1].ID})) // its passphrase goes with it
	ps, err := c.PolicySets.Create(ctx, "fidelity-set", "d")
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PolicySets.Create(ctx, "fidelity-set", "d") // 409
	if err == nil {
		t.Fatal("want a 409")
	}
	must(c.PolicySets.Query(ctx, 0, 10))
	must(c.PolicySets.FindByName(ctx, "FIDELITY-SET"))
	must(c.Pools.AttachPolicySet(ctx, poolID, ps.ID))
	must(c.Pools.DetachPolicySet(ctx, poolID, ps.ID))
	if err := c.PolicySets.Delete(ctx, ps.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Activities.Get(ctx, "no-such-activity"); err == nil { // 404
		t.Fatal("want a 404")
	}
	acc, err := c.Passphrases.Delete(ctx, poolID, []string{page.Items[0].ID, page.Items[1].ID})
	if err != nil {
		t.Fatal(err)
	}
	must(c.Activities.Get(ctx, acc.RequestID))
	must(c.Activities.Query(ctx, clockNowMinus(), clockNowPlus(), 1, 100))
	byID, err := c.Activities.QueryByIDs(ctx, []string{acc.RequestID, "no-such-activity"})
	if err != nil || len(byID.Items) != 1 || byID.Items[0].RequestID != acc.RequestID {
		t.Fatalf("QueryByIDs: %+v, %v", byID, err)
	}
	rest, _ := c.Passphrases.Query(ctx, poolID, r1client.PassphraseQuery{})
	for _, p := range rest.Items {
		must(c.Passphrases.Delete(ctx, poolID, []string{p.ID}))
	}
	networkIDs := exerciseNetworks(t, c, sim, poolID)
	must(c.Pools.Delete(ctx, poolID))
	must(c.IdentityGroups.Delete(ctx, groupID))

	var names []string
	for op := range vt.ops {
		names = append(names, op)
	}
	sort.Strings(names)
	for _, op := range names {
		chk := vt.ops[op]
		note := ""
		if r, ok := skipRequest[op]; ok {
			note += " [request body exempt: " + r + "]"
		}
		if r := skipResponse[op]; r != "" {
			note += " [response exempt: " + r + "]"
		}
		if r, ok := requestBodySchemas[op]; ok {
			note += " [request body: " + r.reason + "]"
		}
		if r := wrapperUnder501[op]; r != "" {
			note += " [200 as 501: " + r + "]"
		}
		t.Logf("validated %-58s %2d calls%s", op, chk.calls, note)
		for _, e := range chk.errors {
			t.Errorf("%s: %s", op, e)
		}
	}
	var uncovered []string
	for p := range vt.missing {
		uncovered = append(uncovered, genericPath(p, groupID, poolID, idents.Items[0].ID, networkIDs))
	}
	slices.Sort(uncovered)
	uncovered = slices.Compact(uncovered)
	t.Logf("not in the cached specs (not validated): %v", uncovered)
	if !slices.Equal(uncovered, wantUncovered) {
		t.Errorf("operations missing from the specs: %v, want %v", uncovered, wantUncovered)
	}
	if len(vt.ops) < 30 {
		t.Errorf("only %d operations validated", len(vt.ops))
	}
}

func genericPath(p, groupID, poolID, identityID string, others []string) string {
	for _, id := range others {
		p = strings.ReplaceAll(p, id, "{id}")
	}
	p = strings.ReplaceAll(p, identityID, "{id}")
	p = strings.ReplaceAll(p, "/identityGroups/"+groupID+"/", "/identityGroups/{groupId}/")
	p = strings.ReplaceAll(p, groupID, "{id}")
	return strings.ReplaceAll(p, poolID, "{poolId}")
}

func clockNowMinus() time.Time { return time.Now().Add(-time.Hour) }
func clockNowPlus() time.Time  { return time.Now().Add(time.Hour) }
