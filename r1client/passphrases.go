package r1client

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
)

const redacted = "[REDACTED]"

// Passphrase is a DPSK passphrase as R1 returns it (DpskPassphraseDto plus
// the observed identityId). It redacts its secret when printed or logged.
type Passphrase struct {
	ID                  string `json:"id"`
	Passphrase          string `json:"passphrase"`
	Username            string `json:"username"`
	VLANID              int    `json:"vlanId,omitempty"` // 0 = none
	NumberOfDevices     int    `json:"numberOfDevices,omitempty"`
	NumberOfDevicesType string `json:"numberOfDevicesType,omitempty"`
	ExpirationDate      string `json:"expirationDate,omitempty"`
	IdentityID          string `json:"identityId"`
	CreatedDate         string `json:"createdDate"`
}

func (p Passphrase) String() string {
	return fmt.Sprintf("Passphrase{ID:%s Username:%q Passphrase:%s VLANID:%d NumberOfDevices:%d NumberOfDevicesType:%s ExpirationDate:%s IdentityID:%s CreatedDate:%s}",
		p.ID, p.Username, redacted, p.VLANID, p.NumberOfDevices, p.NumberOfDevicesType, p.ExpirationDate, p.IdentityID, p.CreatedDate)
}

// GoString keeps %#v from printing the secret.
func (p Passphrase) GoString() string { return "r1client." + p.String() }

// LogValue keeps slog from logging the secret.
func (p Passphrase) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", p.ID), slog.String("username", p.Username),
		slog.String("passphrase", redacted), slog.Int("vlanId", p.VLANID), slog.String("identityId", p.IdentityID))
}

// PassphraseCreate is the body of a passphrase creation (DpskPassphraseCreateDto).
// It redacts its secret when printed or logged.
type PassphraseCreate struct {
	Passphrase          string `json:"passphrase"`
	Username            string `json:"username,omitempty"`
	VLANID              int    `json:"vlanId,omitempty"`
	NumberOfDevicesType string `json:"numberOfDevicesType,omitempty"` // LIMITED | UNLIMITED
	NumberOfDevices     int    `json:"numberOfDevices,omitempty"`
	ExpirationDate      string `json:"expirationDate,omitempty"`
}

func (p PassphraseCreate) String() string {
	return fmt.Sprintf("PassphraseCreate{Username:%q Passphrase:%s VLANID:%d NumberOfDevicesType:%s NumberOfDevices:%d ExpirationDate:%s}",
		p.Username, redacted, p.VLANID, p.NumberOfDevicesType, p.NumberOfDevices, p.ExpirationDate)
}

// secrets lets a failed create mask the passphrase R1 may quote back.
func (p PassphraseCreate) secrets() []string { return []string{p.Passphrase} }

// GoString keeps %#v from printing the secret.
func (p PassphraseCreate) GoString() string { return "r1client." + p.String() }

// LogValue keeps slog from logging the secret.
func (p PassphraseCreate) LogValue() slog.Value {
	return slog.GroupValue(slog.String("username", p.Username), slog.String("passphrase", redacted), slog.Int("vlanId", p.VLANID))
}

// PassphrasePatch is a partial passphrase update; nil fields are left alone.
type PassphrasePatch struct {
	VLANID          *int    `json:"vlanId,omitempty"`
	NumberOfDevices *int    `json:"numberOfDevices,omitempty"`
	ExpirationDate  *string `json:"expirationDate,omitempty"`
}

// PassphraseQuery selects a page of POST /dpskServices/{poolId}/passphrases/query
// (body paging from 1). Usernames become filters.username.
type PassphraseQuery struct {
	Page, PageSize       int
	Usernames            []string
	SortField, SortOrder string
}

// PassphrasesService handles /dpskServices/{poolId}/passphrases.
type PassphrasesService service

func passphrasesPath(poolID string) string { return "/dpskServices/" + pathID(poolID) + "/passphrases" }

// Create is POST /dpskServices/{poolID}/passphrases with one passphrase → 202 {requestId}.
// Too short a passphrase or a bad VLAN is refused at once (ValidationError);
// a duplicate username or value is accepted and fails in the activity.
func (s *PassphrasesService) Create(ctx context.Context, poolID string, p PassphraseCreate) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPost, passphrasesPath(poolID), nil, p, &out)
	return out, err
}

// Query is POST /dpskServices/{poolID}/passphrases/query.
func (s *PassphrasesService) Query(ctx context.Context, poolID string, q PassphraseQuery) (Page[Passphrase], error) {
	body := bodyQuery{Page: max(q.Page, 1), PageSize: q.PageSize, SortField: q.SortField, SortOrder: q.SortOrder}
	if body.PageSize <= 0 {
		body.PageSize = 500
	}
	if len(q.Usernames) > 0 {
		body.Filters = map[string]any{"username": q.Usernames}
	}
	var out bodyPage[Passphrase]
	if err := s.c.do(ctx, http.MethodPost, passphrasesPath(poolID)+"/query", nil, body, &out); err != nil {
		return Page[Passphrase]{}, err
	}
	return out.normalise(body.Page, body.PageSize), nil
}

// List is GET /dpskServices/{poolID}/passphrases?page=&size= (Spring paging from 0).
func (s *PassphrasesService) List(ctx context.Context, poolID string, page, size int) (Page[Passphrase], error) {
	var out springPage[Passphrase]
	if err := s.c.do(ctx, http.MethodGet, passphrasesPath(poolID), springQuery(page, size), nil, &out); err != nil {
		return Page[Passphrase]{}, err
	}
	return out.normalise(), nil
}

// Get is GET /dpskServices/{poolID}/passphrases/{id}.
func (s *PassphrasesService) Get(ctx context.Context, poolID, id string) (Passphrase, error) {
	var out Passphrase
	err := s.c.do(ctx, http.MethodGet, passphrasesPath(poolID)+"/"+pathID(id), nil, nil, &out)
	return out, err
}

// Patch is PATCH /dpskServices/{poolID}/passphrases/{id} → 202.
func (s *PassphrasesService) Patch(ctx context.Context, poolID, id string, patch PassphrasePatch) (Accepted, error) {
	var out Accepted
	err := s.c.do(ctx, http.MethodPatch, passphrasesPath(poolID)+"/"+pathID(id), nil, patch, &out)
	return out, err
}

// Delete is DELETE /dpskServices/{poolID}/passphrases with a JSON array of ids → 202.
func (s *PassphrasesService) Delete(ctx context.Context, poolID string, ids []string) (Accepted, error) {
	if ids == nil {
		ids = []string{}
	}
	var out Accepted
	err := s.c.do(ctx, http.MethodDelete, passphrasesPath(poolID), nil, ids, &out)
	return out, err
}
