package r1sim

import (
	"net/http"
	"slices"
	"strings"
)

type venueApGroupDTO struct {
	VenueID       string   `json:"venueId"`
	APGroupIDs    []string `json:"apGroupIds"`
	IsAllApGroups bool     `json:"isAllApGroups"`
}

// networkRow is a row of POST /wifiNetworks/query (WifiNetworkQueryData).
type networkRow struct {
	ID               string            `json:"id"`
	Name             string            `json:"name"`
	SSID             string            `json:"ssid"`
	VLAN             int               `json:"vlan"`
	NwSubType        string            `json:"nwSubType"`
	SecurityProtocol string            `json:"securityProtocol,omitempty"`
	Description      string            `json:"description"`
	VenueApGroups    []venueApGroupDTO `json:"venueApGroups"`
	ApCount          int               `json:"apCount"`
	ClientCount      int               `json:"clientCount"`
	CrtTime          string            `json:"crtTime"`
	LastUpdTime      string            `json:"lastUpdTime"`
	// Not in any R1 spec: shown only with NetworkBehaviour.ExposePool, whatever the fields asked.
	DPSKServiceProfileID string `json:"dpskServiceProfileId,omitempty"`
}

const poolField = "dpskServiceProfileId"

// venueApGroups renders activations; a venue-wide one lists every AP group of its venue.
func (t *tenant) venueApGroups(acts []netActivation) []venueApGroupDTO {
	out := make([]venueApGroupDTO, 0, len(acts))
	for _, a := range acts {
		d := venueApGroupDTO{VenueID: a.venueID, IsAllApGroups: a.all, APGroupIDs: slices.Clone(a.groupIDs)}
		if v := t.venues[normID(a.venueID)]; a.all && v != nil {
			d.APGroupIDs = d.APGroupIDs[:0]
			for _, g := range v.groups {
				d.APGroupIDs = append(d.APGroupIDs, g.id)
			}
		}
		if d.APGroupIDs == nil {
			d.APGroupIDs = []string{}
		}
		out = append(out, d)
	}
	return out
}

func securityOf(typ string) string {
	switch typ {
	case "dpsk", "psk":
		return "WPA2Personal"
	case "open", "guest":
		return "Open"
	}
	return "WPA2Enterprise"
}

func (t *tenant) networkRow(n *network, o NetworkBehaviour) networkRow {
	row := networkRow{ID: n.id, Name: n.name, SSID: n.ssid, VLAN: n.vlan, NwSubType: n.typ,
		SecurityProtocol: securityOf(n.typ), Description: n.description, VenueApGroups: t.venueApGroups(n.acts),
		CrtTime: n.created.UTC().Format(timeFormat), LastUpdTime: n.modified.UTC().Format(timeFormat)}
	if o.ExposePool {
		row.DPSKServiceProfileID = n.poolID
	}
	return row
}

// queryNetworks is POST /wifiNetworks/query: body paging from 1, filters on
// id (exact), name, ssid (loose, see analysed) and nwSubType; always what
// reads show now, activations included.
func (s *Sim) queryNetworks(r *http.Request, t *tenant) reply {
	q, rep, ok := decodeViewQuery(r, "id", "name", "ssid", "nwSubType")
	if !ok {
		return rep
	}
	o := s.options().Networks
	v := s.view()
	t.mu.Lock()
	var rows []networkRow
	for _, n := range seeAll(&v, t.networkOrder) {
		if !q.exactID("id", n.id) || !q.analysed("name", n.name) || !q.analysed("ssid", n.ssid) ||
			!q.analysed("nwSubType", n.typ) || !q.searched(map[string]string{"name": n.name, "ssid": n.ssid}) {
			continue
		}
		rows = append(rows, t.networkRow(n, o))
	}
	t.mu.Unlock()
	s.noteStale(t, &v)
	sortBy(q, rows, map[string]func(networkRow) string{
		"name": func(r networkRow) string { return r.Name },
		"ssid": func(r networkRow) string { return r.SSID },
	})
	return reply{http.StatusOK, newViewPage(rows, q, poolField)}
}

// networkGetBody is GET /wifiNetworks/{id}: a WifiNetwork of its type.
type networkGetBody struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Type           string `json:"type"`
	Description    string `json:"description"`
	UseDpskService *bool  `json:"useDpskService,omitempty"`
	Wlan           struct {
		SSID         string `json:"ssid"`
		VLANID       int    `json:"vlanId"`
		Enabled      bool   `json:"enabled"`
		WlanSecurity string `json:"wlanSecurity"`
	} `json:"wlan"`
	VenueApGroups        []venueApGroupDTO `json:"venueApGroups"`
	DPSKServiceProfileID string            `json:"dpskServiceProfileId,omitempty"`
}

// getNetwork is GET /wifiNetworks/{id}. Its activations and bound pool
// follow NetworkBehaviour.StaleGet; the rest is what reads show.
func (s *Sim) getNetwork(r *http.Request, t *tenant) reply {
	o := s.options().Networks
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	n := lookup(&v, t.networks, t.networkOrder, t.networksSettle, r.PathValue("networkId"))
	if n == nil {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network not found", "")
	}
	sn := see(&v, n)
	links := netLinks{poolID: sn.poolID, acts: sn.acts}
	if shown, ok := n.linksShown(o, v); ok {
		if shown.poolID != links.poolID || !sameActs(shown.acts, links.acts) {
			v.stale = true
		}
		links = shown
	}
	b := networkGetBody{ID: sn.id, Name: sn.name, Type: sn.typ, Description: sn.description,
		VenueApGroups: t.venueApGroups(links.acts)}
	if sn.typ == "dpsk" {
		b.UseDpskService = &sn.useDpsk
	}
	b.Wlan.SSID, b.Wlan.VLANID, b.Wlan.Enabled, b.Wlan.WlanSecurity = sn.ssid, sn.vlan, true, securityOf(sn.typ)
	if o.ExposePool {
		b.DPSKServiceProfileID = links.poolID
	}
	return reply{http.StatusOK, b}
}

// linksShown is what a stale GET shows of n's links; false = the current ones.
func (n *network) linksShown(o NetworkBehaviour, v view) (netLinks, bool) {
	if len(n.links) == 0 || o.StaleGet == "current" {
		return netLinks{}, false
	}
	if o.StaleGet == "frozen" {
		return n.links[0], true
	}
	then := v.now.Add(-o.StaleGetLag)
	shown := n.links[0]
	for _, l := range n.links {
		if !then.Before(l.at) {
			shown = l
		}
	}
	return shown, true
}

func sameActs(a, b []netActivation) bool {
	return slices.EqualFunc(a, b, func(x, y netActivation) bool {
		return strings.EqualFold(x.venueID, y.venueID) && x.all == y.all && slices.Equal(x.groupIDs, y.groupIDs)
	})
}
