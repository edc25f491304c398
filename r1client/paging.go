package r1client

import (
	"encoding/json"
	"net/url"
	"strconv"
)

// Page is one page of a list, whichever of R1's three paging styles produced
// it. Page is the page number as R1 numbers it (from 1 for body paging, from
// 0 for Spring and policy paging). Last is true when no further page exists.
type Page[T any] struct {
	Items      []T
	Page       int
	TotalCount int
	Last       bool
}

// Accepted is the 202 answer of an async write: follow RequestID with
// ActivitiesService.Get. ID is the new object's id (identity-group, pool and
// Wi-Fi network creation only).
type Accepted struct {
	RequestID string `json:"requestId"`
	ID        string `json:"id,omitempty"`
}

// UnmarshalJSON also takes a bare JSON string, the 202 body type in the DPSK
// spec, and the Wi-Fi API's {requestId, response: {id}}.
func (a *Accepted) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*a = Accepted{RequestID: s}
		return nil
	}
	var w struct {
		RequestID string          `json:"requestId"`
		ID        string          `json:"id"`
		Response  json.RawMessage `json:"response"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*a = Accepted{RequestID: w.RequestID, ID: w.ID}
	if a.ID == "" && len(w.Response) > 0 {
		var r struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(w.Response, &r) == nil { // any other response shape carries no id
			a.ID = r.ID
		}
	}
	return nil
}

// bodyQuery is paging style A: a JSON body with page (from 1) and pageSize.
type bodyQuery struct {
	Fields             []string       `json:"fields,omitempty"`
	Page               int            `json:"page"`
	PageSize           int            `json:"pageSize"`
	SortField          string         `json:"sortField,omitempty"`
	SortOrder          string         `json:"sortOrder,omitempty"`
	SearchString       string         `json:"searchString,omitempty"`
	SearchTargetFields []string       `json:"searchTargetFields,omitempty"`
	Filters            map[string]any `json:"filters,omitempty"`
}

// bodyPage is the style A answer.
type bodyPage[T any] struct {
	TotalCount int `json:"totalCount"`
	TotalPages int `json:"totalPages"`
	Page       int `json:"page"`
	Data       []T `json:"data"`
}

func (p bodyPage[T]) normalise(reqPage, reqSize int) Page[T] {
	page := p.Page
	if page == 0 {
		page = reqPage
	}
	last := len(p.Data) == 0 || (reqSize > 0 && len(p.Data) < reqSize) || page*reqSize >= p.TotalCount
	if p.TotalPages > 0 && page >= p.TotalPages {
		last = true
	}
	return Page[T]{Items: p.Data, Page: page, TotalCount: p.TotalCount, Last: last}
}

// springPage is paging style B: Spring Data's Page, numbered from 0.
type springPage[T any] struct {
	Content       []T  `json:"content"`
	TotalElements int  `json:"totalElements"`
	TotalPages    int  `json:"totalPages"`
	Number        int  `json:"number"`
	Last          bool `json:"last"`
}

func (p springPage[T]) normalise() Page[T] {
	return Page[T]{Items: p.Content, Page: p.Number, TotalCount: p.TotalElements, Last: p.Last}
}

func springQuery(page, size int) url.Values {
	return url.Values{"page": {strconv.Itoa(max(page, 0))}, "size": {strconv.Itoa(max(size, 1))}}
}

// policyQuery is paging style C (adaptive policy "Query Data"), numbered from 0.
type policyQuery struct {
	SortField string         `json:"sortField,omitempty"`
	SortOrder string         `json:"sortOrder,omitempty"`
	Page      int            `json:"page"`
	PageSize  int            `json:"pageSize"`
	Filters   map[string]any `json:"filters,omitempty"`
}

type policyPage[T any] struct {
	Paging struct {
		TotalCount int `json:"totalCount"`
		Page       int `json:"page"`
		PageSize   int `json:"pageSize"`
		PageCount  int `json:"pageCount"`
	} `json:"paging"`
	Content []T `json:"content"`
}

func (p policyPage[T]) normalise(reqSize int) Page[T] {
	pg := p.Paging
	last := len(p.Content) == 0 || len(p.Content) < reqSize || (pg.PageCount > 0 && pg.Page+1 >= pg.PageCount) ||
		(pg.PageCount == 0 && (pg.Page+1)*reqSize >= pg.TotalCount)
	return Page[T]{Items: p.Content, Page: pg.Page, TotalCount: pg.TotalCount, Last: last}
}

// maxFindPages bounds the FindByName loops against a server that never says "last".
const maxFindPages = 10000
