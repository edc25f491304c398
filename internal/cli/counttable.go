package cli

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/dpskmigrate/dpskmigrate/workflows"
)

// A table of pools with counts, laid out as the status table is (POOL,
// STATUS, right-aligned counts), for verify and rollback.

// countColumn is one count of a countTable. A column not marked always is
// shown only when a row has a non-zero value in it.
type countColumn struct {
	head   string
	always bool
}

// countRow is a pool and its counts, in the columns' order.
type countRow struct {
	tableRow
	counts []int
}

// maxCountRows is how many pools a count table shows; the rest are counted
// under it.
const maxCountRows = 50

// writeCountTable prints rows (sorted as the status table is) under cols; a
// row named total, if any, closes the table. Without statuses, there is no
// STATUS column. It fits tableWidth columns: names give way, down to
// poolColumnMin.
func writeCountTable(w io.Writer, cols []countColumn, rows []countRow, total *countRow) {
	plain := make([]tableRow, len(rows))
	for i := range rows {
		plain[i] = rows[i].tableRow
	}
	sortRows(plain)
	byKey := make(map[string]countRow, len(rows))
	for _, r := range rows {
		byKey[r.key] = r
	}
	sorted := make([]countRow, len(plain))
	for i, p := range plain {
		r := byKey[p.key]
		r.tableRow = p
		sorted[i] = r
	}
	shown := sorted[:min(len(sorted), maxCountRows)]
	all := shown
	if total != nil {
		all = append(append([]countRow(nil), shown...), *total)
	}

	var keep []int
	widths := map[int]int{}
	countsW := -countGap
	for i, c := range cols {
		width, nonZero := len(c.head), false
		for _, r := range all {
			nonZero = nonZero || r.counts[i] != 0
			width = max(width, len(strconv.Itoa(r.counts[i])))
		}
		if !c.always && !nonZero {
			continue
		}
		keep = append(keep, i)
		widths[i] = width
		countsW += countGap + width
	}
	withStatus := false
	for _, r := range all {
		withStatus = withStatus || r.status != ""
	}
	fixed := columnGap + countsW
	if withStatus {
		fixed += statusColumn + columnGap
	}
	nameW := len("POOL")
	for _, r := range all {
		nameW = max(nameW, textWidth(r.label()))
	}
	nameW = min(nameW, max(tableWidth-fixed, poolColumnMin))

	line := func(name, status string, counts []string) {
		var b strings.Builder
		b.WriteString(padRight(name, nameW) + strings.Repeat(" ", columnGap))
		if withStatus {
			b.WriteString(padRight(status, statusColumn) + strings.Repeat(" ", columnGap))
		}
		for j, c := range counts {
			if j > 0 {
				b.WriteString(strings.Repeat(" ", countGap))
			}
			b.WriteString(padLeft(c, widths[keep[j]]))
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
	heads := make([]string, len(keep))
	for j, i := range keep {
		heads[j] = cols[i].head
	}
	line("POOL", "STATUS", heads)
	values := func(r countRow) []string {
		out := make([]string, len(keep))
		for j, i := range keep {
			out[j] = strconv.Itoa(r.counts[i])
		}
		return out
	}
	for _, r := range shown {
		line(r.fitted(nameW), r.status, values(r))
	}
	if more := len(sorted) - len(shown); more > 0 {
		fmt.Fprintf(w, "… and %d more pool(s), counted in the total\n", more)
	}
	if total != nil {
		line(total.name, total.status, values(*total))
	}
}

// tableOrder is the order in which the status table would show n pools
// (row(i) is the i-th pool): indexes into them.
func tableOrder(n int, row func(int) tableRow) []int {
	rows := make([]tableRow, n)
	for i := range rows {
		rows[i] = row(i)
		rows[i].result = &workflows.PoolResult{Key: strconv.Itoa(i)} // carries the index through the sort
	}
	sortRows(rows)
	out := make([]int, n)
	for j, r := range rows {
		out[j], _ = strconv.Atoi(r.result.Key)
	}
	return out
}
