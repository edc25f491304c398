package r1client

import (
	"context"
	"net/http"
)

// Identity is an R1 identity ("persona"). R1 creates one per passphrase, named
// after the passphrase's username.
type Identity struct {
	ID          string `json:"id"`
	GroupID     string `json:"groupId"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	VLAN        int    `json:"vlan,omitempty"`
}

// IdentityPatch is a partial identity update; nil fields are left alone.
type IdentityPatch struct {
	Description *string `json:"description,omitempty"`
	VLAN        *int    `json:"vlan,omitempty"`
}

// IdentitiesService handles /identityGroups/{groupId}/identities.
type IdentitiesService service

func identitiesPath(groupID string) string {
	return "/identityGroups/" + pathID(groupID) + "/identities"
}

// List is GET /identityGroups/{groupID}/identities?page=&size= (Spring paging
// from 0, as observed; the cached spec says a bare array).
func (s *IdentitiesService) List(ctx context.Context, groupID string, page, size int) (Page[Identity], error) {
	var out springPage[Identity]
	if err := s.c.do(ctx, http.MethodGet, identitiesPath(groupID), springQuery(page, size), nil, &out); err != nil {
		return Page[Identity]{}, err
	}
	return out.normalise(), nil
}

// Patch is PATCH /identityGroups/{groupID}/identities/{id}.
func (s *IdentitiesService) Patch(ctx context.Context, groupID, id string, patch IdentityPatch) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPatch, identitiesPath(groupID)+"/"+pathID(id), nil, patch, &out)
	return out, err
}

// Delete is DELETE /identityGroups/{groupID}/identities with a JSON array of
// identity ids → 202. Unknown ids are not an error in the simulator; R1's
// answer to them is not established.
func (s *IdentitiesService) Delete(ctx context.Context, groupID string, ids []string) (Accepted, error) {
	if ids == nil {
		ids = []string{}
	}
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, identitiesPath(groupID), nil, ids, &out)
	return out, err
}
