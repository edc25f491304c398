package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/runrecord"
	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// writeOnAir names, per finished pool with a Wi-Fi network, the network and
// where it is on the air, in the table's order: whether the run created or
// adopted it, the venues it is active on, and why it is not on the others.
// Running pools say what they do in their phase instead.
func writeOnAir(w io.Writer, rows []tableRow) {
	header := false
	for _, r := range rows {
		if r.result == nil || r.result.Network == nil {
			continue
		}
		if !header {
			fmt.Fprintln(w)
			fmt.Fprintln(w, "On the air:")
			header = true
		}
		writeWrapped(w, r.label()+": "+onAirText(r.result), "  ", "      ")
	}
}

// onAirText is `network "LS Res A" (SSID "Res A") created, active on Campus
// North, Annex (already active)`, with `; not activated: <reason>` when the pool's
// network step stopped.
func onAirText(p *workflows.PoolResult) string {
	n := p.Network
	var b strings.Builder
	fmt.Fprintf(&b, "network %q (SSID %q) ", clean(n.Name), clean(n.SSID))
	// The network step is the pool's last: a pool with a network record
	// and an error stopped in it. Its error names the network first.
	reason := strings.TrimPrefix(clean(p.Error), fmt.Sprintf("network %q: ", clean(n.Name)))
	switch {
	case n.ID == "" && reason != "":
		b.WriteString("not put on the air: " + reason)
		return b.String()
	case n.ID == "":
		b.WriteString("not created")
		if p.Status == workflows.StatusCanceled {
			b.WriteString(" (cancelled first)")
		}
		return b.String()
	case n.Created:
		b.WriteString("created")
	case n.Bound:
		b.WriteString("adopted, pool bound by this run")
	default:
		b.WriteString("adopted")
	}
	if len(n.Activations) > 0 {
		b.WriteString(", active on " + venueList(n.Activations))
	}
	switch {
	case reason != "":
		b.WriteString("; not activated: " + reason)
	case p.Status == workflows.StatusCanceled:
		b.WriteString("; the pool was cancelled")
	case len(n.Activations) == 0:
		b.WriteString(", active on no venue (the plan names none)")
	}
	return b.String()
}

// venueList names the venues, marking those where the network was active
// before the run.
func venueList(acts []runrecord.Activation) string {
	names := make([]string, len(acts))
	for i, a := range acts {
		names[i] = clean(a.VenueName)
		if strings.TrimSpace(names[i]) == "" {
			names[i] = clean(a.VenueID)
		}
		if !a.Created {
			names[i] += " (already active)"
		}
	}
	return strings.Join(names, ", ")
}
