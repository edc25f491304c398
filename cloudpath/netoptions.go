package cloudpath

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the network options. R1 documents no limit on venues per
// network; these bounds keep workflow inputs and call estimates sane.
const (
	// MaxVenueTextLength bounds a venue name or id: R1 venue names have 2 to
	// 32 characters and ids 32 hex digits (36 with dashes).
	MaxVenueTextLength = 64
	// MaxVenuesPerNetwork bounds the venues of one network. Each venue-wide
	// activation takes a slot in every AP group of the venue.
	MaxVenuesPerNetwork = 100
	// MaxOptionMapEntries bounds ssidMap and venueMap.
	MaxOptionMapEntries = 1000
)

// networkProblems checks the network options alone; NewPlan checks them
// against the export (map keys naming its pools, shared SSIDs).
func (o PlanOptions) networkProblems() []string {
	switch o.NetworkMode {
	case "", NetworkNone:
		// Refused rather than ignored: whoever gives venues or an SSID
		// expects a network, and merging pools changes what is created.
		var given []string
		for _, g := range []struct {
			name string
			set  bool
		}{{"ssid", o.SSID != ""}, {"ssidMap", len(o.SSIDMap) > 0}, {"venues", len(o.Venues) > 0}, {"venueMap", len(o.VenueMap) > 0}, {"mergeBySSID", o.MergeBySSID}} {
			if g.set {
				given = append(given, g.name)
			}
		}
		if len(given) > 0 {
			return []string{fmt.Sprintf("%s choose Wi-Fi networks, and networkMode %q creates none: set networkMode %q (--network-mode %s), or leave them out",
				strings.Join(given, ", "), NetworkNone, NetworkPerPool, NetworkPerPool)}
		}
		return nil
	case NetworkPerPool:
	default:
		return []string{fmt.Sprintf("networkMode %q is not one of %q, %q", clip(string(o.NetworkMode), 40), NetworkNone, NetworkPerPool)}
	}

	var problems []string
	if o.SSID != "" {
		if p := ssidProblem(o.SSID); p != "" {
			problems = append(problems, fmt.Sprintf("ssid %q %s", clip(o.SSID, 40), p))
		}
	}
	if len(o.SSIDMap) > MaxOptionMapEntries {
		problems = append(problems, fmt.Sprintf("ssidMap has %d entries; at most %d are accepted", len(o.SSIDMap), MaxOptionMapEntries))
	} else {
		problems = append(problems, mapKeyProblems("ssidMap", mapKeys(o.SSIDMap))...)
		for _, k := range mapKeys(o.SSIDMap) {
			if p := ssidProblem(o.SSIDMap[k]); p != "" {
				problems = append(problems, fmt.Sprintf("ssidMap: the SSID %q of pool %q %s", clip(o.SSIDMap[k], 40), clip(k, 60), p))
			}
		}
	}
	problems = append(problems, venueListProblems("venues", o.Venues)...)
	if len(o.VenueMap) > MaxOptionMapEntries {
		problems = append(problems, fmt.Sprintf("venueMap has %d entries; at most %d are accepted", len(o.VenueMap), MaxOptionMapEntries))
	} else {
		problems = append(problems, mapKeyProblems("venueMap", mapKeys(o.VenueMap))...)
		for _, k := range mapKeys(o.VenueMap) {
			what := fmt.Sprintf("venueMap for pool %q", clip(k, 60))
			if len(o.VenueMap[k]) == 0 {
				problems = append(problems, what+" names no venue")
			}
			problems = append(problems, venueListProblems(what, o.VenueMap[k])...)
		}
	}
	if n := runeCount(o.NamePrefix + o.NameSuffix); n > MaxSSIDLength-MinSSIDLength {
		problems = append(problems, fmt.Sprintf("namePrefix and nameSuffix have %d characters together; network names hold at most %d, so at most %d leave room for the SSID",
			n, MaxSSIDLength, MaxSSIDLength-MinSSIDLength))
	}
	return problems
}

// mapKeyProblems checks the pool names of an option map; keys are
// compared with surrounding spaces removed, as pool names are.
func mapKeyProblems(option string, keys []string) []string {
	var problems []string
	seen := make(map[string]bool, len(keys))
	for _, k := range keys {
		t := strings.TrimSpace(k)
		switch {
		case t == "":
			problems = append(problems, option+" has an entry without a pool name")
		case runeCount(t) > MaxPoolNameLength:
			problems = append(problems, fmt.Sprintf("%s: pool name %q has %d characters; Cloudpath pool names have at most %d", option, clip(t, 60), runeCount(t), MaxPoolNameLength))
		case seen[t]:
			problems = append(problems, fmt.Sprintf("%s names pool %q twice", option, clip(t, 60)))
		}
		seen[t] = true
	}
	return problems
}

