package r1client

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// NetworkTypeDPSK is the type of a DPSK Wi-Fi network: the value of "type"
// when creating one and of "nwSubType" in queries (compare with IsDPSK: R1's
// casing varies).
const NetworkTypeDPSK = "dpsk"

// WifiNetwork is a Wi-Fi network as R1 reads it: a row of POST
// /wifiNetworks/query (WifiNetworkQueryData) or the body of GET
// /wifiNetworks/{id}, whichever shape it came in. It encodes as a query
// row, which it decodes again.
type WifiNetwork struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	SSID        string `json:"ssid"`
	VLAN        int    `json:"vlan,omitempty"`      // 0 when R1 did not say
	NwType      string `json:"nwType,omitempty"`    // query only
	NwSubType   string `json:"nwSubType,omitempty"` // "dpsk", "psk", ...; from GET's "type" when the query field is absent
	Description string `json:"description,omitempty"`
	// UseDPSKService is GET only (false from a query).
	UseDPSKService bool `json:"useDpskService,omitempty"`
	// VenueApGroups are the venues the network is active on. Read them from
	// a query: GET answers them stale (NETWORK_ACTIVATION.md §2.2).
	VenueApGroups []VenueApGroup `json:"venueApGroups"`
	// DPSKPoolID is the DPSK pool R1 says is bound, when it says so. No R1
	// spec exposes it (NETWORK_ACTIVATION.md §2.3): "" means unknown, never
	// "no pool bound".
	DPSKPoolID string `json:"dpskPoolId,omitempty"`
}

// VenueApGroup is one venue a network is active on: venue-wide
// (IsAllApGroups) or on the listed AP groups.
type VenueApGroup struct {
	VenueID       string   `json:"venueId"`
	APGroupIDs    []string `json:"apGroupIds,omitempty"`
	IsAllApGroups bool     `json:"isAllApGroups"`
}

// IsDPSK reports whether the network is a DPSK network (case-insensitive).
func (n WifiNetwork) IsDPSK() bool { return strings.EqualFold(n.NwSubType, NetworkTypeDPSK) }

// ActiveOn returns the network's activation on venueID, if any.
func (n WifiNetwork) ActiveOn(venueID string) (VenueApGroup, bool) {
	for _, v := range n.VenueApGroups {
		if SameID(v.VenueID, venueID) {
			return v, true
		}
	}
	return VenueApGroup{}, false
}

// wifiNetworkJSON is the union of the query row and the GET body.
type wifiNetworkJSON struct {
	ID             string         `json:"id"`
	Name           string         `json:"name"`
	SSID           string         `json:"ssid"`
	VLAN           json.Number    `json:"vlan"`
	NwType         string         `json:"nwType"`
	NwSubType      string         `json:"nwSubType"`
	Type           string         `json:"type"`
	Description    string         `json:"description"`
	UseDPSKService bool           `json:"useDpskService"`
	VenueApGroups  []VenueApGroup `json:"venueApGroups"`
	Venues         []legacyVenue  `json:"venues"` // legacy NetworkVenue list of some GET bodies
	Wlan           *struct {
		SSID   string      `json:"ssid"`
		VLANID json.Number `json:"vlanId"`
	} `json:"wlan"`
	// The pool id under the names R1 or its legacy model may use (§2.3).
	DPSKServiceProfileID string `json:"dpskServiceProfileId"`
	DPSKServiceID        string `json:"dpskServiceId"`
	DPSKPoolID           string `json:"dpskPoolId"`
}

type legacyVenue struct {
	VenueID       string `json:"venueId"`
	IsAllApGroups *bool  `json:"isAllApGroups"`
	APGroups      []struct {
		APGroupID string `json:"apGroupId"`
	} `json:"apGroups"`
}

// UnmarshalJSON reads either shape: the query's flat ssid/vlan/nwSubType or
// GET's type and wlan, venueApGroups or the legacy venues list.
func (n *WifiNetwork) UnmarshalJSON(b []byte) error {
	var j wifiNetworkJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*n = WifiNetwork{ID: j.ID, Name: j.Name, SSID: j.SSID, NwType: j.NwType, NwSubType: j.NwSubType,
		Description: j.Description, UseDPSKService: j.UseDPSKService, VenueApGroups: j.VenueApGroups,
		DPSKPoolID: firstNonEmpty(j.DPSKServiceProfileID, j.DPSKServiceID, j.DPSKPoolID)}
	n.VLAN = atoiLoose(j.VLAN)
	if n.NwSubType == "" {
		n.NwSubType = j.Type
	}
	if j.Wlan != nil {
		n.SSID = firstNonEmpty(n.SSID, j.Wlan.SSID)
		if n.VLAN == 0 {
			n.VLAN = atoiLoose(j.Wlan.VLANID)
		}
	}
	if n.VenueApGroups == nil && j.Venues != nil {
		n.VenueApGroups = make([]VenueApGroup, 0, len(j.Venues))
		for _, v := range j.Venues {
			vg := VenueApGroup{VenueID: v.VenueID, IsAllApGroups: v.IsAllApGroups == nil || *v.IsAllApGroups}
			for _, g := range v.APGroups {
				vg.APGroupIDs = append(vg.APGroupIDs, g.APGroupID)
			}
			n.VenueApGroups = append(n.VenueApGroups, vg)
		}
	}
	return nil
}

