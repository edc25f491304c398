// Package report is the per-row account of a migration: every row of the
// Cloudpath export with exactly one outcome (created, adopted, patched,
// skipped, refused, conflict, failed, not attempted, not recorded), built from
// the plan and the record each pool's workflow kept (runrecord), and written
// as CSV or JSON for the people who sign a cutover off.
//
// It is pure: no Temporal, no R1, no I/O but the writers. Gathering the
// inputs is migrations.Service.Report's job; a verification that reads R1
// fills in the R1 ids of the same rows. It never holds or writes a
// passphrase: a Row has no field for one.
package report

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/cloudpath"
	"github.com/dpskmigrate/dpskmigrate/runrecord"
)

// Outcome is what became of one row of the export.
type Outcome string

// The outcomes, one per row of the export.
const (
	Created      Outcome = "created"       // the migration created the passphrase in R1
	Adopted      Outcome = "adopted"       // R1 already held it as the export has it
	Patched      Outcome = "patched"       // adopted, and its VLAN set to the export's
	Skipped      Outcome = "skipped"       // by the plan's policy: revoked, inactive, expired (skip), duplicate
	Refused      Outcome = "refused"       // R1 cannot take it (the plan says why); never sent
	Conflict     Outcome = "conflict"      // R1 holds the username with another passphrase; left alone
	Failed       Outcome = "failed"        // R1 refused it, never showed it, or its pool failed
	NotAttempted Outcome = "not attempted" // never sent: its pool did not start, was cancelled first, or is running
	NotRecorded  Outcome = "not recorded"  // its pool kept no per-row record (first release, or terminated)
)

// Outcomes lists every outcome, in the order totals are shown.
var Outcomes = []Outcome{Created, Adopted, Patched, Skipped, Refused, Conflict, Failed, NotAttempted, NotRecorded}

// Row is one row of the export and what became of it.
type Row struct {
	// R1Pool is the R1 DPSK pool the plan puts the row in; CloudpathPool is
	// the Cloudpath pool it comes from (they differ when pools are merged by
	// SSID, and when a prefix, a suffix or a name clash renames the pool).
	R1Pool        string  `json:"r1Pool"`
	CloudpathPool string  `json:"cloudpathPool"`
	Index         int     `json:"index"` // the row's position among its Cloudpath pool's DPSKs, from 0
	Username      string  `json:"username"`
	GUID          string  `json:"cloudpathGuid"`
	Outcome       Outcome `json:"outcome"`
	Detail        string  `json:"detail,omitempty"` // why, and for patched rows from which VLAN to which
	// R1's ids, where known: the run's record keeps none, so a report built
	// from it leaves them empty; a verification that reads R1 fills them in.
	PassphraseID string `json:"passphraseId,omitempty"`
	IdentityID   string `json:"identityId,omitempty"`

	// PoolKey is the plan unit's key (the pool workflow is
	// <migration-id>/pool/<key>), PlanRow the row's position in the unit's
	// rows to migrate (-1: skipped or refused, never sent), and SourcePool
	// the index of its Cloudpath pool in the export. None is written out;
	// they let a verification find the row in the plan and the export.
	PoolKey    string `json:"-"`
	PlanRow    int    `json:"-"`
	SourcePool int    `json:"-"`
}

// Totals counts rows by outcome.
type Totals struct {
	Created      int `json:"created"`
	Adopted      int `json:"adopted"`
	Patched      int `json:"patched"`
	Skipped      int `json:"skipped"`
	Refused      int `json:"refused"`
	Conflict     int `json:"conflict"`
	Failed       int `json:"failed"`
	NotAttempted int `json:"notAttempted"`
	NotRecorded  int `json:"notRecorded"`
}

func (t *Totals) field(o Outcome) *int {
	switch o {
	case Created:
		return &t.Created
	case Adopted:
		return &t.Adopted
	case Patched:
		return &t.Patched
	case Skipped:
		return &t.Skipped
	case Refused:
		return &t.Refused
	case Conflict:
		return &t.Conflict
	case Failed:
		return &t.Failed
	case NotAttempted:
		return &t.NotAttempted
	case NotRecorded:
		return &t.NotRecorded
	}
	return nil
}

// Of is the number of rows with outcome o.
func (t Totals) Of(o Outcome) int {
	if f := t.field(o); f != nil {
		return *f
	}
	return 0
}

// Add counts one row with outcome o; it reports false for an unknown outcome.
func (t *Totals) Add(o Outcome) bool {
	f := t.field(o)
	if f == nil {
		return false
	}
	*f++
	return true
}