// venueListProblems checks venue names or ids.
func venueListProblems(what string, venues []string) []string {
	var problems []string
	if len(venues) > MaxVenuesPerNetwork {
		return []string{fmt.Sprintf("%s has %d venues; at most %d are accepted per network", what, len(venues), MaxVenuesPerNetwork)}
	}
	for i, v := range venues {
		t := strings.TrimSpace(v)
		switch {
		case t == "":
			problems = append(problems, fmt.Sprintf("%s: venue %d is empty; give a venue name or id", what, i+1))
		case runeCount(t) > MaxVenueTextLength:
			problems = append(problems, fmt.Sprintf("%s: venue %q has %d characters; R1 venue names have at most 32 and ids fewer than %d", what, clip(t, 40), runeCount(t), MaxVenueTextLength))
		case strings.ContainsFunc(t, unicode.IsControl):
			problems = append(problems, fmt.Sprintf("%s: venue %q contains a control character", what, clip(t, 40)))
		case slices.ContainsFunc(venues[:i], func(o string) bool { return strings.TrimSpace(o) == t }):
			problems = append(problems, fmt.Sprintf("%s: venue %q is given twice", what, clip(t, 40)))
		}
	}
	return problems
}

// ssidProblem says why R1 (pattern [^`\s]([^`\t\r\n]){0,30}[^`\s]) or a
// Wi-Fi radio (32 bytes) cannot take an SSID, or "". Control characters other
// than tab, CR and LF are refused too: no radio should broadcast them.
func ssidProblem(s string) string {
	var p []string
	if n := runeCount(s); n < MinSSIDLength || n > MaxSSIDLength {
		p = append(p, fmt.Sprintf("has %d characters; R1 SSIDs have %d to %d", n, MinSSIDLength, MaxSSIDLength))
	} else if len(s) > MaxSSIDLength {
		p = append(p, fmt.Sprintf("has %d bytes in UTF-8; a Wi-Fi SSID holds at most %d", len(s), MaxSSIDLength))
	}
	return strings.Join(append(p, textProblems(s, false)...), " and ")
}

// networkNameProblem says why R1 (pattern (?=^((?!(`|\$\()).){2,32}$)^(\S.*\S)$)
// cannot take a network name, or "".
func networkNameProblem(s string) string {
	var p []string
	if n := runeCount(s); n < MinSSIDLength || n > MaxSSIDLength {
		p = append(p, fmt.Sprintf("has %d characters; R1 network names have %d to %d", n, MinSSIDLength, MaxSSIDLength))
	}
	return strings.Join(append(p, textProblems(s, true)...), " and ")
}

// textProblems are what R1's name and SSID patterns refuse in common, and
// "$(" in names.
func textProblems(s string, name bool) []string {
	var p []string
	if strings.ContainsRune(s, '`') {
		p = append(p, "contains a backtick, which R1 refuses")
	}
	if name && strings.Contains(s, "$(") {
		p = append(p, `contains "$(", which R1 refuses`)
	}
	if s != "" {
		first, _ := utf8.DecodeRuneInString(s)
		last, _ := utf8.DecodeLastRuneInString(s)
		if unicode.IsSpace(first) || unicode.IsSpace(last) {
			p = append(p, "starts or ends with a space")
		}
	}
	if strings.ContainsFunc(s, unicode.IsControl) {
		p = append(p, "contains a tab, a line break or another control character")
	}
	return p
}

func runeCount(s string) int { return utf8.RuneCountInString(s) }

// SplitPoolValue splits "Cloudpath pool=value", the form of an ssidMap or
// venueMap entry on the command line and in the trigger's parameters, at its
// first '=' (an SSID may hold one, a pool name should not). The pool name
// loses surrounding spaces; the value is kept as given.
func SplitPoolValue(entry string) (pool, value string, err error) {
	i := strings.IndexByte(entry, '=')
	if i < 0 {
		return "", "", fmt.Errorf("%q is not \"Cloudpath pool=value\"", clip(entry, 60))
	}
	if pool = strings.TrimSpace(entry[:i]); pool == "" {
		return "", "", fmt.Errorf("%q names no pool before its '='", clip(entry, 60))
	}
	return pool, entry[i+1:], nil
}

// ParseSSIDMap reads "Cloudpath pool=SSID" entries; a pool may be named
// twice only with the same SSID.
func ParseSSIDMap(entries []string) (map[string]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(entries))
	var problems []string
	for _, e := range entries {
		pool, ssid, err := SplitPoolValue(e)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if old, ok := m[pool]; ok && old != ssid {
			problems = append(problems, fmt.Sprintf("pool %q is given two SSIDs, %q and %q; a pool has one network", clip(pool, 60), clip(old, 40), clip(ssid, 40)))
			continue
		}
		m[pool] = ssid
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return m, nil
}

// ParseVenueMap reads "Cloudpath pool=venue" entries; a pool named several
// times gets every venue, in order.
func ParseVenueMap(entries []string) (map[string][]string, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	m := make(map[string][]string, len(entries))
	var problems []string
	for _, e := range entries {
		pool, venue, err := SplitPoolValue(e)
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		m[pool] = append(m[pool], strings.TrimSpace(venue))
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return m, nil
}
