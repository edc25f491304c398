package workflows

import (
	"errors"
	"fmt"
	"slices"

	"go.temporal.io/sdk/workflow"

	"github.com/dpskmigrate/dpskmigrate/activities"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// putOnAir puts the migrated pool on the air (NETWORK_ACTIVATION.md §11):
// find or create its DPSK Wi-Fi network, bind the pool to it, and activate it
// venue-wide on each venue of the plan. Every step decides from what R1 shows
// (never from error texts, which R1 does not document) and waits for R1's
// asynchronous work with timers, so a re-run adopts what is there.
func (p *poolRun) putOnAir(ctx workflow.Context) error {
	rec := p.st.Record.Network
	if rec == nil {
		rec = &runrecord.Network{Name: p.in.Pool.Network.Name, SSID: p.in.Pool.Network.SSID}
		p.st.Record.Network = rec
	}
	if rec.ID == "" {
		if err := p.ensureNetwork(ctx, rec); err != nil {
			return err
		}
	}
	venues, err := p.venues(ctx)
	if err != nil {
		return err
	}
	for _, v := range venues {
		if ctx.Err() != nil {
			return nil
		}
		if slices.ContainsFunc(rec.Activations, func(a runrecord.Activation) bool { return r1client.SameID(a.VenueID, v.ID) }) {
			continue // done by an earlier run
		}
		p.setPhase(ctx, "activation on "+v.Name)
		if err := p.activate(ctx, rec, v); err != nil {
			return fmt.Errorf("venue %q: %w", v.Name, err)
		}
	}
	return nil
}

// ensureNetwork adopts the network of the plan's SSID and name, or creates it,
// and binds the pool to it. It refuses, without touching it, a network of that
// SSID or name that is not a DPSK network, that differs in the other, or that
// serves another pool.
func (p *poolRun) ensureNetwork(ctx workflow.Context, rec *runrecord.Network) error {
	plan := p.in.Pool.Network
	found, err := p.findNetworks(ctx, plan.SSID, plan.Name)
	if err != nil {
		return err
	}
	if len(found) == 0 {
		return p.createNetwork(ctx, rec)
	}
	n, err := p.adoptable(found)
	if err != nil {
		return err
	}
	rec.ID = n.ID
	if n.PoolID != "" && r1client.SameID(n.PoolID, p.st.Record.DPSKPool.ID) {
		return nil // bound already
	}
	if err := p.bind(ctx, n.ID); err != nil {
		return err
	}
	rec.Bound = true
	return nil
}

// findNetworks lists the networks whose SSID or name is the plan's.
func (p *poolRun) findNetworks(ctx workflow.Context, ssid, name string) ([]activities.NetworkInfo, error) {
	var out []activities.NetworkInfo
	for _, in := range []activities.FindNetworkInput{{SSID: ssid}, {Name: name}} {
		for page := 1; ; page++ {
			in.Page = page
			var res activities.FindNetworkResult
			if err := p.call(ctx, a.FindNetwork, in).Get(ctx, &res); err != nil {
				return nil, fmt.Errorf("looking it up: %s", reason(err))
			}
			for _, n := range res.Networks {
				if !slices.ContainsFunc(out, func(o activities.NetworkInfo) bool { return o.ID == n.ID }) {
					out = append(out, n)
				}
			}
			if res.Last || page >= 100 {
				break
			}
		}
	}
	return out, nil
}

// adoptable picks the network to adopt among those sharing the plan's SSID or
// name, or says why none may be used.
func (p *poolRun) adoptable(found []activities.NetworkInfo) (activities.NetworkInfo, error) {
	plan := p.in.Pool.Network
	if len(found) > 1 {
		return activities.NetworkInfo{}, fmt.Errorf("%d networks in R1 use SSID %q or name %q; left untouched: give this pool another SSID (--ssid-map) or resolve it in R1", len(found), plan.SSID, plan.Name)
	}
	n := found[0]
	switch {
	case !n.DPSK:
		return n, fmt.Errorf("R1 already has a %s network %q with SSID %q; it is not a DPSK network and was left untouched: choose another SSID (--ssid-map) or remove it in R1", typeName(n.Type), n.Name, n.SSID)
	case n.SSID != plan.SSID || n.Name != plan.Name:
		return n, fmt.Errorf("R1 already has a DPSK network %q with SSID %q, which does not match the plan's %q / %q; left untouched: use matching names (--ssid-map, --name-prefix) or rename it in R1", n.Name, n.SSID, plan.Name, plan.SSID)
	case n.PoolID != "" && !r1client.SameID(n.PoolID, p.st.Record.DPSKPool.ID):
		return n, fmt.Errorf("R1's DPSK network %q (SSID %q) serves another DPSK pool (%s); left untouched: a network serves one pool", n.Name, n.SSID, n.PoolID)
	case n.PoolID == "" && n.Description != plan.Description:
		// R1 does not say which pool a network serves; one we created says so
		// in its description. Anything else might serve another pool.
		return n, fmt.Errorf("R1 already has a DPSK network %q (SSID %q) that dpskmigrate did not create for this pool, and R1 does not say which pool it serves; left untouched: bind it in R1 yourself, or choose another SSID", n.Name, n.SSID)
	}
	return n, nil
}

func typeName(t string) string {
	if t == "" {
		return "non-DPSK"
	}
	return t
}

// createNetwork creates the plan's network and binds the pool to it. When R1
// refuses the create, what R1 holds decides, not R1's words (which differ
// between tenants): a network of the plan's SSID and name that the lookup did
// not show is our own earlier attempt whose answer was lost, adopted as created
// by this run.
func (p *poolRun) createNetwork(ctx workflow.Context, rec *runrecord.Network) error {
	plan := p.in.Pool.Network
	var acc activities.Accepted
	err := p.call(ctx, a.CreateNetwork, activities.CreateNetworkInput{Name: plan.Name, SSID: plan.SSID, Description: plan.Description}).Get(ctx, &acc)
	if err != nil && errorType(err) != activities.ErrConflict {
		return errors.New(reason(err))
	}
	if err == nil {
		if err = p.waitR1(ctx, acc.RequestID); err == nil {
			rec.ID, rec.Created = acc.ID, true
			return p.bind(ctx, acc.ID)
		}
	}
	refusal := err
	var found []activities.NetworkInfo
	if errorType(refusal) == activities.ErrConflict || refusedAsDuplicate(refusal) {
		found, err = p.networkOnceVisible(ctx, plan.SSID, plan.Name) // R1 says it exists: wait until it shows it
	} else {
		found, err = p.findNetworks(ctx, plan.SSID, plan.Name)
	}
	if err != nil {
		return err
	}
	if len(found) == 0 {
		if errors.As(refusal, new(*errR1Refused)) {
			return refusal
		}
		return errors.New(reason(refusal))
	}
	n, err := p.adoptable(found)
	if err != nil {
		return err
	}
	rec.ID, rec.Created = n.ID, true
	return p.bind(ctx, n.ID)
}

// networkOnceVisible looks a network up again until R1 shows it.
func (p *poolRun) networkOnceVisible(ctx workflow.Context, ssid, name string) ([]activities.NetworkInfo, error) {
	deadline := p.activeNow(ctx).Add(visibleMaxWait)
	for delay := visibleFirstDelay; ; delay = min(delay*2, visibleMaxDelay) {
		found, err := p.findNetworks(ctx, ssid, name)
		if err != nil || len(found) > 0 {
			return found, err
		}
		if !p.activeNow(ctx).Before(deadline) {
			return nil, fmt.Errorf("R1 says a network of this SSID or name exists but shows none after %s", visibleMaxWait)
		}
		if err := workflow.Sleep(ctx, delay); err != nil {
			return nil, err
		}
	}
}

func (p *poolRun) bind(ctx workflow.Context, networkID string) error {
	var acc activities.Accepted
	if err := p.call(ctx, a.BindNetwork, activities.NetworkPoolInput{NetworkID: networkID, PoolID: p.st.Record.DPSKPool.ID}).Get(ctx, &acc); err != nil {
		return fmt.Errorf("binding the DPSK pool: %s", reason(err))
	}
	if err := p.waitR1(ctx, acc.RequestID); err != nil {
		return fmt.Errorf("binding the DPSK pool: %w", err)
	}
	return nil
}

// venues are the network's venues, resolved by the migration or, for a pool
// started on its own, here.
func (p *poolRun) venues(ctx workflow.Context) ([]activities.VenueInfo, error) {
	if len(p.in.Venues) > 0 || len(p.in.Pool.Network.Venues) == 0 {
		return p.in.Venues, nil
	}
	var out []activities.VenueInfo
	for _, name := range p.in.Pool.Network.Venues {
		var v activities.VenueInfo
		if err := p.call(ctx, a.ResolveVenue, activities.VenueInput{Venue: name}).Get(ctx, &v); err != nil {
			return nil, errors.New(reason(err))
		}
		out = append(out, v)
	}
	p.in.Venues = out
	return out, nil
}

// activate puts the network on the air on one venue, venue-wide. It takes the
// venue's turn first, so pools running in parallel never race for its last
// SSID slot, and refuses an activation that would put more SSIDs on an AP
// group than the limit.
func (p *poolRun) activate(ctx workflow.Context, rec *runrecord.Network, v activities.VenueInfo) error {
	active, err := p.activeOn(ctx, rec.ID, v.ID)
	if err != nil {
		return err
	}
	if active {
		rec.Activations = append(rec.Activations, runrecord.Activation{VenueID: v.ID, VenueName: v.Name})
		return nil
	}
	release, err := p.takeVenueTurn(ctx, v.ID)
	if err != nil {
		return err
	}
	defer release()
	if err := p.guardSSIDSlots(ctx, rec.ID, v); err != nil {
		return err
	}
	var acc activities.Accepted
	sendErr := p.call(ctx, a.ActivateNetwork, activities.ActivationInput{VenueID: v.ID, NetworkID: rec.ID, PoolID: p.st.Record.DPSKPool.ID}).Get(ctx, &acc)
	if sendErr == nil {
		sendErr = p.waitR1(ctx, acc.RequestID)
	}
	if sendErr != nil && ctx.Err() != nil {
		return nil
	}
	// R1's answer (or its silence) does not decide: what R1 shows does. A
	// refusal of "already active" after a lost answer is our own activation.
	if active, err = p.activeOnceSettled(ctx, rec.ID, v.ID, sendErr == nil); err != nil {
		return err
	}
	if !active {
		if sendErr == nil {
			return fmt.Errorf("R1 accepted the activation but does not show the network active on the venue after %s", visibleMaxWait)
		}
		return fmt.Errorf("activation refused: %s", reason(sendErr))
	}
	rec.Activations = append(rec.Activations, runrecord.Activation{VenueID: v.ID, VenueName: v.Name, Created: true})
	return nil
}

// activeOn reads, from the network query (R1's GET is stale for this),
// whether the network is active on the venue.
func (p *poolRun) activeOn(ctx workflow.Context, networkID, venueID string) (bool, error) {
	var res activities.FindNetworkResult
	if err := p.call(ctx, a.FindNetwork, activities.FindNetworkInput{ID: networkID, Page: 1}).Get(ctx, &res); err != nil {
		return false, fmt.Errorf("reading the network: %s", reason(err))
	}
	for _, n := range res.Networks {
		if slices.ContainsFunc(n.Venues, func(id string) bool { return r1client.SameID(id, venueID) }) {
			return true, nil
		}
	}
	return false, nil
}

// activeOnceSettled reads the activation state; when R1 accepted the
// activation (expectActive), it reads again with timers until R1 shows it or
// the bound passes, since R1 shows writes late.
func (p *poolRun) activeOnceSettled(ctx workflow.Context, networkID, venueID string, expectActive bool) (bool, error) {
	deadline := p.activeNow(ctx).Add(visibleMaxWait)
	for delay := visibleFirstDelay; ; delay = min(delay*2, visibleMaxDelay) {
		active, err := p.activeOn(ctx, networkID, venueID)
		if err != nil || active || !expectActive || !p.activeNow(ctx).Before(deadline) {
			return active, err
		}
		if err := workflow.Sleep(ctx, delay); err != nil {
			return false, err
		}
	}
}

// guardSSIDSlots refuses, with the numbers, an activation that would put more
// than MaxSSIDsPerAPGroup SSIDs on an AP group of the venue: a venue-wide
// network takes a slot in every AP group.
func (p *poolRun) guardSSIDSlots(ctx workflow.Context, networkID string, v activities.VenueInfo) error {
	limit := p.in.MaxSSIDsPerAPGroup
	fullest, most := "", -1
	for page := 1; page <= 100; page++ {
		var res activities.APGroupsResult
		if err := p.call(ctx, a.ReadAPGroups, activities.APGroupsInput{VenueID: v.ID, NetworkID: networkID, Page: page}).Get(ctx, &res); err != nil {
			return fmt.Errorf("reading the venue's AP groups: %s", reason(err))
		}
		for _, g := range res.Groups {
			if g.SSIDs > most {
				fullest, most = g.Name, g.SSIDs
			}
		}
		if res.Last {
			break
		}
	}
	if most+1 > limit {
		return fmt.Errorf("refused before activating: AP group %q already carries %d SSIDs and the limit is %d per AP group (--max-ssids-per-ap-group; R1 does not document its own limit); free a slot on the venue or activate the network on fewer AP groups in R1", fullest, most, limit)
	}
	return nil
}
