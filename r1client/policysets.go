package r1client

import (
	"context"
	"net/http"
	"strings"
)

// PolicySet is an adaptive-policy set.
type PolicySet struct {
	ID          string `json:"id,omitempty"`
	Name        string `json:"name"`
	Description string `json:"description"` // required by the spec, even empty
}

// PolicySetsService handles /policySets. Unlike DPSK and identity calls these
// are synchronous.
type PolicySetsService service

// Query is POST /policySets/query (policy paging from 0, paging + content).
func (s *PolicySetsService) Query(ctx context.Context, page, pageSize int) (Page[PolicySet], error) {
	q := policyQuery{SortField: "name", SortOrder: "ASC", Page: max(page, 0), PageSize: min(max(pageSize, 1), 2000)}
	var out policyPage[PolicySet]
	if err := s.c.do(ctx, http.MethodPost, "/policySets/query", nil, q, &out); err != nil {
		return Page[PolicySet]{}, err
	}
	return out.normalise(q.PageSize), nil
}

// FindByName returns the policy set whose name equals name ignoring case, or (nil, nil).
func (s *PolicySetsService) FindByName(ctx context.Context, name string) (*PolicySet, error) {
	seen := map[string]bool{}
	for page := 0; page < maxFindPages; page++ {
		p, err := s.Query(ctx, page, s.c.findPageSize)
		if err != nil {
			return nil, err
		}
		added := false
		for i := range p.Items {
			if strings.EqualFold(p.Items[i].Name, name) {
				ps := p.Items[i]
				return &ps, nil
			}
			if id := normalizeID(p.Items[i].ID); !seen[id] {
				seen[id], added = true, true
			}
		}
		if p.Last || !added {
			return nil, nil
		}
	}
	return nil, nil
}

// Create is POST /policySets → 201 with the new set. A duplicate name is a ConflictError.
func (s *PolicySetsService) Create(ctx context.Context, name, description string) (PolicySet, error) {
	var out PolicySet
	err := s.c.do(ctx, http.MethodPost, "/policySets", nil, PolicySet{Name: name, Description: description}, &out)
	return out, err
}

// Delete is DELETE /policySets/{id}. A set still in use is a ConflictError.
func (s *PolicySetsService) Delete(ctx context.Context, id string) error {
	return s.c.do(ctx, http.MethodDelete, "/policySets/"+pathID(id), nil, nil, nil)
}
