package cli

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/r1client"
)

// r1QueryBatch is how many usernames one passphrase query asks about.
const r1QueryBatch = 100

// Intended actions of plan --check-r1.
const (
	ActionCreate = "create"
	ActionAdopt  = "adopt"
)

// PoolCheck is what a migration would do to one pool, judged from R1 now.
type PoolCheck struct {
	Key               string
	IdentityGroupName string
	IdentityGroup     string // ActionCreate or ActionAdopt
	PoolName          string
	Pool              string
	Create            int      // rows R1 does not hold
	Adopt             int      // rows R1 holds with the same passphrase
	Patch             int      // ... with another VLAN: adopted, VLAN corrected
	Conflict          int      // rows R1 holds with another passphrase
	Conflicts         []string // their usernames
	Skipped, Refused  int      // by the plan
}

// R1Check is what a migration would do, judged from what R1 holds now.
type R1Check struct {
	Pools         []PoolCheck
	PolicySetName string // when asked for
	PolicySet     string // ActionCreate or ActionAdopt
	// Networks and Venues are the plan's Wi-Fi networks and their venues
	// (network mode per-pool), judged against MaxSSIDsPerAPGroup.
	Networks           []NetworkCheck
	Venues             []VenueCheck
	MaxSSIDsPerAPGroup int
}

// CheckR1 reads R1 (a few calls per pool, one per r1QueryBatch rows) and
// compares every planned row with what R1 holds; with networks, it reads
// their SSIDs and names, their venues and the venues' AP groups too
// (maxSSIDs per AP group, 0 for the default). It changes nothing.
func CheckR1(ctx context.Context, cfg r1client.Config, plan *cloudpath.Plan, policySet string, maxSSIDs int) (R1Check, error) {
	c, err := r1client.New(cfg)
	if err != nil {
		return R1Check{}, fmt.Errorf("R1 client: %w", err)
	}
	out := R1Check{PolicySetName: policySet, MaxSSIDsPerAPGroup: defaultLimit(maxSSIDs)}
	poolIDs := map[string]string{}
	if policySet != "" {
		ps, err := c.PolicySets.FindByName(ctx, policySet)
		if err != nil {
			return out, fmt.Errorf("reading R1 policy set %q: %w", policySet, err)
		}
		out.PolicySet = ActionCreate
		if ps != nil {
			out.PolicySet = ActionAdopt
		}
	}
	for i := range plan.Units {
		u := &plan.Units[i]
		pc := PoolCheck{Key: u.Key, IdentityGroupName: u.IdentityGroupName, PoolName: u.PoolName,
			IdentityGroup: ActionCreate, Pool: ActionCreate, Skipped: len(u.Skipped), Refused: len(u.Refused)}
		g, err := c.IdentityGroups.FindByName(ctx, u.IdentityGroupName)
		if err != nil {
			return out, fmt.Errorf("reading R1 identity group %q: %w", u.IdentityGroupName, err)
		}
		if g != nil {
			pc.IdentityGroup = ActionAdopt
		}
		p, err := c.Pools.FindByName(ctx, u.PoolName)
		if err != nil {
			return out, fmt.Errorf("reading R1 DPSK pool %q: %w", u.PoolName, err)
		}
		if p == nil {
			pc.Create = len(u.Rows)
			out.Pools = append(out.Pools, pc)
			continue
		}
		pc.Pool = ActionAdopt
		poolIDs[u.Key] = p.ID
		for start := 0; start < len(u.Rows); start += r1QueryBatch {
			rows := u.Rows[start:min(start+r1QueryBatch, len(u.Rows))]
			names := make([]string, len(rows))
			for j := range rows {
				names[j] = rows[j].Username
			}
			page, err := c.Passphrases.Query(ctx, p.ID, r1client.PassphraseQuery{Page: 1, PageSize: len(names) + 50, Usernames: names})
			if err != nil {
				return out, fmt.Errorf("reading the passphrases of R1 pool %q: %w", u.PoolName, err)
			}
			held := map[string][]r1client.Passphrase{}
			for _, pp := range page.Items {
				held[pp.Username] = append(held[pp.Username], pp)
			}
			for j := range rows {
				compareRow(&pc, &rows[j], held[rows[j].Username])
			}
		}
		out.Pools = append(out.Pools, pc)
	}
	if out.Networks, out.Venues, err = checkNetworks(ctx, c, plan, poolIDs, out.MaxSSIDsPerAPGroup); err != nil {
		return out, err
	}
	return out, nil
}

// compareRow counts a row as the migration will treat it (see activities.compare).
func compareRow(pc *PoolCheck, row *cloudpath.Row, held []r1client.Passphrase) {
	if len(held) == 0 {
		pc.Create++
		return
	}
	for _, p := range held {
		if p.Passphrase == row.Passphrase {
			if row.VLANID != 0 && p.VLANID != row.VLANID {
				pc.Patch++
			} else {
				pc.Adopt++
			}
			return
		}
	}
	pc.Conflict++
	pc.Conflicts = append(pc.Conflicts, row.Username)
}

// WriteR1Check prints the comparison: a table per pool, then the conflicts by username.
func WriteR1Check(w io.Writer, check R1Check) {
	checks := check.Pools
	fmt.Fprintln(w, "What R1 holds now (plan --check-r1):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL\tIDENTITY GROUP\tDPSK POOL\tCREATE\tADOPT\tVLAN FIX\tCONFLICT\tSKIPPED\tREFUSED")
	var t PoolCheck
	for _, c := range checks {
		fmt.Fprintf(tw, "%s\t%s %q\t%s %q\t%d\t%d\t%d\t%d\t%d\t%d\n", c.Key, c.IdentityGroup, c.IdentityGroupName,
			c.Pool, c.PoolName, c.Create, c.Adopt, c.Patch, c.Conflict, c.Skipped, c.Refused)
		t.Create += c.Create
		t.Adopt += c.Adopt
		t.Patch += c.Patch
		t.Conflict += c.Conflict
		t.Skipped += c.Skipped
		t.Refused += c.Refused
	}
	tw.Flush()
	fmt.Fprintf(w, "Passphrases: %d to create, %d to adopt, %d to adopt with a VLAN fix, %d in conflict, %d skipped, %d refused by the plan\n",
		t.Create, t.Adopt, t.Patch, t.Conflict, t.Skipped, t.Refused)
	if check.PolicySetName != "" {
		fmt.Fprintf(w, "Policy set %q: %s\n", check.PolicySetName, check.PolicySet)
	}
	if t.Conflict > 0 {
		fmt.Fprintln(w, "Conflicts (R1 holds the username in the pool with another passphrase; the migration will report these rows as failed):")
		for _, c := range checks {
			for _, name := range c.Conflicts {
				fmt.Fprintf(w, "  %s: %s\n", c.Key, name)
			}
		}
	}
	writeNetworkCheck(w, check)
}
