package r1sim

import "slices"

// InvNetwork is a Wi-Fi network with its bound pool and activations.
type InvNetwork struct {
	ID          string          `json:"id"`
	Name        string          `json:"name"`
	SSID        string          `json:"ssid"`
	Type        string          `json:"type"`
	VLAN        int             `json:"vlan"`
	DPSKPoolID  string          `json:"dpskPoolId,omitempty"`
	Activations []InvActivation `json:"activations"`
}

// InvActivation is a network's activation on one venue: venue-wide, or on
// the listed AP groups.
type InvActivation struct {
	VenueID       string   `json:"venueId"`
	IsAllApGroups bool     `json:"isAllApGroups"`
	APGroupIDs    []string `json:"apGroupIds,omitempty"`
}

// InvVenue is a venue with its AP groups.
type InvVenue struct {
	ID       string       `json:"id"`
	Name     string       `json:"name"`
	APGroups []InvAPGroup `json:"apGroups"`
}

// InvAPGroup is an AP group with the networks active on it (venue-wide
// ones included) and their count, which R1 limits (NetworkBehaviour.SSIDLimit).
type InvAPGroup struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	IsDefault  bool     `json:"isDefault"`
	SSIDCount  int      `json:"ssidCount"`
	NetworkIDs []string `json:"networkIds"`
}

// inventoryNetworks adds the networks and venues, committed (v nil) or as
// reads show them (v); call with t.mu held.
func (t *tenant) inventoryNetworks(v *view, inv *Inventory) {
	var nets []*network
	for _, live := range t.networkOrder {
		if n := inventoried(v, live); n != nil {
			nets = append(nets, n)
		}
	}
	for _, n := range nets {
		in := InvNetwork{ID: n.id, Name: n.name, SSID: n.ssid, Type: n.typ, VLAN: n.vlan, DPSKPoolID: n.poolID,
			Activations: make([]InvActivation, 0, len(n.acts))}
		for _, a := range n.acts {
			in.Activations = append(in.Activations, InvActivation{VenueID: a.venueID, IsAllApGroups: a.all, APGroupIDs: slices.Clone(a.groupIDs)})
		}
		inv.Networks = append(inv.Networks, in)
	}
	for _, ven := range t.venueOrder {
		iv := InvVenue{ID: ven.id, Name: ven.name, APGroups: make([]InvAPGroup, 0, len(ven.groups))}
		for _, g := range ven.groups {
			ig := InvAPGroup{ID: g.id, Name: g.name, IsDefault: g.isDefault, NetworkIDs: []string{}}
			for _, n := range nets {
				if n.onGroup(g) {
					ig.NetworkIDs = append(ig.NetworkIDs, n.id)
				}
			}
			ig.SSIDCount = len(ig.NetworkIDs)
			iv.APGroups = append(iv.APGroups, ig)
		}
		inv.Venues = append(inv.Venues, iv)
	}
}
