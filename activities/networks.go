package activities

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"go.temporal.io/sdk/temporal"

	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// Network activities: one R1 request each, like every other activity. They
// put a migrated pool on the air (NETWORK_ACTIVATION.md §11) and take it off.

// NetworkInfo is what R1 shows of a Wi-Fi network.
type NetworkInfo struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	SSID        string   `json:"ssid"`
	DPSK        bool     `json:"dpsk"`
	Type        string   `json:"type,omitempty"`
	Description string   `json:"description,omitempty"`
	PoolID      string   `json:"poolId,omitempty"` // the bound DPSK pool when R1 says; "" = unknown
	Venues      []string `json:"venues,omitempty"` // venues it is active on
}

func networkInfo(n r1client.WifiNetwork) NetworkInfo {
	info := NetworkInfo{ID: n.ID, Name: n.Name, SSID: n.SSID, DPSK: n.IsDPSK(), Type: n.NwSubType, Description: n.Description, PoolID: n.DPSKPoolID}
	for _, v := range n.VenueApGroups {
		info.Venues = append(info.Venues, v.VenueID)
	}
	return info
}

// FindNetworkInput looks networks up by exact SSID or exact name, one page per call.
type FindNetworkInput struct {
	SSID string `json:"ssid,omitempty"`
	Name string `json:"name,omitempty"`
	ID   string `json:"id,omitempty"` // read one network's current state
	Page int    `json:"page"`         // from 1
}

// FindNetworkResult lists the networks on one page that match exactly (R1 may
// match its filters loosely).
type FindNetworkResult struct {
	Networks []NetworkInfo `json:"networks,omitempty"`
	Last     bool          `json:"last"`
}

// FindNetwork is one POST /wifiNetworks/query by SSID, name or id.
func (a *Activities) FindNetwork(ctx context.Context, in FindNetworkInput) (FindNetworkResult, error) {
	q := r1client.WifiNetworkQuery{Page: max(in.Page, 1), PageSize: 100}
	switch {
	case in.ID != "":
		q.IDs = []string{in.ID}
	case in.SSID != "":
		q.SSIDs = []string{in.SSID}
	case in.Name != "":
		q.Names = []string{in.Name}
	default:
		return FindNetworkResult{}, temporal.NewNonRetryableApplicationError("FindNetwork needs an ssid, a name or an id", ErrExportInvalid, nil)
	}
	page, err := a.R1.WifiNetworks.Query(ctx, q)
	if err != nil {
		return FindNetworkResult{}, r1Error("find Wi-Fi network", err)
	}
	res := FindNetworkResult{Last: page.Last || len(page.Items) == 0}
	for _, n := range page.Items {
		if (in.ID != "" && r1client.SameID(n.ID, in.ID)) || (in.SSID != "" && n.SSID == in.SSID) || (in.Name != "" && n.Name == in.Name) {
			res.Networks = append(res.Networks, networkInfo(n))
		}
	}
	return res, nil
}

// CreateNetworkInput creates a DPSK Wi-Fi network.
type CreateNetworkInput struct {
	Name        string `json:"name"`
	SSID        string `json:"ssid"`
	Description string `json:"description,omitempty"`
}

// CreateNetwork is POST /wifiNetworks for a DPSK network → 202 with its id.
func (a *Activities) CreateNetwork(ctx context.Context, in CreateNetworkInput) (Accepted, error) {
	acc, err := a.R1.WifiNetworks.CreateDPSK(ctx, r1client.DPSKNetwork{Name: in.Name, SSID: in.SSID, Description: in.Description})
	if err != nil {
		var bad *r1client.InvalidInputError
		if errors.As(err, &bad) {
			return Accepted{}, temporal.NewNonRetryableApplicationError("create Wi-Fi network: "+err.Error(), ErrValidation, nil)
		}
		return Accepted{}, r1Error("create Wi-Fi network", err)
	}
	return Accepted{RequestID: acc.RequestID, ID: acc.ID}, nil
}

// NetworkPoolInput names a network and a DPSK pool.
type NetworkPoolInput struct {
	NetworkID string `json:"networkId"`
	PoolID    string `json:"poolId"`
}

