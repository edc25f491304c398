package cloudpath

import (
	"errors"
	"fmt"
	"strconv"
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

// planRows sorts the DPSKs of a pool into rows, skipped and refused.
func planRows(u *PoolUnit, src *Pool, opts PlanOptions) {
	u.Rows = make([]Row, 0, len(src.DPSKs))
	// First occurrence (among rows that will be sent) wins; later ones are skipped.
	byUsername := make(map[string]int, len(src.DPSKs))
	byPassphrase := make(map[string]int, len(src.DPSKs))
	poolSSIDs := src.SSIDList[:len(src.SSIDList):len(src.SSIDList)] // shared by rows, never appended to

	for i := range src.DPSKs {
		d := &src.DPSKs[i]
		if reason := refusal(d); reason != "" {
			u.Refused = append(u.Refused, RowOutcome{Index: i, Username: d.Name, Reason: reason})
			continue
		}
		if !opts.ImportInactive && !isActive(d.Status) {
			u.Skipped = append(u.Skipped, RowOutcome{Index: i, Username: d.Name, Reason: "status " + clip(strings.TrimSpace(d.Status), 40)})
			continue
		}
		row := Row{Index: i, GUID: d.GUID, Username: d.Name, Passphrase: d.Passphrase, SSIDs: d.SSIDList}
		if len(row.SSIDs) == 0 {
			row.SSIDs = poolSSIDs // the extractor's rule: an empty list inherits the pool's
		}
		expiry, ok := parseExpiry(d.ExpirationDateTime)
		switch {
		case !ok:
			row.Warnings = append(row.Warnings, fmt.Sprintf("expirationDateTime %q is not a date; imported without expiry", clip(d.ExpirationDateTime, 60)))
		case expiry.IsZero():
		case !expiry.Before(opts.Now):
			row.ExpirationDate = formatTime(expiry)
		case opts.Expired == ExpiredSkip:
			u.Skipped = append(u.Skipped, RowOutcome{Index: i, Username: d.Name, Reason: "expired " + formatTime(expiry)})
			continue
		case opts.Expired == ExpiredRenew:
			row.ExpirationDate = formatTime(opts.Now.AddDate(0, 0, opts.RenewDays))
			row.Warnings = append(row.Warnings, fmt.Sprintf("expired %s; renewed until %s", formatTime(expiry), row.ExpirationDate))
		default:
			row.Warnings = append(row.Warnings, fmt.Sprintf("expired %s; imported without expiry", formatTime(expiry)))
		}
		if j, dup := byUsername[d.Name]; dup {
			u.Skipped = append(u.Skipped, RowOutcome{Index: i, Username: d.Name, Reason: "duplicate username of row " + strconv.Itoa(j) + guidNote(src.DPSKs[j].GUID)})
			continue
		}
		if j, dup := byPassphrase[d.Passphrase]; dup {
			u.Skipped = append(u.Skipped, RowOutcome{Index: i, Username: d.Name, Reason: fmt.Sprintf("duplicate passphrase of row %d (username %q)", j, clip(src.DPSKs[j].Name, 80))})
			continue
		}
		byUsername[d.Name], byPassphrase[d.Passphrase] = i, i

		var warn string
		if row.VLANID, warn = parseVLAN(d.VLAN); warn != "" {
			row.Warnings = append(row.Warnings, warn)
		}
		if row.NumberOfDevicesType, row.NumberOfDevices, warn = deviceLimit(d.UseDeviceCountLimit, d.DeviceCountLimit); warn != "" {
			row.Warnings = append(row.Warnings, warn)
		}
		u.Rows = append(u.Rows, row)
	}
}

func guidNote(guid string) string {
	if guid == "" {
		return ""
	}
	return fmt.Sprintf(" (guid %q)", clip(guid, 80))
}

// refusal says why R1 cannot accept a DPSK, or "".
func refusal(d *DPSK) string {
	var reasons []string
	if strings.TrimSpace(d.Name) == "" {
		reasons = append(reasons, "username is empty")
	}
	switch n := passphraseLength(d.Passphrase); {
	case n == 0:
		reasons = append(reasons, "passphrase is empty")
	case n < MinPassphraseLength || n > MaxPassphraseLength:
		reasons = append(reasons, fmt.Sprintf("passphrase has %d characters; R1 accepts %d to %d", n, MinPassphraseLength, MaxPassphraseLength))
	case !printableASCII(d.Passphrase):
		reasons = append(reasons, "passphrase has characters outside printable ASCII; WPA2 passphrases allow only those")
	}
	return strings.Join(reasons, "; ")
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isActive(status string) bool {
	s := strings.TrimSpace(status)
	return s == "" || strings.EqualFold(s, "ACTIVE")
}

// poolSettings maps the pool's settings; rows are the ones to be created.
func poolSettings(src *Pool, rows []Row, label string, warnings *[]string) PoolSettings {
	var s PoolSettings
	var known bool
	if s.PassphraseFormat, known = passphraseFormat(src.PhraseRandomCharactersType); !known {
		s.PassphraseFormat = inferFormat(rows)
		if t := strings.TrimSpace(src.PhraseRandomCharactersType); t != "" {
			*warnings = append(*warnings, fmt.Sprintf("%s: phraseRandomCharactersType %q is unknown; passphrase format %s inferred from the passphrases", label, clip(t, 40), s.PassphraseFormat))
		}
	}

	// R1 treats the length as a minimum for imported passphrases.
	length := src.PhraseDefaultLength
	if length <= 0 {
		length = DefaultPassphraseLength
	}
	for i := range rows {
		length = min(length, passphraseLength(rows[i].Passphrase))
	}
	s.PassphraseLength = max(MinPassphraseLength, min(length, MaxPassphraseLength))

	if src.EnforceDeviceCountLimit && src.DeviceCountLimit > 0 {
		s.DeviceCountLimit = src.DeviceCountLimit
		if s.DeviceCountLimit > MaxDevicesPerDPSK {
			s.DeviceCountLimit = MaxDevicesPerDPSK
			*warnings = append(*warnings, fmt.Sprintf("%s: device limit %d is above R1's maximum; lowered to %d", label, src.DeviceCountLimit, MaxDevicesPerDPSK))
		}
	}

	if src.EnforceExpirationDate {
		typ := strings.ToUpper(strings.TrimSpace(src.ExpirationDateType))
		n, err := strconv.Atoi(strings.TrimSpace(src.ExpirationDateValue))
		switch {
		case !r1ExpirationTypes[typ]:
			*warnings = append(*warnings, fmt.Sprintf("%s: expiration type %q has no R1 equivalent; the R1 pool gets no expiration", label, clip(src.ExpirationDateType, 40)))
		case err != nil || n <= 0:
			*warnings = append(*warnings, fmt.Sprintf("%s: expiration value %q is not a positive whole number; the R1 pool gets no expiration", label, clip(src.ExpirationDateValue, 40)))
		default:
			s.ExpirationType, s.ExpirationOffset = typ, n
		}
	}
	return s
}
