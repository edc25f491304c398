package r1sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// network is a Wi-Fi network. Writes to its pool binding and activations
// follow the visibility rules of visibility.go like every other write.
type network struct {
	id, name, ssid, typ, description string
	vlan                             int
	useDpsk                          bool
	poolID                           string          // the bound DPSK pool, "" = none
	acts                             []netActivation // replaced on change, never edited: versions share it
	created, modified                time.Time
	links                            []netLinks // for the stale GET: the links after each write
	state[network]
}

// netActivation is a network's activation on one venue: on every AP group
// (all) or on the listed ones.
type netActivation struct {
	venueID  string
	all      bool
	groupIDs []string
}

// netLinks are a network's pool binding and activations as reads see them from at.
type netLinks struct {
	at     time.Time
	poolID string
	acts   []netActivation
}

// maxLinks bounds a network's link history; the first entry stays (a frozen GET shows it).
const maxLinks = 64

func (n *network) key() string { return n.id }

func (n *network) snapshot() *network {
	c := *n
	c.state, c.links = state[network]{}, nil
	return &c
}

// change commits a write to n's binding or activations that reads see at w.at.
func (n *network) change(w stamp, f func()) {
	n.keep(n.snapshot(), w)
	f()
	n.modified = w.now
	if len(n.links) >= maxLinks {
		n.links = slices.Delete(n.links, 1, 2)
	}
	n.links = append(n.links, netLinks{at: w.at, poolID: n.poolID, acts: n.acts})
}

// activation returns n's activation on venueID.
func (n *network) activation(venueID string) (netActivation, bool) {
	for _, a := range n.acts {
		if normID(a.venueID) == normID(venueID) {
			return a, true
		}
	}
	return netActivation{}, false
}

// onGroup reports whether n is active on AP group g.
func (n *network) onGroup(g *apGroup) bool {
	a, ok := n.activation(g.venueID)
	return ok && (a.all || slices.Contains(a.groupIDs, g.id))
}

// withActivation is acts with a's venue set to a.
func withActivation(acts []netActivation, a netActivation) []netActivation {
	out := withoutVenue(acts, a.venueID)
	return append(out, a)
}

func withoutVenue(acts []netActivation, venueID string) []netActivation {
	out := make([]netActivation, 0, len(acts)+1)
	for _, a := range acts {
		if normID(a.venueID) != normID(venueID) {
			out = append(out, a)
		}
	}
	return out
}

// networkTypes are the values of "type" R1 takes (lowercase required).
var networkTypes = []string{"dpsk", "psk", "open", "aaa", "guest", "hotspot20"}

const (
	networkObject  = "Wi-Fi network"
	invalidRequest = "WIFI-10001" // R1's code for an invalid Wi-Fi request
)

// wifiError is an item of the Wi-Fi API's ErrorResponse.
type wifiError struct {
	Code       string `json:"code,omitempty"`
	Message    string `json:"message"`
	Reason     string `json:"reason,omitempty"`
	Suggestion string `json:"suggestion,omitempty"`
}

type wifiErrorBody struct {
	RequestID string      `json:"requestId"`
	Errors    []wifiError `json:"errors"`
}

// wifiErr is an error answer of the Wi-Fi API ({requestId, errors:[{code, message, ...}]}).
func (s *Sim) wifiErr(status int, code, msg, suggestion string) reply {
	return reply{status, wifiErrorBody{RequestID: s.newID(), Errors: []wifiError{{Code: code, Message: msg, Suggestion: suggestion}}}}
}

// entityAccepted is the Wi-Fi API's 202 to a create: {requestId, response: {id}}.
type entityAccepted struct {
	RequestID string   `json:"requestId"`
	Response  entityID `json:"response"`
}

type entityID struct {
	ID string `json:"id"`
}

