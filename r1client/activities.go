package r1client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// Activity statuses.
const (
	StatusPending    = "PENDING"
	StatusInProgress = "INPROGRESS"
	StatusSuccess    = "SUCCESS"
	StatusFail       = "FAIL"
)

// Activity is an R1 async activity: the outcome of a 202 write.
type Activity struct {
	RequestID     string `json:"requestId"`
	Status        string `json:"status"`
	Error         string `json:"error,omitempty"` // raw R1 text; see FailureMessage
	StartDatetime string `json:"startDatetime,omitempty"`
	EndDatetime   string `json:"endDatetime,omitempty"`
}

// Done reports whether the activity has finished, well or badly.
func (a Activity) Done() bool { return a.Status == StatusSuccess || a.Status == StatusFail }

// Failed reports whether the activity finished in failure.
func (a Activity) Failed() bool { return a.Status == StatusFail }

// Duplicate reports whether a failed activity says the object already exists
// (a duplicate name, username or passphrase).
func (a Activity) Duplicate() bool {
	return a.Failed() && isDuplicateText(a.Error)
}

// FailureMessage decodes the double-encoded error of a failed activity into
// one readable line, e.g. "DPSK service.name: Name must be unique". The raw
// text is R1's: a JSON string holding {"errors": [<JSON strings>]} whose items
// hold a message and subErrors of {object, field, message}. Activities read
// through the client have their secrets masked in the raw text already.
func (a Activity) FailureMessage() string {
	if a.Error == "" {
		if a.Failed() {
			return "activity failed without an error message"
		}
		return ""
	}
	var f failureText
	f.collect(json.RawMessage(a.Error), 0)
	if len(f.parts) == 0 {
		return capText(strings.TrimSpace(a.Error), maxMessage)
	}
	return capText(strings.Join(dedupe(f.parts), "; "), maxMessage)
}

// FailureCode is the first error code in a failed activity's error text
// (e.g. "DPSK-026"), or "" when R1 gave none. Unlike R1's free text it can
// never quote what was sent.
func (a Activity) FailureCode() string {
	var f failureText
	f.collect(json.RawMessage(a.Error), 0)
	if len(f.codes) == 0 {
		return ""
	}
	return capText(f.codes[0], 100)
}

// failure is any level of the nested error text.
type failure struct {
	Message   string            `json:"message"`
	Code      looseString       `json:"code"`
	Error     json.RawMessage   `json:"error"`
	Errors    []json.RawMessage `json:"errors"`
	SubErrors []SubError        `json:"subErrors"`
}

// failureText gathers the readable parts and the codes of an activity error.
type failureText struct{ parts, codes []string }

func (ft *failureText) collect(raw json.RawMessage, depth int) {
	raw = json.RawMessage(strings.TrimSpace(string(raw)))
	if depth > 5 || len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return
		}
		t := strings.TrimSpace(s)
		if strings.HasPrefix(t, "{") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, `"`) {
			before := len(ft.parts)
			ft.collect(json.RawMessage(t), depth+1)
			if len(ft.parts) > before {
				return
			}
		}
		if t != "" {
			ft.parts = append(ft.parts, t)
		}
	case '[':
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) == nil {
			for _, it := range items {
				ft.collect(it, depth+1)
			}
		}
	case '{':
		var f failure
		if json.Unmarshal(raw, &f) != nil {
			return
		}
		if f.Code != "" {
			ft.codes = append(ft.codes, string(f.Code))
		}
		before := len(ft.parts)
		for _, s := range f.SubErrors {
			if s.Code != "" {
				ft.codes = append(ft.codes, s.Code)
			}
			if t := s.String(); t != "" {
				ft.parts = append(ft.parts, t)
			}
		}
		for _, e := range f.Errors {
			ft.collect(e, depth+1)
		}
		if len(f.Error) > 0 {
			ft.collect(f.Error, depth+1)
		}
		if len(ft.parts) == before && f.Message != "" {
			ft.parts = append(ft.parts, f.Message)
		}
	default:
		ft.parts = append(ft.parts, string(raw))
	}
}

