package r1sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Inventory is one tenant's R1 end state, for tests to compare with an export.
type Inventory struct {
	Tenant         string         `json:"tenant"`
	IdentityGroups []InvGroup     `json:"identityGroups"`
	Pools          []InvPool      `json:"pools"`
	PolicySets     []InvPolicySet `json:"policySets"`
	Networks       []InvNetwork   `json:"networks"`
	Venues         []InvVenue     `json:"venues"`
}

// InvGroup is an identity group with its identities.
type InvGroup struct {
	ID            string        `json:"id"`
	Name          string        `json:"name"`
	Description   string        `json:"description"`
	IdentityCount int           `json:"identityCount"`
	DPSKPoolID    string        `json:"dpskPoolId,omitempty"`
	Identities    []InvIdentity `json:"identities"`
}

// InvIdentity is an identity.
type InvIdentity struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	VLAN        int    `json:"vlan,omitempty"`
}

// InvPool is a DPSK pool with its passphrases in creation order.
type InvPool struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	Description      string          `json:"description,omitempty"`
	IdentityGroupID  string          `json:"identityGroupId"`
	PassphraseFormat string          `json:"passphraseFormat"`
	PassphraseLength int             `json:"passphraseLength"`
	DeviceCountLimit int             `json:"deviceCountLimit"`
	ExpirationType   string          `json:"expirationType,omitempty"`
	ExpirationOffset int             `json:"expirationOffset,omitempty"`
	PolicySetID      string          `json:"policySetId,omitempty"`
	Passphrases      []InvPassphrase `json:"passphrases"`
}

// InvPassphrase is a passphrase, secret included: the inventory exists to
// prove what R1 ended up holding.
type InvPassphrase struct {
	ID                  string `json:"id"`
	Username            string `json:"username"`
	Passphrase          string `json:"passphrase"`
	VLANID              int    `json:"vlanId,omitempty"`
	NumberOfDevices     int    `json:"numberOfDevices,omitempty"`
	NumberOfDevicesType string `json:"numberOfDevicesType,omitempty"`
	ExpirationDate      string `json:"expirationDate,omitempty"`
	IdentityID          string `json:"identityId"`
}

// InvPolicySet is a policy set.
type InvPolicySet struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
}

