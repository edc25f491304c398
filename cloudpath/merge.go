package cloudpath

import (
	"fmt"
	"slices"
	"strings"
)

// planMerged builds the one unit of the pools that share an SSID
// (MergeBySSID): an R1 network binds exactly one DPSK pool, so pools that
// share an SSID can only share its network as one R1 pool.
//
// The unit is named after the SSID (<prefix><SSID><suffix>, made unique like
// any pool's names); its key is the SSID's slug and a hash of the pools'
// GUIDs and names, stable across runs. Its rows are the pools' rows in export
// order; usernames and passphrases stay unique across the pools (the first
// row wins, later ones are skipped as duplicates naming it and its pool).
func planMerged(members []source, ssid string, opts PlanOptions, names *nameSet, warnings *[]string) PoolUnit {
	u := PoolUnit{DisplayName: fmt.Sprintf("%s (%d pools)", ssid, len(members))}
	var seed strings.Builder
	seed.WriteString("merged by SSID")
	total := 0
	for k := range members {
		s := &members[k]
		s.note(warnings)
		u.Sources = append(u.Sources, s.ref())
		seed.WriteString("\x00" + s.pool.GUID + "\x00" + s.pool.DisplayName)
		total += len(s.pool.DPSKs)
	}
	u.Key = names.key(ssid, seed.String())
	label := mergedLabel(len(members), ssid)
	u.name(names, opts, ssid, label, warnings)

	rp := newRowPlanner(opts, true, total)
	u.Rows = make([]Row, 0, total)
	settings := make([]PoolSettings, len(members))
	for k := range members {
		start := len(u.Rows)
		rp.plan(&u, &members[k])
		settings[k] = poolSettings(members[k].pool, u.Rows[start:], members[k].label, warnings)
	}
	u.Settings = mergeSettings(settings, u.Rows, label, warnings)
	return u
}

// SourceName is the display name of the Cloudpath pool a row of the unit
// comes from when the unit merges several pools, else "" (RowOutcome.SourcePoolName).
func (u *PoolUnit) SourceName(r *Row) string {
	if len(u.Sources) < 2 {
		return ""
	}
	for _, s := range u.Sources {
		if s.Index == r.SourcePool {
			return s.DisplayName
		}
	}
	return ""
}

func mergedLabel(pools int, ssid string) string {
	return fmt.Sprintf("the %d pools merged on SSID %q", pools, clip(ssid, 40))
}

// mergeSettings derives one R1 pool's settings from its Cloudpath pools':
// the shortest passphrase length (R1 treats it as a minimum); the format if
// all agree, else inferred from the passphrases; the device limit and the
// expiration if all agree, else none, with a warning.
func mergeSettings(all []PoolSettings, rows []Row, label string, warnings *[]string) PoolSettings {
	m := all[0]
	for _, s := range all[1:] {
		m.PassphraseLength = min(m.PassphraseLength, s.PassphraseLength)
	}
	if v := distinct(all, func(s PoolSettings) string { return s.PassphraseFormat }); len(v) > 1 {
		m.PassphraseFormat = inferFormat(rows)
		*warnings = append(*warnings, fmt.Sprintf("%s: their passphrase formats differ (%s); %s inferred from the passphrases", label, strings.Join(v, ", "), m.PassphraseFormat))
	}
	if v := distinct(all, func(s PoolSettings) string {
		if s.DeviceCountLimit == 0 {
			return "unlimited"
		}
		return fmt.Sprint(s.DeviceCountLimit)
	}); len(v) > 1 {
		m.DeviceCountLimit = 0
		*warnings = append(*warnings, fmt.Sprintf("%s: their device limits differ (%s); the R1 pool gets none", label, strings.Join(v, ", ")))
	}
	if v := distinct(all, func(s PoolSettings) string {
		if s.ExpirationType == "" {
			return "none"
		}
		return fmt.Sprintf("%d %s", s.ExpirationOffset, s.ExpirationType)
	}); len(v) > 1 {
		m.ExpirationType, m.ExpirationOffset = "", 0
		*warnings = append(*warnings, fmt.Sprintf("%s: their expirations differ (%s); the R1 pool gets none", label, strings.Join(v, ", ")))
	}
	return m
}

// distinct lists the values of f over all, first seen first.
func distinct(all []PoolSettings, f func(PoolSettings) string) []string {
	var out []string
	for _, s := range all {
		if v := f(s); !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}
