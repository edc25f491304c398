package cli

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// The pool table's layout, every width in one place. The default table, and
// the lists and figures under it, fit tableWidth columns; --wide lifts the
// limit: names are never shortened and each pool's workflow ID is added.
const (
	tableWidth    = 100
	poolColumnMin = 12 // the POOL column gives way to counts only down to this
	statusColumn  = 9  // COMPLETED, the longest status
	columnGap     = 2  // after POOL and after STATUS
	countGap      = 1  // between two counts (right-aligned under their heads)
	liveNameMin   = 16 // a pool's name in a live progress line: at least this wide,
	liveNameMax   = 32 // at most this, and in between as the line's figures leave room
)

// countColumns are the table's counts, in order. A column marked ifAny is
// shown only when a pool in the table has a non-zero value in it.
var countColumns = []struct {
	head  string
	value func(workflows.Counts) int
	ifAny bool
}{
	{"CREATED", func(c workflows.Counts) int { return c.Created }, false},
	{"ADOPTED", func(c workflows.Counts) int { return c.Adopted }, false},
	{"PATCHED", func(c workflows.Counts) int { return c.Patched }, false},
	{"SKIPPED", func(c workflows.Counts) int { return c.Skipped }, false},
	{"REFUSED", func(c workflows.Counts) int { return c.Refused }, false},
	{"CONFLICTS", func(c workflows.Counts) int { return c.Conflicts }, false},
	{"FAILED", func(c workflows.Counts) int { return c.Failed }, false},
	{"NOT ATTEMPTED", func(c workflows.Counts) int { return c.NotAttempted }, true},
}

const statusRunning = "RUNNING"

// tableRow is one pool as the table shows it.
type tableRow struct {
	key        string
	name       string // the display name people know the pool by, cleaned; the key when it has none
	collides   bool   // another pool in the table has the same name: the key goes with it
	status     string
	counts     workflows.Counts
	noCounts   bool // a running pool that did not answer: its counts are unknown
	workflowID string
	result     *workflows.PoolResult // a finished pool's result, for the lists under the table
}

// label is the pool's full name: "Bldg003", or "Bldg003 (bldg003-b0ab7f5d)"
// where two pools share the display name.
func (r tableRow) label() string {
	if r.collides {
		return r.name + " (" + r.key + ")"
	}
	return r.name
}

// fitted is the label in at most width columns. A shared name keeps its key
// (or, at worst, the key's hash) so that two pools never look alike.
func (r tableRow) fitted(width int) string {
	full := r.label()
	if textWidth(full) <= width || !r.collides {
		return fit(full, width)
	}
	if suffix := " (" + r.key + ")"; width-textWidth(suffix) >= 6 {
		return fit(r.name, width-textWidth(suffix)) + suffix
	}
	return fitKey(r.key, width)
}

// fitKey shortens a plan key (slug-hash) in its slug, keeping the hash that
// tells two pools of the same name apart.
func fitKey(key string, width int) string {
	i := strings.LastIndexByte(key, '-')
	if textWidth(key) <= width || i < 0 || width-(len(key)-i) < 2 {
		return fit(key, width)
	}
	return fit(key[:i], width-(len(key)-i)) + key[i:]
}

func displayName(name, key string) string {
	if n := strings.TrimSpace(clean(name)); n != "" {
		return n
	}
	return clean(key)
}

func finishedRow(p *workflows.PoolResult) tableRow {
	return tableRow{key: clean(p.Key), name: displayName(p.DisplayName, p.Key), status: clean(string(p.Status)),
		counts: p.Counts, workflowID: clean(p.WorkflowID), result: p}
}

func runningRow(lp livePool) tableRow {
	return tableRow{key: clean(lp.Key), name: displayName(lp.DisplayName, lp.Key), status: statusRunning,
		counts: lp.Counts, noCounts: !lp.answered, workflowID: clean(lp.workflowID)}
}

// statusRank orders the table: failed pools first, as they need someone to
// act; then the running ones, because they are what changes now and there
// are few of them (the window), so they stay near the top instead of under
// hundreds of completed pools; then partial, cancelled and completed ones.
func statusRank(status string) int {
	switch workflows.Status(status) {
	case workflows.StatusFailed:
		return 0
	case statusRunning:
		return 1
	case workflows.StatusPartial:
		return 2
	case workflows.StatusCanceled:
		return 3
	case workflows.StatusCompleted:
		return 5
	}
	return 4 // an unknown status is worth a look before the completed ones
}

// sortRows orders rows for people (by status, then by name as people count,
// then by key) and marks the names two pools share.
func sortRows(rows []tableRow) {
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.name]++
	}
	for i := range rows {
		rows[i].collides = seen[rows[i].name] > 1
	}
	slices.SortStableFunc(rows, func(a, b tableRow) int {
		if ra, rb := statusRank(a.status), statusRank(b.status); ra != rb {
			return ra - rb
		}
		if a.name != b.name {
			if naturalLess(a.name, b.name) {
				return -1
			}
			return 1
		}
		return strings.Compare(a.key, b.key)
	})
}

// writePoolTable prints rows (sorted by sortRows) as a table.
func writePoolTable(w io.Writer, rows []tableRow, wide bool) {
	if len(rows) == 0 {
		return
	}
	type column struct {
		head  string
		value func(workflows.Counts) int
		width int
	}
	var cols []column
	countsWidth := 0
	for _, c := range countColumns {
		width, nonZero := textWidth(c.head), false
		for _, r := range rows {
			v := c.value(r.counts)
			nonZero = nonZero || v != 0
			width = max(width, len(strconv.Itoa(v)))
		}
		if c.ifAny && !nonZero {
			continue
		}
		cols = append(cols, column{c.head, c.value, width})
		countsWidth += countGap + width
	}
	countsWidth -= countGap

	nameWidth := textWidth("POOL")
	for _, r := range rows {
		nameWidth = max(nameWidth, textWidth(r.label()))
	}
	if !wide {
		nameWidth = min(nameWidth, max(tableWidth-columnGap-statusColumn-columnGap-countsWidth, poolColumnMin))
	}
	// In a narrow column two names may be cut alike: those keep their keys.
	names := make([]string, len(rows))
	byName := map[string]int{}
	for i, r := range rows {
		names[i] = r.fitted(nameWidth)
		byName[names[i]]++
	}
	for i := range rows {
		if byName[names[i]] > 1 && !rows[i].collides && !wide {
			r := rows[i]
			r.collides = true
			names[i] = r.fitted(nameWidth)
		}
	}

	line := func(name, status string, counts []string, workflowID string) {
		var b strings.Builder
		b.WriteString(padRight(name, nameWidth))
		b.WriteString(strings.Repeat(" ", columnGap))
		b.WriteString(padRight(status, statusColumn))
		b.WriteString(strings.Repeat(" ", columnGap))
		for i, c := range counts {
			if i > 0 {
				b.WriteString(strings.Repeat(" ", countGap))
			}
			b.WriteString(padLeft(c, cols[i].width))
		}
		if wide {
			b.WriteString(strings.Repeat(" ", columnGap) + workflowID)
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	heads := make([]string, len(cols))
	for i, c := range cols {
		heads[i] = c.head
	}
	line("POOL", "STATUS", heads, "POOL WORKFLOW")
	for i, r := range rows {
		counts := make([]string, len(cols))
		for j, c := range cols {
			counts[j] = strconv.Itoa(c.value(r.counts))
			if r.noCounts {
				counts[j] = "-"
			}
		}
		line(names[i], r.status, counts, r.workflowID)
	}
}
