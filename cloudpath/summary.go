package cloudpath

import (
	"fmt"
	"io"
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

// Summary is a plan in numbers, for a person to read before a migration.
type Summary struct {
	Pools                                               []PoolSummary
	TotalCreate, TotalSkip, TotalRefuse, EstimatedCalls int
	// MinDuration is EstimatedCalls at CallsPerMinute: the least time the
	// migration can take within that budget; 0 when no budget was given.
	MinDuration    time.Duration
	CallsPerMinute int
	Warnings       []string // the plan's warnings
}

// PoolSummary is one pool of a Summary.
type PoolSummary struct {
	Key, DisplayName, IdentityGroupName, PoolName string
	Create, Skip, Refuse                          int
	Skipped, Refused                              []RowOutcome
	EstimatedCalls                                int
}

// Summarize counts the plan. callsPerMinute is the R1 call budget the
// migration runs at (R1 allows 2000 per tenant); 0 leaves MinDuration unset.
func (p *Plan) Summarize(callsPerMinute int) Summary {
	s := Summary{CallsPerMinute: max(callsPerMinute, 0), Pools: make([]PoolSummary, 0, len(p.Units))}
	s.Warnings = p.Warnings
	for i := range p.Units {
		u := &p.Units[i]
		ps := PoolSummary{
			Key: u.Key, DisplayName: u.DisplayName, IdentityGroupName: u.IdentityGroupName, PoolName: u.PoolName,
			Create: len(u.Rows), Skip: len(u.Skipped), Refuse: len(u.Refused),
			Skipped: u.Skipped, Refused: u.Refused,
			EstimatedCalls: EstimateCalls(len(u.Rows)),
		}
		s.TotalCreate += ps.Create
		s.TotalSkip += ps.Skip
		s.TotalRefuse += ps.Refuse
		s.EstimatedCalls += ps.EstimatedCalls
		s.Pools = append(s.Pools, ps)
	}
	if s.CallsPerMinute > 0 {
		s.MinDuration = time.Duration(s.EstimatedCalls) * time.Minute / time.Duration(s.CallsPerMinute)
	}
	return s
}

// WriteText writes the summary as a table, then every skipped and refused
// row with its reason, then the plan's warnings.
func (s Summary) WriteText(w io.Writer) error {
	ew := &errWriter{w: w}
	ew.printf("Plan: %s, %d to create, %d skipped, %d refused\n",
		plural(len(s.Pools), "pool"), s.TotalCreate, s.TotalSkip, s.TotalRefuse)
	ew.printf("R1 calls: about %d", s.EstimatedCalls)
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
			fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\n", cell(p.Key), o.Index, cell(fmt.Sprintf("%q", o.Username)), oneLine(o.Reason))
		}
	}
	if err := tw.Flush(); err != nil && ew.err == nil {
		ew.err = err
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
