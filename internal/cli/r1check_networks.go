package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/r1client"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// plan --check-r1 reads R1's Wi-Fi networks and venues by the workflow's own
// rules (workflows/pool_network.go): networks looked up by SSID and by name
// and matched exactly here, activation state from the network query (R1's
// GET is stale for it), venues by id or exact name, SSID slots per AP group
// from the AP-group query. Every read is one page of a bounded number.

// Actions of a network in plan --check-r1, besides ActionCreate and
// ActionAdopt (R1 has it, bound to this pool already).
const (
	ActionAdoptBind = "adopt and bind" // R1 has it; the migration binds the pool to it
	ActionRefuse    = "refused"        // the migration would refuse it and leave it untouched
)

const (
	checkPageSize = 100
	checkMaxPages = 100 // as the workflow: a lookup reads at most this many pages
)

// NetworkCheck is what a migration would do to one pool's Wi-Fi network,
// judged from R1 now.
type NetworkCheck struct {
	Key        string
	Name, SSID string
	Action     string // ActionCreate, ActionAdopt, ActionAdoptBind or ActionRefuse
	Problem    string // with ActionRefuse: why, in the workflow's words
	// Venues are the plan's venues of the network, in order.
	Venues []NetworkVenue
}

// NetworkVenue is one venue of a network: active on it already, or to activate.
type NetworkVenue struct {
	Venue  string // as the plan names it
	Active bool   // the network R1 has is active on it (the query says so)
}

// VenueCheck is a venue of the plan as R1 holds it: one per R1 venue (texts
// naming the same venue share it), or one per text R1 does not resolve.
type VenueCheck struct {
	Given    []string // the plan's texts (names or ids) that name it
	ID, Name string   // R1's; "" when not resolved
	Problem  string   // why it is not resolved, or why its SSID slots do not suffice
	// FullestGroup carries the most SSIDs (SSIDs) of the venue's Groups AP groups.
	FullestGroup string
	SSIDs        int
	Groups       int
	// Add are the networks the migration would activate on it (not active yet).
	Add []string
}

// venueID: R1 venue ids are UUIDs, with or without dashes; the workflow reads
// such a text as an id and anything else as a name (activities.ResolveVenue).
var venueID = regexp.MustCompile(`^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$`)

// checkNetworks judges every network of the plan and the venues they go on.
// poolIDs are the R1 pools that exist already, by unit key.
func checkNetworks(ctx context.Context, c *r1client.Client, plan *cloudpath.Plan, poolIDs map[string]string, limit int) ([]NetworkCheck, []VenueCheck, error) {
	var venues []*VenueCheck
	byText := map[string]*VenueCheck{}
	for i := range plan.Units {
		n := plan.Units[i].Network
		if n == nil {
			continue
		}
		for _, text := range n.Venues {
			if byText[text] != nil {
				continue
			}
			v, err := resolveVenue(ctx, c, text)
			if err != nil {
				return nil, nil, err
			}
			if k := slices.IndexFunc(venues, func(o *VenueCheck) bool { return v.ID != "" && r1client.SameID(o.ID, v.ID) }); k >= 0 {
				venues[k].Given = append(venues[k].Given, text)
				byText[text] = venues[k]
				continue
			}
			venues = append(venues, v)
			byText[text] = v
		}
	}

	var checks []NetworkCheck
	for i := range plan.Units {
		u := &plan.Units[i]
		if u.Network == nil {
			continue
		}
		nc, found, err := checkNetwork(ctx, c, u, poolIDs[u.Key])
		if err != nil {
			return nil, nil, err
		}
		for _, text := range u.Network.Venues {
			v := byText[text]
			nv := NetworkVenue{Venue: text}
			if found != nil && v.ID != "" {
				_, nv.Active = found.ActiveOn(v.ID)
			}
			// A refused network counts too: once its problem is fixed, it needs the slot.
			if !nv.Active && v.ID != "" && !slices.Contains(v.Add, u.Network.Name) {
				v.Add = append(v.Add, u.Network.Name)
			}
			nc.Venues = append(nc.Venues, nv)
		}
		checks = append(checks, nc)
	}

	out := make([]VenueCheck, 0, len(venues))
	for _, v := range venues {
		if v.ID != "" {
			if err := readSlots(ctx, c, v); err != nil {
				return nil, nil, err
			}
			if len(v.Add) > 0 && v.SSIDs+len(v.Add) > limit {
				more := fmt.Sprintf("%d more networks", len(v.Add))
				if len(v.Add) == 1 {
					more = "1 more network"
				}
				v.Problem = fmt.Sprintf("AP group %q already carries %d SSIDs and this migration would activate %s venue-wide (%s), %d in all: over the limit of %d per AP group (--max-ssids-per-ap-group; R1 does not document its own); "+
					"the migration would refuse the activations past the limit: free slots on the venue, or put fewer networks on it (--venue-map)",
					v.FullestGroup, v.SSIDs, more, quoteList(v.Add, 5), v.SSIDs+len(v.Add), limit)
			}
		}
		out = append(out, *v)
	}
	return checks, out, nil
}

