package cloudpath

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// NetworkMode says which Wi-Fi networks a migration puts on the air.
type NetworkMode string

// Network modes.
const (
	// NetworkNone creates no network: the passphrases only (the default).
	NetworkNone NetworkMode = "none"
	// NetworkPerPool gives every R1 pool one DPSK network on the pool's
	// SSID, bound to the pool and activated venue-wide on its venues.
	NetworkPerPool NetworkMode = "per-pool"
)

// NetworkPlan is the DPSK Wi-Fi network of one unit.
type NetworkPlan struct {
	SSID string `json:"ssid"`
	// Name is <namePrefix><SSID><nameSuffix>, the SSID cut to fit R1's 32 characters.
	Name        string `json:"name"`
	Description string `json:"description"` // ImportDescriptionPrefix + the R1 pool's name
	// Venues are venue names or ids as the options give them (trimmed), in
	// order; the workflow resolves them. Empty: the network is created and
	// bound but activated nowhere (a plan warning says so).
	Venues []string `json:"venues,omitempty"`
}

// SiteSSID is the pool's site-wide SSID, by the rule of Cloudpath's
// extractor: the first SSID of the pool's ssidList that is not per-unit;
// else the SSID that at least half of its DPSKs list (the most listed, the
// first seen on a tie); else the first SSID that is not per-unit in its
// DPSKs' lists, in export order; else "".
func (p *Pool) SiteSSID() string {
	for _, s := range p.SSIDList {
		if !isUnitSSID(s) {
			return s
		}
	}
	counts := map[string]int{}
	var order []string // first seen first
	for i := range p.DPSKs {
		list := p.DPSKs[i].SSIDList
		for k, s := range list {
			if isUnitSSID(s) || slices.Contains(list[:k], s) {
				continue // a DPSK counts once per SSID
			}
			if counts[s] == 0 {
				order = append(order, s)
			}
			counts[s]++
		}
	}
	if len(order) == 0 {
		return ""
	}
	best := order[0]
	for _, s := range order[1:] {
		if counts[s] > counts[best] {
			best = s
		}
	}
	if 2*counts[best] >= len(p.DPSKs) {
		return best
	}
	return order[0]
}