func dedupe(ss []string) []string {
	seen := map[string]bool{}
	out := ss[:0]
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// ActivitiesService handles /activities.
type ActivitiesService service

// Get is GET /activities/{requestID}. R1 answers 404 for a while after the
// write: a *NotFoundError here means "not visible yet".
func (s *ActivitiesService) Get(ctx context.Context, requestID string) (Activity, error) {
	var out Activity
	err := s.c.do(ctx, http.MethodGet, "/activities/"+pathID(requestID), nil, nil, &out)
	if out.Error != "" {
		out.Error = s.c.masker(ctx, s.c.currentToken()).mask(out.Error)
	}
	return out, err
}

// Query is POST /activities/query for activities started between from and to
// (body paging from 1, newest first).
func (s *ActivitiesService) Query(ctx context.Context, from, to time.Time, page, pageSize int) (Page[Activity], error) {
	q := bodyQuery{
		Page: max(page, 1), PageSize: min(max(pageSize, 1), 500),
		SortField: "startDatetime", SortOrder: "DESC",
		Fields: []string{"requestId", "status", "startDatetime", "endDatetime", "error"},
		Filters: map[string]any{
			"fromTime": from.UTC().Format("2006-01-02T15:04:05.000Z"),
			"toTime":   to.UTC().Format("2006-01-02T15:04:05.000Z"),
		},
	}
	var out bodyPage[Activity]
	if err := s.c.do(ctx, http.MethodPost, "/activities/query", nil, q, &out); err != nil {
		return Page[Activity]{}, err
	}
	p := out.normalise(q.Page, q.PageSize)
	m := s.c.masker(ctx, s.c.currentToken()) // one masker: its pieces are built once
	for i := range p.Items {
		p.Items[i].Error = m.mask(p.Items[i].Error)
	}
	return p, nil
}

// MaxActivityIDs is the most request ids QueryByIDs takes in one call: the
// activities query's page size limit (contract §2.2, "R1 max page size").
const MaxActivityIDs = 500

// QueryByIDs is one POST /activities/query for the activities of the given
// request ids (at most MaxActivityIDs): filters {"id": [ids...]}, a plain
// array, with pageSize = len(ids). It returns the activities R1 shows; an id
// absent from the answer has no visible activity yet (as a 404 from Get).
// Rows are matched by requestId, or by id when R1 leaves requestId out.
//
// Unverified against a live tenant: the contract (§2.2, and
// IDENTITIES_AND_POLICIES.md §3.1) records this ID filter as used by rtools2
// earlier and later replaced by the time window of Query, called "broken",
// perhaps because R1 keys activity rows by an id other than the requestId.
// Callers should fall back to Get (or Query) when an id stays absent.
func (s *ActivitiesService) QueryByIDs(ctx context.Context, requestIDs []string) (Page[Activity], error) {
	if len(requestIDs) == 0 {
		return Page[Activity]{Items: []Activity{}, Page: 1, Last: true}, nil
	}
	if len(requestIDs) > MaxActivityIDs {
		return Page[Activity]{}, fmt.Errorf("activities query: %d request ids, at most %d per call; split the list", len(requestIDs), MaxActivityIDs)
	}
	for i, id := range requestIDs {
		if strings.TrimSpace(id) == "" {
			return Page[Activity]{}, fmt.Errorf("activities query: request id %d is empty; pass the requestId of each 202 answer", i+1)
		}
	}
	q := bodyQuery{
		Page: 1, PageSize: len(requestIDs),
		SortField: "startDatetime", SortOrder: "DESC",
		Fields:  []string{"id", "requestId", "status", "startDatetime", "endDatetime", "error"},
		Filters: map[string]any{"id": requestIDs},
	}
	var out bodyPage[activityRow]
	if err := s.c.do(ctx, http.MethodPost, "/activities/query", nil, q, &out); err != nil {
		return Page[Activity]{}, err
	}
	rows := make([]Activity, 0, len(out.Data))
	m := s.c.masker(ctx, s.c.currentToken()) // one masker: its pieces are built once
	for _, r := range out.Data {
		if r.RequestID == "" {
			r.RequestID = r.ID
		}
		r.Error = m.mask(r.Error)
		rows = append(rows, r.Activity)
	}
	p := bodyPage[Activity]{TotalCount: out.TotalCount, TotalPages: out.TotalPages, Page: out.Page, Data: rows}
	return p.normalise(q.Page, q.PageSize), nil
}

// activityRow is a row of the bulk query, which R1 keys by id.
type activityRow struct {
	Activity
	ID string `json:"id"`
}
