package r1sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"
)

// venue is an R1 venue with its AP groups (the default one first). Venues
// are seeded (AddVenue, POST /__sim/venues): the migration only reads them,
// so they are visible at once and never change.
type venue struct {
	id, name, description, city, country string
	groups                               []*apGroup
}

type apGroup struct {
	id, name, venueID string
	isDefault         bool
}

// DefaultAPGroup is the name of the AP group every venue has.
const DefaultAPGroup = "Default"

// VenueSeed describes a venue to add: the body of POST /__sim/venues
// (with "tenant") and the argument of AddVenue.
type VenueSeed struct {
	Name     string   `json:"name"`              // 2–32 characters, unique in the tenant
	City     string   `json:"city,omitempty"`    // default "Sunnyvale"
	Country  string   `json:"country,omitempty"` // default "United States"
	APGroups []string `json:"apGroups"`          // besides the default group; 2–64 characters each
	// NetworksPerAPGroup fills every AP group (the default one included)
	// with that many PSK networks active on that group only.
	NetworksPerAPGroup int `json:"networksPerApGroup,omitempty"`
	// VenueWideNetworks adds that many PSK networks active venue-wide.
	VenueWideNetworks int `json:"venueWideNetworks,omitempty"`
}

// SeededVenue is what AddVenue made: ids for the test to use.
type SeededVenue struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	APGroups   []SeededAPGroup `json:"apGroups"` // the default group first
	NetworkIDs []string        `json:"networkIds"`
}

// SeededAPGroup is an AP group of a seeded venue.
type SeededAPGroup struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	IsDefault bool   `json:"isDefault"`
}

// maxSeedNetworks bounds the networks one seed may add.
const maxSeedNetworks = 5000

