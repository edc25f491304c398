package cloudpath

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ExpiredPolicy says what happens to a DPSK whose expiry has passed.
type ExpiredPolicy string

// Expired-DPSK policies.
const (
	ExpiredImportWithoutExpiry ExpiredPolicy = "no-expiry" // default: import it, without an expiry
	ExpiredRenew               ExpiredPolicy = "renew"     // import it, expiring RenewDays after Now
	ExpiredSkip                ExpiredPolicy = "skip"      // do not import it
)

// DefaultRenewDays is the renewal period when PlanOptions.RenewDays is 0.
const DefaultRenewDays = 365

// maxRenewDays keeps Now+RenewDays a sane date.
const maxRenewDays = 100 * 366

// ImportDescriptionPrefix starts the description of every group and pool the
// migration creates.
const ImportDescriptionPrefix = "Cloudpath Import - "

// PlanOptions are the choices a person makes before a migration. They travel
// in workflow inputs, hence the JSON tags.
type PlanOptions struct {
	// Explicit names: only allowed when the export has exactly one pool.
	IdentityGroupName string `json:"identityGroupName,omitempty"`
	PoolName          string `json:"poolName,omitempty"`
	// Name template <prefix><displayName><suffix>, for group and pool names alike.
	NamePrefix string `json:"namePrefix,omitempty"`
	NameSuffix string `json:"nameSuffix,omitempty"`

	Expired        ExpiredPolicy `json:"expired,omitempty"`   // "" = no-expiry
	RenewDays      int           `json:"renewDays,omitempty"` // 0 = DefaultRenewDays
	ImportInactive bool          `json:"importInactive,omitempty"`

	// Wi-Fi networks (network.go). Every option but NetworkMode needs
	// NetworkMode per-pool.
	NetworkMode NetworkMode `json:"networkMode,omitempty"` // "" = none
	// SSID of the one pool's network: single-pool exports only.
	SSID string `json:"ssid,omitempty"`
	// SSIDMap maps a Cloudpath pool's display name to its network's SSID.
	SSIDMap map[string]string `json:"ssidMap,omitempty"`
	// Venues (names or ids) every network is activated on, venue-wide.
	Venues []string `json:"venues,omitempty"`
	// VenueMap maps a Cloudpath pool's display name to the venues of its
	// network, replacing Venues for that pool.
	VenueMap map[string][]string `json:"venueMap,omitempty"`
	// MergeBySSID makes the Cloudpath pools that share an SSID one R1 pool
	// (merge.go): an R1 network binds exactly one DPSK pool.
	MergeBySSID bool `json:"mergeBySSID,omitempty"`

	// Now is the instant "expired" is judged against and renewals count
	// from. It is required: a plan must not depend on when it is computed.
	Now time.Time `json:"now"`
}

// Validate reports options NewPlan cannot work with.
func (o PlanOptions) Validate() error {
	var problems []string
	switch o.Expired {
	case "", ExpiredImportWithoutExpiry, ExpiredRenew, ExpiredSkip:
	default:
		problems = append(problems, fmt.Sprintf("expired policy %q is not one of %q, %q, %q",
			clip(string(o.Expired), 40), ExpiredImportWithoutExpiry, ExpiredRenew, ExpiredSkip))
	}
	if o.RenewDays < 0 || o.RenewDays > maxRenewDays {
		problems = append(problems, fmt.Sprintf("renewDays %d is outside 0..%d (0 means %d)", o.RenewDays, maxRenewDays, DefaultRenewDays))
	}
	if o.Now.IsZero() {
		problems = append(problems, "now is not set: a plan judges expiry against an explicit instant")
	}
	for _, n := range []struct{ what, value string }{{"identityGroupName", o.IdentityGroupName}, {"poolName", o.PoolName}} {
		if l := utf8.RuneCountInString(strings.TrimSpace(n.value)); l > MaxNameLength {
			problems = append(problems, fmt.Sprintf("%s has %d characters; R1 accepts at most %d", n.what, l, MaxNameLength))
		}
	}
	// Leave room for at least a few characters of the display name and a " (99)".
	if l := utf8.RuneCountInString(o.NamePrefix + o.NameSuffix); l > MaxNameLength-16 {
		problems = append(problems, fmt.Sprintf("namePrefix and nameSuffix have %d characters together; at most %d leave room for the pool name", l, MaxNameLength-16))
	}
	problems = append(problems, o.networkProblems()...)
	if len(problems) > 0 {
		return errors.New("plan options: " + strings.Join(problems, "; "))
	}
	return nil
}

