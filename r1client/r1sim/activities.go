package r1sim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

type activityDTO struct {
	TenantID      string `json:"tenantId"`
	RequestID     string `json:"requestId"`
	ID            string `json:"id"` // observed: rows of the bulk query are keyed by id
	Status        string `json:"status"`
	UseCase       string `json:"useCase"`
	Product       string `json:"product"`
	Error         string `json:"error,omitempty"`
	StartDatetime string `json:"startDatetime"`
	EndDatetime   string `json:"endDatetime,omitempty"`
}

func (t *tenant) activityDTO(a *activity, now time.Time) (activityDTO, bool) {
	status, visible, end := a.status(now)
	if !visible {
		return activityDTO{}, false
	}
	d := activityDTO{TenantID: t.id, RequestID: a.requestID, ID: a.requestID, Status: status, UseCase: a.useCase,
		Product: "DPSK", StartDatetime: a.created.UTC().Format(timeFormat)}
	if !end.IsZero() {
		d.EndDatetime = end.UTC().Format(timeFormat)
		if status == "FAIL" {
			d.Error = a.failure
		}
	}
	return d, true
}

// getActivity is GET /activities/{id}: 404 until the activity is visible.
func (s *Sim) getActivity(r *http.Request, t *tenant) reply {
	id := r.PathValue("activityId")
	t.mu.Lock()
	defer t.mu.Unlock()
	if a := t.acts[normID(id)]; a != nil {
		if d, ok := t.activityDTO(a, s.now()); ok {
			return reply{http.StatusOK, d}
		}
	}
	// The 404 body follows the spec's ActivityDto schema for this status.
	return reply{http.StatusNotFound, map[string]string{"requestId": id, "error": "Activity not found"}}
}

// queryActivities is POST /activities/query: body paging from 1 (pageSize at
// most 500), filters fromTime/toTime (UTC ISO) and/or id (a plain array).
func (s *Sim) queryActivities(r *http.Request, t *tenant) reply {
	var q struct {
		Fields    []string `json:"fields"`
		Page      *int     `json:"page"`
		PageSize  *int     `json:"pageSize"`
		SortField string   `json:"sortField"`
		SortOrder string   `json:"sortOrder"`
		Filters   struct {
			FromTime string   `json:"fromTime"`
			ToTime   string   `json:"toTime"`
			ID       []string `json:"id"`
		} `json:"filters"`
	}
	if rep, ok := decode(r, &q); !ok {
		return rep
	}
	page, size := bodyPaging(q.Page, q.PageSize)
	size = min(size, 500)
	var from, to time.Time
	var err error
	if q.Filters.FromTime != "" {
		if from, err = time.Parse(time.RFC3339, q.Filters.FromTime); err != nil {
			return errReply(http.StatusBadRequest, "Invalid payload supplied", subError{Field: "fromTime", Message: "must be an ISO-8601 date-time"})
		}
	}
	if q.Filters.ToTime != "" {
		if to, err = time.Parse(time.RFC3339, q.Filters.ToTime); err != nil {
			return errReply(http.StatusBadRequest, "Invalid payload supplied", subError{Field: "toTime", Message: "must be an ISO-8601 date-time"})
		}
	}
	ids := map[string]bool{}
	for _, id := range q.Filters.ID {
		ids[normID(id)] = true
	}
	now := s.now()
	t.mu.Lock()
	var rows []activityDTO
	for _, a := range t.actOrder {
		if (!from.IsZero() && a.created.Before(from)) || (!to.IsZero() && a.created.After(to)) {
			continue
		}
		if len(ids) > 0 && !ids[normID(a.requestID)] {
			continue
		}
		if d, ok := t.activityDTO(a, now); ok {
			rows = append(rows, d)
		}
	}
	t.mu.Unlock()
	if !strings.EqualFold(q.SortOrder, "ASC") { // newest first unless asked otherwise
		slices.Reverse(rows)
	}
	p := newBodyPage(rows, page, size, q.Fields)
	return reply{http.StatusOK, struct {
		Fields     []string      `json:"fields"`
		TotalCount int           `json:"totalCount"`
		Page       int           `json:"page"`
		Data       []activityDTO `json:"data"`
	}{p.Fields, p.TotalCount, p.Page, p.Data}}
}