// networkBody is a create body of any network type; what a type carries
// beyond these (a PSK passphrase among them) is ignored and never kept.
type networkBody struct {
	Type           string  `json:"type"`
	Name           *string `json:"name"`
	Description    string  `json:"description"`
	UseDpskService bool    `json:"useDpskService"`
	Wlan           *struct {
		SSID         *string `json:"ssid"`
		VLANID       *int    `json:"vlanId"`
		WlanSecurity string  `json:"wlanSecurity"`
	} `json:"wlan"`
}

// problem is what R1 refuses in b synchronously, "" if nothing.
func (b networkBody) problem() string {
	switch {
	case !slices.Contains(networkTypes, b.Type):
		return "type must be one of " + strings.Join(networkTypes, ", ") + " (lowercase)"
	case b.Name == nil:
		return "name must not be null"
	case nameProblem(*b.Name) != "":
		return "name " + nameProblem(*b.Name)
	case b.Wlan == nil || b.Wlan.SSID == nil:
		return "wlan.ssid must not be null"
	case ssidProblem(*b.Wlan.SSID) != "":
		return "wlan.ssid " + ssidProblem(*b.Wlan.SSID)
	case b.Wlan.VLANID != nil && (*b.Wlan.VLANID < 1 || *b.Wlan.VLANID > 4094):
		return "wlan.vlanId must be between 1 and 4094"
	case utf8.RuneCountInString(b.Description) > 256:
		return "description size must be between 0 and 256"
	case b.Type == "dpsk" && b.Wlan.WlanSecurity != "" && !slices.Contains([]string{"WPAPersonal", "WPA2Personal", "WPA23Mixed"}, b.Wlan.WlanSecurity):
		return "wlan.wlanSecurity must be WPAPersonal, WPA2Personal or WPA23Mixed"
	}
	return ""
}

func isJavaSpace(r rune) bool { return strings.ContainsRune(" \t\n\v\f\r", r) }

// nameProblem applies the spec's name pattern (?=^((?!(`|\$\()).){2,32}$)^(\S.*\S)$.
func nameProblem(s string) string {
	rs := []rune(s)
	switch {
	case len(rs) < 2 || len(rs) > 32:
		return "size must be between 2 and 32"
	case strings.ContainsAny(s, "`\n\r") || strings.Contains(s, "$("):
		return "must not contain a backtick, \"$(\" or a line break"
	case isJavaSpace(rs[0]) || isJavaSpace(rs[len(rs)-1]):
		return "must not begin or end with whitespace"
	}
	return ""
}

// ssidProblem applies the spec's SSID pattern [^`\s]([^`\t\r\n]){0,30}[^`\s] to the whole SSID.
func ssidProblem(s string) string {
	rs := []rune(s)
	switch {
	case len(rs) < 2 || len(rs) > 32:
		return "size must be between 2 and 32"
	case strings.ContainsAny(s, "`\t\r\n"):
		return "must not contain a backtick, a tab or a line break"
	case isJavaSpace(rs[0]) || isJavaSpace(rs[len(rs)-1]):
		return "must not begin or end with whitespace"
	}
	return ""
}

