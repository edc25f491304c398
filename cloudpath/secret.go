package cloudpath

import (
	"fmt"
	"log/slog"
)

// redacted replaces a passphrase wherever a value is printed.
const redacted = "[REDACTED]"

func redact(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// Format prints the row with its passphrase redacted, whatever the verb,
// so a stray %v or %+v in a log line cannot leak it.
func (r Row) Format(f fmt.State, verb rune) {
	type plain Row // no methods: no recursion
	p := plain(r)
	p.Passphrase = redact(p.Passphrase)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue keeps the passphrase out of slog output.
func (r Row) LogValue() slog.Value {
	return slog.GroupValue(slog.Int("index", r.Index), slog.Int("sourcePool", r.SourcePool), slog.String("guid", r.GUID), slog.String("username", r.Username),
		slog.Int("vlanId", r.VLANID), slog.String("numberOfDevicesType", r.NumberOfDevicesType), slog.Int("numberOfDevices", r.NumberOfDevices),
		slog.String("expirationDate", r.ExpirationDate), slog.String("passphrase", redact(r.Passphrase)))
}

// Format prints the DPSK with its passphrase redacted, whatever the verb.
func (d DPSK) Format(f fmt.State, verb rune) {
	type plain DPSK
	p := plain(d)
	p.Passphrase = redact(p.Passphrase)
	fmt.Fprintf(f, fmt.FormatString(f, verb), p)
}

// LogValue keeps the passphrase out of slog output.
func (d DPSK) LogValue() slog.Value {
	return slog.GroupValue(slog.String("guid", d.GUID), slog.String("name", d.Name), slog.String("status", d.Status),
		slog.String("vlanid", d.VLAN), slog.String("passphrase", redact(d.Passphrase)))
}
