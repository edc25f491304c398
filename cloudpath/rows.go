package cloudpath

import (
	"fmt"
	"strconv"
	"strings"
)

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
