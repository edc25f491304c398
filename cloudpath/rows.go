package cloudpath

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// rowPlanner sorts DPSKs into rows, skipped and refused, for one unit: the
// DPSKs of one pool, or of every pool a unit merges, which must keep
// usernames and passphrases unique across them.
type rowPlanner struct {
	opts    PlanOptions
	merged  bool
	sources []*source // the pools planned so far
	// First occurrence (among rows that will be sent) wins; later ones are skipped.
	byUsername, byPassphrase map[string]firstRow
}

// firstRow is the row that claimed a username or a passphrase: DPSK index
// of sources[source]. Small, as maps of 10,000s of rows hold it.
type firstRow struct {
	source, index int32
}

func newRowPlanner(opts PlanOptions, merged bool, capacity int) *rowPlanner {
	return &rowPlanner{opts: opts, merged: merged,
		byUsername: make(map[string]firstRow, capacity), byPassphrase: make(map[string]firstRow, capacity)}
}

// plan appends the DPSKs of s to u, in export order.
func (rp *rowPlanner) plan(u *PoolUnit, s *source) {
	src, opts := s.pool, rp.opts
	rp.sources = append(rp.sources, s)
	self := int32(len(rp.sources) - 1)
	u.Rows = slicesGrow(u.Rows, len(src.DPSKs))
	poolSSIDs := src.SSIDList[:len(src.SSIDList):len(src.SSIDList)] // shared by rows, never appended to
	outcome := func(i int, d *DPSK, reason string) RowOutcome {
		o := RowOutcome{Index: i, Username: d.Name, Reason: reason, SourcePool: s.idx}
		if rp.merged {
			o.SourcePoolName = s.display
		}
		return o
	}

	for i := range src.DPSKs {
		d := &src.DPSKs[i]
		if reason := refusal(d); reason != "" {
			u.Refused = append(u.Refused, outcome(i, d, reason))
			continue
		}
		if !opts.ImportInactive && !isActive(d.Status) {
			u.Skipped = append(u.Skipped, outcome(i, d, "status "+clip(strings.TrimSpace(d.Status), 40)))
			continue
		}
		row := Row{Index: i, SourcePool: s.idx, GUID: d.GUID, Username: d.Name, Passphrase: d.Passphrase, SSIDs: d.SSIDList}
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
			u.Skipped = append(u.Skipped, outcome(i, d, "expired "+formatTime(expiry)))
			continue
		case opts.Expired == ExpiredRenew:
			row.ExpirationDate = formatTime(opts.Now.AddDate(0, 0, opts.RenewDays))
			row.Warnings = append(row.Warnings, fmt.Sprintf("expired %s; renewed until %s", formatTime(expiry), row.ExpirationDate))
		default:
			row.Warnings = append(row.Warnings, fmt.Sprintf("expired %s; imported without expiry", formatTime(expiry)))
		}
		if first, dup := rp.byUsername[d.Name]; dup {
			u.Skipped = append(u.Skipped, outcome(i, d, "duplicate username of "+rp.rowName(first)+guidNote(rp.dpsk(first).GUID)))
			continue
		}
		if first, dup := rp.byPassphrase[d.Passphrase]; dup {
			u.Skipped = append(u.Skipped, outcome(i, d, fmt.Sprintf("duplicate passphrase of %s (username %q)", rp.rowName(first), clip(rp.dpsk(first).Name, 80))))
			continue
		}
		first := firstRow{source: self, index: int32(i)}
		rp.byUsername[d.Name], rp.byPassphrase[d.Passphrase] = first, first

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

func (rp *rowPlanner) dpsk(r firstRow) *DPSK {
	return &rp.sources[r.source].pool.DPSKs[r.index]
}

// rowName names the row a duplicate repeats: its index, and in a merged
// unit its pool too.
func (rp *rowPlanner) rowName(r firstRow) string {
	if !rp.merged {
		return "row " + strconv.Itoa(int(r.index))
	}
	return fmt.Sprintf("row %d of %s", r.index, rp.sources[r.source].label)
}

// slicesGrow makes room for n more rows.
func slicesGrow(rows []Row, n int) []Row {
	if rows == nil {
		return make([]Row, 0, n)
	}
	return slices.Grow(rows, n)
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
