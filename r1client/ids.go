package r1client

import "strings"

// SameID reports whether two R1 ids name the same object. R1 is inconsistent
// about dashes in UUIDs (a pool's identityGroupId has them, identity-group ids
// from /identityGroups/query do not), so ids are compared with dashes stripped
// and without regard to case.
func SameID(a, b string) bool {
	return strings.EqualFold(normalizeID(a), normalizeID(b))
}

func normalizeID(id string) string {
	if !strings.Contains(id, "-") {
		return id
	}
	return strings.ReplaceAll(id, "-", "")
}