// Tenants lists the tenants seen so far, sorted.
func (s *Sim) Tenants() []string {
	s.tenMu.RLock()
	defer s.tenMu.RUnlock()
	out := make([]string, 0, len(s.tenants))
	for id := range s.tenants {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Inventory returns one tenant's committed objects (empty for an unknown
// tenant): every accepted write, visible to reads yet or not.
func (s *Sim) Inventory(tenantID string) Inventory { return s.inventory(tenantID, nil) }

// VisibleInventory returns what R1's reads show of one tenant now: objects
// whose create, patch or delete is not yet visible (Options.VisibilityDelay)
// appear as before that write. With a zero delay it equals Inventory.
func (s *Sim) VisibleInventory(tenantID string) Inventory {
	v := s.view()
	return s.inventory(tenantID, &v)
}

// inventory renders the committed state (v nil) or what reads show (v).
func (s *Sim) inventory(tenantID string, v *view) Inventory {
	inv := Inventory{Tenant: tenantID, IdentityGroups: []InvGroup{}, Pools: []InvPool{}, PolicySets: []InvPolicySet{},
		Networks: []InvNetwork{}, Venues: []InvVenue{}}
	s.tenMu.RLock()
	t := s.tenants[tenantID]
	s.tenMu.RUnlock()
	if t == nil {
		return inv
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, live := range t.groupOrder {
		g := inventoried(v, live)
		if g == nil {
			continue
		}
		count := len(live.identities)
		if v != nil {
			count = v.identityCount(live)
		}
		ig := InvGroup{ID: g.id, Name: g.name, Description: g.description, IdentityCount: count,
			DPSKPoolID: g.dpskPoolID, Identities: make([]InvIdentity, 0, len(live.identityOrder))}
		for _, i := range live.identityOrder {
			if i = inventoried(v, i); i != nil {
				ig.Identities = append(ig.Identities, InvIdentity{ID: i.id, Name: i.name, Description: i.description, VLAN: i.vlan})
			}
		}
		inv.IdentityGroups = append(inv.IdentityGroups, ig)
	}
	for _, live := range t.poolOrder {
		p := inventoried(v, live)
		if p == nil {
			continue
		}
		ip := InvPool{ID: p.id, Name: p.name, Description: p.description, IdentityGroupID: p.groupID,
			PassphraseFormat: p.format, PassphraseLength: p.length, DeviceCountLimit: p.deviceLimit,
			ExpirationType: p.expType, ExpirationOffset: p.expOffset, PolicySetID: p.policySetID,
			Passphrases: make([]InvPassphrase, 0, len(live.order))}
		for _, pp := range live.order {
			if pp = inventoried(v, pp); pp == nil {
				continue
			}
			ip.Passphrases = append(ip.Passphrases, InvPassphrase{ID: pp.id, Username: pp.username, Passphrase: pp.value,
				VLANID: pp.vlan, NumberOfDevices: pp.devices, NumberOfDevicesType: pp.devicesType,
				ExpirationDate: pp.expDate, IdentityID: pp.identityID})
		}
		inv.Pools = append(inv.Pools, ip)
	}
	for _, ps := range t.setOrder {
		inv.PolicySets = append(inv.PolicySets, InvPolicySet{ID: ps.id, Name: ps.name, Description: ps.description})
	}
	t.inventoryNetworks(v, &inv)
	return inv
}

// inventoried is x as committed (nil if deleted) when v is nil, else the
// version reads show.
func inventoried[T any, P versioned[T]](v *view, x P) P {
	if v == nil {
		if x.st().deleted {
			return nil
		}
		return x
	}
	return see(v, x)
}

// Reset forgets every tenant, token, activity and counter; options stay.
func (s *Sim) Reset() {
	s.tenMu.Lock()
	s.tenants = map[string]*tenant{}
	s.tenMu.Unlock()
	s.tokMu.Lock()
	s.tokens = map[string]tokenInfo{}
	s.tokMu.Unlock()
	s.stats.reset()
}

// Duration is a time.Duration in JSON: a Go duration string ("250ms", "2s")
// or a number of milliseconds.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return errors.New("duration must be a string like \"250ms\" or a number of milliseconds")
	}
	*d = Duration(ms * float64(time.Millisecond))
	return nil
}

// Settings are the Options that can change at run time: the body of
// POST /__sim/config and the argument of Configure. Nil fields are left alone.
type Settings struct {
	RateLimitPerMinute  *int      `json:"rateLimitPerMinute,omitempty"`
	Burst               *int      `json:"burst,omitempty"`
	SendRetryAfter      *bool     `json:"sendRetryAfter,omitempty"`
	LatencyMedian       *Duration `json:"latencyMedian,omitempty"`
	LatencySigma        *float64  `json:"latencySigma,omitempty"`
	ActivityNotFoundFor *Duration `json:"activityNotFoundFor,omitempty"`
	ActivityPendingFor  *Duration `json:"activityPendingFor,omitempty"`
	VisibilityDelay     *Duration `json:"visibilityDelay,omitempty"`
	TokenTTL            *Duration `json:"tokenTTL,omitempty"`
	ServerErrorRate     *float64  `json:"serverErrorRate,omitempty"`
	SlowRate            *float64  `json:"slowRate,omitempty"`
	SlowDelay           *Duration `json:"slowDelay,omitempty"`
	CommitThenFailRate  *float64  `json:"commitThenFailRate,omitempty"`
	CommitThenFailMode  *string   `json:"commitThenFailMode,omitempty"`
	CommitThenFailOps   *[]string `json:"commitThenFailOps,omitempty"` // [] = every write
	QuotePassphraseRate *float64  `json:"quotePassphraseRate,omitempty"`
	ImportHeaderChanged *bool     `json:"importHeaderChanged,omitempty"`
	ImportDropsRows     *bool     `json:"importDropsRows,omitempty"`

	// Wi-Fi network behaviours (NetworkBehaviour).
	SSIDLimitPerAPGroup *int      `json:"ssidLimitPerApGroup,omitempty"`
	SSIDLimitRefusal    *string   `json:"ssidLimitRefusal,omitempty"`
	NetworkErrorWording *string   `json:"networkErrorWording,omitempty"`
	AlreadyActivated    *string   `json:"alreadyActivated,omitempty"`
	DuplicateNetwork    *string   `json:"duplicateNetwork,omitempty"`
	RebindPool          *string   `json:"rebindPool,omitempty"`
	NetworkGet          *string   `json:"networkGet,omitempty"`
	NetworkGetLag       *Duration `json:"networkGetLag,omitempty"`
	ExposeBoundPool     *bool     `json:"exposeBoundPool,omitempty"`
}

// SettingsOf is the Settings view of o, every field set.
func SettingsOf(o Options) Settings {
	d := func(v time.Duration) *Duration { x := Duration(v); return &x }
	ops := append([]string{}, o.Faults.CommitThenFailOps...)
	st := Settings{
		RateLimitPerMinute: &o.RateLimitPerMinute, Burst: &o.Burst, SendRetryAfter: &o.SendRetryAfter,
		LatencyMedian: d(o.Latency.Median), LatencySigma: &o.Latency.Sigma,
		ActivityNotFoundFor: d(o.ActivityNotFoundFor), ActivityPendingFor: d(o.ActivityPendingFor),
		TokenTTL: d(o.TokenTTL), ServerErrorRate: &o.Faults.ServerErrorRate, SlowRate: &o.Faults.SlowRate,
		SlowDelay: d(o.Faults.SlowDelay), CommitThenFailRate: &o.Faults.CommitThenFailRate,
		CommitThenFailMode: &o.Faults.CommitThenFailMode,
		VisibilityDelay:    d(o.VisibilityDelay), CommitThenFailOps: &ops,
		QuotePassphraseRate: &o.Faults.QuotePassphraseRate,
		ImportHeaderChanged: &o.Faults.ImportHeaderChanged, ImportDropsRows: &o.Faults.ImportDropsRows,
	}
	networkSettingsOf(&st, o.Networks)
	return st
}

func (st Settings) validate() error {
	var errs []error
	rate := func(name string, v *float64) {
		if v != nil && (*v < 0 || *v > 1) {
			errs = append(errs, fmt.Errorf("%s must be between 0 and 1", name))
		}
	}
	nonNeg := func(name string, v *Duration) {
		if v != nil && *v < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative", name))
		}
	}
	rate("serverErrorRate", st.ServerErrorRate)
	rate("slowRate", st.SlowRate)
	rate("commitThenFailRate", st.CommitThenFailRate)
	rate("quotePassphraseRate", st.QuotePassphraseRate)
	nonNeg("latencyMedian", st.LatencyMedian)
	nonNeg("activityNotFoundFor", st.ActivityNotFoundFor)
	nonNeg("activityPendingFor", st.ActivityPendingFor)
	nonNeg("visibilityDelay", st.VisibilityDelay)
	nonNeg("slowDelay", st.SlowDelay)
	if st.TokenTTL != nil && *st.TokenTTL <= 0 {
		errs = append(errs, errors.New("tokenTTL must be positive"))
	}
	if st.RateLimitPerMinute != nil && *st.RateLimitPerMinute < 0 {
		errs = append(errs, errors.New("rateLimitPerMinute must not be negative"))
	}
	if st.Burst != nil && *st.Burst < 0 {
		errs = append(errs, errors.New("burst must not be negative"))
	}
	if st.LatencySigma != nil && *st.LatencySigma < 0 {
		errs = append(errs, errors.New("latencySigma must not be negative"))
	}
	if m := st.CommitThenFailMode; m != nil && !slices.Contains([]string{"", "mixed", "502", "cut"}, *m) {
		errs = append(errs, errors.New(`commitThenFailMode must be "mixed", "502" or "cut"`))
	}
	errs = append(errs, st.validateNetworkSettings())
	return errors.Join(errs...)
}