// resolveVenue finds the venue a text names, as the workflow does: by id when
// it looks like one, else by exact name.
func resolveVenue(ctx context.Context, c *r1client.Client, text string) (*VenueCheck, error) {
	v := &VenueCheck{Given: []string{text}}
	if venueID.MatchString(text) {
		got, err := c.Venues.Get(ctx, text)
		var nf *r1client.NotFoundError
		switch {
		case errors.As(err, &nf):
			v.Problem = "R1 holds no venue with this id; check --venue or --venue-map"
		case err != nil:
			return nil, fmt.Errorf("reading R1 venue %q: %w", text, err)
		default:
			v.ID, v.Name = got.ID, got.Name
		}
		return v, nil
	}
	// One page, as the workflow reads: R1's name filter narrows it to the
	// venues whose name holds the text.
	page, err := c.Venues.Query(ctx, r1client.VenueQuery{Names: []string{text}, Page: 1, PageSize: checkPageSize})
	if err != nil {
		return nil, fmt.Errorf("finding R1 venue %q: %w", text, err)
	}
	got, err := r1client.VenueNamed(page.Items, text)
	if err != nil {
		v.Problem = err.Error() + " (--venue, --venue-map)"
		return v, nil
	}
	v.ID, v.Name = got.ID, got.Name
	return v, nil
}

// readSlots finds the venue's fullest AP group: the SSIDs active on it,
// venue-wide ones included.
func readSlots(ctx context.Context, c *r1client.Client, v *VenueCheck) error {
	v.SSIDs = -1
	for page := 1; page <= checkMaxPages; page++ {
		p, err := c.Venues.QueryAPGroups(ctx, v.ID, page, checkPageSize)
		if err != nil {
			return fmt.Errorf("reading the AP groups of R1 venue %q: %w", v.Name, err)
		}
		for _, g := range p.Items {
			v.Groups++
			if len(g.WifiNetworkIDs) > v.SSIDs {
				v.FullestGroup, v.SSIDs = g.Name, len(g.WifiNetworkIDs)
			}
		}
		if p.Last || len(p.Items) == 0 {
			break
		}
	}
	v.SSIDs = max(v.SSIDs, 0)
	return nil
}

// checkNetwork finds the networks holding the plan's SSID or name and says
// what the workflow would do (workflows: ensureNetwork and adoptable). found
// is the network it would adopt, nil otherwise.
func checkNetwork(ctx context.Context, c *r1client.Client, u *cloudpath.PoolUnit, poolID string) (NetworkCheck, *r1client.WifiNetwork, error) {
	plan := u.Network
	nc := NetworkCheck{Key: u.Key, Name: plan.Name, SSID: plan.SSID}
	var all []r1client.WifiNetwork
	for _, q := range []r1client.WifiNetworkQuery{{SSIDs: []string{plan.SSID}}, {Names: []string{plan.Name}}} {
		for page := 1; page <= checkMaxPages; page++ {
			q.Page, q.PageSize = page, checkPageSize
			p, err := c.WifiNetworks.Query(ctx, q)
			if err != nil {
				return nc, nil, fmt.Errorf("finding the R1 Wi-Fi networks of SSID %q or name %q: %w", plan.SSID, plan.Name, err)
			}
			for _, n := range p.Items {
				exact := (len(q.SSIDs) > 0 && n.SSID == plan.SSID) || (len(q.Names) > 0 && n.Name == plan.Name)
				if exact && !slices.ContainsFunc(all, func(o r1client.WifiNetwork) bool { return o.ID == n.ID }) {
					all = append(all, n)
				}
			}
			if p.Last || len(p.Items) == 0 {
				break
			}
		}
	}
	if len(all) == 0 {
		nc.Action = ActionCreate
		return nc, nil, nil
	}
	nc.Action = ActionRefuse
	if len(all) > 1 {
		nc.Problem = fmt.Sprintf("%d networks in R1 use SSID %q or name %q (%s); the migration would leave them untouched: give this pool another SSID (--ssid-map) or resolve it in R1",
			len(all), plan.SSID, plan.Name, networkList(all, 5))
		return nc, nil, nil
	}
	n := all[0]
	switch {
	case !n.IsDPSK():
		typ := n.NwSubType
		if typ == "" {
			typ = "non-DPSK"
		}
		nc.Problem = fmt.Sprintf("R1 already has a %s network %q with SSID %q; it is not a DPSK network and the migration would leave it untouched: choose another SSID (--ssid-map) or remove it in R1", typ, n.Name, n.SSID)
	case n.SSID != plan.SSID || n.Name != plan.Name:
		nc.Problem = fmt.Sprintf("R1 already has a DPSK network %q with SSID %q, which does not match the plan's %q / %q; the migration would leave it untouched: use matching names (--ssid-map, --name-prefix) or rename it in R1", n.Name, n.SSID, plan.Name, plan.SSID)
	case n.DPSKPoolID != "" && (poolID == "" || !r1client.SameID(n.DPSKPoolID, poolID)):
		nc.Problem = fmt.Sprintf("R1's DPSK network %q (SSID %q) serves another DPSK pool (%s); the migration would leave it untouched: a network serves one pool", n.Name, n.SSID, n.DPSKPoolID)
	case n.DPSKPoolID == "" && n.Description != plan.Description:
		// R1 does not say which pool a network serves; one the migration
		// created says so in its description.
		nc.Problem = fmt.Sprintf("R1 already has a DPSK network %q (SSID %q) that dpskmigrate did not create for this pool, and R1 does not say which pool it serves; the migration would leave it untouched: bind it in R1 yourself, or choose another SSID", n.Name, n.SSID)
	case n.DPSKPoolID != "":
		nc.Action = ActionAdopt
	default:
		nc.Action = ActionAdoptBind
	}
	if nc.Action == ActionRefuse {
		return nc, nil, nil
	}
	return nc, &n, nil
}