func atoiLoose(n json.Number) int {
	v, err := n.Int64()
	if err != nil {
		return 0
	}
	return int(v)
}

// WifiNetworkFields are the query fields the client asks for by default.
var WifiNetworkFields = []string{"id", "name", "ssid", "vlan", "nwType", "nwSubType", "securityProtocol", "description", "venueApGroups"}

// WifiNetworkQuery selects a page of POST /wifiNetworks/query (body paging
// from 1, sorted by name). The filters are R1's: whether it matches them
// exactly or analysed is not established, so check names and SSIDs of the
// answer yourself.
type WifiNetworkQuery struct {
	Names, SSIDs, IDs []string
	Fields            []string // default WifiNetworkFields
	Page              int      // from 1; 0 = 1
	PageSize          int      // default 100
}

// DPSKNetwork is what CreateDPSK creates: a WPA2 DPSK network using the DPSK
// service, enabled.
type DPSKNetwork struct {
	Name        string // 2–32 characters, R1's name pattern
	SSID        string // 2–32 characters, R1's SSID pattern, at most 32 bytes
	VLAN        int    // 1..4094; 0 = 1, R1's default
	Description string // at most 256 characters
}

// WifiNetworksService handles /wifiNetworks.
type WifiNetworksService service

// Query is one POST /wifiNetworks/query.
func (s *WifiNetworksService) Query(ctx context.Context, q WifiNetworkQuery) (Page[WifiNetwork], error) {
	body := viewQuery{Fields: q.Fields, Page: max(q.Page, 1), PageSize: q.PageSize, SortField: "name", SortOrder: "ASC"}
	if body.Fields == nil {
		body.Fields = WifiNetworkFields
	}
	if body.PageSize <= 0 {
		body.PageSize = 100
	}
	body.filter("name", q.Names)
	body.filter("ssid", q.SSIDs)
	body.filter("id", q.IDs)
	var out viewPage[WifiNetwork]
	const path = "/wifiNetworks/query"
	if err := s.c.do(ctx, http.MethodPost, path, nil, body, &out); err != nil {
		return Page[WifiNetwork]{}, err
	}
	return out.normalise(ctx, s.c, path, body.Page, body.PageSize)
}

// Get is GET /wifiNetworks/{id}. Its activation state (VenueApGroups) and
// bound pool are stale in R1: read them with Query.
func (s *WifiNetworksService) Get(ctx context.Context, id string) (WifiNetwork, error) {
	var out WifiNetwork
	err := s.c.do(ctx, http.MethodGet, "/wifiNetworks/"+pathID(id), nil, nil, &out)
	return out, err
}

// dpskNetworkBody is the DpskWifiNetwork create body.
type dpskNetworkBody struct {
	Type           string `json:"type"`
	Name           string `json:"name"`
	Description    string `json:"description,omitempty"`
	UseDPSKService bool   `json:"useDpskService"`
	Wlan           struct {
		SSID         string `json:"ssid"`
		VLANID       int    `json:"vlanId"`
		Enabled      bool   `json:"enabled"`
		WlanSecurity string `json:"wlanSecurity"`
	} `json:"wlan"`
}

// CreateDPSK is POST /wifiNetworks with a DPSK network → 202 {requestId,
// response:{id}}, returned as Accepted{RequestID, ID}. The pool is bound
// afterwards with BindDPSKService. A name or SSID R1 would refuse is refused
// here first, with an *InvalidInputError and no request. A duplicate name
// or SSID is R1's to refuse: a ConflictError, or a FAIL activity after the 202.
func (s *WifiNetworksService) CreateDPSK(ctx context.Context, n DPSKNetwork) (Accepted, error) {
	if err := n.Validate(); err != nil {
		return Accepted{}, err
	}
	body := dpskNetworkBody{Type: NetworkTypeDPSK, Name: n.Name, Description: n.Description, UseDPSKService: true}
	body.Wlan.SSID, body.Wlan.VLANID, body.Wlan.Enabled, body.Wlan.WlanSecurity = n.SSID, max(n.VLAN, 1), true, "WPA2Personal"
	var out Accepted
	err := s.c.do(ctx, http.MethodPost, "/wifiNetworks", nil, body, &out)
	return out, err
}

// Delete is DELETE /wifiNetworks/{id} → 202. R1 refuses a network still
// active on a venue: deactivate it everywhere first. Deleting a network also
// drops its pool binding.
func (s *WifiNetworksService) Delete(ctx context.Context, id string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, "/wifiNetworks/"+pathID(id), nil, nil, &out)
	return out, err
}

// BindDPSKService is PUT /wifiNetworks/{networkID}/dpskServices/{poolID} →
// 202: the network authenticates with that pool. R1 has no call to undo it
// but deleting the network. Whether binding another pool replaces the link
// or is refused is not established.
func (s *WifiNetworksService) BindDPSKService(ctx context.Context, networkID, poolID string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPut, "/wifiNetworks/"+pathID(networkID)+"/dpskServices/"+pathID(poolID), nil, nil, &out)
	return out, err
}