// Configure changes the run-time options. Rate-limit changes apply to every
// tenant's bucket at once; activity timings and the visibility delay apply
// to writes from now on; network behaviours to requests from now on.
func (s *Sim) Configure(st Settings) error {
	if err := errors.Join(st.validate(), s.validateOps(st.CommitThenFailOps)); err != nil {
		return err
	}
	s.optMu.Lock()
	o := &s.opts
	setI := func(dst *int, v *int) {
		if v != nil {
			*dst = *v
		}
	}
	setF := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	setD := func(dst *time.Duration, v *Duration) {
		if v != nil {
			*dst = time.Duration(*v)
		}
	}
	setI(&o.RateLimitPerMinute, st.RateLimitPerMinute)
	setI(&o.Burst, st.Burst)
	if st.SendRetryAfter != nil {
		o.SendRetryAfter = *st.SendRetryAfter
	}
	setD(&o.Latency.Median, st.LatencyMedian)
	setF(&o.Latency.Sigma, st.LatencySigma)
	setD(&o.ActivityNotFoundFor, st.ActivityNotFoundFor)
	setD(&o.ActivityPendingFor, st.ActivityPendingFor)
	setD(&o.TokenTTL, st.TokenTTL)
	setF(&o.Faults.ServerErrorRate, st.ServerErrorRate)
	setF(&o.Faults.SlowRate, st.SlowRate)
	setD(&o.Faults.SlowDelay, st.SlowDelay)
	setF(&o.Faults.CommitThenFailRate, st.CommitThenFailRate)
	if st.CommitThenFailMode != nil {
		o.Faults.CommitThenFailMode = *st.CommitThenFailMode
	}
	setD(&o.VisibilityDelay, st.VisibilityDelay)
	if st.CommitThenFailOps != nil {
		o.Faults.CommitThenFailOps = slices.Clone(*st.CommitThenFailOps)
	}
	setF(&o.Faults.QuotePassphraseRate, st.QuotePassphraseRate)
	if st.ImportHeaderChanged != nil {
		o.Faults.ImportHeaderChanged = *st.ImportHeaderChanged
	}
	if st.ImportDropsRows != nil {
		o.Faults.ImportDropsRows = *st.ImportDropsRows
	}
	st.applyNetworkSettings(&o.Networks)
	perMinute, burst := o.RateLimitPerMinute, o.Burst
	s.optMu.Unlock()
	if st.RateLimitPerMinute != nil || st.Burst != nil {
		now := s.now()
		s.tenMu.RLock()
		for _, t := range s.tenants {
			t.bucket.configure(perMinute, burst, now)
		}
		s.tenMu.RUnlock()
	}
	return nil
}

