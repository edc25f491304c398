package report

import (
	"github.com/dpskmigrate/dpskmigrate/cloudpath"
)

// Network outcomes: what the run did about a pool's Wi-Fi network.
const (
	NetworkCreated    = "created"     // the run created the network and bound the pool to it
	NetworkBound      = "bound"       // the network existed; the run bound the pool to it
	NetworkAdopted    = "adopted"     // the network existed, already bound to the pool
	NetworkNotReached = "not reached" // the pool never got to its network step
)

// Activation outcomes.
const (
	ActivationCreated = "activated"      // the run activated the network on the venue
	ActivationAlready = "already active" // it was active there before the run
)

// PoolNetwork is what the run did to put one pool on the air (networkMode
// per-pool): the network and, per venue, its activation.
type PoolNetwork struct {
	PoolKey     string              `json:"poolKey"`
	R1Pool      string              `json:"r1Pool"`
	SSID        string              `json:"ssid"`
	Name        string              `json:"name"`
	NetworkID   string              `json:"networkId,omitempty"`
	Outcome     string              `json:"outcome"`
	Venues      []string            `json:"venues,omitempty"` // as planned; empty: bound but on the air nowhere
	Activations []NetworkActivation `json:"activations,omitempty"`
}

// NetworkActivation is the network's activation on one venue.
type NetworkActivation struct {
	VenueID   string `json:"venueId"`
	VenueName string `json:"venueName,omitempty"`
	Outcome   string `json:"outcome"`
}

// poolNetwork is the unit's network as its record says (nil: no network planned).
func poolNetwork(u *cloudpath.PoolUnit, p *Pool) *PoolNetwork {
	if u.Network == nil {
		return nil
	}
	n := &PoolNetwork{PoolKey: u.Key, R1Pool: u.PoolName, SSID: u.Network.SSID, Name: u.Network.Name,
		Venues: u.Network.Venues, Outcome: NetworkNotReached}
	if p == nil || p.Record == nil || p.Record.Network == nil {
		return n
	}
	rec := p.Record.Network
	n.NetworkID = rec.ID
	switch {
	case rec.Created:
		n.Outcome = NetworkCreated
	case rec.Bound:
		n.Outcome = NetworkBound
	default:
		n.Outcome = NetworkAdopted
	}
	for _, a := range rec.Activations {
		out := ActivationAlready
		if a.Created {
			out = ActivationCreated
		}
		n.Activations = append(n.Activations, NetworkActivation{VenueID: a.VenueID, VenueName: a.VenueName, Outcome: out})
	}
	return n
}
