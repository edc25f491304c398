package r1sim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"slices"
)

// activationBody is the body of PUT /venues/{venueId}/wifiNetworks/{id}: the
// spec's {isAllApGroups} or the UI's full legacy NetworkVenue object.
type activationBody struct {
	IsAllApGroups *bool `json:"isAllApGroups"`
	APGroups      []struct {
		APGroupID string `json:"apGroupId"`
	} `json:"apGroups"`
	AllApGroupsRadioTypes []string `json:"allApGroupsRadioTypes"`
	Scheduler             *struct {
		Type string `json:"type"`
	} `json:"scheduler"`
	VenueID              string `json:"venueId"`
	NetworkID            string `json:"networkId"`
	DPSKServiceProfileID string `json:"dpskServiceProfileId"`
}

// problem is what R1 refuses in b synchronously, "" if nothing.
func (b activationBody) problem(venueID, networkID string) string {
	for _, rt := range b.AllApGroupsRadioTypes {
		if !slices.Contains([]string{"2.4-GHz", "5-GHz", "6-GHz"}, rt) {
			return "allApGroupsRadioTypes must be 2.4-GHz, 5-GHz or 6-GHz"
		}
	}
	switch {
	case b.Scheduler != nil && !slices.Contains([]string{"ALWAYS_ON", "ALWAYS_OFF", "CUSTOM"}, b.Scheduler.Type):
		return "scheduler.type must be ALWAYS_ON, ALWAYS_OFF or CUSTOM"
	case b.VenueID != "" && normID(b.VenueID) != normID(venueID):
		return "venueId differs from the venue of the path"
	case b.NetworkID != "" && normID(b.NetworkID) != normID(networkID):
		return "networkId differs from the Wi-Fi network of the path"
	case b.IsAllApGroups != nil && !*b.IsAllApGroups && len(b.APGroups) == 0:
		return "apGroups must not be empty when isAllApGroups is false"
	}
	return ""
}

// decodeOptional reads a JSON body that may be absent.
func decodeOptional(r *http.Request, v any) (reply, bool) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		return errReply(http.StatusBadRequest, "Could not read the request body"), false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return reply{}, true
	}
	if len(b) > maxBody {
		return errReply(http.StatusRequestEntityTooLarge, "Request body too large"), false
	}
	if json.Unmarshal(b, v) != nil {
		return errReply(http.StatusBadRequest, "Malformed JSON request"), false
	}
	return reply{}, true
}

const (
	useCaseActivate   = "ACTIVATE_WIFI_NETWORK_ON_VENUE"
	useCaseDeactivate = "DEACTIVATE_WIFI_NETWORK_ON_VENUE"
)

// activateNetwork is PUT /venues/{venueId}/wifiNetworks/{networkId}:
// venue-wide by default (a slot in every AP group of the venue), or on the
// listed AP groups. Refused: an unknown venue, network, pool or AP group
// (404); an AP group already carrying NetworkBehaviour.SSIDLimit networks
// (per LimitRefusal); a network already active there (per AlreadyActive).
func (s *Sim) activateNetwork(r *http.Request, t *tenant) reply {
	var b activationBody
	if rep, ok := decodeOptional(r, &b); !ok {
		return rep
	}
	venueID, networkID := r.PathValue("venueId"), r.PathValue("networkId")
	if p := b.problem(venueID, networkID); p != "" {
		return s.wifiErr(http.StatusBadRequest, invalidRequest, p, "")
	}
	o := s.options().Networks
	t.mu.Lock()
	defer t.mu.Unlock()
	ven := t.venues[normID(venueID)]
	if ven == nil {
		return s.wifiErr(http.StatusNotFound, "", "Venue not found", "")
	}
	n := t.networks[normID(networkID)]
	if n == nil {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network not found", "")
	}
	if b.DPSKServiceProfileID != "" && t.pools[normID(b.DPSKServiceProfileID)] == nil {
		return s.wifiErr(http.StatusNotFound, "", "DPSK service not found", "")
	}
	all := b.IsAllApGroups == nil || *b.IsAllApGroups
	targets := ven.groups
	if !all {
		targets = nil
		for _, g := range b.APGroups {
			ag := t.apGroups[normID(g.APGroupID)]
			if ag == nil || ag.venueID != ven.id {
				return s.wifiErr(http.StatusNotFound, "", "AP group not found in venue "+ven.name, "")
			}
			if !slices.Contains(targets, ag) {
				targets = append(targets, ag)
			}
		}
	}
	cur, active := n.activation(ven.id)
	if active && (cur.all || (!all && !slices.ContainsFunc(targets, func(g *apGroup) bool { return !n.onGroup(g) }))) {
		fail := ""
		if o.AlreadyActive == "fail" {
			fail = failure(networkObject, "venueId", o.alreadyActiveText(n.name, ven.name))
		}
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, useCaseActivate, fail)}}
	}
	for _, g := range targets {
		if n.onGroup(g) || t.groupLoad(g) < o.SSIDLimit {
			continue
		}
		text := o.limitText(o.SSIDLimit, g.name, ven.name)
		if o.LimitRefusal == "async" {
			return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, useCaseActivate, failure(networkObject, "apGroups", text))}}
		}
		return s.wifiErr(http.StatusUnprocessableEntity, "", text, "Deactivate another Wi-Fi network on the AP group first")
	}
	a := netActivation{venueID: ven.id, all: all}
	if !all {
		if active {
			a.groupIDs = slices.Clone(cur.groupIDs)
		}
		for _, g := range targets {
			if !slices.Contains(a.groupIDs, g.id) {
				a.groupIDs = append(a.groupIDs, g.id)
			}
		}
	}
	w := s.stamp()
	n.change(w, func() { n.acts = withActivation(n.acts, a) })
	settleAt(&t.networksSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, useCaseActivate, "")}}
}

// deactivateNetwork is DELETE /venues/{venueId}/wifiNetworks/{networkId}:
// the network leaves every AP group of the venue. 404 for an unknown venue
// or network, or a network not active on the venue.
func (s *Sim) deactivateNetwork(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	ven := t.venues[normID(r.PathValue("venueId"))]
	if ven == nil {
		return s.wifiErr(http.StatusNotFound, "", "Venue not found", "")
	}
	n := t.networks[normID(r.PathValue("networkId"))]
	if n == nil {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network not found", "")
	}
	if _, active := n.activation(ven.id); !active {
		return s.wifiErr(http.StatusNotFound, "", "Wi-Fi network "+n.name+" is not activated on venue "+ven.name, "")
	}
	w := s.stamp()
	n.change(w, func() { n.acts = withoutVenue(n.acts, ven.id) })
	settleAt(&t.networksSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, useCaseDeactivate, "")}}
}
