package r1sim

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
)

// viewQueryBody is the body of the view-model searches (DynamicQueryPayloadDto):
// /wifiNetworks/query, /venues/query, /venues/apGroups/query.
type viewQueryBody struct {
	Fields             []string            `json:"fields"`
	Page               *int                `json:"page"`
	PageSize           *int                `json:"pageSize"`
	SortField          string              `json:"sortField"`
	SortOrder          string              `json:"sortOrder"`
	SearchString       string              `json:"searchString"`
	SearchTargetFields []string            `json:"searchTargetFields"`
	Filters            map[string][]string `json:"filters"`
}

// decodeViewQuery reads a view query whose filters may only name allowed
// fields: an unknown one is a 400, so a mistyped filter is not silently
// ignored.
func decodeViewQuery(r *http.Request, allowed ...string) (viewQueryBody, reply, bool) {
	var q viewQueryBody
	if rep, ok := decode(r, &q); !ok {
		return q, rep, false
	}
	for k := range q.Filters {
		if !slices.Contains(allowed, k) {
			return q, errReply(http.StatusBadRequest, "Unknown filter field "+k,
				subError{Field: "filters", Message: "filter on one of " + strings.Join(allowed, ", ")}), false
		}
	}
	return q, reply{}, true
}

// analysed reports whether value passes the filter on field, matched the
// way a search index might: ignoring case, any part of the value. Whether
// R1 matches names and SSIDs exactly is not established, so the simulator
// matches loosely and callers must check what they get.
func (q viewQueryBody) analysed(field, value string) bool {
	want, ok := q.Filters[field]
	if !ok {
		return true
	}
	v := strings.ToLower(value)
	for _, w := range want {
		if strings.Contains(v, strings.ToLower(w)) {
			return true
		}
	}
	return false
}

// exactID reports whether id passes the filter on field (ids with or without dashes).
func (q viewQueryBody) exactID(field, id string) bool {
	want, ok := q.Filters[field]
	if !ok {
		return true
	}
	return slices.ContainsFunc(want, func(w string) bool { return normID(w) == normID(id) })
}

// searched reports whether searchString occurs (ignoring case) in one of the
// target fields of row (fields: name → value).
func (q viewQueryBody) searched(fields map[string]string) bool {
	if q.SearchString == "" {
		return true
	}
	targets := q.SearchTargetFields
	if len(targets) == 0 {
		targets = slices.Sorted(maps.Keys(fields))
	}
	s := strings.ToLower(q.SearchString)
	for _, f := range targets {
		if strings.Contains(strings.ToLower(fields[f]), s) {
			return true
		}
	}
	return false
}

// sortBy sorts rows by the named key when the query asks for it (ASC unless DESC).
func sortBy[T any](q viewQueryBody, rows []T, keys map[string]func(T) string) {
	key := keys[q.SortField]
	if key == nil {
		if strings.EqualFold(q.SortOrder, "DESC") {
			slices.Reverse(rows)
		}
		return
	}
	slices.SortStableFunc(rows, func(a, b T) int { return strings.Compare(key(a), key(b)) })
	if strings.EqualFold(q.SortOrder, "DESC") {
		slices.Reverse(rows)
	}
}

// viewPage is the observed answer of a view query: {fields, totalCount,
// page, data} (the spec puts this wrapper under 501).
type viewPage struct {
	Fields     []string `json:"fields"`
	TotalCount int      `json:"totalCount"`
	Page       int      `json:"page"`
	Data       []any    `json:"data"`
}

// newViewPage pages rows (page from 1) and keeps of each row only the asked
// fields, plus the extra keys always shown; no fields = every field.
func newViewPage[T any](rows []T, q viewQueryBody, extra ...string) viewPage {
	page, size := bodyPaging(q.Page, q.PageSize)
	from, to := window(len(rows), (page-1)*size, size)
	fields := q.Fields
	if fields == nil {
		fields = []string{}
	}
	out := viewPage{Fields: fields, TotalCount: len(rows), Page: page, Data: make([]any, 0, to-from)}
	for _, row := range rows[from:to] {
		out.Data = append(out.Data, project(row, q.Fields, extra))
	}
	return out
}

// project keeps the fields of row named in fields or extra.
func project(row any, fields, extra []string) any {
	if len(fields) == 0 {
		return row
	}
	b, _ := json.Marshal(row)
	var all map[string]json.RawMessage
	_ = json.Unmarshal(b, &all)
	kept := map[string]json.RawMessage{}
	for k, v := range all {
		if slices.Contains(fields, k) || slices.Contains(extra, k) {
			kept[k] = v
		}
	}
	return kept
}
