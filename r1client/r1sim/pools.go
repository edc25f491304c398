package r1sim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"
)

type poolDTO struct {
	ID               string `json:"id"`
	Name             string `json:"name"`
	Description      string `json:"description,omitempty"`
	PassphraseFormat string `json:"passphraseFormat"`
	PassphraseLength int    `json:"passphraseLength"`
	DeviceCountLimit int    `json:"deviceCountLimit,omitempty"`
	ExpirationType   string `json:"expirationType,omitempty"`
	ExpirationOffset int    `json:"expirationOffset,omitempty"`
	ExpirationDate   string `json:"expirationDate,omitempty"`
	IdentityGroupID  string `json:"identityGroupId"`
	PolicySetID      string `json:"policySetId,omitempty"` // observed, not in DpskPoolDto
	CreatedDate      string `json:"createdDate"`
	LastModifiedDate string `json:"lastModifiedDate"`
	IsReferenced     bool   `json:"isReferenced"`
	NetworkCount     int    `json:"networkCount"`
}

func (p *pool) dto() poolDTO {
	return poolDTO{ID: p.id, Name: p.name, Description: p.description, PassphraseFormat: p.format,
		PassphraseLength: p.length, DeviceCountLimit: p.deviceLimit, ExpirationType: p.expType,
		ExpirationOffset: p.expOffset, ExpirationDate: p.expDate, IdentityGroupID: p.groupID,
		PolicySetID: p.policySetID, CreatedDate: p.created.UTC().Format(timeFormat),
		LastModifiedDate: p.modified.UTC().Format(timeFormat), IsReferenced: true}
}

// poolBody is a DpskPoolDto as written by a client; nil = absent.
type poolBody struct {
	Name             *string `json:"name"`
	Description      *string `json:"description"`
	PassphraseFormat *string `json:"passphraseFormat"`
	PassphraseLength *int    `json:"passphraseLength"`
	DeviceCountLimit *int    `json:"deviceCountLimit"`
	ExpirationType   *string `json:"expirationType"`
	ExpirationOffset *int    `json:"expirationOffset"`
	ExpirationDate   *string `json:"expirationDate"`
}

var (
	passphraseFormats = []string{"MOST_SECURED", "KEYBOARD_FRIENDLY", "NUMBERS_ONLY"}
	expirationTypes   = []string{"SPECIFIED_DATE", "HOURS_AFTER_TIME", "DAYS_AFTER_TIME", "WEEKS_AFTER_TIME", "MONTHS_AFTER_TIME", "YEARS_AFTER_TIME"}
)

const poolObject = "DPSK service"

// validate checks a pool body; create requires the spec's required fields.
func (b poolBody) validate(create bool) []subError {
	var subs []subError
	bad := func(field, msg string) { subs = append(subs, subError{Object: poolObject, Field: field, Message: msg}) }
	if b.Name != nil || create {
		if b.Name == nil {
			bad("name", "must not be null")
		} else if s := checkName("name", *b.Name); s != nil {
			bad("name", s[0].Message)
		}
	}
	if b.PassphraseFormat != nil || create {
		if b.PassphraseFormat == nil || !slices.Contains(passphraseFormats, *b.PassphraseFormat) {
			bad("passphraseFormat", "must be one of MOST_SECURED, KEYBOARD_FRIENDLY, NUMBERS_ONLY")
		}
	}
	if b.PassphraseLength != nil || create {
		if b.PassphraseLength == nil || *b.PassphraseLength < 8 || *b.PassphraseLength > 63 {
			bad("passphraseLength", "must be between 8 and 63")
		}
	}
	if b.DeviceCountLimit != nil && *b.DeviceCountLimit < 0 {
		bad("deviceCountLimit", "must not be negative")
	}
	if b.ExpirationType != nil && *b.ExpirationType != "" && !slices.Contains(expirationTypes, *b.ExpirationType) {
		bad("expirationType", "unknown expiration type")
	}
	if b.ExpirationOffset != nil && *b.ExpirationOffset < 0 {
		bad("expirationOffset", "must not be negative")
	}
	if b.ExpirationDate != nil && *b.ExpirationDate != "" {
		if _, err := time.Parse(time.RFC3339, *b.ExpirationDate); err != nil {
			bad("expirationDate", "must be an ISO-8601 date-time")
		}
	}
	if b.Description != nil && len(*b.Description) > 255 {
		bad("description", "size must be between 0 and 255")
	}
	return subs
}