// createNetwork is POST /wifiNetworks: 202 {requestId, response: {id}}. A
// name or SSID in use is refused per NetworkBehaviour.Duplicate.
func (s *Sim) createNetwork(r *http.Request, t *tenant) reply {
	var b networkBody
	if rep, ok := decode(r, &b); !ok {
		return rep
	}
	if p := b.problem(); p != "" {
		return s.wifiErr(http.StatusBadRequest, invalidRequest, p, "")
	}
	o := s.options().Networks
	t.mu.Lock()
	defer t.mu.Unlock()
	id := s.newID()
	name, ssid := *b.Name, *b.Wlan.SSID
	for _, d := range []struct {
		field, value string
		taken        bool
	}{{"name", name, t.networkNames[name] != nil}, {"ssid", ssid, t.networkSSIDs[ssid] != nil}} {
		if !d.taken {
			continue
		}
		text := o.duplicateText(d.field, d.value)
		if o.Duplicate == "conflict" {
			return s.wifiErr(http.StatusConflict, "", text, "Choose another "+d.field)
		}
		return reply{http.StatusAccepted, entityAccepted{RequestID: t.addActivity(s, "ADD_WIFI_NETWORK",
			failure(networkObject, d.field, text)), Response: entityID{ID: id}}}
	}
	w := s.stamp()
	n := &network{id: id, name: name, ssid: ssid, typ: b.Type, description: b.Description, vlan: 1,
		useDpsk: b.UseDpskService, created: w.now, modified: w.now}
	if b.Wlan.VLANID != nil {
		n.vlan = *b.Wlan.VLANID
	}
	n.visibleAt = w.at
	n.links = []netLinks{{at: w.at}}
	t.addNetwork(n)
	settleAt(&t.networksSettle, w.at)
	return reply{http.StatusAccepted, entityAccepted{RequestID: t.addActivityAt(s, w, "ADD_WIFI_NETWORK", ""), Response: entityID{ID: id}}}
}

func (t *tenant) addNetwork(n *network) {
	t.networks[normID(n.id)] = n
	t.networkOrder = append(t.networkOrder, n)
	t.networkNames[n.name] = n
	t.networkSSIDs[n.ssid] = n
}

// deleteNetwork is DELETE /wifiNetworks/{id}: refused while the network is
// active on a venue; the pool binding goes with the network.
func (s *Sim) deleteNetwork(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.networks[normID(r.PathValue("networkId"))]
	if n == nil {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network not found", "")
	}
	if len(n.acts) > 0 {
		return s.wifiErr(http.StatusBadRequest, "",
			fmt.Sprintf("Wi-Fi network %s is activated on %d venue(s) and cannot be deleted", n.name, len(n.acts)),
			"Deactivate the network on every venue first")
	}
	w := s.stamp()
	n.remove(w)
	delete(t.networks, normID(n.id))
	delete(t.networkNames, n.name)
	delete(t.networkSSIDs, n.ssid)
	t.networkOrder = without(t.networkOrder, func(x *network) bool { return x.prunable(w.now) })
	settleAt(&t.networksSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "DELETE_WIFI_NETWORK", "")}}
}

// bindPool is PUT /wifiNetworks/{id}/dpskServices/{poolId}: one pool per
// network; binding the bound pool again succeeds and changes nothing;
// another pool per NetworkBehaviour.Rebind.
func (s *Sim) bindPool(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := t.networks[normID(r.PathValue("networkId"))]
	if n == nil {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network not found", "")
	}
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return s.wifiErr(http.StatusNotFound, "", "DPSK service not found", "")
	}
	if n.typ != "dpsk" {
		return s.wifiErr(http.StatusBadRequest, invalidRequest, "Wi-Fi network "+n.name+" is not a DPSK network", "")
	}
	const useCase = "ACTIVATE_DPSK_SERVICE_ON_WIFI_NETWORK"
	switch {
	case normID(n.poolID) == normID(p.id):
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, useCase, "")}}
	case n.poolID != "" && s.options().Networks.Rebind == "refuse":
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, useCase,
			failure(networkObject, "dpskServiceId", "Wi-Fi network "+n.name+" is already bound to DPSK service "+n.poolID))}}
	}
	w := s.stamp()
	n.change(w, func() { n.poolID = p.id })
	settleAt(&t.networksSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, useCase, "")}}
}

// boundNetwork is a live network bound to poolID, or nil.
func (t *tenant) boundNetwork(poolID string) *network {
	for _, n := range t.networkOrder {
		if !n.deleted && n.poolID != "" && normID(n.poolID) == normID(poolID) {
			return n
		}
	}
	return nil
}

// groupLoad is how many networks are active on AP group g (committed state).
func (t *tenant) groupLoad(g *apGroup) int {
	count := 0
	for _, n := range t.networkOrder {
		if !n.deleted && n.onGroup(g) {
			count++
		}
	}
	return count
}
