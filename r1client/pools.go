package r1client

import (
	"context"
	"net/http"
)

// Pool is a DPSK pool (R1 "DPSK service", DpskPoolDto).
type Pool struct {
	ID               string `json:"id,omitempty"`
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	IdentityGroupID  string `json:"identityGroupId,omitempty"`
	PassphraseFormat string `json:"passphraseFormat"`
	PassphraseLength int    `json:"passphraseLength"`
	DeviceCountLimit int    `json:"deviceCountLimit,omitempty"`
	ExpirationType   string `json:"expirationType,omitempty"`
	ExpirationOffset int    `json:"expirationOffset,omitempty"`
	ExpirationDate   string `json:"expirationDate,omitempty"`
	PolicySetID      string `json:"policySetId,omitempty"` // observed/simulator only; bind with AttachPolicySet
}

// PoolPatch is a partial pool update; nil fields are left alone.
type PoolPatch struct {
	Name             *string `json:"name,omitempty"`
	Description      *string `json:"description,omitempty"`
	PassphraseLength *int    `json:"passphraseLength,omitempty"`
	DeviceCountLimit *int    `json:"deviceCountLimit,omitempty"`
	ExpirationType   *string `json:"expirationType,omitempty"`
	ExpirationOffset *int    `json:"expirationOffset,omitempty"`
}

// PoolsService handles /dpskServices.
type PoolsService service

// Query is POST /dpskServices/query (body paging from 1), searching names for searchName.
func (s *PoolsService) Query(ctx context.Context, searchName string, page, pageSize int) (Page[Pool], error) {
	q := bodyQuery{Page: max(page, 1), PageSize: max(pageSize, 1), SortField: "name", SortOrder: "ASC"}
	if searchName != "" {
		q.SearchString = searchName
		q.SearchTargetFields = []string{"name"}
	}
	var out bodyPage[Pool]
	if err := s.c.do(ctx, http.MethodPost, "/dpskServices/query", nil, q, &out); err != nil {
		return Page[Pool]{}, err
	}
	return out.normalise(q.Page, q.PageSize), nil
}

// FindByName returns the pool named exactly name, or (nil, nil).
func (s *PoolsService) FindByName(ctx context.Context, name string) (*Pool, error) {
	seen := map[string]bool{}
	for page := 1; page <= maxFindPages; page++ {
		p, err := s.Query(ctx, name, page, s.c.findPageSize)
		if err != nil {
			return nil, err
		}
		added := false
		for i := range p.Items {
			if p.Items[i].Name == name {
				pool := p.Items[i]
				return &pool, nil
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

// Create is POST /identityGroups/{identityGroupID}/dpskServices → 202 {requestId, id}.
// A duplicate name is accepted here and fails in the activity.
func (s *PoolsService) Create(ctx context.Context, identityGroupID string, p Pool) (Accepted, error) {
	p.ID, p.IdentityGroupID, p.PolicySetID = "", "", ""
	var out Accepted
	err := s.c.do(ctx, http.MethodPost, "/identityGroups/"+pathID(identityGroupID)+"/dpskServices", nil, p, &out)
	return out, err
}

// Get is GET /dpskServices/{id}.
func (s *PoolsService) Get(ctx context.Context, id string) (Pool, error) {
	var out Pool
	err := s.c.do(ctx, http.MethodGet, "/dpskServices/"+pathID(id), nil, nil, &out)
	return out, err
}

// Patch is PATCH /dpskServices/{id} → 202.
func (s *PoolsService) Patch(ctx context.Context, id string, patch PoolPatch) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPatch, "/dpskServices/"+pathID(id), nil, patch, &out)
	return out, err
}

// Delete is DELETE /dpskServices/{id} → 202. A pool holding passphrases is
// refused with code DPSK-026.
func (s *PoolsService) Delete(ctx context.Context, id string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, "/dpskServices/"+pathID(id), nil, nil, &out)
	return out, err
}

// AttachPolicySet is PUT /dpskServices/{poolID}/policySets/{policySetID} → 202.
func (s *PoolsService) AttachPolicySet(ctx context.Context, poolID, policySetID string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPut, "/dpskServices/"+pathID(poolID)+"/policySets/"+pathID(policySetID), nil, nil, &out)
	return out, err
}

// DetachPolicySet is DELETE /dpskServices/{poolID}/policySets/{policySetID} → 202.
func (s *PoolsService) DetachPolicySet(ctx context.Context, poolID, policySetID string) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, "/dpskServices/"+pathID(poolID)+"/policySets/"+pathID(policySetID), nil, nil, &out)
	return out, err
}