// Plan is what a migration will do, decided before anything is written:
// one unit per Cloudpath pool, in export order; pools merged by SSID make one
// unit, at the place of the first of them.
type Plan struct {
	Units    []PoolUnit
	Warnings []string // pool-level remarks a person should read; row remarks are on the rows
	// SharedSSIDs are the SSIDs several Cloudpath pools get (per-pool
	// networks with MergeBySSID; without it they refuse the plan). The pools
	// of each became one unit.
	SharedSSIDs []SharedSSID
}

// SharedSSID is an SSID several Cloudpath pools share, and the unit they became.
type SharedSSID struct {
	SSID    string       `json:"ssid"`
	Pools   []PoolSource `json:"pools"`
	UnitKey string       `json:"unitKey"`
}

// PoolSource names a Cloudpath pool of the export.
type PoolSource struct {
	Index       int    `json:"index"` // into Export.Pools
	GUID        string `json:"guid,omitempty"`
	DisplayName string `json:"displayName"` // trimmed; DefaultLegacyPoolName when the export has none
}

// PoolUnit is one Cloudpath pool (or, merged by SSID, several) becoming one
// R1 identity group and one DPSK pool, and with per-pool networks one DPSK
// Wi-Fi network. Key is safe inside a Temporal workflow ID.
type PoolUnit struct {
	Key string // ^[a-z0-9][a-z0-9-]{0,62}$, unique in the plan, stable across runs
	// SourceGUID and DisplayName are the Cloudpath pool's; a merged unit has
	// no GUID and is displayed as its SSID and pool count.
	SourceGUID                                  string
	DisplayName                                 string
	Sources                                     []PoolSource // the Cloudpath pools it migrates, in export order
	Network                                     *NetworkPlan // nil unless NetworkMode is per-pool
	IdentityGroupName, IdentityGroupDescription string
	PoolName, PoolDescription                   string
	Settings                                    PoolSettings
	Rows                                        []Row        // rows to migrate, in export order
	Skipped                                     []RowOutcome // by policy: expired+skip, inactive, duplicate
	Refused                                     []RowOutcome // R1 cannot accept them
}

// PoolSettings are the R1 DPSK pool settings.
type PoolSettings struct {
	PassphraseFormat string `json:"passphraseFormat"` // MOST_SECURED | KEYBOARD_FRIENDLY | NUMBERS_ONLY
	PassphraseLength int    `json:"passphraseLength"`
	DeviceCountLimit int    `json:"deviceCountLimit,omitempty"` // 0 = unlimited
	ExpirationType   string `json:"expirationType,omitempty"`   // "" = none; else an R1 *_AFTER_TIME type
	ExpirationOffset int    `json:"expirationOffset,omitempty"`
}

// Row is one passphrase to create in R1.
//
// Passphrase is a secret: Row formats itself with it redacted, and nothing in
// this package puts it in a reason, warning or error.
type Row struct {
	Index               int // index into the source pool's DPSKs
	SourcePool          int // index of the source pool in the export
	GUID                string
	Username            string
	Passphrase          string `json:"-"`
	VLANID              int    // 0 = no VLAN
	NumberOfDevicesType string // UNLIMITED | LIMITED
	NumberOfDevices     int    // 0 when UNLIMITED
	ExpirationDate      string // RFC 3339 UTC, "" for none
	SSIDs               []string
	Warnings            []string // never contain the passphrase
}

// RowOutcome is a row the plan does not send, and why.
type RowOutcome struct {
	Index    int    `json:"index"` // index into the source pool's DPSKs
	Username string `json:"username"`
	Reason   string `json:"reason"`
	// SourcePool is the index of the row's Cloudpath pool in the export.
	// SourcePoolName is that pool's display name, set only in a unit that
	// merges several pools, where Index alone does not say which row it is.
	SourcePool     int    `json:"sourcePool,omitempty"`
	SourcePoolName string `json:"sourcePoolName,omitempty"`
}

