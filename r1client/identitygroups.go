package r1client

import (
	"context"
	"net/http"
)

// IdentityGroup is an R1 identity group; a DPSK pool is created under one.
type IdentityGroup struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	Description   string `json:"description,omitempty"`
	DPSKPoolID    string `json:"dpskPoolId,omitempty"`
	PolicySetID   string `json:"policySetId,omitempty"`
	IdentityCount int    `json:"identityCount,omitempty"`
}

// IdentityGroupsService handles /identityGroups.
type IdentityGroupsService service

// Query is POST /identityGroups/query?page=&size= (Spring paging from 0) with
// body {"keyword": keyword}. Paging in the body would be ignored by R1.
func (s *IdentityGroupsService) Query(ctx context.Context, keyword string, page, size int) (Page[IdentityGroup], error) {
	var out springPage[IdentityGroup]
	body := map[string]string{}
	if keyword != "" {
		body["keyword"] = keyword
	}
	if err := s.c.do(ctx, http.MethodPost, "/identityGroups/query", springQuery(page, size), body, &out); err != nil {
		return Page[IdentityGroup]{}, err
	}
	return out.normalise(), nil
}

// FindByName returns the group named exactly name, or (nil, nil) when there is
// none. It pages until the last page or a page that adds no new ids (R1 has
// been seen to repeat pages).
func (s *IdentityGroupsService) FindByName(ctx context.Context, name string) (*IdentityGroup, error) {
	seen := map[string]bool{}
	for page := 0; page < maxFindPages; page++ {
		p, err := s.Query(ctx, name, page, s.c.findPageSize)
		if err != nil {
			return nil, err
		}
		added := false
		for i := range p.Items {
			g := p.Items[i]
			if g.Name == name {
				return &g, nil
			}
			if id := normalizeID(g.ID); !seen[id] {
				seen[id] = true
				added = true
			}
		}
		if p.Last || !added {
			return nil, nil
		}
	}
	return nil, nil
}

// Create is POST /identityGroups → 202 {requestId, id}.
func (s *IdentityGroupsService) Create(ctx context.Context, name, description string) (Accepted, error) {
	var out Accepted
	in := map[string]string{"name": name, "description": description}
	err := s.c.do(ctx, http.MethodPost, "/identityGroups", nil, in, &out)
	return out, err
}

// Get is GET /identityGroups/{id}.
func (s *IdentityGroupsService) Get(ctx context.Context, id string) (IdentityGroup, error) {
	var out IdentityGroup
	err := s.c.do(ctx, http.MethodGet, "/identityGroups/"+pathID(id), nil, nil, &out)
	return out, err
}

// Delete is DELETE /identityGroups/{id}. A group still holding a DPSK pool is
// refused with code GENERAL-026.
func (s *IdentityGroupsService) Delete(ctx context.Context, id string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, "/identityGroups/"+pathID(id), nil, nil, &out)
	return out, err
}