// AddVenue adds a venue (visible at once) with a default AP group, the named
// AP groups and the filler networks the seed asks for.
func (s *Sim) AddVenue(tenantID string, seed VenueSeed) (SeededVenue, error) {
	if tenantID == "" {
		return SeededVenue{}, errors.New("venue seed: tenant is required")
	}
	if n := utf8.RuneCountInString(seed.Name); n < 2 || n > 32 || strings.TrimSpace(seed.Name) != seed.Name {
		return SeededVenue{}, fmt.Errorf("venue seed: name %q must be 2 to 32 characters without surrounding spaces", seed.Name)
	}
	if seed.NetworksPerAPGroup < 0 || seed.VenueWideNetworks < 0 ||
		seed.VenueWideNetworks+seed.NetworksPerAPGroup*(len(seed.APGroups)+1) > maxSeedNetworks {
		return SeededVenue{}, fmt.Errorf("venue seed: networksPerApGroup and venueWideNetworks must be >= 0 and add at most %d networks", maxSeedNetworks)
	}
	names := []string{DefaultAPGroup}
	for _, g := range seed.APGroups {
		if n := utf8.RuneCountInString(g); n < 2 || n > 64 || slices.Contains(names, g) {
			return SeededVenue{}, fmt.Errorf("venue seed: AP group %q must be 2 to 64 characters and unique in the venue (%q is taken)", g, DefaultAPGroup)
		}
		names = append(names, g)
	}
	t := s.tenant(tenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, v := range t.venueOrder {
		if v.name == seed.Name {
			return SeededVenue{}, fmt.Errorf("venue seed: tenant %s already has a venue named %q", tenantID, seed.Name)
		}
	}
	v := &venue{id: s.newID(), name: seed.Name, city: cmpOr(seed.City, "Sunnyvale"), country: cmpOr(seed.Country, "United States")}
	out := SeededVenue{ID: v.id, Name: v.name, NetworkIDs: []string{}}
	for i, name := range names {
		g := &apGroup{id: s.newID(), name: name, venueID: v.id, isDefault: i == 0}
		v.groups = append(v.groups, g)
		t.apGroups[normID(g.id)] = g
		out.APGroups = append(out.APGroups, SeededAPGroup{ID: g.id, Name: g.name, IsDefault: g.isDefault})
	}
	t.venues[normID(v.id)] = v
	t.venueOrder = append(t.venueOrder, v)
	filler := func(a netActivation) {
		tag := "filler-" + s.randomHex(4)
		for t.networkNames[tag] != nil || t.networkSSIDs[tag] != nil {
			tag = "filler-" + s.randomHex(4)
		}
		n := s.seedNetwork(t, tag, tag, "psk", "", a)
		out.NetworkIDs = append(out.NetworkIDs, n.id)
	}
	for _, g := range v.groups {
		for range seed.NetworksPerAPGroup {
			filler(netActivation{venueID: v.id, groupIDs: []string{g.id}})
		}
	}
	for range seed.VenueWideNetworks {
		filler(netActivation{venueID: v.id, all: true})
	}
	return out, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// seedNetwork adds a network as it stood before the test: visible at once,
// active per a (none when a names no venue).
func (s *Sim) seedNetwork(t *tenant, name, ssid, typ, poolID string, a netActivation) *network {
	var acts []netActivation
	if a.venueID != "" {
		acts = []netActivation{a}
	}
	now := s.now()
	n := &network{id: s.newID(), name: name, ssid: ssid, typ: typ, vlan: 1, useDpsk: typ == "dpsk", poolID: poolID,
		acts: acts, created: now, modified: now}
	n.links = []netLinks{{poolID: poolID, acts: acts}}
	t.addNetwork(n)
	return n
}

// NetworkSeed describes a network that exists before the test: the body of
// POST /__sim/networks (with "tenant") and the argument of AddNetwork.
type NetworkSeed struct {
	Name string `json:"name"`
	SSID string `json:"ssid"`
	Type string `json:"type,omitempty"` // default "psk"
	// PoolID binds a DPSK network to this existing pool.
	PoolID string `json:"poolId,omitempty"`
	// VenueID activates the network on this seeded venue: on APGroupIDs,
	// or venue-wide when there are none.
	VenueID    string   `json:"venueId,omitempty"`
	APGroupIDs []string `json:"apGroupIds,omitempty"`
}

// AddNetwork adds a network (visible at once, no activity) and returns its id.
// It is held to R1's rules of a create, not to the per-AP-group limit.
func (s *Sim) AddNetwork(tenantID string, seed NetworkSeed) (string, error) {
	if tenantID == "" {
		return "", errors.New("network seed: tenant is required")
	}
	typ := cmpOr(seed.Type, "psk")
	name, ssid := seed.Name, seed.SSID
	body := networkBody{Type: typ, Name: &name}
	body.Wlan = &struct {
		SSID         *string `json:"ssid"`
		VLANID       *int    `json:"vlanId"`
		WlanSecurity string  `json:"wlanSecurity"`
	}{SSID: &ssid}
	if p := body.problem(); p != "" {
		return "", errors.New("network seed: " + p)
	}
	t := s.tenant(tenantID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.networkNames[name] != nil || t.networkSSIDs[ssid] != nil {
		return "", fmt.Errorf("network seed: name %q or SSID %q is taken", name, ssid)
	}
	if seed.PoolID != "" && (typ != "dpsk" || t.pools[normID(seed.PoolID)] == nil) {
		return "", fmt.Errorf("network seed: poolId %q: bind only a dpsk network, to an existing pool", seed.PoolID)
	}
	var a netActivation
	if seed.VenueID != "" {
		v := t.venues[normID(seed.VenueID)]
		if v == nil {
			return "", fmt.Errorf("network seed: venue %q not found", seed.VenueID)
		}
		a = netActivation{venueID: v.id, all: len(seed.APGroupIDs) == 0}
		for _, id := range seed.APGroupIDs {
			g := t.apGroups[normID(id)]
			if g == nil || g.venueID != v.id {
				return "", fmt.Errorf("network seed: AP group %q not found in venue %q", id, v.name)
			}
			a.groupIDs = append(a.groupIDs, g.id)
		}
	}
	poolID := ""
	if seed.PoolID != "" {
		poolID = t.pools[normID(seed.PoolID)].id
	}
	return s.seedNetwork(t, name, ssid, typ, poolID, a).id, nil
}

// handleSeedVenue is POST /__sim/venues: a VenueSeed with "tenant" → 201 SeededVenue.
func (s *Sim) handleSeedVenue(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Tenant string `json:"tenant"`
		VenueSeed
	}
	if !decodeSeed(w, r, &body) {
		return
	}
	out, err := s.AddVenue(body.Tenant, body.VenueSeed)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, out)
}

// handleSeedNetwork is POST /__sim/networks: a NetworkSeed with "tenant" → 201 {id}.
func (s *Sim) handleSeedNetwork(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Tenant string `json:"tenant"`
		NetworkSeed
	}
	if !decodeSeed(w, r, &body) {
		return
	}
	id, err := s.AddNetwork(body.Tenant, body.NetworkSeed)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"id": id})
}

func decodeSeed(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeError(w, http.StatusBadRequest, "invalid seed: "+strings.TrimSpace(err.Error()))
		return false
	}
	return true
}