// NewPlan maps an export onto R1. It is pure and deterministic: the same
// export and options give an identical plan. Options the export cannot honour
// (a map naming no pool, a pool without an SSID, a shared SSID without
// MergeBySSID) refuse the plan with a *PlanError that lists them all.
func NewPlan(exp *Export, opts PlanOptions) (*Plan, error) {
	if exp == nil {
		return nil, errors.New("plan: no export")
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if (strings.TrimSpace(opts.IdentityGroupName) != "" || strings.TrimSpace(opts.PoolName) != "") && len(exp.Pools) != 1 {
		return nil, fmt.Errorf("plan options: explicit identityGroupName/poolName need an export with exactly one pool, this one has %d; use namePrefix/nameSuffix instead", len(exp.Pools))
	}
	if opts.SSID != "" && len(exp.Pools) != 1 {
		return nil, fmt.Errorf("plan options: ssid needs an export with exactly one pool, this one has %d; give each pool its SSID with ssidMap instead", len(exp.Pools))
	}
	if opts.Expired == "" {
		opts.Expired = ExpiredImportWithoutExpiry
	}
	if opts.RenewDays == 0 {
		opts.RenewDays = DefaultRenewDays
	}
	opts.Now = opts.Now.UTC()

	sources := make([]source, len(exp.Pools))
	for i := range exp.Pools {
		sources[i] = sourceOf(exp, i)
	}
	var nets *networkChoice
	if opts.NetworkMode == NetworkPerPool {
		var err error
		if nets, err = chooseNetworks(sources, opts); err != nil {
			return nil, err
		}
	}

	pl := &Plan{Units: make([]PoolUnit, 0, len(exp.Pools))}
	if len(exp.Pools) == 0 {
		pl.Warnings = append(pl.Warnings, "the export holds no pools: nothing to migrate")
	}
	names := newNameSet()
	for i := range sources {
		if nets == nil || nets.groupOf[i] < 0 {
			pl.Units = append(pl.Units, planPool(sources[i], opts, names, &pl.Warnings))
			continue
		}
		g := nets.groups[nets.groupOf[i]]
		if g[0] != i {
			continue // planned with the first pool of its SSID
		}
		members := make([]source, len(g))
		for k, j := range g {
			members[k] = sources[j]
		}
		u := planMerged(members, nets.ssids[i], opts, names, &pl.Warnings)
		pl.SharedSSIDs = append(pl.SharedSSIDs, SharedSSID{SSID: nets.ssids[i], Pools: u.Sources, UnitKey: u.Key})
		pl.Units = append(pl.Units, u)
	}
	if nets != nil {
		if err := nets.apply(pl, sources, opts); err != nil {
			return nil, err
		}
	}
	return pl, nil
}

// source is a Cloudpath pool with the names the plan gives it.
type source struct {
	idx     int
	pool    *Pool
	display string // trimmed displayName, or DefaultLegacyPoolName
	label   string // `pool #n "name"`, for warnings, reasons and errors
}

func sourceOf(exp *Export, i int) source {
	src := &exp.Pools[i]
	s := source{idx: i, pool: src, display: strings.TrimSpace(src.DisplayName)}
	s.label = fmt.Sprintf("pool #%d %q", i+1, clip(s.display, 60))
	if s.display == "" {
		s.display = DefaultLegacyPoolName
		s.label = fmt.Sprintf("pool #%d (guid %q)", i+1, clip(src.GUID, 80))
	}
	return s
}

func (s source) ref() PoolSource {
	return PoolSource{Index: s.idx, GUID: s.pool.GUID, DisplayName: s.display}
}

// note adds the warnings about the pool itself.
func (s source) note(warnings *[]string) {
	if strings.TrimSpace(s.pool.DisplayName) == "" {
		*warnings = append(*warnings, fmt.Sprintf("%s has no displayName; named after %q", s.label, s.display))
	}
	if s.pool.DescriptionCut > 0 {
		*warnings = append(*warnings, fmt.Sprintf("%s: description has %d characters, more than R1's %d; only the first %d were read",
			s.label, MaxDescriptionLength+s.pool.DescriptionCut, MaxDescriptionLength, MaxDescriptionLength))
	}
	if w := ssidWarning(s.pool); w != "" {
		*warnings = append(*warnings, s.label+": "+w)
	}
}

// planPool builds the unit of one pool.
func planPool(s source, opts PlanOptions, names *nameSet, warnings *[]string) PoolUnit {
	s.note(warnings)
	src := s.pool
	u := PoolUnit{SourceGUID: src.GUID, DisplayName: src.DisplayName, Sources: []PoolSource{s.ref()}}
	u.Key = names.key(s.display, src.GUID+"\x00"+src.DisplayName)
	u.name(names, opts, s.display, s.label, warnings)
	rp := newRowPlanner(opts, false, len(src.DPSKs))
	rp.plan(&u, &s)
	u.Settings = poolSettings(src, u.Rows, s.label, warnings)
	return u
}

// name gives the unit its identity group and pool names after display.
func (u *PoolUnit) name(names *nameSet, opts PlanOptions, display, label string, warnings *[]string) {
	group, pool, dup := names.names(opts, display)
	if dup {
		*warnings = append(*warnings, fmt.Sprintf("%s: another pool already uses its names; this one becomes identity group %q and DPSK pool %q", label, group, pool))
	}
	u.IdentityGroupName, u.PoolName = group, pool
	u.IdentityGroupDescription = truncate(ImportDescriptionPrefix+group, MaxNameLength)
	u.PoolDescription = truncate(ImportDescriptionPrefix+pool, MaxNameLength)
}

// PlanError is an export and options that give no plan: every problem, each
// with its fix.
type PlanError struct {
	Problems []string
}

func (e *PlanError) Error() string {
	return "plan: " + strings.Join(e.Problems, "; ")
}