func (b poolBody) apply(p *pool) {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	seti := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.name, b.Name)
	set(&p.description, b.Description)
	set(&p.format, b.PassphraseFormat)
	seti(&p.length, b.PassphraseLength)
	seti(&p.deviceLimit, b.DeviceCountLimit)
	set(&p.expType, b.ExpirationType)
	seti(&p.expOffset, b.ExpirationOffset)
	set(&p.expDate, b.ExpirationDate)
}

// createPool is POST /identityGroups/{groupId}/dpskServices. A duplicate name
// is accepted (202 with the would-be id) and fails in the activity, as R1 does.
func (s *Sim) createPool(r *http.Request, t *tenant) reply {
	var body poolBody
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := body.validate(true); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid pool content", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	g := t.groups[normID(r.PathValue("groupId"))]
	if g == nil || (s.options().RefuseUnfinishedParents && s.now().Before(g.visibleAt)) {
		return notFound("Identity group")
	}
	if g.dpskPoolID != "" {
		return errReply(http.StatusConflict, "Identity group is already associated with a DPSK pool",
			subError{Object: "identityGroup", Field: "dpskPoolId", Message: "already set"})
	}
	id := s.newID()
	if t.poolNames[*body.Name] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "CREATE_DPSK_SERVICE",
			failure(poolObject, "name", "Name must be unique")), ID: id}}
	}
	w := s.stamp()
	now := w.now
	p := &pool{id: id, groupID: g.id, created: now, modified: now,
		pps: map[string]*passphrase{}, byUser: map[string]*passphrase{}, byValue: map[string]*passphrase{}}
	p.visibleAt = w.at
	body.apply(p)
	t.pools[normID(id)] = p
	t.poolOrder = append(t.poolOrder, p)
	t.poolNames[p.name] = p
	g.keep(g.snapshot(), w) // the group shows its pool when the pool shows
	g.dpskPoolID = id
	settleAt(&t.poolsSettle, w.at)
	settleAt(&t.groupsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "CREATE_DPSK_SERVICE", ""), ID: id}}
}

// queryPools is POST /dpskServices/query: body paging from 1, data + totalCount.
func (s *Sim) queryPools(r *http.Request, t *tenant) reply {
	raw, rep, ok := strictKeys(r, "fields", "page", "pageSize", "sortField", "sortOrder", "searchTargetFields", "searchString", "filters")
	if !ok {
		return rep
	}
	var q struct {
		Fields             []string `json:"fields"`
		Page               *int     `json:"page"`
		PageSize           *int     `json:"pageSize"`
		SortField          string   `json:"sortField"`
		SortOrder          string   `json:"sortOrder"`
		SearchTargetFields []string `json:"searchTargetFields"`
		SearchString       string   `json:"searchString"`
	}
	if rep, ok := remarshal(raw, &q); !ok {
		return rep
	}
	page, size := bodyPaging(q.Page, q.PageSize)
	search := strings.ToLower(q.SearchString)
	v := s.view()
	t.mu.Lock()
	var all []poolDTO
	for _, p := range seeAll(&v, t.poolOrder) {
		if search == "" || strings.Contains(strings.ToLower(p.name), search) {
			all = append(all, p.dto())
		}
	}
	t.mu.Unlock()
	s.noteStale(t, &v)
	if q.SortField == "name" {
		slices.SortStableFunc(all, func(a, b poolDTO) int { return strings.Compare(a.Name, b.Name) })
	}
	if strings.EqualFold(q.SortOrder, "DESC") {
		slices.Reverse(all)
	}
	return reply{http.StatusOK, newBodyPage(all, page, size, q.Fields)}
}

func remarshal(raw map[string]json.RawMessage, v any) (reply, bool) {
	b, _ := json.Marshal(raw)
	if err := json.Unmarshal(b, v); err != nil {
		return errReply(http.StatusBadRequest, "Malformed JSON request"), false
	}
	return reply{}, true
}

