package cloudpath

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// EstimatePolicyCalls is the R1 calls added per pool when a policy set is
// requested: find the set, create it when missing, attach it to the pool.
const EstimatePolicyCalls = 3

// passphrasesPerPage is the page size the migration reads R1 passphrases with.
const passphrasesPerPage = 500

// EstimateCalls is the number of R1 calls the migration makes for one pool
// of rows passphrases to create:
//
//	identity group: lookup 1 + create 1 + ~2 activity polls   = 4
//	DPSK pool:      lookup 1 + create 1 + ~2 activity polls   = 4
//	read what the pool holds: ceil(rows/500) pages, at least 1
//	create:         1 per row
//	reconcile:      ceil(rows/500) pages
//
// It is an estimate for a fresh tenant: re-runs adopt instead of create, and
// retries (429s, lost responses) add calls. Policy sets are added by the
// caller (EstimatePolicyCalls per pool).
func EstimateCalls(rows int) int {
	rows = max(rows, 0)
	pages := (rows + passphrasesPerPage - 1) / passphrasesPerPage
	return 4 + 4 + max(pages, 1) + rows + pages
}

// EstimateNetworkCalls is the number of R1 calls that put one unit's network
// on the air on venues venues (NetworkMode per-pool), counting two activity
// reads per wait (R1 usually finishes in one or two):
//
//	find:   by SSID 1 + by name 1                                  = 2
//	create: 1 + ~2 activity reads                                  = 3
//	bind the DPSK pool: 1 + ~2 activity reads                      = 3
//	per venue: AP-group read (slot guard) 1 + activate 1 + ~2 reads = 4
//
// Resolving the venues' names to ids is counted once per migration
// (EstimateVenueLookupCalls per distinct venue, in Summarize).
func EstimateNetworkCalls(venues int) int {
	return 2 + 3 + 3 + 4*max(venues, 0)
}

// EstimateVenueLookupCalls is the R1 calls that resolve one venue name or
// id, once per migration.
const EstimateVenueLookupCalls = 1

// Summary is a plan in numbers, for a person to read before a migration.
type Summary struct {
	Pools                                               []PoolSummary
	TotalCreate, TotalSkip, TotalRefuse, EstimatedCalls int
	// MinDuration is EstimatedCalls at CallsPerMinute: the least time the
	// migration can take within that budget; 0 when no budget was given.
	MinDuration    time.Duration
	CallsPerMinute int
	Warnings       []string // the plan's warnings
	// SharedSSIDs are the plan's: SSIDs several Cloudpath pools share, merged.
	SharedSSIDs []SharedSSID
	// Venues are the distinct venues the networks go on, first named first.
	Venues []string
}

// PoolSummary is one pool of a Summary.
type PoolSummary struct {
	Key, DisplayName, IdentityGroupName, PoolName string
	Create, Skip, Refuse                          int
	Skipped, Refused                              []RowOutcome
	EstimatedCalls                                int
	// Network is the network the unit puts on the air (nil: none).
	Network *NetworkPlan
	// Merged are the Cloudpath pools the unit merges; nil for a unit of one pool.
	Merged []PoolSource
}

// Summarize counts the plan. callsPerMinute is the R1 call budget the
// migration runs at (R1 allows 2000 per tenant); 0 leaves MinDuration unset.
func (p *Plan) Summarize(callsPerMinute int) Summary {
	s := Summary{CallsPerMinute: max(callsPerMinute, 0), Pools: make([]PoolSummary, 0, len(p.Units))}
	s.Warnings, s.SharedSSIDs = p.Warnings, p.SharedSSIDs
	for i := range p.Units {
		u := &p.Units[i]
		ps := PoolSummary{
			Key: u.Key, DisplayName: u.DisplayName, IdentityGroupName: u.IdentityGroupName, PoolName: u.PoolName,
			Create: len(u.Rows), Skip: len(u.Skipped), Refuse: len(u.Refused),
			Skipped: u.Skipped, Refused: u.Refused,
			EstimatedCalls: EstimateCalls(len(u.Rows)),
			Network:        u.Network,
		}
		if len(u.Sources) > 1 {
			ps.Merged = u.Sources
		}
		if u.Network != nil {
			ps.EstimatedCalls += EstimateNetworkCalls(len(u.Network.Venues))
			for _, v := range u.Network.Venues {
				if !slices.Contains(s.Venues, v) {
					s.Venues = append(s.Venues, v)
				}
			}
		}
		s.TotalCreate += ps.Create
		s.TotalSkip += ps.Skip
		s.TotalRefuse += ps.Refuse
		s.EstimatedCalls += ps.EstimatedCalls
		s.Pools = append(s.Pools, ps)
	}
	s.EstimatedCalls += EstimateVenueLookupCalls * len(s.Venues)
	if s.CallsPerMinute > 0 {
		s.MinDuration = time.Duration(s.EstimatedCalls) * time.Minute / time.Duration(s.CallsPerMinute)
	}
	return s
}

