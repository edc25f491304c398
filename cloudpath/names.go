package cloudpath

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"unicode/utf8"
)

// nameSet hands out unique keys and names in export order.
type nameSet struct {
	keys, groups, pools map[string]bool
}

func newNameSet() *nameSet {
	return &nameSet{keys: map[string]bool{}, groups: map[string]bool{}, pools: map[string]bool{}}
}

// key is slug(display)-hash(seed): readable in the Temporal UI, stable
// across runs, and unique in the plan (a repeated seed gets a hash over its
// occurrence number too). A pool's seed is its guid and displayName.
func (ns *nameSet) key(display, seed string) string {
	slug := slugify(display, 54)
	for n := 1; ; n++ {
		s := seed
		if n > 1 {
			s += "\x00" + strconv.Itoa(n)
		}
		sum := sha256.Sum256([]byte(s))
		k := slug + "-" + hex.EncodeToString(sum[:4])
		if !ns.keys[k] {
			ns.keys[k] = true
			return k
		}
	}
}

// names returns the group and pool names for a display name, with " (n)"
// appended when an earlier pool already took them. R1 names are compared
// case-insensitively here, the safe assumption.
func (ns *nameSet) names(o PlanOptions, display string) (group, pool string, dup bool) {
	for n := 1; ; n++ {
		tail := ""
		if n > 1 {
			tail = " (" + strconv.Itoa(n) + ")"
		}
		group = templateName(o.IdentityGroupName, o, display, tail)
		pool = templateName(o.PoolName, o, display, tail)
		gk, pk := strings.ToLower(group), strings.ToLower(pool)
		if !ns.groups[gk] && !ns.pools[pk] {
			ns.groups[gk], ns.pools[pk] = true, true
			return group, pool, n > 1
		}
	}
}

// templateName is the explicit name, or prefix+display+suffix, with tail
// appended, shortening the display part to fit R1's limit.
func templateName(explicit string, o PlanOptions, display, tail string) string {
	if explicit = strings.TrimSpace(explicit); explicit != "" {
		return truncate(explicit, MaxNameLength-utf8.RuneCountInString(tail)) + tail
	}
	room := MaxNameLength - utf8.RuneCountInString(o.NamePrefix+o.NameSuffix+tail)
	return o.NamePrefix + truncate(display, room) + o.NameSuffix + tail
}

// truncate keeps the first n characters of s.
func truncate(s string, n int) string {
	if n <= 0 {
		return ""
	}
	i := 0
	for pos := range s {
		if i == n {
			return s[:pos]
		}
		i++
	}
	return s
}

// slugify lower-cases ASCII letters and digits and turns every other run of
// characters into one '-', at most n bytes, never empty.
func slugify(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	dash := false
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		default:
			dash = len(b) > 0
			continue
		}
		if dash {
			if len(b)+1 >= n {
				break
			}
			b = append(b, '-')
			dash = false
		}
		if len(b) >= n {
			break
		}
		b = append(b, byte(c))
	}
	if len(b) == 0 {
		return "pool"
	}
	return string(b)
}