func (s *Sim) getPool(r *http.Request, t *tenant) reply {
	v := s.view()
	defer s.noteStale(t, &v)
	t.mu.Lock()
	defer t.mu.Unlock()
	p := v.pool(t, r.PathValue("poolId"))
	if p == nil {
		return notFound("DPSK pool")
	}
	return reply{http.StatusOK, see(&v, p).dto()}
}

// pool finds the live pool id if reads show it.
func (v *view) pool(t *tenant, id string) *pool {
	return lookup(v, t.pools, t.poolOrder, t.poolsSettle, id)
}

// patchPool is PATCH /dpskServices/{poolId}: applied at once; a duplicate
// name fails in the activity and changes nothing.
func (s *Sim) patchPool(r *http.Request, t *tenant) reply {
	var body poolBody
	if rep, ok := decode(r, &body); !ok {
		return rep
	}
	if subs := body.validate(false); subs != nil {
		return errReply(http.StatusBadRequest, "Invalid pool content", subs...)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	if body.Name != nil && *body.Name != p.name && t.poolNames[*body.Name] != nil {
		return reply{http.StatusAccepted, accepted{RequestID: t.addActivity(s, "UPDATE_DPSK_SERVICE",
			failure(poolObject, "name", "Name must be unique"))}}
	}
	w := s.stamp()
	p.keep(p.snapshot(), w)
	delete(t.poolNames, p.name)
	body.apply(p)
	t.poolNames[p.name] = p
	p.modified = w.now
	settleAt(&t.poolsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "UPDATE_DPSK_SERVICE", "")}}
}

// deletePool is DELETE /dpskServices/{poolId}; a pool holding passphrases is
// refused synchronously with DPSK-026, a pool a Wi-Fi network is bound to
// with a 400 naming the network.
func (s *Sim) deletePool(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	if len(p.pps) > 0 {
		return errReply(http.StatusBadRequest, "DPSK-026: DPSK service contains passphrases and cannot be deleted",
			subError{Code: "DPSK-026", Object: poolObject, Message: "DPSK service contains passphrases"})
	}
	// R1's answer is not recorded (CLEANUP_AND_ROLLBACK.md §7); the
	// simulator refuses, so that only the safe order (networks first) works.
	if n := t.boundNetwork(p.id); n != nil {
		return errReply(http.StatusBadRequest, "DPSK service is in use by Wi-Fi network "+n.name+" and cannot be deleted",
			subError{Object: poolObject, Message: "Delete the Wi-Fi networks using the DPSK service first"})
	}
	w := s.stamp()
	p.remove(w)
	delete(t.pools, normID(p.id))
	delete(t.poolNames, p.name)
	t.poolOrder = without(t.poolOrder, func(x *pool) bool { return x.prunable(w.now) })
	if g := t.groups[normID(p.groupID)]; g != nil && normID(g.dpskPoolID) == normID(p.id) {
		g.keep(g.snapshot(), w)
		g.dpskPoolID = ""
		settleAt(&t.groupsSettle, w.at)
	}
	settleAt(&t.poolsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "DELETE_DPSK_SERVICE", "")}}
}

func (s *Sim) attachPolicySet(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	ps := t.sets[normID(r.PathValue("policySetId"))]
	if ps == nil {
		return notFound("Policy set")
	}
	w := s.stamp()
	p.keep(p.snapshot(), w)
	p.policySetID = ps.id
	p.modified = w.now
	settleAt(&t.poolsSettle, w.at)
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "UPDATE_DPSK_SERVICE_POLICY_SET", "")}}
}

func (s *Sim) detachPolicySet(r *http.Request, t *tenant) reply {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pools[normID(r.PathValue("poolId"))]
	if p == nil {
		return notFound("DPSK pool")
	}
	w := s.stamp()
	if normID(p.policySetID) == normID(r.PathValue("policySetId")) {
		p.keep(p.snapshot(), w)
		p.policySetID = ""
		p.modified = w.now
		settleAt(&t.poolsSettle, w.at)
	}
	return reply{http.StatusAccepted, accepted{RequestID: t.addActivityAt(s, w, "REMOVE_DPSK_SERVICE_POLICY_SET", "")}}
}
