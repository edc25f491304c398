package r1client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Venue is an R1 venue: GET /venues/{id} (VenueView, address nested) or a
// row of POST /venues/query (flat).
type Venue struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	City        string `json:"city,omitempty"`
	Country     string `json:"country,omitempty"`
}

func (v *Venue) UnmarshalJSON(b []byte) error {
	var j struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Description string `json:"description"`
		City        string `json:"city"`
		Country     string `json:"country"`
		Address     *struct {
			City    string `json:"city"`
			Country string `json:"country"`
		} `json:"address"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*v = Venue{ID: j.ID, Name: j.Name, Description: j.Description, City: j.City, Country: j.Country}
	if j.Address != nil {
		v.City, v.Country = firstNonEmpty(v.City, j.Address.City), firstNonEmpty(v.Country, j.Address.Country)
	}
	return nil
}

// APGroup is an AP group of a venue (ApGroupQueryData). WifiNetworkIDs are
// the networks active on it, venue-wide ones included: R1 limits how many
// one AP group carries.
type APGroup struct {
	ID             string   `json:"id"`
	Name           string   `json:"name"`
	VenueID        string   `json:"venueId"`
	IsDefault      bool     `json:"isDefault"`
	WifiNetworkIDs []string `json:"wifiNetworkIds"`
}

// VenueQuery selects a page of POST /venues/query (body paging from 1,
// sorted by name). R1's name filter may not be exact: use VenueNamed.
type VenueQuery struct {
	Names, IDs []string
	Page       int // from 1; 0 = 1
	PageSize   int // default 100
}

// VenuesService handles /venues and the activation of Wi-Fi networks on venues.
type VenuesService service

// Get is GET /venues/{id}.
func (s *VenuesService) Get(ctx context.Context, id string) (Venue, error) {
	var out Venue
	err := s.c.do(ctx, http.MethodGet, "/venues/"+pathID(id), nil, nil, &out)
	return out, err
}

// Query is one POST /venues/query.
func (s *VenuesService) Query(ctx context.Context, q VenueQuery) (Page[Venue], error) {
	body := viewQuery{Fields: []string{"id", "name", "description", "city", "country"}, Page: max(q.Page, 1),
		PageSize: q.PageSize, SortField: "name", SortOrder: "ASC"}
	if body.PageSize <= 0 {
		body.PageSize = 100
	}
	body.filter("name", q.Names)
	body.filter("id", q.IDs)
	var out viewPage[Venue]
	const path = "/venues/query"
	if err := s.c.do(ctx, http.MethodPost, path, nil, body, &out); err != nil {
		return Page[Venue]{}, err
	}
	return out.normalise(ctx, s.c, path, body.Page, body.PageSize)
}

// VenueNamed returns the one venue of venues named exactly name. None, or
// more than one (R1 does not document venue names as unique), is an error
// that says so.
func VenueNamed(venues []Venue, name string) (Venue, error) {
	var found []Venue
	for _, v := range venues {
		if v.Name == name {
			found = append(found, v)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return Venue{}, fmt.Errorf("no R1 venue is named %q: check the name (exact, case-sensitive) or give the venue id", name)
	}
	return Venue{}, fmt.Errorf("%d R1 venues are named %q: give the venue id instead", len(found), name)
}

// QueryAPGroups is one POST /venues/apGroups/query for the AP groups of
// venueID, or of every venue when venueID is "" (body paging from 1, sorted
// by name).
func (s *VenuesService) QueryAPGroups(ctx context.Context, venueID string, page, pageSize int) (Page[APGroup], error) {
	body := viewQuery{Fields: []string{"id", "name", "venueId", "isDefault", "wifiNetworkIds"},
		Page: max(page, 1), PageSize: pageSize, SortField: "name", SortOrder: "ASC"}
	if body.PageSize <= 0 {
		body.PageSize = 100
	}
	if venueID != "" {
		body.filter("venueId", []string{venueID})
	}
	var out viewPage[APGroup]
	const path = "/venues/apGroups/query"
	if err := s.c.do(ctx, http.MethodPost, path, nil, body, &out); err != nil {
		return Page[APGroup]{}, err
	}
	return out.normalise(ctx, s.c, path, body.Page, body.PageSize)
}

// Radio settings of a venue-wide activation, as the R1 web UI sends them.
var activationRadioTypes = []string{"2.4-GHz", "5-GHz"}

// venueActivation is the full UI-style body of a venue activation
// (NETWORK_ACTIVATION.md §5; the legacy NetworkVenue model): with the spec's
// bare {isAllApGroups} R1 was seen not to register the association fully.
type venueActivation struct {
	APGroups              []any     `json:"apGroups"`
	Scheduler             scheduler `json:"scheduler"`
	IsAllApGroups         bool      `json:"isAllApGroups"`
	AllApGroupsRadio      string    `json:"allApGroupsRadio"`
	AllApGroupsRadioTypes []string  `json:"allApGroupsRadioTypes"`
	VenueID               string    `json:"venueId"`
	NetworkID             string    `json:"networkId"`
	DPSKServiceProfileID  string    `json:"dpskServiceProfileId,omitempty"`
}

type scheduler struct {
	Type string `json:"type"`
}

// ActivateNetwork is PUT /venues/{venueID}/wifiNetworks/{networkID} → 202:
// the network goes on the air on every AP group of the venue, always on,
// 2.4 and 5 GHz. poolID (may be "") is sent as dpskServiceProfileId. A
// venue-wide network takes a slot in every AP group of the venue; R1 refuses
// an activation past its per-AP-group limit, at once or in the activity.
// Whether activating an active network succeeds or fails is not established:
// read the network's VenueApGroups with a query first.
func (s *VenuesService) ActivateNetwork(ctx context.Context, venueID, networkID, poolID string) (Accepted, error) {
	body := venueActivation{APGroups: []any{}, Scheduler: scheduler{Type: "ALWAYS_ON"}, IsAllApGroups: true,
		AllApGroupsRadio: "Both", AllApGroupsRadioTypes: activationRadioTypes,
		VenueID: venueID, NetworkID: networkID, DPSKServiceProfileID: poolID}
	var out Accepted
	err := s.c.do(ctx, http.MethodPut, venueNetworkPath(venueID, networkID), nil, body, &out)
	return out, err
}

// DeactivateNetwork is DELETE /venues/{venueID}/wifiNetworks/{networkID} →
// 202. A *NotFoundError means the venue or the network is unknown or the
// network is not active there: for a rollback, already done.
func (s *VenuesService) DeactivateNetwork(ctx context.Context, venueID, networkID string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, venueNetworkPath(venueID, networkID), nil, nil, &out)
	return out, err
}

func venueNetworkPath(venueID, networkID string) string {
	return "/venues/" + pathID(venueID) + "/wifiNetworks/" + pathID(networkID)
}