// isUnitSSID matches the per-unit SSIDs of Cloudpath properties,
// ^\d+@.+$ (e.g. "108@Lakeside"): one network per apartment unit.
func isUnitSSID(s string) bool {
	at := strings.IndexByte(s, '@')
	if at < 1 || at == len(s)-1 || strings.IndexByte(s[at+1:], '\n') >= 0 {
		return false
	}
	for i := 0; i < at; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// perUnitShare counts the DPSKs whose SSIDs (their own list, else the
// pool's) include a per-unit SSID, and gives one such SSID.
func perUnitShare(p *Pool) (n int, example string) {
	for i := range p.DPSKs {
		list := p.DPSKs[i].SSIDList
		if len(list) == 0 {
			list = p.SSIDList
		}
		for _, s := range list {
			if isUnitSSID(s) {
				n++
				if example == "" {
					example = s
				}
				break
			}
		}
	}
	return n, example
}

// networkChoice is the SSID of every pool and the pools that share one.
type networkChoice struct {
	ssids   []string // by pool index
	groupOf []int    // by pool index: index into groups; -1 for a pool alone on its SSID
	groups  [][]int  // pools that share an SSID (two or more), in order of their first pool
}

// chooseNetworks gives every pool its SSID: from ssidMap, else ssid, else
// the export (SiteSSID). Pools that share one are merged with MergeBySSID and
// refuse the plan without it.
func chooseNetworks(sources []source, opts PlanOptions) (*networkChoice, error) {
	problems := unknownPools(sources, "ssidMap", mapKeys(opts.SSIDMap))
	problems = append(problems, unknownPools(sources, "venueMap", mapKeys(opts.VenueMap))...)
	ssidMap := make(map[string]string, len(opts.SSIDMap))
	for k, v := range opts.SSIDMap {
		ssidMap[strings.TrimSpace(k)] = v
	}

	nc := &networkChoice{ssids: make([]string, len(sources)), groupOf: make([]int, len(sources))}
	members := map[string][]int{}
	var order []string
	for i, s := range sources {
		nc.groupOf[i] = -1
		ssid, given := ssidMap[s.display]
		switch {
		case given:
		case opts.SSID != "":
			ssid, given = opts.SSID, true
		default:
			ssid = s.pool.SiteSSID()
		}
		fix := fmt.Sprintf("give it one with --ssid-map %q (ssidMap)", s.display+"=SSID")
		if ssid == "" {
			problems = append(problems, fmt.Sprintf("%s has no site-wide SSID: neither its ssidList nor its DPSKs' lists name one that is not per-unit (digits@name); %s", s.label, fix))
			continue
		}
		if p := ssidProblem(ssid); p != "" && !given { // options were validated already
			problems = append(problems, fmt.Sprintf("%s: its SSID %q %s; %s", s.label, clip(ssid, 40), p, fix))
			continue
		}
		nc.ssids[i] = ssid
		if members[ssid] == nil {
			order = append(order, ssid)
		}
		members[ssid] = append(members[ssid], i)
	}
	for _, ssid := range order {
		m := members[ssid]
		if len(m) < 2 {
			continue
		}
		if !opts.MergeBySSID {
			problems = append(problems, fmt.Sprintf("SSID %q is shared by %s: an R1 network binds exactly one DPSK pool, so they cannot each get a network on it; "+
				"merge them into one R1 pool with --merge-by-ssid (mergeBySSID), or give them distinct SSIDs with --ssid-map \"POOL=SSID\" (ssidMap)",
				clip(ssid, 40), poolList(sources, m)))
			continue
		}
		for _, i := range m {
			nc.groupOf[i] = len(nc.groups)
		}
		nc.groups = append(nc.groups, m)
	}
	if len(problems) > 0 {
		return nil, &PlanError{Problems: problems}
	}
	return nc, nil
}

// apply gives every unit of the plan its network, and warns about pools
// that look per-unit and networks that go on no venue.
func (nc *networkChoice) apply(pl *Plan, sources []source, opts PlanOptions) error {
	var problems []string
	taken := map[string]string{} // lower-cased network name -> the unit that has it
	var noVenue []string
	for k := range pl.Units {
		u := &pl.Units[k]
		ssid := nc.ssids[u.Sources[0].Index]
		label := unitLabel(u, sources, ssid)
		name, cut := networkName(opts, ssid)
		if p := networkNameProblem(name); p != "" {
			problems = append(problems, fmt.Sprintf("%s: its network name %q %s; shorten --name-prefix/--name-suffix, or give it another SSID with --ssid-map (ssidMap)", label, name, p))
		} else if other, dup := taken[strings.ToLower(name)]; dup {
			problems = append(problems, fmt.Sprintf("%s and %s would both get a network named %q (names compared without case, cut to %d characters); give one of them another SSID with --ssid-map (ssidMap), or shorten --name-prefix/--name-suffix",
				other, label, name, MaxSSIDLength))
		} else {
			taken[strings.ToLower(name)] = label
		}
		if cut {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("%s: network name %q is %q cut to R1's %d characters", label, name, opts.NamePrefix+ssid+opts.NameSuffix, MaxSSIDLength))
		}
		venues := unitVenues(u.Sources, opts)
		if len(venues) == 0 {
			noVenue = append(noVenue, label)
		}
		u.Network = &NetworkPlan{SSID: ssid, Name: name, Description: truncate(ImportDescriptionPrefix+u.PoolName, MaxNameLength), Venues: venues}
	}
	if len(problems) > 0 {
		return &PlanError{Problems: problems}
	}
	for i, s := range sources {
		if n, example := perUnitShare(s.pool); n > 0 && 2*n >= len(s.pool.DPSKs) {
			pl.Warnings = append(pl.Warnings, fmt.Sprintf("%s looks per-unit: %d of its %d DPSKs carry per-unit SSIDs such as %q; "+
				"this migration gives its R1 pool one network, on SSID %q, and builds no per-unit networks: set those up in R1 yourself",
				s.label, n, len(s.pool.DPSKs), clip(example, 40), clip(nc.ssids[i], 40)))
		}
	}
	if len(noVenue) > 0 {
		pl.Warnings = append(pl.Warnings, fmt.Sprintf("no venue is given for %s: the network is created and bound to the pool but activated nowhere; name venues with --venue (venues) or --venue-map (venueMap)",
			strings.Join(capList(noVenue, 10), ", ")))
	}
	return nil
}