func networkList(ns []r1client.WifiNetwork, n int) string {
	names := make([]string, len(ns))
	for i, x := range ns {
		typ := x.NwSubType
		if typ == "" {
			typ = "?"
		}
		names[i] = fmt.Sprintf("%q/%q %s", x.Name, x.SSID, typ)
	}
	return strings.Join(capped(names, n), ", ")
}

func quoteList(list []string, n int) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(capped(q, n), ", ")
}

// capped keeps the first n entries and counts the others.
func capped(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(list[:n:n], fmt.Sprintf("and %d more", len(list)-n))
}

// Problems are what would make the migration refuse a network, a venue's
// activations or, for a venue R1 does not resolve, the whole migration.
func (c R1Check) Problems() []string {
	var out []string
	for _, n := range c.Networks {
		if n.Problem != "" {
			out = append(out, fmt.Sprintf("pool %s, network %q: %s", n.Key, n.Name, n.Problem))
		}
	}
	for _, v := range c.Venues {
		switch {
		case v.Problem != "" && v.ID == "":
			out = append(out, fmt.Sprintf("venue %s: %s; the migration would stop before any pool starts", quoteList(v.Given, 5), v.Problem))
		case v.Problem != "":
			out = append(out, fmt.Sprintf("venue %q: %s", v.Name, v.Problem))
		}
	}
	return out
}

// writeNetworkCheck prints the networks, the venues and the problems.
func writeNetworkCheck(w io.Writer, check R1Check) {
	if len(check.Networks) == 0 {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Wi-Fi networks in R1 now (found by SSID and by name, matched exactly):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tNETWORK\tSSID\tACTION\tVENUES")
	for _, n := range check.Networks {
		venues := make([]string, len(n.Venues))
		for i, v := range n.Venues {
			state := "activate"
			if v.Active {
				state = "active already"
			}
			venues[i] = fmt.Sprintf("%q %s", v.Venue, state)
		}
		if len(venues) == 0 {
			venues = []string{"- (activated nowhere)"}
		}
		fmt.Fprintf(tw, "%s\t%q\t%q\t%s\t%s\n", n.Key, n.Name, n.SSID, n.Action, strings.Join(capped(venues, 8), ", "))
	}
	tw.Flush()

	if len(check.Venues) > 0 {
		fmt.Fprintf(w, "Venues (at most %d SSIDs per AP group, --max-ssids-per-ap-group; a venue-wide network takes a slot in each):\n", check.MaxSSIDsPerAPGroup)
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VENUE\tR1 VENUE\tAP GROUPS\tFULLEST AP GROUP\tSSIDS\tTO ADD\tAFTER")
		for _, v := range check.Venues {
			if v.ID == "" {
				fmt.Fprintf(tw, "%s\t-\t-\t-\t-\t-\t-\n", quoteList(v.Given, 3))
				continue
			}
			after := fmt.Sprint(v.SSIDs + len(v.Add))
			if v.SSIDs+len(v.Add) > check.MaxSSIDsPerAPGroup && len(v.Add) > 0 {
				after += " (over)"
			}
			fmt.Fprintf(tw, "%s\t%q %s\t%d\t%q\t%d\t%d\t%s\n", quoteList(v.Given, 3), v.Name, v.ID, v.Groups, v.FullestGroup, v.SSIDs, len(v.Add), after)
		}
		tw.Flush()
	}
	problems := check.Problems()
	if len(problems) == 0 {
		fmt.Fprintln(w, "Networks and venues: no problem found; the migration can put every network on the air.")
		return
	}
	fmt.Fprintf(w, "Problems (%d; the migration would refuse what they name, and leave R1's objects untouched; exit code %d):\n", len(problems), ExitPartial)
	for _, p := range problems {
		fmt.Fprintf(w, "  - %s\n", p)
	}
}

// defaultLimit is the SSID limit per AP group plan --check-r1 checks against.
func defaultLimit(n int) int {
	if n == 0 {
		return workflows.DefaultMaxSSIDsPerAPGroup
	}
	return n
}
