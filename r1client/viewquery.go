package r1client

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
)

// viewQuery is the body of R1's view-model searches (DynamicQueryPayloadDto:
// /wifiNetworks/query, /venues/query, /venues/apGroups/query): paging from
// 1, filters of string lists.
type viewQuery struct {
	Fields             []string            `json:"fields,omitempty"`
	Page               int                 `json:"page"`
	PageSize           int                 `json:"pageSize"`
	SortField          string              `json:"sortField,omitempty"`
	SortOrder          string              `json:"sortOrder,omitempty"`
	SearchString       string              `json:"searchString,omitempty"`
	SearchTargetFields []string            `json:"searchTargetFields,omitempty"`
	Filters            map[string][]string `json:"filters,omitempty"`
}

func (q *viewQuery) filter(field string, values []string) {
	if len(values) == 0 {
		return
	}
	if q.Filters == nil {
		q.Filters = map[string][]string{}
	}
	q.Filters[field] = values
}

// viewPage is a view-model answer, read defensively. R1 answers the wrapper
// {fields, totalCount, page, data} (observed), although the view-model spec
// declares one bare row for 200 and puts the wrapper under 501; a bare row
// or a bare array is read as the whole answer.
type viewPage[T any] struct {
	items        []T
	totalCount   int
	hasTotal     bool
	page         int
	errorMessage string
}

func (p *viewPage[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || bytes.Equal(b, []byte("null")):
		return nil
	case b[0] == '[':
		return json.Unmarshal(b, &p.items)
	}
	var keys map[string]json.RawMessage
	if err := json.Unmarshal(b, &keys); err != nil {
		return err
	}
	_, hasData := keys["data"]
	_, hasTotal := keys["totalCount"]
	_, hasErr := keys["errorMessage"]
	if !hasData && !hasTotal && !hasErr {
		if len(keys) == 0 {
			return nil
		}
		var one T // a bare row, as the spec's 200 says
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		p.items = []T{one}
		return nil
	}
	var w struct {
		TotalCount   *int   `json:"totalCount"`
		Page         int    `json:"page"`
		Data         []T    `json:"data"`
		ErrorMessage string `json:"errorMessage"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	p.items, p.page, p.errorMessage = w.Data, w.Page, w.ErrorMessage
	if w.TotalCount != nil {
		p.totalCount, p.hasTotal = *w.TotalCount, true
	}
	return nil
}

// normalise reads the answer to a request for page reqPage of reqSize. An
// errorMessage without rows (the wrapper's way to say the query failed) is
// an *APIError with R1's status.
func (p viewPage[T]) normalise(ctx context.Context, c *Client, path string, reqPage, reqSize int) (Page[T], error) {
	if p.errorMessage != "" && len(p.items) == 0 {
		msg := capText(c.masker(ctx, c.currentToken()).mask(p.errorMessage), maxMessage)
		return Page[T]{}, &APIError{StatusCode: http.StatusOK, Method: http.MethodPost, Path: path, Message: msg}
	}
	items := p.items
	if items == nil {
		items = []T{}
	}
	page := p.page
	if page == 0 {
		page = reqPage
	}
	last := len(items) == 0 || len(items) < reqSize
	total := p.totalCount
	if p.hasTotal {
		last = last || page*reqSize >= total
	} else {
		total = (page-1)*reqSize + len(items) // what is known so far
	}
	return Page[T]{Items: items, Page: page, TotalCount: total, Last: last}, nil
}