// WriteText writes the summary as a table, then every skipped and refused
// row with its reason, then the plan's warnings.
func (s Summary) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	sources := 0
	for _, p := range s.Pools {
		sources += max(len(p.Merged), 1)
	}
	from := ""
	if sources != len(s.Pools) {
		from = fmt.Sprintf(" from %d Cloudpath pools", sources)
	}
	ew.printf("Plan: %s%s, %d to create, %d skipped, %d refused\n",
		plural(len(s.Pools), "pool"), from, s.TotalCreate, s.TotalSkip, s.TotalRefuse)
	ew.printf("R1 calls: about %d", s.EstimatedCalls)
	if len(s.Venues) > 0 {
		ew.printf(" (%s to resolve venues)", plural(EstimateVenueLookupCalls*len(s.Venues), "call"))
	}
	if s.CallsPerMinute > 0 {
		ew.printf(", at least %s at %d calls/minute", roundDuration(s.MinDuration), s.CallsPerMinute)
	}
	ew.printf("\n")
	if len(s.Pools) > 0 {
		ew.printf("\n")
		tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "POOL\tIDENTITY GROUP\tDPSK POOL\tCREATE\tSKIP\tREFUSE\tCALLS")
		for _, p := range s.Pools {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t%d\n", cell(p.Key), cell(p.IdentityGroupName), cell(p.PoolName), p.Create, p.Skip, p.Refuse, p.EstimatedCalls)
		}
		fmt.Fprintf(tw, "TOTAL\t\t\t%d\t%d\t%d\t%d\n", s.TotalCreate, s.TotalSkip, s.TotalRefuse, s.EstimatedCalls)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	writeNetworks(ew, s)
	writeOutcomes(ew, "Skipped", s.Pools, func(p PoolSummary) []RowOutcome { return p.Skipped })
	writeOutcomes(ew, "Refused (R1 cannot accept these rows)", s.Pools, func(p PoolSummary) []RowOutcome { return p.Refused })
	if len(s.Warnings) > 0 {
		ew.printf("\nWarnings:\n")
		for _, wr := range s.Warnings {
			ew.printf("  - %s\n", oneLine(wr))
		}
	}
	return ew.err
}

func writeOutcomes(ew *errWriter, title string, pools []PoolSummary, list func(PoolSummary) []RowOutcome) {
	n := 0
	for _, p := range pools {
		n += len(list(p))
	}
	if n == 0 {
		return
	}
	ew.printf("\n%s: %d\n", title, n)
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL\tROW\tUSERNAME\tREASON")
	for _, p := range pools {
		for _, o := range list(p) {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", cell(p.Key), rowCell(o), cell(fmt.Sprintf("%q", o.Username)), oneLine(o.Reason))
		}
	}
	if err := tw.Flush(); err != nil && ew.err == nil {
		ew.err = err
	}
}

// rowCell is a row's index, and in a merged unit the pool it comes from.
func rowCell(o RowOutcome) string {
	if o.SourcePoolName == "" {
		return strconv.Itoa(o.Index)
	}
	return fmt.Sprintf("%d of #%d %s", o.Index, o.SourcePool+1, cell(fmt.Sprintf("%q", clip(o.SourcePoolName, 40))))
}

// writeNetworks lists each unit's network and the pools merged by SSID.
func writeNetworks(ew *errWriter, s Summary) {
	n := 0
	for _, p := range s.Pools {
		if p.Network != nil {
			n++
		}
	}
	if n == 0 {
		return
	}
	ew.printf("\nWi-Fi networks: %s, each bound to its DPSK pool and activated venue-wide on its venues\n", plural(n, "network"))
	tw := tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  POOL\tSSID\tNETWORK NAME\tVENUES")
	for _, p := range s.Pools {
		if p.Network == nil {
			continue
		}
		venues := "- (activated nowhere)"
		if len(p.Network.Venues) > 0 {
			quoted := make([]string, len(p.Network.Venues))
			for i, v := range p.Network.Venues {
				quoted[i] = fmt.Sprintf("%q", v)
			}
			venues = strings.Join(capList(quoted, 8), ", ")
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", cell(p.Key), cell(p.Network.SSID), cell(p.Network.Name), oneLine(venues))
	}
	if err := tw.Flush(); err != nil && ew.err == nil {
		ew.err = err
	}
	if len(s.SharedSSIDs) == 0 {
		return
	}
	ew.printf("\nPools sharing an SSID, merged into one R1 pool each (merge by SSID):\n")
	for _, g := range s.SharedSSIDs {
		names := make([]string, len(g.Pools))
		for i, p := range g.Pools {
			names[i] = fmt.Sprintf("#%d %q", p.Index+1, clip(p.DisplayName, 40))
		}
		ew.printf("  SSID %q -> %s: %s\n", clip(g.SSID, 40), g.UnitKey, oneLine(strings.Join(capList(names, 20), ", ")))
	}
}

// cell keeps tabs and line breaks in a name from breaking the table.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return oneLine(s)
}

func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return ' '
		}
		return r
	}, s)
}

// roundDuration keeps two significant figures of a short duration and
// whole seconds of a long one.
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// errWriter remembers the first write error so WriteText can report it once.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(b)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, args ...any) {
	fmt.Fprintf(e, format, args...)
}