// Sum is the number of rows counted.
func (t Totals) Sum() int {
	n := 0
	for _, o := range Outcomes {
		n += t.Of(o)
	}
	return n
}

// String reads "46 rows: 20 created, 10 adopted, …": every outcome, but
// "not recorded" only when some row has it.
func (t Totals) String() string {
	parts := make([]string, 0, len(Outcomes))
	for _, o := range Outcomes {
		if o == NotRecorded && t.NotRecorded == 0 {
			continue
		}
		parts = append(parts, fmt.Sprintf("%d %s", t.Of(o), o))
	}
	return fmt.Sprintf("%d rows: %s", t.Sum(), strings.Join(parts, ", "))
}

// Report is every row of a migration's export with its outcome.
type Report struct {
	MigrationID string `json:"migrationId"`
	// State is the migration's Temporal state when the report was read
	// (RUNNING, COMPLETED, FAILED, CANCELED, TERMINATED, TIMED_OUT).
	State  string `json:"state,omitempty"`
	Export string `json:"export,omitempty"` // the export's SHA-256
	// ExportRows is the number of DPSKs in the export; Totals always add up
	// to it, and there is one Row for each.
	ExportRows int      `json:"exportRows"`
	Totals     Totals   `json:"totals"`
	Notes      []string `json:"notes,omitempty"` // what a reader must know to read the rows (a migration still running)
	Rows       []Row    `json:"rows"`
	// Networks: per pool put on the air (networkMode per-pool), the network
	// and its activations as the run left them. JSON only.
	Networks []PoolNetwork `json:"networks,omitempty"`
}

// PoolState is where a pool's workflow stands, as far as the report is concerned.
type PoolState int

const (
	// PoolNotStarted: the pool's workflow never started; its rows were not attempted.
	PoolNotStarted PoolState = iota
	// PoolRunning: the workflow is still running; its rows are not attempted yet.
	PoolRunning
	// PoolEnded: the workflow ended and its Record says what became of each
	// row; a nil Record means it ran under the first release, which kept none.
	PoolEnded
	// PoolCanceled: the workflow was cancelled; rows its Record lacks were never sent.
	PoolCanceled
	// PoolRefused: the workflow refused its input and sent no row; they
	// failed for Pool.Detail.
	PoolRefused
	// PoolLost: the workflow ended without a result (terminated, timed out);
	// what it did is not recorded, Pool.Detail says why.
	PoolLost
)

// Pool is what Temporal holds of one pool's workflow.
type Pool struct {
	Key    string // the plan unit's key
	State  PoolState
	Record *runrecord.Pool // PoolEnded and PoolCanceled
	// Detail explains the rows of a pool that did not record them: why it
	// did not start, that it is running, why it was refused or lost. Empty:
	// a general explanation.
	Detail string
}

// Details of the rows whose outcome needs one and whose text is ours.
const (
	DetailConflict         = "R1 holds this username in the pool with another passphrase; it was left as it is"
	DetailUnconfirmed      = "R1 accepted it but never showed it before the run ended: R1 may hold it, and a re-run adopts it if so"
	DetailCanceled         = "the pool was cancelled before this row was sent"
	DetailNotStarted       = "the pool's workflow never started"
	DetailRunning          = "the pool is still running: report again when the migration has ended"
	DetailFirstRelease     = "the pool ran under the first release of dpskmigrate, which kept no per-row record: `dpskmigrate status` has its counts, and only R1 can tell whether it holds this row (a re-run adopts it if so)"
	DetailFirstReleaseRuns = "an earlier run of the pool, under the first release of dpskmigrate, handled this row and kept counts only: only R1 can tell whether it holds it (a re-run adopts it if so)"
	DetailLost             = "the pool's workflow ended without reporting what it did: R1 may hold this row"
)