// BindNetwork is PUT /wifiNetworks/{id}/dpskServices/{poolId} → 202.
func (a *Activities) BindNetwork(ctx context.Context, in NetworkPoolInput) (Accepted, error) {
	acc, err := a.R1.WifiNetworks.BindDPSKService(ctx, in.NetworkID, in.PoolID)
	if err != nil {
		return Accepted{}, r1Error("bind the DPSK pool to the network", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// DeleteNetwork is DELETE /wifiNetworks/{id} → 202; an unknown network is gone already.
func (a *Activities) DeleteNetwork(ctx context.Context, in NetworkPoolInput) (Accepted, error) {
	acc, err := a.R1.WifiNetworks.Delete(ctx, in.NetworkID)
	var nf *r1client.NotFoundError
	if errors.As(err, &nf) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("delete the Wi-Fi network", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// VenueInput names a venue by name or id.
type VenueInput struct {
	Venue string `json:"venue"`
}

// VenueInfo is a venue R1 holds.
type VenueInfo struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// looksLikeID: R1 venue ids are UUIDs, with or without dashes.
var looksLikeID = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// ResolveVenue finds a venue by id (when the text looks like one) or else by
// exact name: one R1 request.
func (a *Activities) ResolveVenue(ctx context.Context, in VenueInput) (VenueInfo, error) {
	if looksLikeID.MatchString(in.Venue) {
		v, err := a.R1.Venues.Get(ctx, in.Venue)
		if err == nil {
			return VenueInfo{ID: v.ID, Name: v.Name}, nil
		}
		var nf *r1client.NotFoundError
		if !errors.As(err, &nf) {
			return VenueInfo{}, r1Error("read venue", err)
		}
		return VenueInfo{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("venue %q: R1 holds no venue with this id; check --venue or --venue-map", in.Venue), ErrNotFound, nil)
	}
	page, err := a.R1.Venues.Query(ctx, r1client.VenueQuery{Names: []string{in.Venue}, Page: 1, PageSize: 100})
	if err != nil {
		return VenueInfo{}, r1Error("find venue", err)
	}
	v, err := r1client.VenueNamed(page.Items, in.Venue)
	if err != nil {
		return VenueInfo{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("venue %q: %s; give its id with --venue, or fix the name", in.Venue, err), ErrNotFound, nil)
	}
	return VenueInfo{ID: v.ID, Name: v.Name}, nil
}

// APGroupsInput reads a page of a venue's AP groups.
type APGroupsInput struct {
	VenueID   string `json:"venueId"`
	NetworkID string `json:"networkId,omitempty"` // not counted: it is the one being activated
	Page      int    `json:"page"`                // from 1
}

// APGroupsResult is a page of AP groups with the SSIDs each already carries.
type APGroupsResult struct {
	Groups []APGroupSSIDs `json:"groups"`
	Last   bool           `json:"last"`
}

// APGroupSSIDs counts the SSIDs active on one AP group (venue-wide ones included).
type APGroupSSIDs struct {
	Name  string `json:"name"`
	SSIDs int    `json:"ssids"`
}

// ReadAPGroups is one POST /venues/apGroups/query for a venue.
func (a *Activities) ReadAPGroups(ctx context.Context, in APGroupsInput) (APGroupsResult, error) {
	page, err := a.R1.Venues.QueryAPGroups(ctx, in.VenueID, max(in.Page, 1), 100)
	if err != nil {
		return APGroupsResult{}, r1Error("read the venue's AP groups", err)
	}
	res := APGroupsResult{Last: page.Last || len(page.Items) == 0}
	for _, g := range page.Items {
		n := 0
		for _, id := range g.WifiNetworkIDs {
			if !r1client.SameID(id, in.NetworkID) {
				n++
			}
		}
		res.Groups = append(res.Groups, APGroupSSIDs{Name: g.Name, SSIDs: n})
	}
	return res, nil
}

// ActivationInput activates (or deactivates) a network on a venue.
type ActivationInput struct {
	VenueID   string `json:"venueId"`
	NetworkID string `json:"networkId"`
	PoolID    string `json:"poolId,omitempty"`
}

// ActivateNetwork is PUT /venues/{venueId}/wifiNetworks/{networkId}, venue-wide → 202.
func (a *Activities) ActivateNetwork(ctx context.Context, in ActivationInput) (Accepted, error) {
	acc, err := a.R1.Venues.ActivateNetwork(ctx, in.VenueID, in.NetworkID, in.PoolID)
	if err != nil {
		return Accepted{}, r1Error("activate the network on the venue", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}

// DeactivateNetwork is DELETE /venues/{venueId}/wifiNetworks/{networkId} →
// 202; R1's 404 means it is not active there (done already).
func (a *Activities) DeactivateNetwork(ctx context.Context, in ActivationInput) (Accepted, error) {
	acc, err := a.R1.Venues.DeactivateNetwork(ctx, in.VenueID, in.NetworkID)
	var nf *r1client.NotFoundError
	if errors.As(err, &nf) {
		return Accepted{Existing: true}, nil
	}
	if err != nil {
		return Accepted{}, r1Error("deactivate the network on the venue", err)
	}
	return Accepted{RequestID: acc.RequestID}, nil
}