// validateOps checks CommitThenFailOps names: write operations or "creates".
func (s *Sim) validateOps(ops *[]string) error {
	if ops == nil {
		return nil
	}
	for _, op := range *ops {
		if op != "creates" && !s.writeOps[op] {
			known := slices.Sorted(maps.Keys(s.writeOps))
			return fmt.Errorf("commitThenFailOps: %q is not a write operation; use \"creates\" or one of %s",
				op, strings.Join(known, ", "))
		}
	}
	return nil
}

// Options returns the current options.
func (s *Sim) Options() Options { return s.options() }

// handleInventory is GET /__sim/inventory[?tenant=ID][&view=visible]: the
// committed state, or with view=visible what R1's reads show now.
func (s *Sim) handleInventory(w http.ResponseWriter, r *http.Request) {
	inventory := s.Inventory
	switch r.URL.Query().Get("view") {
	case "", "committed":
	case "visible":
		inventory = s.VisibleInventory
	default:
		writeError(w, http.StatusBadRequest, `view must be "committed" (the default) or "visible"`)
		return
	}
	if id := r.URL.Query().Get("tenant"); id != "" {
		writeJSON(w, http.StatusOK, inventory(id))
		return
	}
	all := []Inventory{}
	for _, id := range s.Tenants() {
		all = append(all, inventory(id))
	}
	writeJSON(w, http.StatusOK, all)
}

func (s *Sim) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Sim) handleGetConfig(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, SettingsOf(s.Options()))
}

func (s *Sim) handleConfig(w http.ResponseWriter, r *http.Request) {
	var st Settings
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		writeError(w, http.StatusBadRequest, "invalid config: "+strings.TrimSpace(err.Error()))
		return
	}
	if err := s.Configure(st); err != nil {
		writeError(w, http.StatusBadRequest, "invalid config: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, SettingsOf(s.Options()))
}

func (s *Sim) handleReset(w http.ResponseWriter, r *http.Request) {
	s.Reset()
	w.WriteHeader(http.StatusNoContent)
}