// networkName is <prefix><ssid><suffix>, the SSID cut to fit R1's limit (and
// never ending in a space where it was cut).
func networkName(opts PlanOptions, ssid string) (name string, cut bool) {
	room := MaxSSIDLength - runeCount(opts.NamePrefix+opts.NameSuffix)
	part := truncate(ssid, room)
	if cut = part != ssid; cut {
		part = strings.TrimRightFunc(part, unicode.IsSpace)
	}
	return opts.NamePrefix + part + opts.NameSuffix, cut
}

// unitVenues are the venues of a unit's network: for each of its pools in
// turn, the pool's venueMap entry or else the options' venues, each once.
func unitVenues(pools []PoolSource, opts PlanOptions) []string {
	byPool := make(map[string][]string, len(opts.VenueMap))
	for k, v := range opts.VenueMap {
		byPool[strings.TrimSpace(k)] = v
	}
	var out []string
	for _, p := range pools {
		list, ok := byPool[p.DisplayName]
		if !ok {
			list = opts.Venues
		}
		for _, v := range list {
			if v = strings.TrimSpace(v); !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
	}
	return out
}

// unitLabel names a unit in warnings and errors.
func unitLabel(u *PoolUnit, sources []source, ssid string) string {
	if len(u.Sources) == 1 {
		return sources[u.Sources[0].Index].label
	}
	return mergedLabel(len(u.Sources), ssid)
}

// unknownPools names the keys of an option map that name no pool of the
// export, with the pools it has.
func unknownPools(sources []source, option string, keys []string) []string {
	known := make([]string, 0, len(sources))
	for _, s := range sources {
		if !slices.Contains(known, s.display) {
			known = append(known, s.display)
		}
	}
	var unknown []string
	for _, k := range keys {
		if !slices.Contains(known, strings.TrimSpace(k)) {
			unknown = append(unknown, fmt.Sprintf("%q", clip(k, 60)))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	quoted := make([]string, len(known))
	for i, k := range known {
		quoted[i] = fmt.Sprintf("%q", clip(k, 60))
	}
	return []string{fmt.Sprintf("%s names no pool of the export: %s; the export's pools are %s (display names, matched exactly)",
		option, strings.Join(capList(unknown, 10), ", "), strings.Join(capList(quoted, 20), ", "))}
}

// poolList names pools by number and display name, the first few of them.
func poolList(sources []source, idx []int) string {
	names := make([]string, len(idx))
	for k, i := range idx {
		names[k] = fmt.Sprintf("#%d %q", i+1, clip(sources[i].display, 60))
	}
	return fmt.Sprintf("%d pools (%s)", len(idx), strings.Join(capList(names, 10), ", "))
}

// capList keeps the first n entries and counts the others.
func capList(list []string, n int) []string {
	if len(list) <= n {
		return list
	}
	return append(list[:n:n], fmt.Sprintf("and %d more", len(list)-n))
}

// mapKeys returns a map's keys, sorted: option maps are read in a stable order.
func mapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