// Build gives every row of the export its outcome: the plan's skipped and
// refused rows, and the rows to migrate as their pool's record says. pools
// are matched to the plan's units by key; a unit with none never started.
// Rows come unit by unit in plan order, each unit's in export order.
//
// It refuses a record that does not fit the plan (a row outside it, or in two
// outcomes) and checks that every DPSK of the export has exactly one row.
func Build(exp *cloudpath.Export, plan *cloudpath.Plan, pools []Pool) (*Report, error) {
	if exp == nil || plan == nil {
		return nil, fmt.Errorf("report: no export or no plan")
	}
	byKey := make(map[string]*Pool, len(pools))
	for i := range pools {
		if _, dup := byKey[pools[i].Key]; dup {
			return nil, fmt.Errorf("report: pool %q is given twice", pools[i].Key)
		}
		byKey[pools[i].Key] = &pools[i]
	}
	keys := make(map[string]bool, len(plan.Units))
	for _, u := range plan.Units {
		keys[u.Key] = true
	}
	for _, p := range pools {
		if !keys[p.Key] {
			return nil, fmt.Errorf("report: pool %q is not in the plan", p.Key)
		}
	}

	rep := &Report{}
	for _, p := range exp.Pools {
		rep.ExportRows += len(p.DPSKs)
	}
	rep.Rows = make([]Row, 0, rep.ExportRows)
	seen := newCoverage(exp)
	for i := range plan.Units {
		u := &plan.Units[i]
		p := byKey[u.Key]
		if p == nil {
			p = &Pool{Key: u.Key, State: PoolNotStarted}
		}
		rows, err := unitRows(exp, u, p)
		if err != nil {
			return nil, fmt.Errorf("report: pool %q: %w", u.DisplayName, err)
		}
		for _, r := range rows {
			if err := seen.mark(r); err != nil {
				return nil, fmt.Errorf("report: pool %q: %w", u.DisplayName, err)
			}
			if !rep.Totals.Add(r.Outcome) {
				return nil, fmt.Errorf("report: row %d of %q has no outcome", r.Index, r.CloudpathPool)
			}
		}
		rep.Rows = append(rep.Rows, rows...)
		if n := poolNetwork(u, byKey[u.Key]); n != nil {
			rep.Networks = append(rep.Networks, *n)
		}
	}
	if err := seen.complete(); err != nil {
		return nil, fmt.Errorf("report: %w", err)
	}
	if rep.Totals.Sum() != rep.ExportRows || len(rep.Rows) != rep.ExportRows {
		return nil, fmt.Errorf("report: %d rows with an outcome (%s) for the export's %d", len(rep.Rows), rep.Totals, rep.ExportRows)
	}
	return rep, nil
}

// unitRows are the rows of one unit, in export order.
func unitRows(exp *cloudpath.Export, u *cloudpath.PoolUnit, p *Pool) ([]Row, error) {
	sourcePos := make(map[int]int, len(u.Sources)) // export index → position in the unit
	for i, s := range u.Sources {
		sourcePos[s.Index] = i
	}
	base := func(sourcePool, index int, username string) Row {
		r := Row{R1Pool: u.PoolName, Index: index, Username: username, PoolKey: u.Key, PlanRow: -1, SourcePool: sourcePool}
		if i, ok := sourcePos[sourcePool]; ok {
			r.CloudpathPool = u.Sources[i].DisplayName
		}
		if sourcePool >= 0 && sourcePool < len(exp.Pools) && index >= 0 && index < len(exp.Pools[sourcePool].DPSKs) {
			r.GUID = exp.Pools[sourcePool].DPSKs[index].GUID
		}
		return r
	}
	type placed struct {
		source, index int
		row           Row
	}
	all := make([]placed, 0, len(u.Rows)+len(u.Skipped)+len(u.Refused))
	for _, set := range []struct {
		outcome Outcome
		rows    []cloudpath.RowOutcome
	}{{Skipped, u.Skipped}, {Refused, u.Refused}} {
		for _, o := range set.rows {
			r := base(o.SourcePool, o.Index, o.Username)
			r.Outcome, r.Detail = set.outcome, o.Reason
			all = append(all, placed{sourcePos[o.SourcePool], o.Index, r})
		}
	}
	outcomes, err := rowOutcomes(u, p)
	if err != nil {
		return nil, err
	}
	for i := range u.Rows {
		pr := &u.Rows[i]
		r := base(pr.SourcePool, pr.Index, pr.Username)
		r.PlanRow = i
		r.Outcome, r.Detail = outcomes[i].outcome, outcomes[i].detail
		all = append(all, placed{sourcePos[pr.SourcePool], pr.Index, r})
	}
	slices.SortStableFunc(all, func(a, b placed) int {
		return cmp.Or(cmp.Compare(a.source, b.source), cmp.Compare(a.index, b.index))
	})
	out := make([]Row, len(all))
	for i := range all {
		out[i] = all[i].row
	}
	return out, nil
}

type rowOutcome struct {
	outcome Outcome
	detail  string
}

