package r1sim

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// NetworkBehaviour chooses, for each behaviour of R1 around Wi-Fi networks
// that NETWORK_ACTIVATION.md §12 leaves unestablished, which plausible one
// the simulator shows, so code can be tested under each. The zero value
// means the default of every field.
type NetworkBehaviour struct {
	// SSIDLimit is the most networks one AP group carries, venue-wide ones
	// counting in every AP group of their venue; 0 = 15 (rtools2's number,
	// stated by no R1 document).
	SSIDLimit int
	// LimitRefusal is how an activation past SSIDLimit is refused: "sync"
	// (default): 422 at once; "async": 202, then a FAIL activity.
	LimitRefusal string
	// Wording picks one of two texts R1 may use for the limit, for "already
	// activated" and for a duplicate name or SSID: "a" (default; its
	// duplicate texts say "already exists") or "b" (none of the usual words).
	Wording string
	// AlreadyActive is the answer to activating a network where it is
	// already active: "fail" (default): 202, then a FAIL activity saying so;
	// "success": 202, then SUCCESS, nothing changed.
	AlreadyActive string
	// Duplicate is the answer to creating a network whose name or SSID is in
	// use: "async" (default): 202 with a would-be id, then a FAIL activity,
	// nothing created; "conflict": 409 at once.
	Duplicate string
	// Rebind is the answer to binding a network to a pool when another pool
	// is bound: "replace" (default): the new pool replaces the old;
	// "refuse": 202, then a FAIL activity, the old pool stays.
	Rebind string
	// StaleGet is what GET /wifiNetworks/{id} shows of the activations and
	// the bound pool (name, SSID and the rest are current): "frozen"
	// (default): as at creation, never updated; "lag": as they were
	// StaleGetLag ago; "current": what queries show. POST /wifiNetworks/query
	// is always current.
	StaleGet    string
	StaleGetLag time.Duration // for "lag"; 0 = one minute
	// ExposePool makes network rows and GET bodies carry the bound pool as
	// dpskServiceProfileId. No R1 spec says they do; off by default.
	ExposePool bool
}

// The values of the NetworkBehaviour switches, the default first.
var (
	limitRefusals  = []string{"sync", "async"}
	wordings       = []string{"a", "b"}
	alreadyActives = []string{"fail", "success"}
	duplicates     = []string{"async", "conflict"}
	rebinds        = []string{"replace", "refuse"}
	staleGets      = []string{"frozen", "lag", "current"}
)

// DefaultSSIDLimit is the per-AP-group limit unless configured.
const DefaultSSIDLimit = 15

// withDefaults fills every unset field with its default.
func (b NetworkBehaviour) withDefaults() NetworkBehaviour {
	def := func(v *string, vals []string) {
		if *v == "" {
			*v = vals[0]
		}
	}
	if b.SSIDLimit <= 0 {
		b.SSIDLimit = DefaultSSIDLimit
	}
	def(&b.LimitRefusal, limitRefusals)
	def(&b.Wording, wordings)
	def(&b.AlreadyActive, alreadyActives)
	def(&b.Duplicate, duplicates)
	def(&b.Rebind, rebinds)
	def(&b.StaleGet, staleGets)
	if b.StaleGetLag <= 0 {
		b.StaleGetLag = time.Minute
	}
	return b
}

// validateNetworkSettings checks the network switches of a Settings.
func (st Settings) validateNetworkSettings() error {
	var errs []error
	oneOf := func(key string, v *string, vals []string) {
		if v != nil && !slices.Contains(vals, *v) {
			errs = append(errs, fmt.Errorf("%s must be one of %q", key, vals))
		}
	}
	if st.SSIDLimitPerAPGroup != nil && (*st.SSIDLimitPerAPGroup < 1 || *st.SSIDLimitPerAPGroup > 1000) {
		errs = append(errs, errors.New("ssidLimitPerApGroup must be between 1 and 1000"))
	}
	oneOf("ssidLimitRefusal", st.SSIDLimitRefusal, limitRefusals)
	oneOf("networkErrorWording", st.NetworkErrorWording, wordings)
	oneOf("alreadyActivated", st.AlreadyActivated, alreadyActives)
	oneOf("duplicateNetwork", st.DuplicateNetwork, duplicates)
	oneOf("rebindPool", st.RebindPool, rebinds)
	oneOf("networkGet", st.NetworkGet, staleGets)
	if st.NetworkGetLag != nil && *st.NetworkGetLag <= 0 {
		errs = append(errs, errors.New("networkGetLag must be positive"))
	}
	return errors.Join(errs...)
}

// applyNetworkSettings sets the network switches st carries.
func (st Settings) applyNetworkSettings(b *NetworkBehaviour) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	if st.SSIDLimitPerAPGroup != nil {
		b.SSIDLimit = *st.SSIDLimitPerAPGroup
	}
	set(&b.LimitRefusal, st.SSIDLimitRefusal)
	set(&b.Wording, st.NetworkErrorWording)
	set(&b.AlreadyActive, st.AlreadyActivated)
	set(&b.Duplicate, st.DuplicateNetwork)
	set(&b.Rebind, st.RebindPool)
	set(&b.StaleGet, st.NetworkGet)
	if st.NetworkGetLag != nil {
		b.StaleGetLag = time.Duration(*st.NetworkGetLag)
	}
	if st.ExposeBoundPool != nil {
		b.ExposePool = *st.ExposeBoundPool
	}
}

// networkSettingsOf fills the network fields of a Settings from b, unset
// fields as their defaults.
func networkSettingsOf(st *Settings, b NetworkBehaviour) {
	b = b.withDefaults()
	lag := Duration(b.StaleGetLag)
	st.SSIDLimitPerAPGroup, st.SSIDLimitRefusal, st.NetworkErrorWording = &b.SSIDLimit, &b.LimitRefusal, &b.Wording
	st.AlreadyActivated, st.DuplicateNetwork, st.RebindPool = &b.AlreadyActive, &b.Duplicate, &b.Rebind
	st.NetworkGet, st.NetworkGetLag, st.ExposeBoundPool = &b.StaleGet, &lag, &b.ExposePool
}

// The texts of R1's refusals, in the two wordings.

func (b NetworkBehaviour) limitText(limit int, group, venue string) string {
	if b.Wording == "b" {
		return fmt.Sprintf("Cannot activate the Wi-Fi network: AP group '%s' of venue '%s' already carries %d SSIDs, the most it may", group, venue, limit)
	}
	return fmt.Sprintf("The maximum number of Wi-Fi networks per AP group (%d) has been reached on AP group %s", limit, group)
}

func (b NetworkBehaviour) alreadyActiveText(network, venue string) string {
	if b.Wording == "b" {
		return fmt.Sprintf("Venue '%s' already has Wi-Fi network '%s' on the air", venue, network)
	}
	return fmt.Sprintf("Wi-Fi network %s is already activated on venue %s", network, venue)
}

func (b NetworkBehaviour) duplicateText(field, value string) string {
	what := "name"
	if field == "ssid" {
		what = "SSID"
	}
	if b.Wording == "b" {
		return fmt.Sprintf("The %s '%s' is taken by another Wi-Fi network", what, value)
	}
	return fmt.Sprintf("Wi-Fi network %s already exists: %s", what, value)
}
