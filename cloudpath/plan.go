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
	if len(problems) > 0 {
		return errors.New("plan options: " + strings.Join(problems, "; "))
	}
	return nil
}

// Plan is what a migration will do, decided before anything is written:
// one unit per Cloudpath pool, in export order.
type Plan struct {
	Units    []PoolUnit
	Warnings []string // pool-level remarks a person should read; row remarks are on the rows
}

// PoolUnit is one Cloudpath pool becoming one R1 identity group and one DPSK
// pool. Key is safe inside a Temporal workflow ID.
type PoolUnit struct {
	Key                                         string // ^[a-z0-9][a-z0-9-]{0,62}$, unique in the plan, stable across runs
	SourceGUID                                  string
	DisplayName                                 string
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
}

// NewPlan maps an export onto R1. It is pure and deterministic: the same
// export and options give an identical plan.
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
	if opts.Expired == "" {
		opts.Expired = ExpiredImportWithoutExpiry
	}
	if opts.RenewDays == 0 {
		opts.RenewDays = DefaultRenewDays
	}
	opts.Now = opts.Now.UTC()

	pl := &Plan{Units: make([]PoolUnit, 0, len(exp.Pools))}
	if len(exp.Pools) == 0 {
		pl.Warnings = append(pl.Warnings, "the export holds no pools: nothing to migrate")
	}
	names := newNameSet()
	for i := range exp.Pools {
		u := planPool(&exp.Pools[i], i, opts, names, &pl.Warnings)
		pl.Units = append(pl.Units, u)
	}
	return pl, nil
}

// planPool builds the unit of one pool.
func planPool(src *Pool, idx int, opts PlanOptions, names *nameSet, warnings *[]string) PoolUnit {
	display := strings.TrimSpace(src.DisplayName)
	label := fmt.Sprintf("pool #%d %q", idx+1, clip(display, 60))
	if display == "" {
		display = DefaultLegacyPoolName
		label = fmt.Sprintf("pool #%d (guid %q)", idx+1, clip(src.GUID, 80))
		*warnings = append(*warnings, fmt.Sprintf("%s has no displayName; named after %q", label, display))
	}
	if src.DescriptionCut > 0 {
		*warnings = append(*warnings, fmt.Sprintf("%s: description has %d characters, more than R1's %d; only the first %d were read",
			label, MaxDescriptionLength+src.DescriptionCut, MaxDescriptionLength, MaxDescriptionLength))
	}
	if w := ssidWarning(src); w != "" {
		*warnings = append(*warnings, label+": "+w)
	}
	u := PoolUnit{SourceGUID: src.GUID, DisplayName: src.DisplayName}
	u.Key = names.key(display, src.GUID, src.DisplayName)

	group, pool, dup := names.names(opts, display)
	if dup {
		*warnings = append(*warnings, fmt.Sprintf("%s: another pool already uses its names; this one becomes identity group %q and DPSK pool %q", label, group, pool))
	}
	u.IdentityGroupName, u.PoolName = group, pool
	u.IdentityGroupDescription = truncate(ImportDescriptionPrefix+group, MaxNameLength)
	u.PoolDescription = truncate(ImportDescriptionPrefix+pool, MaxNameLength)

	planRows(&u, src, opts)
	u.Settings = poolSettings(src, u.Rows, label, warnings)
	return u
}