// rowOutcomes decides each of the unit's rows to migrate from its pool's
// state and record.
func rowOutcomes(u *cloudpath.PoolUnit, p *Pool) ([]rowOutcome, error) {
	out := make([]rowOutcome, len(u.Rows))
	fill := func(o Outcome, detail, fallback string) []rowOutcome {
		for i := range out {
			out[i] = rowOutcome{o, cmp.Or(detail, fallback)}
		}
		return out
	}
	switch p.State {
	case PoolNotStarted:
		return fill(NotAttempted, p.Detail, DetailNotStarted), nil
	case PoolRunning:
		return fill(NotAttempted, p.Detail, DetailRunning), nil
	case PoolRefused:
		return fill(Failed, p.Detail, "the pool's workflow refused its input"), nil
	case PoolLost:
		return fill(NotRecorded, p.Detail, DetailLost), nil
	case PoolEnded, PoolCanceled:
	default:
		return nil, fmt.Errorf("unknown pool state %d", p.State)
	}
	if p.Record == nil {
		return fill(NotRecorded, p.Detail, DetailFirstRelease), nil
	}

	set := func(row int, o Outcome, detail string) error {
		if row < 0 || row >= len(out) {
			return fmt.Errorf("its record names row %d of a plan of %d rows to migrate: the export planned again does not match the run", row, len(out))
		}
		if out[row].outcome != "" {
			return fmt.Errorf("its record gives row %d (%q) two outcomes, %s and %s", row, u.Rows[row].Username, out[row].outcome, o)
		}
		out[row] = rowOutcome{o, detail}
		return nil
	}
	rec := p.Record.Rows
	for _, s := range []struct {
		rows    runrecord.RowSet
		outcome Outcome
		detail  string
	}{{rec.Created, Created, ""}, {rec.Adopted, Adopted, ""}, {rec.Conflict, Conflict, DetailConflict}, {rec.Unconfirmed, Failed, DetailUnconfirmed}} {
		for row := range s.rows.All() {
			if err := set(row, s.outcome, s.detail); err != nil {
				return nil, err
			}
		}
	}
	for _, c := range rec.Patched {
		for row := range c.Rows.All() {
			to := 0
			if row >= 0 && row < len(u.Rows) {
				to = u.Rows[row].VLANID
			}
			if err := set(row, Patched, fmt.Sprintf("VLAN changed from %s to %s", vlan(c.From), vlan(to))); err != nil {
				return nil, err
			}
		}
	}
	for _, f := range rec.Failed {
		for row := range f.Rows.All() {
			if err := set(row, Failed, f.Reason); err != nil {
				return nil, err
			}
		}
	}
	// Rows the record does not hold: a cancelled pool never sent them; an
	// ended one handled them in a run of the first release (which a later
	// run continued, carrying counts only).
	rest := rowOutcome{NotRecorded, DetailFirstReleaseRuns}
	if p.State == PoolCanceled {
		rest = rowOutcome{NotAttempted, DetailCanceled}
	}
	for i := range out {
		if out[i].outcome == "" {
			out[i] = rest
		}
	}
	return out, nil
}

func vlan(id int) string {
	if id == 0 {
		return "none"
	}
	return fmt.Sprint(id)
}

// coverage checks that every DPSK of the export gets exactly one row.
type coverage struct {
	exp  *cloudpath.Export
	seen [][]bool // [pool][dpsk]
}

func newCoverage(exp *cloudpath.Export) *coverage {
	c := &coverage{exp: exp, seen: make([][]bool, len(exp.Pools))}
	for i, p := range exp.Pools {
		c.seen[i] = make([]bool, len(p.DPSKs))
	}
	return c
}

func (c *coverage) mark(r Row) error {
	if r.SourcePool < 0 || r.SourcePool >= len(c.seen) || r.Index < 0 || r.Index >= len(c.seen[r.SourcePool]) {
		return fmt.Errorf("row %d (%q) is not in the export", r.Index, r.Username)
	}
	if c.seen[r.SourcePool][r.Index] {
		return fmt.Errorf("row %d of %q has two outcomes", r.Index, r.CloudpathPool)
	}
	c.seen[r.SourcePool][r.Index] = true
	return nil
}

func (c *coverage) complete() error {
	for i, pool := range c.seen {
		for j, ok := range pool {
			if !ok {
				return fmt.Errorf("row %d of pool #%d %q has no outcome", j, i+1, c.exp.Pools[i].DisplayName)
			}
		}
	}
	return nil
}
